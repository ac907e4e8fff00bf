"""/recommend's and /why's reasons in words, through the service, never name a list title the
server may not see: one of unknown NSFW status in the shipped catalog, and one MAL has rated
``gray`` since the model loaded (the bot knows it, the model's catalog does not yet)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Anime, LinkedAccount, ListEntry
from bot.services.accounts import AccountService
from bot.services.catalog import CatalogService
from bot.services.pool import RecommenderPool
from bot.services.recommendations import RecommendationService
from model import Recommender
from model.catalog import Catalog, CatalogTitle, Relation
from tests.bot.artifacts import tiny_artifact, tiny_items
from tests.model.test_coldstart import TINY, link

PRE, SEQ = 2100, 2101  # PRE: NSFW status unknown; SEQ, its sequel, known safe
STALE, STALE_SEQ = 2110, 2111  # both safe in the shipped catalog; MAL now rates STALE gray
HIDDEN_NAMES = ("Secret Prequel", "Gray Since")


def shipped_catalog() -> Catalog:
    def tv(anime_id: int, title: str, nsfw: bool | None, year: int) -> CatalogTitle:
        return CatalogTitle(anime_id, title, type="tv", year=year, nsfw=nsfw, scored_by=500)

    titles = [tv(item["anime_id"], item["title"], False, 2005) for item in tiny_items()]
    titles += [
        tv(PRE, "Secret Prequel", None, 2020),
        tv(SEQ, "Safe Sequel", False, 2022),
        tv(STALE, "Gray Since", False, 2020),
        tv(STALE_SEQ, "Gray Since 2", False, 2022),
    ]
    relations: dict[int, list[Relation]] = {}
    for a, b in ((PRE, SEQ), (STALE, STALE_SEQ)):
        forward, backward = link(a, b)
        relations.setdefault(a, []).append(forward)
        relations.setdefault(b, []).append(backward)
    return Catalog.from_titles(titles, relations)


@pytest.fixture
async def service(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> RecommendationService:
    catalog = CatalogService(sessions, shipped_catalog())
    await catalog.seed(tiny_items())
    async with sessions() as session, session.begin():
        session.add(LinkedAccount(discord_user_id=1, mal_username="u1"))
        await session.flush()
        for anime_id, score in ((PRE, 10), (STALE, 9)):
            session.add(
                ListEntry(discord_user_id=1, anime_id=anime_id, score=score, status="completed")
            )
    await catalog.load()
    recommender = Recommender.load(
        tiny_artifact(tmp_path / "model"),
        catalog=catalog.model_catalog,
        workers=1,
        calibration=TINY,
    )
    async with sessions() as session, session.begin():
        session.add(
            Anime(
                anime_id=STALE,
                title="Gray Since",
                nsfw="gray",
                details_fetched_at=datetime.now(UTC),
            )
        )
    await catalog.load()
    return RecommendationService(
        RecommenderPool(recommender, threads=1), AccountService(sessions), catalog
    )


async def test_reasons_never_name_a_hidden_list_title(service: RecommendationService) -> None:
    account = await service.accounts.require(1)
    assert not service.catalog.is_safe(STALE) and not service.catalog.is_safe(PRE)
    result = await service.recommend(account)
    reasons = {item.anime.anime_id: item.reasons for item in result.items}
    unnamed = ("sequel of a title on your list",)
    assert (reasons[SEQ], reasons[STALE_SEQ]) == (unnamed, unnamed)
    lines = [line for item in result.items for line in item.reasons]
    assert not [line for line in lines if any(name in line for name in HIDDEN_NAMES)], lines
    for title in (SEQ, STALE_SEQ):
        why = await service.why(account, service.catalog.get(title))
        assert why.source == "catalog" and why.reasons == unnamed

    allowed = await service.recommend(account, allow_nsfw=True)
    reasons = {item.anime.anime_id: item.reasons for item in allowed.items}
    assert reasons[SEQ] == ("sequel of Secret Prequel, which you rated 10",)
    assert reasons[STALE_SEQ] == ("sequel of Gray Since, which you rated 9",)
    why = await service.why(account, service.catalog.get(SEQ), allow_nsfw=True)
    assert why.reasons == ("sequel of Secret Prequel, which you rated 10",)
