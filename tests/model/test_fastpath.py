"""The opt-in int8 ranking (model.fastpath): same top-k and scores as the float32 path."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from model import ProfileEntry, RecommendationQuery, Recommender
from model.__main__ import main
from model.artifact import load_artifact
from model.engine import Engine
from model.fastpath import (
    GATHER_BATCH_LIMIT,
    SHORTLIST,
    Int8Forward,
    Int8OutputLayers,
    quantize_columns,
)
from model.precision import accuracy
from model.reference import NetworkConfig
from model.synthetic import synthetic_profiles

from .conftest import make_artifact


def test_quantize_columns_per_column() -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((16, 5)).astype(np.float32) * np.asarray([1, 10, 0.1, 0, 3])
    q, scale = quantize_columns(w)
    assert q.dtype == np.int8 and scale.shape == (5,)
    np.testing.assert_allclose(np.abs(q).max(axis=0), [127, 127, 127, 0, 127])
    assert scale[3] == 1.0  # an all-zero column keeps a usable scale
    assert np.all(np.abs(q * scale - w) <= scale / 2 + 1e-7)


def _profiles(rec: Recommender, seed: int) -> list[list[ProfileEntry]]:
    sizes = (0, 1, 3, 8, 20)
    out = [p for s in sizes[1:] for p in synthetic_profiles(rec.corpus_ids, s, 4, seed=seed + s)]
    # Unscored profiles rank by presence alone (the rating head only for returned titles).
    out += [[ProfileEntry(e.anime_id, 0, e.status) for e in p] for p in out[:4]]
    return [[], *out]


def fast_recommender(
    path: Path, mode: str = "int8", *, shortlist: int = SHORTLIST, workers: int = 2
) -> tuple[Recommender, Int8Forward]:
    """A recommender ranking with the int8 pass, and that pass."""
    artifact = load_artifact(path)
    ranking = Int8Forward(Engine(artifact.config, artifact.weights), mode, shortlist=shortlist)
    return Recommender(artifact, ranking=ranking, workers=workers), ranking


@pytest.fixture
def wide_model(tmp_path: Path) -> Path:
    """Wide enough that a small shortlist leaves most candidates to the approximate pass."""
    return make_artifact(tmp_path / "wide", NetworkConfig(300, (48, 16), (32,)), seed=3)


@pytest.fixture
def shallow_model(tmp_path: Path) -> Path:
    """No hidden decoder layers: the output layers are the heads' first layers."""
    return make_artifact(tmp_path / "shallow", NetworkConfig(200, (32, 16), ()), seed=5)


