"""``python -m training train``: build or read a dataset, train, validate, export an artifact.

The thin entry point (google/flax ``examples/*/main.py``): the math is in ``training.network``,
``training.losses`` and ``training.objective``, the step and loop in ``training.loop``, the
item–item graft in ``training.graft``; this module wires data, the graft, training, the
residual scale α and score weight w (both chosen on validation users) and
``model.artifact.save_artifact``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import numpy as np

from training.baselines import item_value_bias
from training.configs import CONFIGS, TrainConfig
from training.dataset import VALIDATION, Dataset, add_options, options_from_args
from training.evaluation.measures import evaluate_scorers, rating_mae
from training.evaluation.scorers import ModelScorer
from training.graft import Graft, select_graft
from training.loop import TrainResult, train
from training.network import Network
from training.scenario import FoldIn, fold_in
from training.sources import open_sources

SCORE_WEIGHTS = (0.0, 0.3, 0.5, 0.7, 0.9, 1.0)
RESIDUAL_SCALES = (0.0, 0.25, 0.5, 1.0)


def choose_score_weight(
    scorer: ModelScorer, batch: FoldIn, item_counts: np.ndarray
) -> tuple[float, dict[float, float]]:
    """The unified score's w with the best validation NDCG@100 (ties: the larger w)."""
    sweep = {}
    for w in SCORE_WEIGHTS:
        scorer.score_weight = w
        sweep[w] = evaluate_scorers([scorer], batch, item_counts)["model"]["ndcg@100"]
    best = max(sweep, key=lambda w: (round(sweep[w], 4), w))
    scorer.score_weight = best
    return best, sweep


def choose_residual_scale(
    network: Network, batch: FoldIn, item_counts: np.ndarray
) -> tuple[float, dict[float, float]]:
    """Scale α of the network's presence logits next to the graft, chosen by validation NDCG@100.

    logits = α·head_p(z) + g·(presence·G): α multiplies the presence head's last layer (kernel
    and bias), so the exported weights keep ``model.reference``'s form. α = 0 leaves the
    ranking to the item–item graft (the rating head still gives the predicted scores).
    """
    last = network.presence[-1]
    assert last.bias is not None
    kernel, bias = np.asarray(last.kernel[...]), np.asarray(last.bias[...])
    sweep = {}
    for alpha in RESIDUAL_SCALES:
        last.kernel[...], last.bias[...] = alpha * kernel, alpha * bias
        scorer = ModelScorer(network.config, network.to_weights(), score_weight=1.0)
        sweep[alpha] = evaluate_scorers([scorer], batch, item_counts)["model"]["ndcg@100"]
    best = max(sweep, key=lambda a: (round(sweep[a], 4), a))
    last.kernel[...], last.bias[...] = best * kernel, best * bias
    return best, sweep


