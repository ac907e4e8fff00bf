"""The side channel on a small hand-built catalog and a tiny model (ids 1000–1039 in the corpus,
2000+ outside it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.catalog import Catalog, CatalogTitle, Relation
from model.coldstart import TitleIndex, profile_features
from model.coldstart.calibration import (
    DEFAULT,
    Calibration,
    CalibrationError,
    choice_set,
    find_calibration,
    fit_calibration,
)
from model.coldstart.features import (
    CORPUS_FEATURES,
    NEW_FEATURES,
    corpus_utility,
    new_utility,
    static_features,
)
from model.profile import ProfileEntry
from model.recommender import RecommendationQuery, Recommender

SHOW, S2, S3 = 2000, 2001, 2002  # a franchise outside the corpus: S2 follows SHOW, S3 follows S2
OTHER = 2010  # a standalone psychological thriller of SHOW's studio
HENTAI, UNKNOWN = 2020, 2021  # NSFW, and of unknown status
MOVIE = 2030  # a movie sequel of corpus title 1001


def link(a: int, b: int) -> tuple[Relation, Relation]:
    """b is the sequel of a (both directions)."""
    return Relation(b, "sequel", True), Relation(a, "prequel", True)


def build_catalog() -> Catalog:
    titles = [
        CatalogTitle(a, f"Anime {a}", type="tv", year=2005, genres=("comedy",), nsfw=False)
        for a in range(1000, 1040)
    ]
    thriller = ("psychological", "thriller")
    titles += [
        CatalogTitle(
            SHOW,
            "Show",
            type="tv",
            year=2020,
            genres=thriller,
            studios=("madhouse",),
            nsfw=False,
            scored_by=1000,
            mean=8.0,
        ),
        CatalogTitle(
            S2,
            "Show 2nd Season",
            type="tv",
            year=2022,
            genres=thriller,
            studios=("madhouse",),
            nsfw=False,
            scored_by=500,
            mean=8.2,
        ),
        CatalogTitle(
            S3,
            "Show 3rd Season",
            type="tv",
            year=2024,
            genres=thriller,
            studios=("madhouse",),
            nsfw=False,
            scored_by=300,
            mean=8.3,
        ),
        CatalogTitle(
            OTHER,
            "Other Thriller",
            type="tv",
            year=2021,
            genres=thriller,
            studios=("madhouse",),
            nsfw=False,
            scored_by=800,
            mean=7.9,
        ),
        CatalogTitle(
            HENTAI,
            "Adult",
            type="ova",
            year=2021,
            genres=thriller,
            studios=("madhouse",),
            nsfw=True,
            scored_by=900,
            mean=7.0,
        ),
        CatalogTitle(
            UNKNOWN,
            "Unknown Status",
            type="tv",
            year=2021,
            genres=thriller,
            studios=("madhouse",),
            nsfw=None,
            scored_by=900,
            mean=7.5,
        ),
        CatalogTitle(
            MOVIE,
            "Anime 1001 Movie",
            type="movie",
            year=2008,
            genres=("comedy",),
            nsfw=False,
            scored_by=100,
            mean=7.0,
        ),
    ]
    relations: dict[int, list[Relation]] = {}
    for a, b in ((SHOW, S2), (S2, S3), (1001, MOVIE)):
        forward, backward = link(a, b)
        relations.setdefault(a, []).append(forward)
        relations.setdefault(b, []).append(backward)
    return Catalog.from_titles(titles, relations)


@pytest.fixture
def catalog() -> Catalog:
    return build_catalog()


TINY = Calibration(
    a=1.0,
    new={
        **dict.fromkeys(NEW_FEATURES, 0.0),
        "bias": -6.0,
        "follows": 1.5,
        "follows_liked": 0.5,
        "related": 0.5,
        "genre": 1.5,
        "tag": 1.5,
        "studio": 0.5,
        "type": 1.0,
        "popularity": 1.0,
    },
    corpus={"follows_unknown": 1.0, "follows_liked_unknown": 0.3},
)
"""Sized for the tiny model's 40-title log scores (~ −3.7), so both kinds of title compete."""


@pytest.fixture
def rec(tiny_model: Path, catalog: Catalog) -> Recommender:
    return Recommender.load(tiny_model, catalog=catalog, workers=1, calibration=TINY)


def ids(recs: list) -> list[int]:
    return [r.anime_id for r in recs]


def test_sequel_of_a_loved_unknown_title_comes_first_with_its_reason(rec: Recommender) -> None:
    entries = [ProfileEntry(SHOW, 10, "completed"), ProfileEntry(OTHER, 4, "completed")]
    recs = rec.recommend(entries, RecommendationQuery(5, explain=False))
    assert recs[0].anime_id == S2
    assert recs[0].source == "catalog"
    assert recs[0].reasons == ("sequel of Show, which you rated 10",)
    assert S3 not in ids(recs)  # its prequel S2 is not on the list
    assert rec.known_entries(entries) == (0, 2)


