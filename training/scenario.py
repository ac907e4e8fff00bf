"""The strong-generalization scenario (Liang et al. 2018; RecPack ``strong_generalization``).

Users are split into train / validation / test (``training.dataset``). For each held-out user
the input entries are shuffled with a fixed seed, 80% are folded in (encoded exactly as serving
encodes a profile) and 20% are held out to be predicted. Training validation and the evaluation
report both use this one scenario.

| split | users | per user |
|---|---|---|
| train | ~80% | whole list: fit the model, EASE and the item biases |
| validation | ~10% | 80% fold-in / 20% held out: early stopping, λ, w |
| test | ~10% | 80% fold-in / 20% held out: reported once |
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.encoding import encode_profile
from model.features import RatingNormalizer
from training.dataset import Dataset

HOLDOUT_FRACTION = 0.2
HOLDOUT_SEED = 12345


@dataclass(frozen=True)
class FoldIn:
    """A batch of held-out users: fold-in inputs (as serving encodes them) and held-out targets."""

    users: np.ndarray  # dataset rows
    presence: np.ndarray  # (B, N) fold-in input entries
    values: np.ndarray  # (B, N) their normalized ratings
    has_scores: np.ndarray  # (B,) any scored fold-in entry
    normalizers: tuple[RatingNormalizer, ...]
    user_means: tuple[float | None, ...]  # mean fold-in score, None when nothing scored
    held_out: np.ndarray  # (B, N) 0/1
    held_scored: tuple[tuple[np.ndarray, np.ndarray], ...]  # per user (positions, 1–10 scores)

    @property
    def inputs(self) -> np.ndarray:
        """The network's input: presence ‖ values, (B, 2N)."""
        return np.concatenate([self.presence, self.values], axis=1)

    @property
    def held_scores(self) -> list[np.ndarray]:
        """Per user, the 1–10 scores of the held-out scored entries (the MAE's targets)."""
        return [scores for _, scores in self.held_scored]


def fold_in(
    dataset: Dataset,
    users: np.ndarray,
    fraction: float = HOLDOUT_FRACTION,
    seed: int = HOLDOUT_SEED,
) -> FoldIn:
    """Split each user's entries 80/20 with a fixed seed; encode the fold-in like serving."""
    rng = np.random.default_rng(seed)
    index = dataset.index()
    n = dataset.n_items
    b = len(users)
    presence = np.zeros((b, n), np.float32)
    values = np.zeros((b, n), np.float32)
    held = np.zeros((b, n), np.float32)
    has_scores = np.zeros(b, bool)
    normalizers: list[RatingNormalizer] = []
    means: list[float | None] = []
    held_scored: list[tuple[np.ndarray, np.ndarray]] = []
    for k, u in enumerate(users):
        entries = dataset.entries(int(u))
        order = rng.permutation(len(entries))
        n_held = max(1, round(fraction * len(entries)))
        held_part = [entries[i] for i in order[:n_held]]
        kept = [entries[i] for i in order[n_held:]]
        encoded = encode_profile(kept, index)
        presence[k, encoded.indices] = 1.0
        values[k, encoded.indices] = encoded.values
        has_scores[k] = encoded.has_scores
        normalizers.append(encoded.normalizer)
        scored_kept = [e.score for e in kept if e.score > 0]
        means.append(float(np.mean(scored_kept)) if scored_kept else None)
        positions = np.asarray([index[e.anime_id] for e in held_part], np.int64)
        held[k, positions] = 1.0
        scored = [(index[e.anime_id], e.score) for e in held_part if e.score > 0]
        held_scored.append(
            (np.asarray([p for p, _ in scored], np.int64), np.asarray([s for _, s in scored]))
        )
    return FoldIn(
        users=np.asarray(users),
        presence=presence,
        values=values,
        has_scores=has_scores,
        normalizers=tuple(normalizers),
        user_means=tuple(means),
        held_out=held,
        held_scored=tuple(held_scored),
    )
