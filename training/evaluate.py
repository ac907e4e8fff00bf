"""``python -m training evaluate``: a saved artifact against the baselines, on held-out users.

The thin entry point of the evaluation (scorers, measures and sweeps are in
``training.evaluation``): tune EASE, DLAE and the item bias on the validation users, then report
on the test users (strong generalization, ``training.scenario``) Recall@20,
Recall@50, NDCG@100, rating MAE on held-out scored entries (1–10), mean popularity percentile
and catalog coverage of the top-20, and hit rates inside and outside the user's franchises.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from training.baselines import Popularity
from training.dataset import (
    SPLIT_NAMES,
    TEST,
    VALIDATION,
    Dataset,
    add_options,
    options_from_args,
)
from training.evaluation.franchise import franchise_relation
from training.evaluation.measures import evaluate_scorers, rating_mae
from training.evaluation.scorers import ModelScorer
from training.evaluation.tuning import tune_bias, tune_dlae, tune_ease
from training.scenario import fold_in
from training.sources import open_sources

COLUMNS = (
    ("recall@20", "R@20"),
    ("recall@50", "R@50"),
    ("ndcg@100", "NDCG@100"),
    ("franchise_hits@20", "franchise hits@20"),
    ("other_hits@20", "other hits@20"),
    ("popularity_percentile@20", "pop. pct@20"),
    ("coverage@20", "coverage@20"),
)


def markdown_table(results: dict[str, dict[str, float]], maes: dict[str, float]) -> str:
    """One row per scorer (ranking metrics) or rating predictor (MAE); "—" where not measured."""
    head = "| scorer | " + " | ".join(title for _, title in COLUMNS) + " | MAE |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    for name in [*results, *[m for m in maes if m not in results]]:
        row = results.get(name, {})
        cells = [f"{row[c]:.4f}" if c in row else "—" for c, _ in COLUMNS]
        mae = f"{maes[name]:.4f}" if name in maes else "—"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {mae} |")
    return "\n".join(lines)


def evaluate_artifact(model_dir: Path, dataset: Dataset, *, part: int = TEST) -> dict[str, Any]:
    """Evaluate a saved artifact, tuned EASE and DLAE, popularity and the bias baseline."""
    from model.artifact import load_artifact

    artifact = load_artifact(model_dir)
    if not np.array_equal(np.asarray(artifact.corpus_ids), dataset.corpus_ids):
        raise ValueError(f"{model_dir}: corpus differs from the dataset's (other data options?)")
    weights = {k: np.asarray(v) for k, v in artifact.weights.items()}
    w = float(artifact.metadata.get("score_weight", 0.3))
    scorer = ModelScorer(artifact.config, weights, score_weight=w)
    val_batch = fold_in(dataset, dataset.users(VALIDATION))
    batch = fold_in(dataset, dataset.users(part))
    start = time.perf_counter()
    ease, ease_sweep = tune_ease(dataset, val_batch)
    ease_seconds = time.perf_counter() - start
    dlae, dlae_sweep = tune_dlae(dataset, val_batch)
    bias, bias_sweep = tune_bias(dataset, val_batch)
    related = franchise_relation(list(dataset.titles))
    results = evaluate_scorers(
        [scorer, ease, dlae, Popularity().fit(dataset)], batch, dataset.item_counts, related
    )
    maes = {scorer.name: rating_mae(scorer, batch), bias.name: rating_mae(bias, batch)}
    return {
        "split": SPLIT_NAMES[part],
        "n_users": len(batch.users),
        "model": str(model_dir),
        "model_score_weight": w,
        "results": results,
        "mae": maes,
        "ease_lambda": ease.lam,
        "ease_validation_ndcg": {str(k): v for k, v in ease_sweep.items()},
        "ease_fit_seconds": round(ease_seconds, 1),
        "dlae_validation_ndcg": dlae_sweep,
        "bias_shrinkage": bias.shrinkage,
        "bias_validation_mae": {str(k): v for k, v in bias_sweep.items()},
        "table": markdown_table(results, maes),
    }


def _evaluate_command(args: argparse.Namespace) -> int:
    dataset = open_sources(args.data, options_from_args(args))
    part = {"test": TEST, "validation": VALIDATION}[args.split]
    report = evaluate_artifact(Path(args.model), dataset, part=part)
    print(report["table"])
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
        out.with_suffix(".md").write_text(report["table"] + "\n")
        print(f"wrote {out} and {out.with_suffix('.md')}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="strong-generalization evaluation against EASE and popularity"
    )
    parser.add_argument("--model", required=True, help="artifact directory")
    parser.add_argument(
        "--data",
        required=True,
        action="append",
        help="data folder or file, a built .npz, or a database URL; repeat to merge sources "
        "(newest list per user, training.lifecycle.sources)",
    )
    parser.add_argument("--out", help="write the report here (JSON) and a .md table beside it")
    parser.add_argument("--split", choices=("test", "validation"), default="test")
    add_options(parser)
    parser.set_defaults(handler=_evaluate_command)
