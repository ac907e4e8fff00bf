"""Models with different corpora on the same held-out lists (training.evaluation.holdout)."""

from __future__ import annotations

import numpy as np

from model.profile import ProfileEntry
from model.reference import NetworkConfig, random_weights
from training.evaluation.holdout import evaluate_on_lists, split_lists

LISTS = {
    f"mal:u{u}": [ProfileEntry(a, 1 + (a + u) % 10, "completed") for a in range(1, 21)]
    + [ProfileEntry(100 + u, 0, "plan_to_watch")]  # never input, never held out
    for u in range(12)
}


def model(corpus: np.ndarray, seed: int = 0) -> tuple[NetworkConfig, dict[str, np.ndarray]]:
    config = NetworkConfig(len(corpus), encoder=(8, 4), decoder=(8,))
    return config, random_weights(config, seed=seed)


def test_the_split_is_made_on_the_lists_once() -> None:
    split = split_lists(LISTS)
    assert split.keys == tuple(sorted(LISTS)) and split_lists(LISTS) == split
    for kept, held in zip(split.kept, split.held, strict=True):
        assert len(held) == 4 and len(kept) == 16  # 20 % of the 20 input entries
        assert all(e.anime_id <= 20 for e in (*kept, *held))


def test_every_held_out_entry_counts_and_unknown_titles_are_misses() -> None:
    split = split_lists(LISTS)
    whole = np.arange(1, 21)
    config, weights = model(whole)
    full = evaluate_on_lists(config, weights, whole, 0.3, split)
    assert full["reachable"] == 1.0 and full["recall@20"] == 1.0  # 20 titles, 16 folded in
    assert full["n_items"] == 20.0
    half = np.arange(1, 11)
    config, weights = model(half)
    part = evaluate_on_lists(config, weights, half, 0.3, split)
    held_in_half = sum(e.anime_id <= 10 for held in split.held for e in held)
    assert part["reachable"] == held_in_half / 48
    assert part["recall@20"] < 1.0


def test_a_corpus_smaller_than_k_scores_no_hit_outside_it() -> None:
    split = split_lists(LISTS)
    outside = np.asarray([500, 501, 502])  # knows none of the listed titles
    config, weights = model(outside)
    row = evaluate_on_lists(config, weights, outside, 0.3, split)
    assert row["reachable"] == 0.0
    assert row["recall@20"] == 0.0 and row["ndcg@100"] == 0.0
