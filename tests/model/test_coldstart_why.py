"""/why's model side for catalog titles outside the network's corpus: their place in the mixed
ranking, calibrated score and reasons in words (the hand-built catalog and tiny model of
:mod:`tests.model.test_coldstart`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.profile import ProfileEntry
from model.recommender import RecommendationQuery, Recommender
from tests.model.test_coldstart import HENTAI, OTHER, S2, S3, SHOW, TINY, build_catalog

ANY = RecommendationQuery()


@pytest.fixture
def rec(tiny_model: Path) -> Recommender:
    return Recommender.load(tiny_model, catalog=build_catalog(), workers=1, calibration=TINY)


def test_a_sequel_is_explained_as_recommend_ranks_it(rec: Recommender) -> None:
    entries = [ProfileEntry(SHOW, 10, "completed"), ProfileEntry(OTHER, 4, "completed")]
    top = rec.recommend(entries, RecommendationQuery(5, explain=False))[0]
    exp = rec.explain_catalog_title(entries, S2, ANY)
    assert (exp.source, exp.in_corpus, exp.on_list) == ("catalog", False, False)
    assert exp.rank == 1 and top.anime_id == S2
    assert exp.score == pytest.approx(top.score) and exp.predicted_score == pytest.approx(8.2)
    assert exp.reasons == ("sequel of Show, which you rated 10",)


def test_each_catalog_line_is_explained_at_its_place(rec: Recommender) -> None:
    entries = [ProfileEntry(SHOW, 9, "completed"), ProfileEntry(1003, 8, "completed")]
    lines = rec.recommend(entries, RecommendationQuery(60, explain=False))
    checked = 0
    for place, line in enumerate(lines, start=1):
        if line.source == "catalog" and line.more == 0:
            exp = rec.explain_catalog_title(entries, line.anime_id, ANY)
            assert (exp.rank, exp.reasons) == (place, line.reasons), line
            checked += 1
    assert checked >= 2


def test_filtered_listed_and_unknown_titles(rec: Recommender) -> None:
    entries = [ProfileEntry(SHOW, 10, "completed")]
    # S3 waits for S2; NSFW stays out of the ranking unless allowed.
    assert rec.explain_catalog_title(entries, S3, ANY).rank is None
    assert rec.explain_catalog_title(entries, HENTAI, ANY).rank is None
    allowed = RecommendationQuery(allow_nsfw=True)
    assert rec.explain_catalog_title(entries, HENTAI, allowed).rank is not None
    own = rec.explain_catalog_title(entries, SHOW, ANY)
    assert (own.on_list, own.user_score, own.rank, own.source) == (True, 10, None, "catalog")
    assert rec.explain_catalog_title(entries, 1003, ANY).in_corpus  # the network's own /why
    outside = rec.explain_catalog_title(entries, 9999, ANY)  # in neither
    assert (outside.in_corpus, outside.source, outside.rank) == (False, "model", None)


def test_without_a_catalog_it_is_the_plain_explanation(tiny_model: Path) -> None:
    plain = Recommender.load(tiny_model, workers=1)
    exp = plain.explain_catalog_title([ProfileEntry(1002, 8)], S2, ANY)
    assert (exp.in_corpus, exp.source, exp.reasons) == (False, "model", ())
