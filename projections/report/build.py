"""``projections report``: gather the store's figures, render the site, publish it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from projections.report.load import load
from projections.report.publish import publish_site
from projections.report.site import site_files
from projections.store import catch_up, guarded


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


def write_report(log_dir: Path, out: Path) -> Report:
    """Catch the store up, build ``OUT/site`` from it and publish the site atomically."""
    caught = catch_up(log_dir, out)
    try:
        with guarded(out):
            data = load(caught.conn, caught.lines)
    finally:
        caught.close()
    files = site_files(data)
    path = publish_site(out, files)
    return Report(path, data.seq, data.head_hash, tuple(files), len(data.rounds))
