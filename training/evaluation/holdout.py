"""Two models with different corpora measured on the same held-out lists (the refresh's test).

The strong-generalization scenario (``training.scenario``) splits a user's *in-corpus* entries,
so it depends on the corpus. To compare a candidate with the live model, whose corpora differ
(new titles enter), the split here is made once on the lists themselves: each held-out user's
input entries (status rule, ``ProfileEntry.enters_input``) are shuffled with the scenario's seed
and 20 % (``HOLDOUT_FRACTION``, at least one) are held out, whatever either model knows. Each
model then folds in the entries of its own corpus (encoded as serving encodes them), ranks its
corpus with the serving score (``ModelScorer``), and is measured against *every* held-out entry:
an entry outside a model's corpus is a miss it cannot avoid. Recall@k = hits / min(k, held) and
NDCG@100 with binary relevance (Liang et al. 2018; ``training.metrics``). ``reachable`` is the
share of held-out entries in the model's corpus (pooled): how much of what these users went on to
watch the model can return at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.encoding import encode_profile
from model.features import RatingNormalizer
from model.profile import ProfileEntry, dedupe
from training import metrics
from training.evaluation.measures import masked_scores, rating_mae
from training.evaluation.scorers import ModelScorer
from training.scenario import HOLDOUT_FRACTION, HOLDOUT_SEED, FoldIn

RECALL_KS = (20, 50)
NDCG_K = 100


@dataclass(frozen=True)
class HeldOutLists:
    """Per held-out user: the fold-in entries and the held-out ones (same for every model)."""

    keys: tuple[str, ...]
    kept: tuple[tuple[ProfileEntry, ...], ...]
    held: tuple[tuple[ProfileEntry, ...], ...]

    @property
    def held_ids(self) -> np.ndarray:
        """Every held-out anime id (sorted, unique)."""
        return np.unique([e.anime_id for entries in self.held for e in entries]).astype(np.int64)

    def summary(self) -> dict[str, int]:
        return {
            "users": len(self.keys),
            "fold_in_entries": sum(map(len, self.kept)),
            "held_out_entries": sum(map(len, self.held)),
        }


def split_lists(
    lists: Mapping[str, Sequence[ProfileEntry]],
    fraction: float = HOLDOUT_FRACTION,
    seed: int = HOLDOUT_SEED,
) -> HeldOutLists:
    """Each list's input entries split fold-in / held-out (keys in sorted order, one seeded RNG);
    users with fewer than two input entries are left out."""
    rng = np.random.default_rng(seed)
    keys, kept, held = [], [], []
    for key in sorted(lists):
        entries = [e for e in dedupe(lists[key]) if e.enters_input]
        if len(entries) < 2:
            continue
        order = rng.permutation(len(entries))
        n_held = max(1, round(fraction * len(entries)))
        held.append(tuple(entries[i] for i in order[:n_held]))
        kept.append(tuple(entries[i] for i in order[n_held:]))
        keys.append(key)
    return HeldOutLists(tuple(keys), tuple(kept), tuple(held))


def fold_in_lists(split: HeldOutLists, corpus_ids: np.ndarray) -> FoldIn:
    """The split as one model sees it: its corpus's fold-in entries encoded like serving, its
    corpus's held-out entries as targets (the rating MAE uses them)."""
    index = {int(a): i for i, a in enumerate(corpus_ids)}
    b, n = len(split.keys), len(corpus_ids)
    presence, values, held = (np.zeros((b, n), np.float32) for _ in range(3))
    has_scores = np.zeros(b, bool)
    normalizers: list[RatingNormalizer] = []
    means: list[float | None] = []
    held_scored: list[tuple[np.ndarray, np.ndarray]] = []
    for k, (kept, held_part) in enumerate(zip(split.kept, split.held, strict=True)):
        encoded = encode_profile(kept, index)
        presence[k, encoded.indices] = 1.0
        values[k, encoded.indices] = encoded.values
        has_scores[k] = encoded.has_scores
        normalizers.append(encoded.normalizer)
        scored_kept = [e.score for e in kept if e.score > 0 and e.anime_id in index]
        means.append(float(np.mean(scored_kept)) if scored_kept else None)
        known = [e for e in held_part if e.anime_id in index]
        held[k, [index[e.anime_id] for e in known]] = 1.0
        scored = [(index[e.anime_id], e.score) for e in known if e.score > 0]
        held_scored.append(
            (np.asarray([p for p, _ in scored], np.int64), np.asarray([s for _, s in scored]))
        )
    return FoldIn(
        users=np.arange(b),
        presence=presence,
        values=values,
        has_scores=has_scores,
        normalizers=tuple(normalizers),
        user_means=tuple(means),
        held_out=held,
        held_scored=tuple(held_scored),
    )


def evaluate_on_lists(
    config: Any,
    weights: Mapping[str, np.ndarray],
    corpus_ids: np.ndarray,
    score_weight: float,
    split: HeldOutLists,
) -> dict[str, float]:
    """One model's Recall@20/50, NDCG@100 (against every held-out entry), reachable share and
    rating MAE (on the held-out scored entries of its corpus) on ``split``."""
    corpus_ids = np.asarray(corpus_ids, np.int64)
    batch = fold_in_lists(split, corpus_ids)
    scorer = ModelScorer(config, {k: np.asarray(v) for k, v in weights.items()}, score_weight)
    own = masked_scores(scorer, batch)
    # Columns: the model's corpus, then the held-out ids it does not know (never ranked: −∞),
    # then NDCG_K padding columns at a finite floor, never held out, so that a corpus smaller
    # than k cannot let a −∞ column into the top-k and count as a hit.
    missing = np.setdiff1d(split.held_ids, corpus_ids)
    columns = np.concatenate([corpus_ids, missing])
    b = len(split.keys)
    scores = np.concatenate(
        [own, np.full((b, missing.size), -np.inf), np.full((b, NDCG_K), np.finfo(float).min)],
        axis=1,
    )
    position = {int(a): i for i, a in enumerate(columns)}
    held = np.zeros(scores.shape, np.float32)
    for k, entries in enumerate(split.held):
        held[k, [position[e.anime_id] for e in entries]] = 1.0
    total = sum(map(len, split.held))
    row = {
        **{
            f"recall@{k}": float(np.nanmean(metrics.recall_at_k(scores, held, k)))
            for k in RECALL_KS
        },
        f"ndcg@{NDCG_K}": float(np.nanmean(metrics.ndcg_at_k(scores, held, NDCG_K))),
        "reachable": int(np.count_nonzero(batch.held_out)) / total if total else float("nan"),
        "mae_in_corpus": rating_mae(scorer, batch),
        "n_items": float(corpus_ids.size),
    }
    return row


def evaluate_artifact_on_lists(artifact: Any, split: HeldOutLists) -> dict[str, float]:
    """:func:`evaluate_on_lists` for a loaded ``model.artifact.Artifact``."""
    return evaluate_on_lists(
        artifact.config, artifact.weights, artifact.corpus_ids, artifact.score_weight, split
    )
