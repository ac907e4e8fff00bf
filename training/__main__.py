"""``python -m training``: data collection, dataset building, training and evaluation."""

from __future__ import annotations

import sys

from model import commands

COMMAND_MODULES: list[str] = [
    "training.collect",
    "training.discover",
    "training.dataset",
    "training.train",
    "training.evaluate",
    "training.coldstart",
    "training.ratings.command",
    "training.rerank.command",
    "training.evaluate_catalog",
    "training.bench",
    "training.catalog",
    "training.lifecycle.promote",
    "training.lifecycle.refresh",
]


# The `train` extra (pyproject.toml): the bot installs without them.
TRAIN_EXTRA = {"jax", "jaxlib", "flax", "optax", "tqdm"}


def main(argv: list[str] | None = None) -> int:
    try:
        return commands.run("python -m training", __doc__, COMMAND_MODULES, argv)
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in TRAIN_EXTRA:
            raise
        print(
            f"python -m training needs the 'train' extra ({error.name} is not installed): "
            "pip install -c constraints.txt -e '.[train]' (or run it through make).",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
