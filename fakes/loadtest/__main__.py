"""``python -m fakes.loadtest``."""

import sys

from fakes.loadtest.cli import main

sys.exit(main())
