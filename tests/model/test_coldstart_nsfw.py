"""The side channel's reasons in words follow the NSFW rule: where NSFW is not allowed they never
name a list title that is NSFW or of unknown status (a small hand-built catalog beside the tiny
model's corpus, ids 1000–1039, as in :mod:`tests.model.test_coldstart`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.catalog import Catalog, CatalogTitle, Relation
from model.profile import ProfileEntry
from model.recommender import RecommendationQuery, Recommender
from tests.model.test_coldstart import TINY, link

PRE, SEQ = 2100, 2101  # SEQ (known safe) is the sequel of PRE (NSFW status unknown)
ADULT = 2110  # NSFW
LIKE = 2120  # a standalone safe thriller of the same studio as ADULT and PRE
SHOWN = 2130  # a safe thriller on the list, which may be named
HIDDEN_NAMES = ("Secret Prequel", "Adult Thriller")
SAFE_QUERY = RecommendationQuery(60, explain=False)
NSFW_QUERY = RecommendationQuery(60, explain=False, allow_nsfw=True)


def thriller(
    anime_id: int, title: str, nsfw: bool | None, studio: str = "madhouse"
) -> CatalogTitle:
    return CatalogTitle(
        anime_id,
        title,
        type="tv",
        year=2021,
        genres=("psychological", "thriller"),
        studios=(studio,),
        nsfw=nsfw,
        scored_by=500,
        mean=7.5,
    )


@pytest.fixture
def rec(tiny_model: Path) -> Recommender:
    titles = [
        CatalogTitle(a, f"Anime {a}", type="tv", year=2005, genres=("comedy",), nsfw=False)
        for a in range(1000, 1040)
    ]
    titles += [
        thriller(PRE, "Secret Prequel", None),
        thriller(SEQ, "Safe Sequel", False),
        thriller(ADULT, "Adult Thriller", True),
        thriller(LIKE, "Like Thriller", False),
        thriller(SHOWN, "Shown Thriller", False, studio="bones"),
    ]
    forward, backward = link(PRE, SEQ)
    relations: dict[int, list[Relation]] = {PRE: [forward], SEQ: [backward]}
    catalog = Catalog.from_titles(titles, relations)
    return Recommender.load(tiny_model, catalog=catalog, workers=1, calibration=TINY)


def reasons_of(rec: Recommender, entries: list[ProfileEntry], query: RecommendationQuery) -> dict:
    return {r.anime_id: r.reasons for r in rec.recommend(entries, query)}


def assert_names_no_hidden_title(reasons: dict) -> None:
    for anime_id, lines in reasons.items():
        for line in lines:
            assert not any(name in line for name in HIDDEN_NAMES), (anime_id, line)


def test_a_sequel_of_a_hidden_title_does_not_name_it(rec: Recommender) -> None:
    entries = [ProfileEntry(PRE, 10, "completed")]
    safe = reasons_of(rec, entries, SAFE_QUERY)
    assert PRE not in safe
    assert safe[SEQ] == ("sequel of a title on your list",)
    assert_names_no_hidden_title(safe)
    why = rec.explain_catalog_title(entries, SEQ, SAFE_QUERY)
    assert why.reasons == ("sequel of a title on your list",)
    allowed = reasons_of(rec, entries, NSFW_QUERY)
    assert allowed[SEQ] == ("sequel of Secret Prequel, which you rated 10",)
    why = rec.explain_catalog_title(entries, SEQ, NSFW_QUERY)
    assert why.reasons == ("sequel of Secret Prequel, which you rated 10",)
    # a title the caller excludes (the bot's newer NSFW statuses) is not named either
    hidden = RecommendationQuery(60, explain=False, allow_nsfw=True, exclude=frozenset({PRE}))
    assert reasons_of(rec, entries, hidden)[SEQ] == ("sequel of a title on your list",)


def test_like_lines_name_only_titles_the_server_may_see(rec: Recommender) -> None:
    hidden_only = [ProfileEntry(ADULT, 10, "completed"), ProfileEntry(PRE, 9, "completed")]
    safe = reasons_of(rec, hidden_only, SAFE_QUERY)
    assert safe[LIKE] == ()  # nothing on the list it may name is like it
    assert_names_no_hidden_title(safe)
    assert rec.explain_catalog_title(hidden_only, LIKE, SAFE_QUERY).reasons == ()
    allowed = reasons_of(rec, hidden_only, NSFW_QUERY)
    assert allowed[LIKE][0].startswith("like Adult Thriller and Secret Prequel: same studio")

    with_shown = [*hidden_only, ProfileEntry(SHOWN, 8, "completed")]
    safe = reasons_of(rec, with_shown, SAFE_QUERY)
    assert safe[LIKE][0].startswith("like Shown Thriller: ")
    assert "same studio" not in safe[LIKE][0]  # what the hidden titles share stays unsaid
    assert_names_no_hidden_title(safe)
    why = rec.explain_catalog_title(with_shown, LIKE, SAFE_QUERY)
    assert why.reasons == safe[LIKE]
