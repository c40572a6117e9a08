"""``python -m projections``: the same as the ``projections`` command."""

from projections.cli import main

main()
