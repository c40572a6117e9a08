"""``projections report``: gather the store's figures, render the site, publish it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from projections.report.load import load
from projections.report.publish import publish_site
from projections.report.site import site_files


@dataclass(frozen=True)
class Report:
    """What a report run published."""

    path: Path
    seq: int
    head_hash: str
    files: tuple[str, ...]
    rounds: int

    def summary(self) -> str:
        """The one line the CLI prints."""
        source = f"seq {self.seq} ({self.head_hash[:12]})" if self.seq else "an empty log"
        csv = sum(1 for f in self.files if f.endswith(".csv"))
        pages = len(self.files) - csv - 1
        extra = f", {pages} pages of rounds" if pages else ""
        return (
            f"Report: {self.path / 'index.html'}{extra} and {csv} CSV files "
            f"({self.rounds} rounds) from {source}"
        )


def write_report(conn: sqlite3.Connection, out: Path) -> Report:
    """Build ``OUT/site`` from the store open on ``conn`` and publish it atomically."""
    data = load(conn)
    files = site_files(data)
    path = publish_site(out, files)
    return Report(path, data.seq, data.head_hash, tuple(files), len(data.rounds))
