"""``python -m training bench``: the CPU serving benchmark (see :mod:`training.bench.cli`), and
``python -m training bench-readers``: the list readers' peak memory on big files.

* :mod:`~training.bench.cli` – the sub-command;
* :mod:`~training.bench.readers` – ``bench-readers``;
* :mod:`~training.bench.measure` – every figure of one artifact;
* :mod:`~training.bench.stages` – one ``recommend`` stage by stage;
* :mod:`~training.bench.fast` – the opt-in int8 ranking against float32;
* :mod:`~training.bench.dense` – the full config, the dense NumPy and JAX forwards;
* :mod:`~training.bench.bandwidth` – the memory-bandwidth floor;
* :mod:`~training.bench.timing` – timers and resident memory;
* :mod:`~training.bench.report` – the Markdown table.

It reads the serving side through its public API only (:mod:`model.recommender`) and imports
JAX only inside :func:`training.bench.dense.jax_forward_ms`.
"""

from __future__ import annotations

import argparse

from training.bench import cli, readers
from training.bench.bandwidth import recommend_bytes
from training.bench.dense import FULL, build_full_artifact
from training.bench.measure import run_bench
from training.bench.report import format_table


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``bench`` and ``bench-readers``."""
    cli.register(subparsers)
    readers.register(subparsers)


__all__ = [
    "FULL",
    "build_full_artifact",
    "format_table",
    "recommend_bytes",
    "register",
    "run_bench",
]
