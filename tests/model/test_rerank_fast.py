"""The served second-stage features (per-artifact constants gathered once per call) equal the
first-written ones bit for bit, on random corpora, lists and candidates."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from model.rerank.apply import _neighbours
from model.rerank.features import candidates, profile_features
from model.rerank.tables import BLOCKS, FEATURES, Tables
from tests.model.rerank_reference import reference_candidates, reference_features


def random_tables(rng: np.random.Generator, n: int) -> Tables:
    """n titles with sparse franchise ids, unknown years, links and dense embeddings."""
    f = len(FEATURES)
    lengths = rng.integers(0, 4, n)
    links = int(lengths.sum())
    year = np.where(rng.random(n) < 0.2, 0.0, rng.integers(1960, 2025, n).astype(np.float64))
    return Tables(
        popularity=rng.normal(size=n),
        mean=rng.normal(size=n),
        year=year,
        media=rng.integers(1, 7, n),
        franchise=rng.integers(0, 5 * n, n) * 7,  # sparse ids, some shared
        content={
            b: rng.normal(size=(n, d)).astype(np.float32)
            for b, d in zip(BLOCKS, (5, 9, 4), strict=True)
        },
        rel_indptr=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        rel_other=rng.integers(0, n, links),
        rel_follows=rng.random(links) < 0.5,
        feature_names=FEATURES,
        feature_mean=np.zeros(f),
        feature_std=np.ones(f),
        layers=((rng.normal(size=(f, 1)), np.zeros(1)),),
        n_candidates=30,
    )


@pytest.mark.parametrize("seed", range(4))
def test_features_equal_the_reference_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    tables = random_tables(rng, n)
    for size in (0, 1, 2, 17, 150):
        listed = np.sort(rng.choice(n, size, replace=False))
        values = np.round(rng.normal(size=size), 1)  # hybrid values: some at or below −1
        logits = rng.normal(size=n).astype(np.float32)
        graft = (logits - rng.normal(size=n)).astype(np.float32)
        cand = candidates(logits, listed, tables.n_candidates)
        base = logits[cand].astype(np.float64)
        g = graft[cand].astype(np.float64)
        ratings = rng.normal(size=len(cand))
        rows = rng.normal(size=(size, len(cand))).astype(np.float32)
        for neighbours in (None, rows):
            args = (tables, listed, values, cand, base, g, ratings, neighbours)
            expected = reference_features(*args)
            got = profile_features(*args)
            assert got.dtype == expected.dtype and got.shape == expected.shape
            assert got.tobytes() == expected.tobytes(), (size, neighbours is None)
    # No dated title on the list, or every weight at zero: the era (and type) stay zero.
    undated = np.flatnonzero(tables.year <= 0)[:3]
    cand = np.asarray([0, 1, 2])
    for values in (np.ones(3), np.full(3, -2.0)):
        args = (tables, undated, values, cand, np.ones(3), np.zeros(3), np.zeros(3), None)
        assert profile_features(*args).tobytes() == reference_features(*args).tobytes()


def test_neighbours_read_from_a_memory_map_equal_the_fancy_index(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    path = tmp_path / "g.npy"
    np.save(path, rng.normal(size=(40, 40)).astype(np.float32))
    weight = np.load(path, mmap_mode="r")  # as an artifact's weights are served
    scale = np.float32(0.37)
    listed, cand = np.asarray([3, 7, 8, 30]), np.asarray([39, 0, 12, 5, 6])
    got = _neighbours(weight, scale, listed, cand)
    expected = np.asarray(weight[np.ix_(listed, cand)]) * scale
    assert type(got) is np.ndarray and got.dtype == np.float32
    assert got.tobytes() == expected.tobytes()
    assert _neighbours(weight, scale, listed[:0], cand).shape == (0, 5)


def test_the_scorer_s_used_features_are_its_nonzero_rows() -> None:
    tables = random_tables(np.random.default_rng(1), 20)
    kernel = tables.layers[0][0].copy()
    kernel[FEATURES.index("rating")] = 0.0
    fitted_out = replace(tables, layers=((kernel, np.zeros(1)),))
    assert not fitted_out.uses("rating") and fitted_out.uses("graft_max")
    assert fitted_out.used == frozenset(FEATURES) - {"rating"}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_candidates_equal_the_reference_with_ties_and_infinities(dtype: type) -> None:
    rng = np.random.default_rng(2)
    for _ in range(50):
        n = int(rng.integers(1, 400))
        logits = np.round(rng.normal(size=n), 1).astype(dtype)  # many ties
        logits[rng.random(n) < 0.1] = -np.inf
        logits[rng.random(n) < 0.02] = rng.choice([np.inf, np.nan])
        listed = rng.choice(n, int(rng.integers(0, n + 1)), replace=False)
        for k in (0, 1, 7, 150, 500):
            got = candidates(logits, listed, k)
            assert got.tolist() == reference_candidates(logits, listed, k).tolist()
