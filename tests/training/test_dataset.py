"""Dataset building: corpus on training users, filters, seeded split, round trip, encoding."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.encoding import encode_profile
from model.profile import ProfileEntry
from training.dataset import TRAIN, Dataset, DatasetOptions, build_dataset


def test_split_is_deterministic_and_seeded(profiles: dict[int, list[ProfileEntry]]) -> None:
    options = DatasetOptions(min_item_users=2, min_user_entries=3, seed=7)
    a, b = build_dataset(profiles, options), build_dataset(profiles, options)
    assert np.array_equal(a.split, b.split) and np.array_equal(a.corpus_ids, b.corpus_ids)
    c = build_dataset(profiles, DatasetOptions(min_item_users=2, min_user_entries=3, seed=8))
    assert not np.array_equal(a.split, c.split)
    assert set(np.unique(a.split)) == {0, 1, 2}


def test_corpus_counts_filters_and_encoding(profiles: dict[int, list[ProfileEntry]]) -> None:
    options = DatasetOptions(max_items=30, min_item_users=2, min_user_entries=4)
    data = build_dataset(profiles, options)
    assert data.n_items == 30
    unfiltered = build_dataset(profiles, DatasetOptions(min_item_users=2, min_user_entries=1))
    assert np.all(np.diff(unfiltered.item_counts) <= 0)  # most listed first
    assert unfiltered.item_counts.min() >= 2
    index = data.index()
    manual = np.zeros(data.n_items, np.int64)
    for row in data.users(TRAIN):
        for e in profiles[int(data.user_ids[row])]:
            if e.anime_id in index and e.enters_input:
                manual[index[e.anime_id]] += 1
    assert np.array_equal(manual, data.item_counts)
    sizes = np.diff(data.indptr)
    assert sizes.min() >= 4
    for row in range(data.n_users):
        encoded = encode_profile(profiles[int(data.user_ids[row])], index)
        s = data.row(row)
        assert np.array_equal(data.indices[s], encoded.indices)
        assert np.allclose(data.values[s], encoded.values)
        assert np.array_equal(data.scored[s], encoded.scored)
        again = encode_profile(data.entries(row), index)  # raw scores/statuses round trip
        assert np.allclose(again.values, encoded.values)
    dropped = [u for u, es in profiles.items() if sum(e.enters_input for e in es) < 4]
    assert not set(dropped) & set(data.user_ids.tolist())
    big = build_dataset(profiles, DatasetOptions(min_item_users=2, max_list_size=8))
    assert all(len(profiles[int(u)]) <= 8 for u in big.user_ids)


def test_save_load_and_dense(tmp_path: Path, profiles: dict[int, list[ProfileEntry]]) -> None:
    data = build_dataset(profiles, DatasetOptions(min_item_users=2))
    loaded = Dataset.load(data.save(tmp_path / "d.npz"))
    for name in ("corpus_ids", "indices", "values", "scored", "split", "titles"):
        assert np.array_equal(getattr(loaded, name), getattr(data, name))
    assert loaded.indices.dtype == np.int32 and loaded.values.dtype == np.float32
    rows = np.array([3, 0, 5])
    presence, values, scored = loaded.dense(rows)
    for k, r in enumerate(rows):
        s = loaded.row(int(r))
        expected = np.zeros(loaded.n_items, np.float32)
        expected[loaded.indices[s]] = loaded.values[s]
        assert np.array_equal(values[k], expected)
        assert np.array_equal(np.flatnonzero(presence[k]), np.sort(loaded.indices[s]))
        assert np.array_equal(
            np.flatnonzero(scored[k]), np.sort(loaded.indices[s][loaded.scored[s]])
        )
    assert presence.sum() == sum(len(loaded.indices[loaded.row(r)]) for r in rows)