def test_a_list_of_unknown_entries_is_not_the_empty_profile(rec: Recommender) -> None:
    query = RecommendationQuery(10, explain=False)
    empty = ids(rec.recommend([], query))
    unknown = ids(rec.recommend([ProfileEntry(SHOW, 9, "completed")], query))
    assert unknown != empty
    assert unknown[0] == S2


def test_content_reason_names_list_titles_and_what_they_share(rec: Recommender) -> None:
    entries = [ProfileEntry(SHOW, 9, "completed"), ProfileEntry(S2, 9, "completed")]
    recs = rec.recommend(entries, RecommendationQuery(40, explain=False, franchise="new"))
    other = next(r for r in recs if r.anime_id == OTHER)
    assert other.reasons[0].startswith("like Show")
    assert "same studio" in other.reasons[0] and "thriller" in other.reasons[0]


def test_nsfw_and_unknown_status_stay_out_unless_allowed(rec: Recommender) -> None:
    entries = [ProfileEntry(SHOW, 10, "completed")]
    safe = ids(rec.recommend(entries, RecommendationQuery(60, explain=False)))
    assert HENTAI not in safe and UNKNOWN not in safe
    allowed = ids(rec.recommend(entries, RecommendationQuery(60, explain=False, allow_nsfw=True)))
    assert HENTAI in allowed and UNKNOWN in allowed


def test_franchise_modes_and_one_line_per_franchise(rec: Recommender) -> None:
    entries = [ProfileEntry(SHOW, 10, "completed"), ProfileEntry(1001, 8, "completed")]
    cont = rec.recommend(entries, RecommendationQuery(10, explain=False, franchise="continue"))
    assert set(ids(cont)) == {S2, MOVIE}
    new = ids(rec.recommend(entries, RecommendationQuery(60, explain=False, franchise="new")))
    assert not {S2, S3, MOVIE} & set(new) and OTHER in new
    any_ = rec.recommend(entries, RecommendationQuery(60, explain=False))
    assert ids(any_).count(S2) == 1 and S3 not in ids(any_)
    # S2 and S3 on plan-to-watch are candidates of one franchise: one line, the next to watch.
    planned = [*entries, ProfileEntry(S2, 0, "plan_to_watch")]
    lines = rec.recommend(planned, RecommendationQuery(60, explain=False, include_planned=True))
    shown = [r for r in lines if r.anime_id in (S2, S3)]
    assert [(r.anime_id, r.more) for r in shown] == [(S2, 1)]


def test_explained_recommendations_mix_the_same_way(rec: Recommender) -> None:
    entries = [ProfileEntry(SHOW, 10, "completed"), ProfileEntry(1003, 8, "completed")]
    query = RecommendationQuery(8)
    explained = rec.recommend(entries, query)
    plain = rec.recommend(entries, RecommendationQuery(8, explain=False))
    assert ids(explained) == ids(plain)
    assert any(r.source == "model" and r.contributors for r in explained)


def test_corpus_titles_without_a_catalog_entry_are_left_out(tiny_model: Path) -> None:
    small = Catalog.from_titles(
        CatalogTitle(a, f"Anime {a}", type="tv", nsfw=False) for a in range(1000, 1010)
    )
    rec = Recommender.load(tiny_model, catalog=small, workers=1)
    got = ids(rec.recommend([ProfileEntry(1002, 8)], RecommendationQuery(20, explain=False)))
    assert got and set(got) <= set(range(1000, 1010))


def test_features_follow_the_liked_entry(catalog: Catalog) -> None:
    index = TitleIndex(catalog)
    feats = profile_features(index, [ProfileEntry(SHOW, 10), ProfileEntry(OTHER, 3)])
    col = NEW_FEATURES.index
    s2 = index.row(S2)
    assert feats.new[s2, col("follows")] == 1.0
    assert feats.new[index.row(S3), col("follows")] == 0.0  # follows S2, not on the list
    assert feats.new[s2, col("follows_liked")] > 0 > feats.values[1]
    assert feats.new[s2, col("genre")] == pytest.approx(1.0)
    assert feats.corpus.shape == (index.n, len(CORPUS_FEATURES))


def test_csr_dot_equals_dense(catalog: Catalog) -> None:
    csr = TitleIndex(catalog, min_tag_titles=1).content["genre"]
    dense = np.zeros((csr.n_rows, csr.n_cols))
    for r in range(csr.n_rows):
        dense[r, csr.row(r)] = csr.data[csr.indptr[r] : csr.indptr[r + 1]]
    v = np.random.default_rng(0).normal(size=csr.n_cols)
    np.testing.assert_allclose(csr.dot(v), dense @ v)
    rows, w = np.asarray([0, 40, 41]), np.asarray([1.0, 2.0, -1.0])
    np.testing.assert_allclose(csr.rows_sum(rows, w), w @ dense[rows])


