"""``python -m training``: data collection, dataset building, training and evaluation."""

from __future__ import annotations

import sys

from model import commands

COMMAND_MODULES: list[str] = [
    "training.collect",
    "training.dataset",
    "training.train",
    "training.evaluate",
]


def main(argv: list[str] | None = None) -> int:
    return commands.run("python -m training", __doc__, COMMAND_MODULES, argv)


if __name__ == "__main__":
    sys.exit(main())