def run_training(
    dataset: Dataset,
    config: TrainConfig,
    *,
    checkpoint_dir: Path | None = None,
    resume: bool = False,
    progress: bool = True,
    log: Callable[[str], Any] = print,
) -> tuple[TrainResult, dict[str, Any]]:
    """Train with early stopping and return the result and the artifact metadata."""
    started = time.perf_counter()
    validation = fold_in(dataset, dataset.users(VALIDATION))
    graft: Graft | None = select_graft(dataset, config, validation, log) if config.graft else None
    result = train(
        dataset,
        config,
        validation,
        item_item=graft.item_item if graft else None,
        item_item_folds=graft.folds if graft else None,
        rating_bias=item_value_bias(dataset) if config.rating_offset else None,
        checkpoint_dir=checkpoint_dir,
        resume=resume,
        progress=progress,
    )
    alpha, alpha_sweep = 1.0, dict[float, float]()
    if config.graft:
        alpha, alpha_sweep = choose_residual_scale(result.network, validation, dataset.item_counts)
        log(f"network residual scale α={alpha:g} (validation NDCG@100 {alpha_sweep[alpha]:.4f})")
    weights = result.network.to_weights()
    scorer = ModelScorer(result.network.config, weights)
    w, w_sweep = choose_score_weight(scorer, validation, dataset.item_counts)
    val = evaluate_scorers([scorer], validation, dataset.item_counts)["model"]
    val["mae"] = rating_mae(scorer, validation)
    metadata = {
        "score_weight": w,
        "score_weight_validation_ndcg": {str(k): round(v, 5) for k, v in w_sweep.items()},
        "residual_scale": alpha,
        "residual_scale_validation_ndcg": {str(k): round(v, 5) for k, v in alpha_sweep.items()},
        "validation": {k: round(v, 5) for k, v in val.items()},
        "data": {k: v for k, v in dataset.summary().items() if k != "options"},
        "dataset_options": dataset.info.get("options", {}),
        "train_config": config.to_dict(),
        "training": {
            "best_step": result.best_step,
            "steps": result.steps,
            "loop_seconds": round(result.seconds, 1),
            "total_seconds": round(time.perf_counter() - started, 1),
            "devices": [str(d) for d in jax.devices()],
            "machine": platform.machine(),
            "history": result.history,
        },
        **(graft.metadata if graft else {}),
    }
    return result, metadata


def export(result: TrainResult, dataset: Dataset, metadata: dict[str, Any], out: Path) -> Path:
    """Write the artifact (``model.artifact.save_artifact``) with items and metadata."""
    from model.artifact import save_artifact

    items = [
        {"anime_id": int(a), "title": str(t), "media_type": str(m)}
        for a, t, m in zip(dataset.corpus_ids, dataset.titles, dataset.media_types, strict=True)
    ]
    return save_artifact(
        out,
        config=result.network.config,
        weights=result.network.to_weights(),
        corpus_ids=dataset.corpus_ids,
        item_counts=dataset.item_counts,
        items=items,
        metadata=metadata,
    )


def _train_command(args: argparse.Namespace) -> int:
    config = CONFIGS[args.config].with_overrides(
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
        graft=args.graft,
        eval_every=args.eval_every,
        patience=args.patience,
    )
    if Path(args.out).is_symlink():
        print(
            f"{args.out} is a live model link (python -m training promote manages it): train "
            f"into another directory, then promote it with --to {args.out}.",
            file=sys.stderr,
        )
        return 2
    dataset = open_sources(args.data, options_from_args(args))
    print(json.dumps({k: v for k, v in dataset.summary().items() if k != "options"}))
    checkpoint_dir = Path(args.checkpoint_dir or f"runs/train-{config.name}")
    result, metadata = run_training(
        dataset,
        config,
        checkpoint_dir=checkpoint_dir,
        resume=args.resume,
        progress=not args.quiet,
    )
    path = export(result, dataset, metadata, Path(args.out))
    val = metadata["validation"]
    print(
        f"best step {result.best_step}/{result.steps}, {metadata['training']['total_seconds']}s; "
        f"validation NDCG@100 {val['ndcg@100']:.4f} R@20 {val['recall@20']:.4f} "
        f"MAE {val['mae']:.4f} (w={metadata['score_weight']})"
    )
    print(f"wrote {path}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train the recommender and write an artifact")
    parser.add_argument(
        "--data",
        required=True,
        action="append",
        help="data folder or file, a built .npz, or a database URL; repeat to merge sources "
        "(newest list per user, training.lifecycle.sources)",
    )
    parser.add_argument("--out", required=True, help="artifact directory to write")
    parser.add_argument("--config", choices=sorted(CONFIGS), default="small")
    parser.add_argument("--max-steps", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--eval-every", type=int)
    parser.add_argument("--patience", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--graft", action=argparse.BooleanOptionalAction, default=None, help="EASE graft"
    )
    parser.add_argument("--checkpoint-dir", help="default runs/train-<config>")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_options(parser)
    parser.set_defaults(handler=_train_command)
