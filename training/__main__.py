"""``python -m training``: data collection, dataset building, training and evaluation."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each module adds its sub-commands with ``register(subparsers)``; a sub-command sets
# ``handler=`` to a function of the parsed args that returns an exit code.
COMMAND_MODULES: list[str] = [
    "training.collect",
    "training.dataset",
    "training.train",
    "training.evaluate",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
