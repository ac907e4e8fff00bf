"""Forward passes for ranking: a strategy interface, the float32 NumPy pass, one profile's pass.

A :class:`ForwardStrategy` runs a batch of sparse profile inputs through the network
(DESIGN.md, "Network"; a two-head Mult-DAE after Liang et al. 2018) and returns a
:class:`BatchForward`; each profile's share of it is a :class:`ProfilePass`, which ranking,
filters and explanations read. :class:`Float32Forward` is the exact pass on
:class:`model.engine.Engine`; :class:`model.fastpath.Int8Forward` ranks with int8 output layers.

A pass ranks titles by the unified score (DESIGN.md, "Score"), ``p^w · max(r̂+1, 0.001)^(1−w)``,
in the log domain, ``w·(logit − logsumexp) + (1−w)·log max(r̂+1, 0.001)``: the same order
without the N powers; the values it returns are :func:`model.reference.unified_score`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from model.engine import DTYPE, Engine, SparseInput, logsumexp
from model.explain import Parallel, serial
from model.features import EncodedProfile
from model.reference import unified_score

RATING_FLOOR = 1e-3
"""The 0.001 in ``max(r̂+1, 0.001)`` of the unified score."""
MIN_SPLIT_FIRST_LAYER = 8
"""Profiles in a batch before its first layer is cut in two."""


@dataclass(slots=True)
class ProfilePass:
    """One profile's forward pass: what ranking, filters and explanations read."""

    profile: EncodedProfile
    inp: SparseInput
    weight: float
    pre0: np.ndarray  # (H,) first pre-activation, for the holdout variants
    logits: np.ndarray  # (N,) graft included
    lse: float
    rating_hidden: np.ndarray  # (D,) input of the rating head's output layer
    ratings: np.ndarray | None  # (N,) when the ranking needed them
    graft: np.ndarray | None  # (N,)
    offset: float  # the rating offset (0 for models without one), included in ``ratings``
    engine: Engine

    def ratings_at(self, columns: np.ndarray) -> np.ndarray:
        """Predicted normalized ratings r̂ at ``columns`` (offset included)."""
        if self.ratings is not None:
            kept: np.ndarray = self.ratings[columns]
            return kept
        out: np.ndarray = self.engine.ratings(self.rating_hidden[None, :], columns)[0]
        return out + DTYPE(self.offset)

    def presence_at(self, columns: np.ndarray) -> np.ndarray:
        """Presence probabilities (softmax over all N titles) at ``columns``."""
        out: np.ndarray = np.exp(self.logits[columns] - self.lse)
        return out

    def scores_at(self, columns: np.ndarray) -> np.ndarray:
        """Unified scores at ``columns``."""
        return unified_score(self.presence_at(columns), self.ratings_at(columns), self.weight)

    def log_scores(self) -> np.ndarray:
        """Monotone in the unified score, for every item."""
        log_p: np.ndarray = self.logits - self.lse
        if self.weight >= 1.0:
            return log_p
        assert self.ratings is not None
        w = DTYPE(self.weight)
        floor = DTYPE(RATING_FLOOR)
        out: np.ndarray = w * log_p + (1 - w) * np.log(np.maximum(self.ratings + 1.0, floor))
        return out

    def ranking(self, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(candidates to rank, their log scores) when the k best are wanted."""
        return candidates, self.log_scores()[candidates]


@dataclass(slots=True)
class BatchForward:
    """A batch's network outputs: row b belongs to the batch's b-th profile.

    ``ratings`` holds only the rows a ranking needs (the ``rows`` of the call), in that order.
    """

    pre0: np.ndarray  # (B, H)
    rating_hidden: np.ndarray  # (B, D)
    logits: np.ndarray  # (B, N), graft included
    ratings: np.ndarray | None  # (len(rows), N)
    graft: np.ndarray | None  # (B, N)

    def profile_pass(
        self,
        b: int,
        row: int | None,
        *,
        profile: EncodedProfile,
        inp: SparseInput,
        weight: float,
        lse: float,
        offset: float,
        engine: Engine,
    ) -> ProfilePass:
        """The b-th profile's pass; ``row`` is its row of ``ratings`` (None without one)."""
        return ProfilePass(
            profile=profile,
            inp=inp,
            weight=weight,
            pre0=self.pre0[b],
            logits=self.logits[b],
            lse=lse,
            rating_hidden=self.rating_hidden[b],
            ratings=self.ratings[row] if row is not None and self.ratings is not None else None,
            graft=self.graft[b] if self.graft is not None else None,
            offset=offset,
            engine=engine,
        )


class ForwardStrategy(Protocol):
    """How a batch of profiles goes through the network when titles are ranked."""

    @property
    def engine(self) -> Engine:
        """The float32 engine the strategy reads its weights from."""
        ...

    @property
    def extra_bytes(self) -> int:
        """Bytes held next to the artifact's weights."""
        ...

    def serves(self, batch: int) -> bool:
        """Whether the strategy should rank an unexplained batch of this many profiles."""
        ...

    def forward(
        self, inputs: Sequence[SparseInput], rows: Sequence[int], split: Parallel
    ) -> BatchForward:
        """The batch's outputs, full ratings at ``rows``; ``split`` runs independent tasks."""
        ...


def first_layer(engine: Engine, inputs: Sequence[SparseInput], split: Parallel) -> np.ndarray:
    """The batch's first pre-activations, in row halves on two tasks for large batches
    (row by row, so the cut changes no number)."""
    if len(inputs) < MIN_SPLIT_FIRST_LAYER:
        return engine.first_layer(inputs)
    half = len(inputs) // 2
    return np.concatenate(
        split(
            [
                lambda: engine.first_layer(inputs[:half]),
                lambda: engine.first_layer(inputs[half:]),
            ]
        )
    )


class Float32Forward:
    """The exact pass: :class:`model.engine.Engine` in float32, cut into tasks.

    The pass is cut where it streams the most bytes: the halves of the batch's first layer
    (row by row, so the cut changes no number), one head each (its hidden layers and its output
    layer) when ratings are needed, else the two column halves of the presence output layer,
    which are always computed as halves. ``split`` may run the tasks on two threads (NumPy
    releases the GIL in all of them); either way the numbers are the same.
    """

    extra_bytes = 0

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def serves(self, batch: int) -> bool:
        return True

    def forward(
        self, inputs: Sequence[SparseInput], rows: Sequence[int], split: Parallel
    ) -> BatchForward:
        engine = self.engine
        rows = list(rows)
        pre0 = first_layer(engine, inputs, split)
        z = engine.trunk(pre0)
        mid = engine.n_items // 2

        def halves(hp: np.ndarray, run: Parallel) -> np.ndarray:
            left, right = run(
                [
                    lambda: engine.logits(hp, slice(0, mid)),
                    lambda: engine.logits(hp, slice(mid, None)),
                ]
            )
            return np.concatenate([left, right], axis=1)

        def rating_branch() -> tuple[np.ndarray, np.ndarray | None]:
            hr = engine.rating_hidden(z)
            return hr, engine.ratings(hr[rows]) if rows else None

        if rows:

            def presence_branch() -> np.ndarray:
                return halves(engine.presence_hidden(z), serial)

            (hr, ratings), logits = split([rating_branch, presence_branch])
        else:
            hp, (hr, ratings) = engine.presence_hidden(z), rating_branch()
            logits = halves(hp, split)
        graft = engine.graft(inputs) if engine.has_graft else None
        if graft is not None:
            logits += graft
        if ratings is not None and engine.has_rating_offset:
            ratings += engine.offsets([inputs[b] for b in rows])[:, None]
        return BatchForward(pre0, hr, logits, ratings, graft)


def profile_weight(profile: EncodedProfile, score_weight: float) -> float:
    """The unified score's presence weight w for a profile: 1 when nothing is scored."""
    return score_weight if profile.has_scores else 1.0


def run_passes(
    strategy: ForwardStrategy,
    profiles: Sequence[EncodedProfile],
    *,
    score_weight: float,
    batch_size: int,
    split: Parallel,
    rank: bool = True,
) -> list[ProfilePass]:
    """Batched passes of ``batch_size`` profiles; full ratings only where a ranking needs them.

    ``rank=False`` when no ranking is asked for (ratings then only where they are read).
    """
    engine = strategy.engine
    out: list[ProfilePass] = []
    for start in range(0, len(profiles), batch_size):
        chunk = profiles[start : start + batch_size]
        inputs = [SparseInput(p.indices, p.values) for p in chunk]
        weights = [profile_weight(p, score_weight) for p in chunk]
        rows = [b for b, w in enumerate(weights) if w < 1.0] if rank else []
        batch = strategy.forward(inputs, rows, split)
        offsets = engine.offsets(inputs)
        lse = logsumexp(batch.logits)
        where = {b: r for r, b in enumerate(rows)}
        for b, profile in enumerate(chunk):
            out.append(
                batch.profile_pass(
                    b,
                    where.get(b),
                    profile=profile,
                    inp=inputs[b],
                    weight=weights[b],
                    lse=float(lse[b]),
                    offset=float(offsets[b]),
                    engine=engine,
                )
            )
    return out
