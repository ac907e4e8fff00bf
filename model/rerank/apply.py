"""The second stage applied to a serving pass (``model.forward.ProfilePass``)."""

from __future__ import annotations

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
    neighbours = run.engine.graft_rows(run.inp, cand) if run.engine.has_graft else None
    logits = rerank_logits(
        tables, listed, run.inp.values, run.logits, run.graft, run.ratings_at(cand), cand,
        neighbours,
    )  # fmt: skip
    run.logits = logits.astype(run.logits.dtype)
    run.lse = float(logsumexp(run.logits[None, :])[0])
