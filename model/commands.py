"""One ``python -m PACKAGE`` runner for packages whose modules each add sub-commands.

Each listed module adds its sub-commands with ``register(subparsers)``; a sub-command sets
``handler=`` to a function of the parsed args that returns an exit code.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence


def build_parser(prog: str, doc: str | None, modules: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for ``prog``: one sub-command set per module in ``modules``, in order."""
    parser = argparse.ArgumentParser(prog=prog, description=doc)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in modules:
        importlib.import_module(name).register(subparsers)
    return parser


def run(prog: str, doc: str | None, modules: Sequence[str], argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the chosen sub-command's handler."""
    args = build_parser(prog, doc, modules).parse_args(argv)
    return int(args.handler(args) or 0)
