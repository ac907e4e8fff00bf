"""The second stage applied to a serving pass (``model.forward.ProfilePass``)."""

from __future__ import annotations

import numpy as np

from model.engine import logsumexp
from model.forward import ProfilePass
from model.rerank.features import candidates, rerank_logits
from model.rerank.tables import Tables


def _neighbours(
    weight: np.ndarray, scale: np.floating, listed: np.ndarray, cand: np.ndarray
) -> np.ndarray:
    """(len(listed), C) float32: g·G[listed, cand]. Only the listed rows' candidate columns
    (the whole rows would copy n × N floats), read as one flat take of the plain array (a
    memory map's fancy indexing goes through its subclass, and ``np.ix_`` indexing is slower)."""
    flat = np.asarray(weight).reshape(-1)
    rows: np.ndarray = flat.take(listed[:, None] * weight.shape[1] + cand)
    rows *= scale
    return rows


def rerank_pass(tables: Tables, run: ProfilePass) -> None:
    """Replace the pass's logits (and their logsumexp) by the re-ranked ones: the first
    stage's top ``tables.n_candidates`` titles not on the list move by the learned change, the
    rest keep their order below them (:func:`model.rerank.features.rerank_logits`)."""
    listed = run.inp.indices
    cand = candidates(run.logits, listed, tables.n_candidates)
    engine = run.engine
    neighbours = None
    if engine.graft_weight is not None and (tables.uses("graft_max") or tables.uses("graft_liked")):
        neighbours = _neighbours(engine.graft_weight, engine.graft_scale, listed, cand)
    # The rating head at the candidates costs a (D × C) product: skipped when not read.
    ratings = run.ratings_at(cand) if tables.uses("rating") else None
    logits = rerank_logits(
        tables, listed, run.inp.values, run.logits, run.graft, ratings, cand, neighbours
    )
    run.logits = logits.astype(run.logits.dtype, copy=False)
    run.lse = float(logsumexp(run.logits[None, :])[0])
