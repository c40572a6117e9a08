"""Reading the report's data: the views and trails the ``projections`` commands answer."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from eventlog.catalog import TIMESTAMP_FORMAT
from eventlog.reader import LogReader
from projections.report.data import ReportData, assemble
from projections.rounds import rounds_view
from projections.state import fold
from projections.totals import totals_view
from projections.trails import all_trails


def load(log_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> ReportData:
    """The report's data for the log in ``log_dir``.

    Raises the ``eventlog`` and ``projections`` errors as they come.
    """
    reader = LogReader(log_dir)
    records = list(reader.records())
    state = fold(records)
    built_at = datetime.now(UTC).strftime(TIMESTAMP_FORMAT)
    head = records[-1] if records else None
    head_hash = reader.position.hash if head is not None else ""
    rounds = rounds_view(state)
    accounts = [
        {"id": a["id"], "round": r["round"], "kind": f["kind"], "from": f["from"],
         "to": f["to"], "party": party, "count": a["count"]}
        for r in rounds["rounds"] for f in r["flows"] for party, a in f["accounts"].items()
    ]  # fmt: skip
    return assemble(totals_view(state), rounds, all_trails(records), accounts, head_hash, built_at)
