"""``python -m eventlog``: the same command line as ``eventlog``."""

from eventlog.cli import main

main(prog_name="eventlog")