@pytest.mark.parametrize(
    "name", ["tiny_model", "graft_model", "offset_model", "alpha0_model", "wide_model"]
)
def test_fast_top_k_equals_float32(name: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(name)
    ref = Recommender.load(path, workers=1)
    fast, _ = fast_recommender(path, shortlist=12)  # most candidates ranked only approximately
    profiles = _profiles(ref, seed=1)
    for kwargs in ({}, {"media": ("tv", "movie")}, {"exclude": (1001, 1002, 1003)}):
        want, _ = ref.recommend_batch(profiles, RecommendationQuery(5, **kwargs))
        # One profile a call: larger batches of the gathering mode run float32.
        got = [fast.recommend_batch([p], RecommendationQuery(5, **kwargs))[0][0] for p in profiles]
        for a, b in zip(want, got, strict=True):
            assert [r.anime_id for r in a] == [r.anime_id for r in b]
            for x, y in zip(a, b, strict=True):
                assert y.predicted_score == pytest.approx(x.predicted_score, abs=1e-5)
                assert y.presence == pytest.approx(x.presence, rel=0.02)
                assert y.score == pytest.approx(x.score, rel=0.02)
    one = profiles[7]
    single = fast.recommend(one, RecommendationQuery(5, explain=False))
    assert [r.anime_id for r in single] == [
        r.anime_id for r in ref.recommend(one, RecommendationQuery(5, explain=False))
    ]
    fast.close()


def test_shallow_model_and_long_k(shallow_model: Path) -> None:
    ref = Recommender.load(shallow_model, workers=1)
    fast, _ = fast_recommender(shallow_model, shortlist=4, workers=1)
    profiles = _profiles(ref, seed=2)
    for k in (1, 10, 60):  # the shortlist grows with k (4k)
        want, _ = ref.recommend_batch(profiles, RecommendationQuery(k))
        got, _ = fast.recommend_batch(profiles, RecommendationQuery(k))
        assert [[r.anime_id for r in a] for a in want] == [[r.anime_id for r in b] for b in got]


def test_approximate_and_exact_columns(wide_model: Path) -> None:
    rec = Recommender.load(wide_model)
    layers = Int8OutputLayers(rec.engine)
    hidden = np.random.default_rng(4).standard_normal((3, 32)).astype(np.float32)
    want = rec.engine.ratings(hidden)
    approx = layers.rating.approx(hidden)
    assert approx.shape == want.shape
    spread = np.abs(want).max()
    assert np.abs(approx - want).max() < 0.03 * spread
    assert np.abs(approx - want).max() > 0  # it is int8, not a float32 copy
    cols = np.asarray([5, 0, 299, 17])
    np.testing.assert_allclose(layers.rating.exact(hidden[1], cols), want[1, cols], rtol=1e-5)
    np.testing.assert_allclose(
        layers.exact_logits(hidden[2], cols), rec.engine.logits(hidden[2:3])[0, cols], rtol=1e-5
    )


def test_exact_columns_read_the_artifact_kernels(wide_model: Path) -> None:
    rec = Recommender.load(wide_model)
    layers = Int8OutputLayers(rec.engine)
    copied = Int8OutputLayers(rec.engine, copy_columns=True)
    kernel = rec.artifact.weights["rating.1.kernel"]
    # No float32 copy by default: the exact pass gathers from the artifact's own array.
    assert layers.rating.columns is None and np.shares_memory(layers.rating.kernel, kernel)
    assert copied.rating.columns is not None
    assert copied.extra_bytes - layers.extra_bytes == 2 * kernel.nbytes
    assert layers.extra_bytes == 2 * 2 * kernel.size  # int8, initializer and prepacked
    hidden = np.random.default_rng(6).standard_normal(32).astype(np.float32)
    cols = np.asarray([0, 3, 150, 299])
    np.testing.assert_allclose(
        layers.rating.exact(hidden, cols), copied.rating.exact(hidden, cols), rtol=1e-6
    )
    np.testing.assert_allclose(
        layers.exact_logits(hidden, cols), copied.exact_logits(hidden, cols), rtol=1e-6
    )


def test_columns_mode_keeps_the_copies(wide_model: Path) -> None:
    ref = Recommender.load(wide_model, workers=1)
    fast, ranking = fast_recommender(wide_model, "int8-columns", shortlist=12)
    assert ranking.layers.rating.columns is not None
    profiles = _profiles(ref, seed=5)
    want, _ = ref.recommend_batch(profiles, RecommendationQuery(5))
    got, _ = fast.recommend_batch(profiles, RecommendationQuery(5))
    assert [[r.anime_id for r in a] for a in want] == [[r.anime_id for r in b] for b in got]
    fast.close()


def test_missing_extra_names_the_install(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'anirec\[fast\]'"):
        Recommender.load(tiny_model, fast="int8")


def test_explanations_stay_float32(graft_model: Path) -> None:
    ref = Recommender.load(graft_model)
    fast = Recommender.load(graft_model, fast="int8")
    profile = _profiles(ref, seed=3)[9]
    assert fast.analyze(profile, RecommendationQuery(5)) == ref.analyze(
        profile, RecommendationQuery(5)
    )
    assert fast.targets(profile, [1000, 1039]) == ref.targets(profile, [1000, 1039])


def test_unknown_mode(tiny_model: Path) -> None:
    with pytest.raises(ValueError, match="fast mode"):
        Recommender.load(tiny_model, fast="int4")


def test_fast_passes_the_gate(wide_model: Path, tmp_path: Path) -> None:
    ref = Recommender.load(wide_model)
    fast = Recommender.load(wide_model, fast="int8")
    result = accuracy(ref, fast, _profiles(ref, seed=4))
    assert result["passed"] and result["top10_identical"] == 1.0
    assert result["max_predicted_score_diff"] < 1e-4
    assert 0 < result["max_presence_rel_diff"] < 0.02  # logZ from the approximate logits
    assert main(["accuracy", "--model", str(wide_model), "--fast", "int8", "--limit", "40"]) == 0


def test_large_batches_of_the_gathering_mode_run_float32(tiny_model: Path) -> None:
    ref = Recommender.load(tiny_model, workers=1)
    fast = Recommender.load(tiny_model, fast="int8", workers=1)
    profiles = _profiles(ref, seed=2)[1:9]
    assert len(profiles) > GATHER_BATCH_LIMIT
    want, _ = ref.recommend_batch(profiles, RecommendationQuery(5))
    got, _ = fast.recommend_batch(profiles, RecommendationQuery(5))
    for a, b in zip(want, got, strict=True):
        # Bit-equal presence: the float32 path (the fast one takes logZ from int8 logits).
        assert [(r.anime_id, r.presence) for r in a] == [(r.anime_id, r.presence) for r in b]
    fast.close()
