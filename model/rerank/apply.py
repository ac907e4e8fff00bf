"""The second stage applied to a serving pass (``model.forward.ProfilePass``)."""

from __future__ import annotations

import numpy as np

from model.engine import logsumexp
from model.forward import ProfilePass
from model.rerank.features import candidates, rerank_logits
from model.rerank.tables import Tables


def rerank_pass(tables: Tables, run: ProfilePass) -> None:
    """Replace the pass's logits (and their logsumexp) by the re-ranked ones: the first
    stage's top ``tables.n_candidates`` titles not on the list move by the learned change, the
    rest keep their order below them (:func:`model.rerank.features.rerank_logits`)."""
    listed = run.inp.indices
    cand = candidates(run.logits, listed, tables.n_candidates)
    engine = run.engine
    neighbours = None
    if engine.graft_weight is not None and (tables.uses("graft_max") or tables.uses("graft_liked")):
        # Only the listed rows' candidate columns: the whole rows would copy n × N floats.
        neighbours = engine.graft_weight[np.ix_(listed, cand)] * engine.graft_scale
    # The rating head at the candidates costs a (D × C) product: skipped when not read.
    ratings = run.ratings_at(cand) if tables.uses("rating") else None
    logits = rerank_logits(
        tables, listed, run.inp.values, run.logits, run.graft, ratings, cand, neighbours
    )
    run.logits = logits.astype(run.logits.dtype, copy=False)
    run.lse = float(logsumexp(run.logits[None, :])[0])
