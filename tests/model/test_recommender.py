"""The Recommender against brute force on the reference forward: ranking, filters, holdout."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from model import ArtifactError, ProfileEntry, RecommendationQuery, Recommender
from model.artifact import load_artifact
from model.encoding import encode_profile
from model.reference import forward, log_softmax, unified_score

STATUSES = ("completed", "watching", "dropped", "on_hold", "plan_to_watch")


def random_profile(rng: np.random.Generator, n_items: int, size: int, scored: bool = True):
    positions = rng.choice(n_items, size, replace=False)
    entries = []
    for p in positions:
        status = STATUSES[rng.integers(len(STATUSES))]
        score = int(rng.integers(1, 11)) if scored and rng.random() < 0.7 else 0
        entries.append(ProfileEntry(1000 + int(p), score, status))
    return entries


class Brute:
    """Scores by the dense reference forward, optionally with input entries left out."""

    def __init__(self, path: Path) -> None:
        self.art = load_artifact(path)
        self.index = {int(a): i for i, a in enumerate(self.art.corpus_ids)}
        self.n = self.art.config.n_items

    def run(self, entries, leave_out: int | None = None):
        profile = encode_profile(entries, self.index)
        x = profile.dense(self.n)[None, :]
        if leave_out is not None:
            x[0, leave_out] = 0.0
            x[0, self.n + leave_out] = 0.0
        logits, ratings = forward(self.art.config, self.art.weights, x)
        p = np.exp(log_softmax(logits.astype(np.float64)))[0]
        w = self.art.score_weight if profile.has_scores else 1.0
        return profile, p, ratings[0], unified_score(p, ratings[0], w)


@pytest.fixture(params=["tiny_model", "graft_model", "offset_model", "alpha0_model"])
def model_path(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


@pytest.fixture(params=["graft_model", "offset_model", "alpha0_model"])
def rich_model(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


def test_recommend_equals_brute_force_ranking(model_path: Path) -> None:
    rec, brute = Recommender.load(model_path), Brute(model_path)
    rng = np.random.default_rng(0)
    for size, scored in [(0, False), (3, False), (8, True), (20, True), (30, False)]:
        entries = random_profile(rng, rec.n_items, size, scored)
        profile, p, ratings, scores = brute.run(entries)
        candidates = np.setdiff1d(np.arange(rec.n_items), profile.excluded)
        expected = candidates[np.argsort(-scores[candidates], kind="stable")][:7]
        got = rec.recommend(entries, RecommendationQuery(7, explain=False))
        assert [r.anime_id for r in got] == [1000 + int(i) for i in expected]
        for r, i in zip(got, expected, strict=True):
            assert r.score == pytest.approx(scores[i], rel=1e-4)
            assert r.presence == pytest.approx(p[i], rel=1e-4)
            predicted = float(profile.normalizer.denormalize(ratings[i]))
            assert r.predicted_score == pytest.approx(predicted, abs=1e-4)
            assert 1.0 <= r.predicted_score <= 10.0
        if not profile.has_scores:  # w = 1: the score is the presence probability
            assert all(r.score == pytest.approx(r.presence, rel=1e-6) for r in got)
        # Explained recommendations rank the same titles.
        explained = rec.recommend(entries, RecommendationQuery(7))
        assert [r.anime_id for r in explained] == [r.anime_id for r in got]


def test_holdout_effects_equal_brute_force(rich_model: Path) -> None:
    rec, brute = Recommender.load(rich_model), Brute(rich_model)
    rec.contributors_per_title = 100  # every positive effect, to compare them all
    entries = random_profile(np.random.default_rng(3), rec.n_items, 12)
    profile, _, _, full = brute.run(entries)
    recs, insights = rec.analyze(entries, RecommendationQuery(5), top=100)
    drops = {}
    for pos in profile.indices:
        _, _, _, without = brute.run(entries, leave_out=int(pos))
        drops[1000 + int(pos)] = full - without
    for r in recs:
        expected = {a: d[r.anime_id - 1000] for a, d in drops.items()}
        positive = {a: e for a, e in expected.items() if e > 0}
        assert {c.anime_id for c in r.contributors} == set(positive)
        for c in r.contributors:
            assert c.effect == pytest.approx(positive[c.anime_id], rel=1e-3, abs=1e-9)
        effects = [c.effect for c in r.contributors]
        assert effects == sorted(effects, reverse=True)
    top = [r.anime_id - 1000 for r in recs]
    totals = {a: float(d[top].sum()) for a, d in drops.items()}
    assert [c.anime_id for c in insights.most_impactful] == sorted(totals, key=lambda a: -totals[a])
    for c in insights.most_impactful:
        assert c.effect == pytest.approx(totals[c.anime_id], rel=1e-3, abs=1e-9)


def test_explain_and_surprise_equal_brute_force(rich_model: Path) -> None:
    rec, brute = Recommender.load(rich_model), Brute(rich_model)
    entries = [ProfileEntry(1000 + i, s, "completed") for i, s in [(1, 9), (5, 3), (8, 7), (9, 0)]]
    entries.append(ProfileEntry(1020, 0, "plan_to_watch"))
    profile, p, _, scores = brute.run(entries)

    # A candidate: rank among titles not on the list, score and contributors.
    candidates = np.setdiff1d(np.arange(rec.n_items), profile.excluded)
    target = int(candidates[np.argsort(-scores[candidates])][4])
    got = rec.explain(entries, 1000 + target)
    assert (got.in_corpus, got.on_list, got.rank) == (True, False, 5)
    assert got.score == pytest.approx(scores[target], rel=1e-4)
    assert got.presence == pytest.approx(p[target], rel=1e-4)
    drops = {
        1000 + int(pos): scores[target] - brute.run(entries, leave_out=int(pos))[3][target]
        for pos in profile.indices
    }
    assert [c.anime_id for c in got.contributors] == sorted(drops, key=lambda a: -abs(drops[a]))
    assert got.user_score is None and got.surprise is None

    # A scored entry: predicted with itself left out.
    mine = rec.explain(entries, 1005)
    _, _, held_ratings, held_scores = brute.run(entries, leave_out=5)
    predicted = float(profile.normalizer.denormalize(held_ratings[5]))
    assert (mine.on_list, mine.rank, mine.user_score) == (True, None, 3)
    assert mine.predicted_score == pytest.approx(predicted, abs=1e-4)
    assert mine.surprise == pytest.approx(3 - predicted, abs=1e-4)
    assert mine.score == pytest.approx(held_scores[5], rel=1e-4)
    assert 1005 not in {c.anime_id for c in mine.contributors}

    insights = rec.insights(entries, top=3)
    gaps = {}
    for pos, score in [(1, 9), (5, 3), (8, 7)]:
        held = brute.run(entries, leave_out=pos)[2][pos]
        gaps[1000 + pos] = (score, float(profile.normalizer.denormalize(held)))
    order = sorted(gaps, key=lambda a: -abs(gaps[a][0] - gaps[a][1]))
    assert [t[0] for t in insights.most_surprising] == order
    for anime_id, score, pred in insights.most_surprising:
        assert score == gaps[anime_id][0]
        assert pred == pytest.approx(gaps[anime_id][1], abs=1e-4)

    # Plan-to-watch is on the list but not an input: full-profile values, no rank.
    planned = rec.explain(entries, 1020)
    assert planned.on_list and planned.rank is None
    assert planned.presence == pytest.approx(p[20], rel=1e-4)

    outside = rec.explain(entries, 5)
    assert not outside.in_corpus and outside.rank is None and outside.contributors == ()


def test_filters_and_exclusions(tiny_model: Path) -> None:
    rec = Recommender.load(tiny_model)
    entries = [ProfileEntry(1000 + i, 8, "completed") for i in range(5)]
    everything = rec.recommend(entries, RecommendationQuery(rec.n_items, explain=False))
    ids = [r.anime_id for r in everything]
    assert len(ids) == rec.n_items - 5 and not set(ids) & {1000, 1001, 1002, 1003, 1004}

    movies = rec.recommend(
        entries, RecommendationQuery(rec.n_items, media=["Movie"], explain=False)
    )
    assert movies and all(rec.item(r.anime_id)["media_type"] == "movie" for r in movies)
    assert [r.anime_id for r in movies] == [a for a in ids if rec.item(a)["media_type"] == "movie"]
    two = rec.recommend(entries, RecommendationQuery(5, media={"tv", "ova"}, explain=False))
    assert {rec.item(r.anime_id)["media_type"] for r in two} <= {"tv", "ova"}
    assert (
        rec.recommend(entries, RecommendationQuery(5, media=["no-such-type"], explain=False)) == []
    )
    bare = rec.recommend(entries, RecommendationQuery(rec.n_items, media="movie", explain=False))
    assert [r.anime_id for r in bare] == [r.anime_id for r in movies]

    best = ids[0]
    assert ids[:3] != [
        r.anime_id for r in rec.recommend(entries, RecommendationQuery(3, exclude=[best]))
    ]
    assert best not in [
        r.anime_id for r in rec.recommend(entries, RecommendationQuery(3, exclude=[best, 7]))
    ]

    # Plan-to-watch: hidden unless asked for; then ranked where the model puts it.
    planned = [*entries, ProfileEntry(best, 0, "plan_to_watch")]
    assert best not in [
        r.anime_id for r in rec.recommend(planned, RecommendationQuery(3, explain=False))
    ]
    shown = rec.recommend(planned, RecommendationQuery(3, include_planned=True, explain=False))
    assert shown[0].anime_id == best
    # An unscored plan-to-watch entry is not an input, so scores are unchanged.
    assert shown[0].score == pytest.approx(everything[0].score, rel=1e-6)
    assert rec.recommend(entries, RecommendationQuery(0)) == []


def test_unknown_ids_are_counted_not_fatal(tiny_model: Path) -> None:
    rec = Recommender.load(tiny_model)
    entries = [ProfileEntry(1003, 7, "completed"), ProfileEntry(5, 9), ProfileEntry(77, 0)]
    known_only = rec.recommend([entries[0]], RecommendationQuery(5, explain=False))
    assert rec.recommend(entries, RecommendationQuery(5, explain=False)) == known_only
    assert rec.insights(entries).unknown_ids == (5, 77)
    assert rec.targets(entries, [1003, 5, 1010])[1] is None


def test_targets_equal_brute_force(rich_model: Path) -> None:
    rec, brute = Recommender.load(rich_model), Brute(rich_model)
    entries = random_profile(np.random.default_rng(9), rec.n_items, 10)
    profile, p, ratings, _ = brute.run(entries)
    got = rec.targets(entries, [1002, 999999, 1039])
    assert got[1] is None
    for t, pos in [(got[0], 2), (got[2], 39)]:
        assert t["anime_id"] == 1000 + pos
        assert t["presence"] == pytest.approx(p[pos], rel=1e-4)
        predicted = float(profile.normalizer.denormalize(ratings[pos]))
        assert t["predicted_score"] == pytest.approx(predicted, abs=1e-4)


def test_recommend_many_equals_one_by_one(graft_model: Path) -> None:
    rec = Recommender.load(graft_model, workers=1)
    rec.batch_size = 3  # several batches, one partial
    rng = np.random.default_rng(4)
    profiles = [random_profile(rng, rec.n_items, s, s % 2 == 0) for s in range(8)]
    many = rec.recommend_many(profiles, RecommendationQuery(4, explain=False))
    single = [rec.recommend(p, RecommendationQuery(4, explain=False)) for p in profiles]
    assert len(many) == len(profiles)
    for a, b in zip(many, single, strict=True):
        assert [r.anime_id for r in a] == [r.anime_id for r in b]
        for x, y in zip(a, b, strict=True):
            assert x.score == pytest.approx(y.score, rel=1e-5)
    # Explained: one batched forward, then a holdout per profile; same as one by one.
    explained = rec.recommend_many(profiles, RecommendationQuery(3))
    for a, p in zip(explained, profiles, strict=True):
        b = rec.recommend(p, RecommendationQuery(3))
        assert [r.anime_id for r in a] == [r.anime_id for r in b]
        for x, y in zip(a, b, strict=True):
            assert [c.anime_id for c in x.contributors] == [c.anime_id for c in y.contributors]
            assert x.score == pytest.approx(y.score, rel=1e-5)
    # Two workers share the batch: same answers (up to GEMM rounding), same order.
    rec = rec.with_threads(workers=2)
    assert rec.workers == 2 and rec.batch_size == 3
    try:
        for size in (1, 2, 5, 8):
            split = rec.recommend_many(profiles[:size], RecommendationQuery(4, explain=False))
            assert len(split) == size
            for a, b in zip(split, many, strict=False):
                assert [r.anime_id for r in a] == [r.anime_id for r in b]
                assert [r.score for r in a] == pytest.approx([r.score for r in b], rel=1e-5)
    finally:
        rec.close()


def test_similar_and_item(tiny_model: Path) -> None:
    rec = Recommender.load(tiny_model)
    sims = rec.similar(1004, k=6)
    assert len(sims) == 6 and 1004 not in [a for a, _ in sims]
    values = [v for _, v in sims]
    assert values == sorted(values, reverse=True) and all(0 < v < 1 for v in values)
    assert rec.similar(1, k=3) == []
    assert rec.item(1001) == {
        "anime_id": 1001,
        "title": "Anime 1001",
        "media_type": "movie",
        "count": 39,
    }
    assert rec.item(1) is None


def test_concurrent_calls_equal_sequential(graft_model: Path) -> None:
    rec = Recommender.load(graft_model)
    rng = np.random.default_rng(6)
    profiles = [random_profile(rng, rec.n_items, int(rng.integers(0, 25))) for _ in range(24)]

    def work(i: int):
        entries = profiles[i]
        return (
            rec.recommend(entries, RecommendationQuery(5)),
            rec.explain(entries, 1000 + i),
            rec.insights(entries),
            rec.recommend_many([entries, profiles[-1 - i]], RecommendationQuery(3, explain=False)),
        )

    sequential = [work(i) for i in range(len(profiles))]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(work, range(len(profiles))))
    assert concurrent == sequential


def test_load_error_is_artifact_error(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError):
        Recommender.load(tmp_path / "missing")


def test_parallel_holdout_equals_serial(graft_model: Path) -> None:
    serial = Recommender.load(graft_model, workers=1)
    parallel = Recommender.load(graft_model, workers=2)
    scores = np.random.default_rng(12).integers(0, 11, 36)
    entries = [ProfileEntry(1000 + i, int(s), "completed") for i, s in enumerate(scores)]
    assert serial.encode(entries).indices.size >= 32  # enough variants to split
    try:
        a_recs, a_ins = serial.analyze(entries, RecommendationQuery(4))
        b_recs, b_ins = parallel.analyze(entries, RecommendationQuery(4))
        assert [r.anime_id for r in a_recs] == [r.anime_id for r in b_recs]
        for x, y in zip(a_recs, b_recs, strict=True):
            assert [c.anime_id for c in x.contributors] == [c.anime_id for c in y.contributors]
            effects = [c.effect for c in y.contributors]
            assert [c.effect for c in x.contributors] == pytest.approx(effects, rel=1e-4)
        assert [c.anime_id for c in a_ins.most_impactful] == [
            c.anime_id for c in b_ins.most_impactful
        ]
        assert [t[:2] for t in a_ins.most_surprising] == [t[:2] for t in b_ins.most_surprising]
        assert [t[2] for t in a_ins.most_surprising] == pytest.approx(
            [t[2] for t in b_ins.most_surprising], rel=1e-4
        )
        # Single unexplained requests split their output layers over the two workers too:
        # ratings ‖ logits for a scored profile, two column halves for an unscored one.
        unscored = [ProfileEntry(e.anime_id, 0, "completed") for e in entries[:7]]
        for profile in (entries, unscored):
            want = serial.recommend(profile, RecommendationQuery(8, explain=False))
            got = parallel.recommend(profile, RecommendationQuery(8, explain=False))
            assert [r.anime_id for r in want] == [r.anime_id for r in got]
            assert [r.score for r in want] == pytest.approx([r.score for r in got], rel=1e-5)
            (a,) = serial.targets(profile, [1039])
            (b,) = parallel.targets(profile, [1039])
            assert a["presence"] == pytest.approx(b["presence"], rel=1e-5)
        x, y = serial.explain(entries, 1003), parallel.explain(entries, 1003)
        assert (x.rank, x.on_list) == (y.rank, y.on_list)
        assert x.score == pytest.approx(y.score, rel=1e-4)
        assert [c.anime_id for c in x.contributors] == [c.anime_id for c in y.contributors]
    finally:
        parallel.close()


def test_query_is_one_hashable_value() -> None:
    a = RecommendationQuery(5, media=["tv", "movie"], exclude=[3, 1], explain=False)
    b = RecommendationQuery(5, media=("movie", "tv"), exclude={1, 3}, explain=False)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1  # a batch key
    assert a.media == frozenset({"tv", "movie"}) and a.exclude == frozenset({1, 3})
    assert RecommendationQuery(media="movie").media == frozenset({"movie"})  # one bare type
    assert RecommendationQuery() == RecommendationQuery(10)  # the defaults
    assert a != dataclasses.replace(a, explain=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.k = 3  # type: ignore[misc]
