"""``python -m tests.benchmarks [--sizes 10k,100k,1M] [--out BENCHMARKS.md]``."""

import sys

from tests.benchmarks.run import main

sys.exit(main())
