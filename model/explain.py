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

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

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
        return np.exp(self.logits - self.lse[:, None])

    def scores(self, weight: float) -> np.ndarray:
        return unified_score(self.presence(), self.ratings, weight)


Mapper = Callable[[Callable[[tuple[int, int]], None], Iterable[tuple[int, int]]], Iterator[None]]


def holdout(
    engine: Engine,
    inp: SparseInput,
    pre0: np.ndarray,
    graft: np.ndarray | None,
    columns: np.ndarray,
    *,
    parts: int = 1,
    mapper: Mapper = map,
) -> Holdout:
    """Leave-one-out outputs for every input entry of ``inp`` at ``columns``.

    ``pre0`` is the full profile's first pre-activation (H,), ``graft`` its full graft term (N,)
    when the model has one. The variants are cut into at least ``parts`` chunks, run through
    ``mapper`` (e.g. a thread pool's ``map``: NumPy releases the GIL in the GEMMs).
    """
    n, c = inp.size, len(columns)
    lse = np.empty(n, dtype=DTYPE)
    logits = np.empty((n, c), dtype=DTYPE)
    ratings = np.empty((n, c), dtype=DTYPE)
    offsets = engine.holdout_offsets(inp)

    def run(bounds: tuple[int, int]) -> None:
        start, stop = bounds
        part = SparseInput(inp.indices[start:stop], inp.values[start:stop])
        pre = pre0[None, :] - engine.entry_rows(part)
        hp, hr = engine.heads(engine.trunk(pre))
        full_logits = engine.logits(hp)
        if graft is not None:
            full_logits += graft
            full_logits -= engine.graft_rows(part)
        lse[start:stop] = logsumexp(full_logits)
        logits[start:stop] = full_logits[:, columns]
        ratings[start:stop] = engine.ratings(hr, columns) + offsets[start:stop, None]

    chunks = max(parts, -(-n // VARIANT_CHUNK), 1)
    bounds = [(n * i // chunks, n * (i + 1) // chunks) for i in range(chunks)]
    for _ in mapper(run, [b for b in bounds if b[1] > b[0]]):
        pass
    return Holdout(columns=columns, lse=lse, logits=logits, ratings=ratings)
