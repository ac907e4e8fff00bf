"""``python -m training bench``: the CPU serving benchmark (see :mod:`training.bench.cli`).

* :mod:`~training.bench.cli` – the sub-command;
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

from training.bench.bandwidth import recommend_bytes
from training.bench.cli import register
from training.bench.dense import FULL, build_full_artifact
from training.bench.measure import run_bench
from training.bench.report import format_table

__all__ = [
    "FULL",
    "build_full_artifact",
    "format_table",
    "recommend_bytes",
    "register",
    "run_bench",
]
