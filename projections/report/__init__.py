"""The reader's bundle: a static site (HTML, inline SVG charts, CSV files) and the
Datasette metadata, all from the read model's store.

Only re-exports.
"""

from __future__ import annotations

from projections.report.build import Report, write_report

__all__ = ["Report", "write_report"]
