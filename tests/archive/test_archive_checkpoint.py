"""The archive in log/ is signed: its kept checkpoint proves every event it covers."""

from __future__ import annotations

import shutil
from pathlib import Path

from eventlog.checkpoints import archive_key, kept, prove_inclusion, read_origin, verify_kept
from eventlog.proofs import check_inclusion

LOG = Path(__file__).resolve().parents[2] / "log"


def test_the_archive_has_an_origin_a_verifier_key_and_a_kept_checkpoint() -> None:
    """log/ names its origin, holds the archive's verifier key and at least one checkpoint."""
    assert read_origin(LOG) == "repatriation-archive.example/log"
    assert archive_key(LOG) is not None
    assert kept(LOG)


def test_every_kept_checkpoint_holds_and_proves_each_event_it_covers(tmp_path: Path) -> None:
    """Each kept checkpoint verifies against the log, and every event below it has a proof."""
    log = tmp_path / "log"
    shutil.copytree(LOG, log, ignore=shutil.ignore_patterns(".*"))
    key = archive_key(log)
    lines = (log / "events.jsonl").read_bytes().split(b"\n")[:-1]
    bodies = verify_kept(log)
    assert bodies
    for path in kept(log):
        raw = path.read_bytes()
        size = int(raw.split(b"\n")[1])
        for seq in range(1, size + 1):
            proof = prove_inclusion(log, seq, raw).encode()
            body, proved = check_inclusion(proof, lines[seq - 1], key)
            assert (body.size, proved) == (size, seq)
