"""What one artifact is measured as: its ranking variants and its rating predictors.

* ``graft``: the item–item graft alone (:class:`GraftScorer`, the network's residual off);
* ``model``: the artifact as trained and served (graft + network, α and w as exported);
* ``model_alpha``: graft + network with the residual scale α re-tuned on the validation users,
  only when the artifact still holds the network's residual (exported α > 0: the head is
  rescaled by α'/α); at α = 0 the residual is not in the artifact and ``model`` ranks exactly as
  ``graft`` does, which the notes say;
* ``rerank``: the second stage, ``training.rerank.scorer.rerank_scorer(artifact_dir, dataset)``,
  and ``ratings``, ``training.ratings.predictor.rating_predictor``: looked up when called (other
  work may not have landed); a missing module, a failure or a None answer leaves the row out and the
  reason in the notes (printed with the report).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from training.dataset import Dataset
from training.evaluation.measures import ndcg
from training.evaluation.scorers import (
    GraftScorer,
    ModelScorer,
    RatingPredictor,
    Scorer,
    presence_head_scaled,
)
from training.scenario import FoldIn

ALPHAS = (0.0, 0.25, 0.5, 1.0)
"""The α grid of ``training.train`` (validation NDCG@100 picks one)."""

OPTIONAL = {
    "rerank": ("training.rerank.scorer", "rerank_scorer"),
    "ratings": ("training.ratings.predictor", "rating_predictor"),
}
"""Row → (module, function(artifact_dir, dataset) -> scorer or predictor or None)."""


@dataclass
class Variants:
    """Scorers and rating predictors of one artifact, by row key, and what was left out why."""

    scorers: dict[str, Scorer] = field(default_factory=dict)
    predictors: dict[str, RatingPredictor] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)


def optional_component(key: str, model_dir: Path, dataset: Dataset) -> tuple[Any, str]:
    """``OPTIONAL[key]``'s answer for this artifact, or None and why there is none."""
    module_name, function = OPTIONAL[key]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        return None, f"{module_name} not importable ({error})"
    make = getattr(module, function, None)
    if make is None:
        return None, f"{module_name} has no {function}"
    try:
        component = make(model_dir, dataset)
    except Exception as error:  # another team's work in progress must not stop the report
        return None, f"{module_name}.{function} failed: {type(error).__name__}: {error}"
    return component, "included" if component is not None else f"{function} returned None"


def tune_alpha(
    artifact: Any, weights: dict[str, np.ndarray], validation: FoldIn
) -> tuple[float, dict[float, float], ModelScorer]:
    """α' over :data:`ALPHAS` by validation NDCG@100 for an artifact exported at α > 0."""
    trained = float(artifact.metadata["residual_scale"])
    sweep: dict[float, float] = {}
    best: tuple[float, float, ModelScorer] | None = None
    for alpha in ALPHAS:
        scaled = presence_head_scaled(artifact.config, weights, alpha / trained)
        scorer = ModelScorer(artifact.config, scaled, artifact.score_weight)
        sweep[alpha] = value = ndcg(scorer, validation)
        if best is None or value > best[0]:
            best = value, alpha, scorer
    assert best is not None
    return best[1], sweep, best[2]


def artifact_variants(
    model_dir: Path, dataset: Dataset, validation: FoldIn, *, optional: bool = True
) -> Variants:
    """The variants of the artifact at ``model_dir`` (corpus checked against ``dataset``)."""
    from model.artifact import load_artifact

    artifact = load_artifact(model_dir)
    if not np.array_equal(np.asarray(artifact.corpus_ids), dataset.corpus_ids):
        raise ValueError(f"{model_dir}: corpus differs from the dataset's (other data options?)")
    weights = {k: np.asarray(v) for k, v in artifact.weights.items()}
    out = Variants()
    model = ModelScorer(artifact.config, weights, artifact.score_weight)
    alpha = float(artifact.metadata.get("residual_scale", 1.0))
    out.notes.update(
        score_weight=artifact.score_weight,
        residual_scale=alpha,
        residual_scale_validation_ndcg=artifact.metadata.get("residual_scale_validation_ndcg"),
        training=_training_cost(artifact.metadata),
    )
    if "item_item.weight" in weights:
        out.scorers["graft"] = GraftScorer(weights["item_item.weight"])
    out.scorers["model"] = model
    out.predictors["model"] = model
    if "item_item.weight" in weights and alpha > 0:
        best, sweep, tuned = tune_alpha(artifact, weights, validation)
        out.scorers["model_alpha"] = tuned
        out.notes["alpha_retuned"] = {"alpha": best, "validation_ndcg": sweep}
    elif alpha == 0:
        out.notes["alpha_retuned"] = (
            "exported at α = 0: the network's presence residual is not in the artifact, so the "
            "model ranks as its graft alone (the validation sweep in training chose α = 0)"
        )
    if optional:
        for key in OPTIONAL:
            component, why = optional_component(key, model_dir, dataset)
            out.notes[key] = why
            if component is not None and key == "rerank":
                out.scorers[key] = component
            elif component is not None:
                out.predictors[key] = component
    return out


def _training_cost(metadata: dict[str, Any]) -> dict[str, Any]:
    training = metadata.get("training", {})
    return {
        k: training[k]
        for k in ("total_seconds", "loop_seconds", "steps", "best_step")
        if k in training
    }