def test_fit_recovers_the_utilities_it_was_sampled_from() -> None:
    rng = np.random.default_rng(0)
    p_new = len(NEW_FEATURES)
    truth = np.zeros(p_new)
    truth[0], truth[NEW_FEATURES.index("genre")], truth[NEW_FEATURES.index("popularity")] = (
        -2.0,
        1.5,
        0.8,
    )
    a = 1.6
    sets = []
    for _ in range(300):
        log_scores = rng.normal(-3, 1, size=60)
        x_new = np.zeros((40, p_new))
        x_new[:, 0] = 1
        x_new[:, NEW_FEATURES.index("genre")] = rng.uniform(0, 1, 40)
        x_new[:, NEW_FEATURES.index("popularity")] = rng.normal(size=40)
        u = np.concatenate([a * log_scores, x_new @ truth])
        pick = rng.choice(100, size=3, replace=False, p=np.exp(u) / np.exp(u).sum())
        target = np.zeros(100, bool)
        target[pick] = True
        x_c = np.zeros((60, len(CORPUS_FEATURES)))
        sets.append(choice_set(log_scores, x_c, target[:60], x_new, target[60:], rng))
    fit = fit_calibration(sets, ridge=1e-3)
    assert fit.a == pytest.approx(a, rel=0.15)
    assert fit.new["genre"] == pytest.approx(1.5, abs=0.5)
    assert fit.new["popularity"] == pytest.approx(0.8, abs=0.25)
    assert fit.new["bias"] == pytest.approx(-2.0, abs=0.5)


def test_calibration_file_round_trip_and_refusals(tmp_path: Path) -> None:
    assert find_calibration(tmp_path) is DEFAULT
    DEFAULT.save(tmp_path / "coldstart.json")
    loaded = find_calibration(tmp_path)
    assert loaded == Calibration(DEFAULT.a, DEFAULT.new, DEFAULT.corpus, DEFAULT.info)
    (tmp_path / "coldstart.json").write_text('{"format": "other"}')
    with pytest.raises(CalibrationError, match="not an anirec cold-start calibration"):
        find_calibration(tmp_path)
    with pytest.raises(CalibrationError, match="lacks features"):
        Calibration(1.0, {"bias": 0.0}, {})


def test_serving_utilities_equal_the_fitted_features(catalog: Catalog) -> None:
    index = TitleIndex(catalog, min_tag_titles=1)
    entries = [ProfileEntry(SHOW, 10), ProfileEntry(OTHER, 3), ProfileEntry(1001, 7, "dropped")]
    unknown = np.asarray([True, True, False])
    feats = profile_features(index, entries, unknown)
    theta = np.random.default_rng(1).normal(size=len(NEW_FEATURES))
    static = static_features(index) @ theta
    np.testing.assert_allclose(new_utility(index, feats, theta, static), feats.new @ theta)
    theta_c = np.asarray([0.7, -0.4])
    np.testing.assert_allclose(corpus_utility(index, feats, theta_c), feats.corpus @ theta_c)


def test_untyped_links_make_a_sequel_only_of_a_less_popular_dated_title() -> None:
    def title(a: int, year: int | None, scored_by: int) -> CatalogTitle:
        return CatalogTitle(a, f"T{a}", type="tv", year=year, scored_by=scored_by, nsfw=False)

    first, restart, sequel, undated = 1, 2, 3, 4
    pairs = ((first, restart), (first, sequel), (first, undated))
    relations: dict[int, list[Relation]] = {}
    for a, b in pairs:
        relations.setdefault(a, []).append(Relation(b, "related", True))
        relations.setdefault(b, []).append(Relation(a, "related", True))
    index = TitleIndex(
        Catalog.from_titles(
            [
                title(first, 2003, 100),
                title(restart, 2009, 1000),
                title(sequel, 2005, 50),
                title(undated, None, 0),
            ],
            relations,
        )
    )
    prequel = {a: bool(index.has_prequel[index.row(a)]) for a in (first, restart, sequel, undated)}
    assert prequel == {first: False, restart: False, sequel: True, undated: False}


def test_the_next_title_of_a_franchise_is_the_one_after_the_list(rec: Recommender) -> None:
    # S2 on the list, not SHOW: the franchise's line is S3 (after S2), not its first season.
    recs = rec.recommend([ProfileEntry(S2, 9, "completed")], RecommendationQuery(60, explain=False))
    shown = [r for r in recs if r.anime_id in (SHOW, S2, S3)]
    assert [(r.anime_id, r.more) for r in shown] == [(S3, 1)]
    assert shown[0].reasons == ("sequel of Show 2nd Season, which you rated 9",)
