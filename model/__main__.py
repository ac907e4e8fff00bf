"""``python -m model``: batch recommendations, the ids the model can return, the reduced-precision
check and reading a list file.

The serving benchmark is ``python -m training bench`` (:mod:`training.bench`).
"""

from __future__ import annotations

import sys

from model import commands

COMMAND_MODULES: list[str] = [
    "model.cli",
    "model.servable",
    "model.precision",
    "model.readlist",
]


def main(argv: list[str] | None = None) -> int:
    return commands.run("python -m model", __doc__, COMMAND_MODULES, argv)


if __name__ == "__main__":
    sys.exit(main())
