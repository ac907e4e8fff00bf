"""``python -m training bench``: CPU serving latency, throughput and memory on the ``full`` config.

Builds (or reads, with ``--model``) an artifact, loads it the way the bot does (one BLAS thread,
``workers`` = 2 on a 2-core machine: a lone call uses both cores), and measures
``recommend`` (unexplained, top 10) at 20/150/500/2,000 entries, ``explain`` at 150 entries
(explained top 10 + most impactful + most surprising: one holdout pass), batched throughput
(batch 64 of 150 entries), load time and resident memory. In the same process it times the plain
dense NumPy forward (:func:`model.reference.forward`) and a JAX-jit forward of the same weights,
and the memory-bandwidth floor: the weight bytes one 150-entry ``recommend`` must read, divided
by the measured copy bandwidth (bytes read + written per second, on buffers larger than the
caches); also the "read floor": the same bytes over the rate a GEMV streams a matrix larger than
the caches on one and on two threads (no write-back; what the output layers can reach).
Explain and throughput are also given for 1 worker. JAX is imported only for that comparison,
lazily: serving never imports it.

Synthetic profiles draw titles with a popularity skew (Zipf) and 70% of entries scored.
Note the machine load (``uptime``) and the BLAS kernel (printed) next to the numbers:
``OPENBLAS_CORETYPE`` may force an older kernel than the CPU supports.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from model.fastpath import FAST_MODES
from model.recommender import DEFAULT_WORKERS
from training.bench.measure import run_bench
from training.bench.report import format_table


def _bench(args: argparse.Namespace) -> int:
    result = run_bench(args)
    print(format_table(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="serving benchmark on the full config (random weights)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", help="artifact to time (default: build the full config)")
    parser.add_argument("--json", help="also write the figures as JSON here")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"recommender worker threads (default {DEFAULT_WORKERS}, as the bot loads it)",
    )
    parser.add_argument(
        "--graft",
        action="store_true",
        help="add the item–item graft (N×N) and rating offset, like the default trained model",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--no-jax", action="store_true", help="skip the JAX comparison")
    parser.add_argument(
        "--fast",
        choices=FAST_MODES,
        help="also time the opt-in fast ranking (model/fastpath.py) against float32",
    )
    parser.set_defaults(handler=_bench)
