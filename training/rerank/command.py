"""``python -m training fit-rerank``: fit an artifact's second stage and add it to the artifact.

Cross-fitted examples of the training users (``training.rerank.crossfit``), a listwise fit
(``training.rerank.fit``), then the validation users decide: the second stage is written
(``rerank.npz``, listed in the manifest with its validation numbers) only when it beats the
first stage's validation NDCG@100; otherwise the artifact is left as it was.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import Artifact, add_file, load_artifact
from model.catalog.catalog import Catalog
from model.coldstart.index import TitleIndex
from model.rerank.features import FEATURES
from model.rerank.tables import RERANK_FILE, Tables
from training.dataset import VALIDATION, Dataset, add_options, options_from_args
from training.evaluation.measures import ranking_metrics
from training.rerank.crossfit import crossfit_examples
from training.rerank.fit import fit_scorer
from training.rerank.items import corpus_tables
from training.rerank.scorer import RerankScorer
from training.scenario import fold_in
from training.sources import open_sources

# Chosen on validation users (runs/rerank-log.md): 150 candidates and no rating feature match
# 300 with it (NDCG@100 0.5914 vs 0.5913) at a fraction of the serving cost.
N_CANDIDATES = 150
HIDDEN = (16,)
WITHOUT: tuple[str, ...] = ("rating",)  # left out of the fit, and not computed when serving


class _Fixed:
    """Scores computed once, behind the scorer protocol."""

    def __init__(self, name: str, scores: np.ndarray) -> None:
        self.name, self._scores = name, scores

    def scores(self, batch: object) -> np.ndarray:
        return self._scores


def fit_rerank(
    artifact: Artifact,
    dataset: Dataset,
    index: TitleIndex,
    *,
    n_candidates: int = N_CANDIDATES,
    hidden: Sequence[int] = HIDDEN,
    steps: int = 600,
    learning_rate: float = 0.01,
    n_folds: int = 4,
    seed: int = 0,
    without: Sequence[str] = WITHOUT,
    log: Callable[[str], Any] = print,
) -> tuple[Tables, dict[str, Any]]:
    """The fitted second stage and its report (validation metrics before and after)."""
    started = time.perf_counter()
    items = corpus_tables(dataset, index)
    f = len(FEATURES)
    blank = Tables(
        **items, feature_names=FEATURES, feature_mean=np.zeros(f), feature_std=np.ones(f),
        layers=((np.zeros((f, 1)), np.zeros(1)),), n_candidates=n_candidates,
    )  # fmt: skip
    examples = crossfit_examples(dataset, artifact, blank, n_folds=n_folds, seed=seed, log=log)
    steps = min(steps, max(50, len(examples)))  # small data (a refresh's tests) needs fewer
    mean, std, layers = fit_scorer(
        examples, hidden=hidden, steps=steps, learning_rate=learning_rate, seed=seed,
        without=without,
    )  # fmt: skip
    tables = Tables(
        **items, feature_names=FEATURES, feature_mean=mean, feature_std=std, layers=layers,
        n_candidates=n_candidates,
    )  # fmt: skip
    validation = fold_in(dataset, dataset.users(VALIDATION))
    scorer = RerankScorer(_with_rerank(artifact, tables))
    before = RerankScorer(_with_rerank(artifact, blank))
    report = {
        "validation_first_stage": _rounded(ranking_metrics(before, validation)),
        "validation": _rounded(ranking_metrics(scorer, validation)),
        "n_candidates": n_candidates,
        "hidden": list(hidden),
        "without": list(without),
        "steps": steps,
        "folds": n_folds,
        "seed": seed,
        "crossfit_users": len(examples),
        "fit_seconds": round(time.perf_counter() - started, 1),
    }
    return tables, report


def _with_rerank(artifact: Artifact, tables: Tables) -> Artifact:
    from dataclasses import replace

    return replace(artifact, rerank=tables)


def _rounded(row: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 5) for k, v in row.items()}


def fit_for_artifact(model_dir: Path, dataset: Dataset, log: Callable[[str], Any] = print) -> str:
    """Fit and (when it beats the first stage on validation) add the second stage to the
    artifact at ``model_dir`` trained on ``dataset``; one line saying what was done
    (``training.lifecycle.refresh``)."""
    artifact = load_artifact(model_dir)
    index = TitleIndex(Catalog.load())
    seed = _seed(None, artifact)
    tables, report = fit_rerank(artifact, dataset, index, seed=seed, log=log)
    first, second = report["validation_first_stage"], report["validation"]
    if second["ndcg@100"] <= first["ndcg@100"]:
        return (
            f"second stage not added (validation NDCG@100 {second['ndcg@100']:.4f} ≤ first stage)"
        )
    add_file(model_dir, RERANK_FILE, tables.to_bytes(), metadata={"rerank": report})
    return (
        f"second stage added: validation NDCG@100 {first['ndcg@100']:.4f} → "
        f"{second['ndcg@100']:.4f}"
    )


def _seed(given: int | None, artifact: Artifact) -> int:
    """The folds' and the fit's seed: as given, else the artifact's training seed."""
    if given is not None:
        return given
    return int(artifact.metadata.get("train_config", {}).get("seed", 0))


def _fit_command(args: argparse.Namespace) -> int:
    model_dir = Path(args.model)
    artifact = load_artifact(model_dir)
    dataset = open_sources(args.data, options_from_args(args))
    if not np.array_equal(np.asarray(artifact.corpus_ids), dataset.corpus_ids):
        print(f"{model_dir}: corpus differs from the dataset's (other data options?)")
        return 2
    index = TitleIndex(Catalog.load(args.catalog))
    tables, report = fit_rerank(
        artifact, dataset, index, n_candidates=args.candidates, hidden=tuple(args.hidden),
        steps=args.steps, n_folds=args.folds, seed=_seed(args.seed, artifact),
        without=tuple(args.without),
    )  # fmt: skip
    first, second = report["validation_first_stage"], report["validation"]
    print(
        f"validation NDCG@100 {first['ndcg@100']:.4f} → {second['ndcg@100']:.4f}, "
        f"R@20 {first['recall@20']:.4f} → {second['recall@20']:.4f} ({report['fit_seconds']}s)"
    )
    if second["ndcg@100"] <= first["ndcg@100"]:
        print(f"the second stage does not beat the first on validation: {model_dir} unchanged")
        return 0
    add_file(model_dir, RERANK_FILE, tables.to_bytes(), metadata={"rerank": report})
    load_artifact(model_dir)  # what was written reads back
    print(f"wrote {model_dir / RERANK_FILE}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fit-rerank", help="fit the second stage (re-ranker) of an artifact on cross-fitted folds"
    )
    parser.add_argument("--model", required=True, help="artifact directory (a candidate)")
    parser.add_argument(
        "--data", required=True, action="append", help="the data the artifact was trained on"
    )
    parser.add_argument("--catalog", help="catalog file (default: the shipped one)")
    parser.add_argument("--candidates", type=int, default=N_CANDIDATES)
    parser.add_argument("--hidden", type=int, nargs="*", default=list(HIDDEN))
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument(
        "--without", nargs="*", default=list(WITHOUT), choices=FEATURES, help="features left out"
    )
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--seed", type=int, help="default: the artifact's training seed")
    add_options(parser)
    parser.set_defaults(handler=_fit_command)
