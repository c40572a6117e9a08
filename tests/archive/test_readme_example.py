"""The README's maintainer example, run as written on a scratch log (issue 15 §5).

It must show a correction of a mistyped figure and a retraction of a true duplicate,
and never the retraction of one side's account: the example teaches maintainers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eventlog import catalog
from eventlog.reader import LogReader

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "A maintainer records a report like this"


def _example() -> str:
    text = README.read_text("utf-8")
    start = text.index("```sh\n", text.index(MARKER)) + len("```sh\n")
    return text[start : text.index("```", start)]


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The scratch log the example leaves behind."""
    scratch = tmp_path_factory.mktemp("example")
    log = scratch / "my-log"
    script = _example().replace("/tmp/my-log", str(log))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "EVENTLOG_USER": "readme-example",
    }
    result = subprocess.run(
        ["bash", "-e", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=scratch,
    )
    assert result.returncode == 0, result.stderr
    return list(LogReader(log).records())


def _without_source(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "source"}


def test_example_runs_on_a_scratch_log(records: list[dict[str, Any]]) -> None:
    """Every command of the example succeeds and the scratch log verifies."""
    assert records


def test_example_corrects_a_mistyped_figure(records: list[dict[str, Any]]) -> None:
    """The example's correction changes a count and says it was mistyped."""
    corrections = [r["data"] for r in records if r["type"] == catalog.CORRECTED]
    assert corrections
    assert all("count" in c["changes"] and "mistyped" in c["reason"] for c in corrections)


def _current(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    facts: dict[str, dict[str, Any]] = {}
    for r in records:
        if r["type"] == catalog.CORRECTED:
            target = r["data"]["target"]
            facts[target] = catalog.merge_correction(facts[target], r["data"]["changes"])
        elif r["type"] in catalog.FACT_TYPES:
            facts[r["id"]] = r["data"]
    return facts


def test_example_retracts_only_a_true_duplicate(records: list[dict[str, Any]]) -> None:
    """Each retracted fact repeats a kept fact of the same type and party in all but its source."""
    types = {r["id"]: r["type"] for r in records}
    current = _current(records)
    retracted = {r["data"]["target"] for r in records if r["type"] == catalog.RETRACTED}
    assert retracted
    for target in retracted:
        fact = current[target]
        twins = [
            i
            for i, data in current.items()
            if i not in retracted
            and types[i] == types[target]
            and data["source"]["party"] == fact["source"]["party"]
            and _without_source(data) == _without_source(fact)
        ]
        assert twins, target


def test_example_keeps_both_sides_accounts(records: list[dict[str, Any]]) -> None:
    """Russia's 6,060 and Ukraine's 6,057 both stay: neither is corrected nor retracted."""
    revised = {r["data"]["target"] for r in records if r["type"] in catalog.REVISION_TYPES}
    totals = {
        r["data"]["source"]["party"]: (r["id"], r["data"]["count"]["value"])
        for r in records
        if r["type"] == catalog.TOTAL
    }
    assert {party: value for party, (_, value) in totals.items()} == {"RU": 6060, "UA": 6057}
    assert not revised & {fact_id for fact_id, _ in totals.values()}
