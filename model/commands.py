"""One ``python -m PACKAGE`` runner for packages whose modules each add sub-commands.

Each listed module adds its sub-commands with ``register(subparsers)``; a sub-command sets
``handler=`` to a function of the parsed args that returns an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence


def build_parser(prog: str, doc: str | None, modules: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for ``prog``: one sub-command set per module in ``modules``, in order."""
    parser = argparse.ArgumentParser(prog=prog, description=doc)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in modules:
        importlib.import_module(name).register(subparsers)
    return parser


def run(prog: str, doc: str | None, modules: Sequence[str], argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the chosen sub-command's handler.

    A sub-command named like its module, alone or before a dash (``bench`` and ``bench-readers``
    of ``training.bench``), is parsed with that module alone, so that it does not pay for the
    others' imports (the benchmarks measure memory; ``training.train`` would add JAX to it); one
    named like a module with ``-`` for ``_`` (``evaluate-catalog``) loads that module too.
    """
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        names = {argv[0], argv[0].partition("-")[0], argv[0].replace("-", "_")}
        alone = [name for name in modules if name.rpartition(".")[2] in names]
        if alone:
            modules = alone
    args = build_parser(prog, doc, modules).parse_args(argv)
    return int(args.handler(args) or 0)
