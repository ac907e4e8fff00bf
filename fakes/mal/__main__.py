"""``python -m fakes.mal``: see :mod:`fakes.mal.cli`."""

import sys

from fakes.mal.cli import main

sys.exit(main())
