"""Holdout explanations with the rank-1 trick (DESIGN.md, "Explanations").

An entry's contribution to a title is the drop in the title's unified score when that entry is
left out of the profile. Rerunning the network n times would cost n full forwards; instead, since
the encoder's first layer is linear, leaving entry i out subtracts exactly its two kernel rows
``W_e0[i] + v_i·W_e0[N+i]`` from the first pre-activation (and its row of G from the graft), so
all n variants are one batched pass through the rest of the network. (With the rating offset,
the profile's mean input value also changes when an entry is left out; the variants use the
changed mean, as a rerun would.)

The user's rating normalizer (μ, σ) stays fixed for the variants: the variants differ from the
full profile only by the left-out entry's rows, exactly as the network sees them, and predicted
scores are mapped back to 1–10 with the same normalizer as the full profile. (Re-fitting μ and σ
per variant would also shift every other entry's input value, mixing the entry's own effect with
a change of scale.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from model.engine import DTYPE, Engine, SparseInput, logsumexp
from model.reference import unified_score

VARIANT_CHUNK = 256
"""Variants per batch: bounds the memory of explanations for very long lists."""


@dataclass(frozen=True, slots=True)
class Holdout:
    """Network outputs with each input entry left out, at a subset of columns.

    Row i is the profile without its i-th input entry (``SparseInput`` order); ``lse`` is each
    variant's presence log-normalizer over all N items, so probabilities at the columns are exact.
    """

    columns: np.ndarray
    lse: np.ndarray  # (n,)
    logits: np.ndarray  # (n, C), graft included
    ratings: np.ndarray  # (n, C)

    def presence(self) -> np.ndarray:
        """(n, C) presence probabilities of the variants at the columns."""
        out: np.ndarray = np.exp(self.logits - self.lse[:, None])
        return out

    def scores(self, weight: float) -> np.ndarray:
        """(n, C) unified scores of the variants at the columns (DESIGN.md, "Score")."""
        return unified_score(self.presence(), self.ratings, weight)


Parallel = Callable[[Sequence[Callable[[], Any]]], list[Any]]


def serial(tasks: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run tasks one after the other (the default :data:`Parallel`)."""
    return [task() for task in tasks]


def _ratings_at(engine: Engine, z: np.ndarray, columns: np.ndarray) -> np.ndarray:
    return engine.ratings(engine.rating_hidden(z), columns)


def holdout(
    engine: Engine,
    inp: SparseInput,
    pre0: np.ndarray,
    graft: np.ndarray | None,
    columns: np.ndarray,
    *,
    parallel: Parallel = serial,
) -> Holdout:
    """Leave-one-out outputs for every input entry of ``inp`` at ``columns``.

    ``pre0`` is the full profile's first pre-activation (H,), ``graft`` its full graft term (N,)
    when the model has one. Each chunk of variants runs in two steps of two tasks handed to
    ``parallel`` (e.g. one task per core: NumPy releases the GIL in the GEMMs): the two heads'
    hidden layers (the rating head also reads its output at ``columns``), then the two column
    halves of the presence output layer, the bulk of the work. The cut is the same whether the
    tasks run in parallel or not, so the numbers are too.
    """
    n, c = inp.size, len(columns)
    lse = np.empty(n, dtype=DTYPE)
    logits = np.empty((n, c), dtype=DTYPE)
    ratings = np.empty((n, c), dtype=DTYPE)
    offsets = engine.holdout_offsets(inp)
    mid = engine.n_items // 2

    # A presence head scaled to zero (model.engine) gives every variant the same logits (its
    # bias); the graft's own row is then the only difference, and nothing is left to split.
    fixed = None
    if engine.presence_off:
        fixed = engine.presence_bias()
        if graft is not None:
            fixed += graft

    for start in range(0, n, VARIANT_CHUNK):
        stop = min(n, start + VARIANT_CHUNK)
        part = SparseInput(inp.indices[start:stop], inp.values[start:stop])
        z = engine.trunk(pre0[None, :] - engine.entry_rows(part))
        if fixed is not None:
            part_ratings = _ratings_at(engine, z, columns)
            if graft is not None:
                full_logits = engine.graft_rows(part)
                np.subtract(fixed, full_logits, out=full_logits)  # (bias + graft) − own row
            else:
                full_logits = np.repeat(fixed[None, :], stop - start, axis=0)
        else:
            hp, part_ratings = parallel(
                [partial(engine.presence_hidden, z), partial(_ratings_at, engine, z, columns)]
            )
            halves = parallel(
                [
                    partial(engine.logits, hp, slice(0, mid)),
                    partial(engine.logits, hp, slice(mid, None)),
                ]
            )
            full_logits = np.concatenate(halves, axis=1)
            if graft is not None:
                full_logits += graft
                full_logits -= engine.graft_rows(part)
        logits[start:stop] = full_logits[:, columns]
        lse[start:stop] = logsumexp(full_logits, overwrite=True)
        ratings[start:stop] = part_ratings + offsets[start:stop, None]
    return Holdout(columns=columns, lse=lse, logits=logits, ratings=ratings)
