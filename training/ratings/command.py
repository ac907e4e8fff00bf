"""``python -m training fit-ratings``: fit the predicted-score model for a trained artifact.

Fits :class:`model.ratings.RatingModel` on the data's training users
(:mod:`training.ratings.fit`), writes it beside the weights as ``MODEL/ratings.npz`` and prints
the validation users' MAE of the rating head, user mean + item bias and the fitted model (the
served predicted score). The test users are left for ``python -m training evaluate``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from model.artifact import load_artifact
from model.ratings import save_rating_model
from training.baselines import ItemBias
from training.dataset import VALIDATION, Dataset, add_options, options_from_args
from training.evaluation.measures import rating_mae
from training.evaluation.scorers import ModelScorer
from training.ratings.fit import fit_rating_model
from training.ratings.predictor import FittedRatings
from training.scenario import fold_in
from training.sources import open_sources


def fit_for_artifact(model_dir: Path, dataset: Dataset) -> str:
    """Fit the rating model on ``dataset`` (the artifact's own training data) and write it
    beside the weights; one line saying what was done (``training.lifecycle.refresh``)."""
    corpus_ids = load_artifact(model_dir, verify=False).corpus_ids
    model = fit_rating_model(dataset)
    save_rating_model(model, model_dir, corpus_ids)
    return f"rating model fitted on {model.info['training_users']:,} training users"


def _fit_command(args: argparse.Namespace) -> int:
    artifact = load_artifact(args.model)
    dataset = open_sources(args.data, options_from_args(args))
    if not np.array_equal(dataset.corpus_ids, artifact.corpus_ids):
        print(f"error: {args.model}: corpus differs from the dataset's", file=sys.stderr)
        return 2
    start = time.perf_counter()
    model = fit_rating_model(dataset)
    model.info["data"] = [str(d) for d in args.data]
    model.info["fit_seconds"] = round(time.perf_counter() - start, 1)
    out = save_rating_model(model, Path(args.model), artifact.corpus_ids)
    batch = fold_in(dataset, dataset.users(VALIDATION))
    head = ModelScorer(artifact.config, {k: np.asarray(v) for k, v in artifact.weights.items()})
    rows = {
        "rating head": rating_mae(head, batch),
        "user mean + item bias (λ=3)": rating_mae(ItemBias(3.0).fit(dataset), batch),
        "fitted rating model": rating_mae(FittedRatings(model, dataset), batch),
    }
    print(f"validation MAE ({len(batch.users)} users, 1–10):")
    for name, value in rows.items():
        print(f"  {name:>28} {value:.4f}")
    print(f"fitted in {model.info['fit_seconds']}s; wrote {out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fit-ratings", help="fit the predicted-score model (neighbourhood + stack) for MODEL"
    )
    parser.add_argument("--model", required=True, help="artifact directory")
    parser.add_argument(
        "--data", required=True, action="append", help="the model's training data (as train)"
    )
    add_options(parser)
    parser.set_defaults(handler=_fit_command)
