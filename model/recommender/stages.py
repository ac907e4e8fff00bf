"""What serving adds after the network's pass: the second stage and the shown predicted score.

An artifact may carry a second stage (``rerank.npz``, :mod:`model.rerank`) that re-ranks the
first stage's top titles, and a fitted rating model (``ratings.npz``, :mod:`model.ratings`)
whose 1–10 score replaces the rating head's where a score is shown. :class:`Stages` applies
both, so the facade (:mod:`model.recommender.facade`) only asks for passes and recommendations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model.artifact import Artifact
from model.explain import Parallel
from model.features import EncodedProfile
from model.forward import ForwardStrategy, ProfilePass, run_passes
from model.ratings import find_rating_model
from model.ratings.serving import ShownScores
from model.recommender.ranking import recommendations
from model.rerank.apply import rerank_pass
from model.results import Recommendation


class Stages:
    """The artifact's second stage (None without one) and its shown scores."""

    def __init__(self, artifact: Artifact, position: dict[int, int]) -> None:
        """``position``: anime id → corpus position."""
        self.rerank = artifact.rerank
        self.corpus_ids: np.ndarray = artifact.corpus_ids
        self.score_weight = artifact.score_weight
        # The predicted score shown: ratings.npz's fitted model, else the rating head's.
        self.shown = ShownScores(find_rating_model(artifact.directory, self.corpus_ids), position)

    def passes(
        self,
        exact: ForwardStrategy,
        profiles: Sequence[EncodedProfile],
        *,
        strategy: ForwardStrategy | None,
        rank: bool,
        batch_size: int,
        split: Parallel,
    ) -> list[ProfilePass]:
        """Batched passes (``exact`` unless another ``strategy`` is given); with a second
        stage every pass is exact and re-ranked (an approximate pass's shortlist is scored by
        the network alone)."""
        runs = run_passes(
            exact if strategy is None or self.rerank is not None else strategy,
            profiles,
            score_weight=self.score_weight,
            batch_size=batch_size,
            split=split,
            rank=rank,
        )
        if self.rerank is not None:
            for run in runs:
                rerank_pass(self.rerank, run)
        return runs

    def recommendations(self, run: ProfilePass, positions: np.ndarray) -> list[Recommendation]:
        """The pass's recommendations at corpus ``positions`` with their shown scores."""
        recs = recommendations(run, positions, self.corpus_ids)
        return self.shown.recommendations(run.profile, recs)
