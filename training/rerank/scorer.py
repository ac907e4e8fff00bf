"""The evaluation's view of an artifact's second stage (``model.rerank``).

:func:`rerank_scorer` is what ``training.evaluate`` calls: a :class:`Scorer` that ranks a
fold-in batch as serving does (the network's pass with its graft, the first stage's top
candidates re-ranked, the unified score's w), or None when the artifact has no second stage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.artifact import Artifact, load_artifact
from model.engine import logsumexp
from model.forward import RATING_FLOOR
from model.rerank.features import candidates, rerank_logits
from training.dataset import Dataset
from training.evaluation.scorers import Scorer
from training.rerank.crossfit import graft_of, network_outputs
from training.scenario import FoldIn


class RerankScorer:
    """The artifact's network, graft and second stage, scored like ``ProfilePass.log_scores``."""

    name = "model + rerank"

    def __init__(self, artifact: Artifact) -> None:
        if artifact.rerank is None:
            raise ValueError(f"{artifact.directory}: no second stage")
        self.artifact = artifact
        self.tables = artifact.rerank
        self.graft = graft_of(artifact)

    def scores(self, batch: FoldIn) -> np.ndarray:
        logits, graft, ratings = network_outputs(self.artifact, batch)
        out = np.empty(logits.shape, np.float64)
        w_all = np.where(batch.has_scores, self.artifact.score_weight, 1.0)
        for k in range(len(batch.users)):
            listed = np.flatnonzero(batch.presence[k])
            cand = candidates(logits[k], listed, self.tables.n_candidates)
            rows = None
            if self.graft is not None:
                rows = self.graft[1] * self.graft[0][np.ix_(listed, cand)]
            new = rerank_logits(
                self.tables, listed, batch.values[k, listed], logits[k], graft[k],
                ratings[k, cand], cand, rows,
            )  # fmt: skip
            log_p = new - logsumexp(new[None, :])[0]
            w = float(w_all[k])
            rating = np.log(np.maximum(ratings[k].astype(np.float64) + 1.0, RATING_FLOOR))
            out[k] = log_p if w >= 1.0 else w * log_p + (1.0 - w) * rating
        return out


def rerank_scorer(artifact_dir: Path, dataset: Dataset) -> Scorer | None:
    """The artifact's re-ranked scorer, None when the artifact has no second stage."""
    artifact = load_artifact(artifact_dir)
    if artifact.rerank is None:
        return None
    if not np.array_equal(np.asarray(artifact.corpus_ids), dataset.corpus_ids):
        raise ValueError(f"{artifact_dir}: corpus differs from the dataset's (other data options?)")
    return RerankScorer(artifact)
