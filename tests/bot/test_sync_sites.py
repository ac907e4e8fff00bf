"""Linking and refreshing AniList and Kitsu lists: the real services, the real migrations, the
real clients against the fake AniList and Kitsu (and the fake MAL for mixed rounds)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import LinkedAccount, UnmappedEntry
from bot.services.accounts import AccountService
from bot.services.catalog import CatalogService
from bot.services.errors import SyncFailed
from bot.services.sync import SyncService
from common.anilist import AniListClient
from common.kitsu import KitsuClient
from common.mal import MalClient
from fakes.anilist import FakeAniList
from fakes.kitsu import FakeKitsu
from fakes.mal import FakeMal

ANN = [
    {"media_id": 1, "mal_id": 1, "status": "COMPLETED", "score": 9, "title": "Cowboy Bebop"},
    {"media_id": 21, "mal_id": 21, "status": "CURRENT", "score": 0},
    {"media_id": 170000, "mal_id": None, "status": "COMPLETED", "score": 8, "title": "New Show"},
]
BO = [
    {"anime_id": 1, "mal_id": 1, "status": "completed", "rating": 16},
    {"anime_id": 3936, "mal_id": 5114, "status": "current", "rating": 20},
    {"anime_id": 44000, "mal_id": None, "status": "planned", "title": "Donghua"},
]


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeMal, FakeAniList, FakeKitsu]]:
    async with (
        FakeMal.running(lists={"alice": [(1, 9), (20, 7)]}) as mal,
        FakeAniList.running() as anilist,
        FakeKitsu.running() as kitsu,
    ):
        anilist.add_user("Ann", ANN, user_id=7)
        anilist.add_user("Shy", ANN, private=True)
        kitsu.add_user("Bo", BO, slug="bo", user_id=42)
        yield mal, anilist, kitsu


@pytest.fixture
async def sync(
    fakes: tuple[FakeMal, FakeAniList, FakeKitsu], sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[SyncService]:
    mal_fake, anilist_fake, kitsu_fake = fakes
    options = {"max_retries": 0}
    async with (
        MalClient(mal_fake.base_url, "id", requests_per_second=0, max_retries=0) as mal,
        AniListClient(anilist_fake.base_url, requests_per_minute=0, **options) as anilist,
        KitsuClient(kitsu_fake.base_url, requests_per_second=0, **options) as kitsu,
    ):
        yield SyncService(sessions, mal, CatalogService(sessions), anilist=anilist, kitsu=kitsu)


async def _unmapped(sessions: async_sessionmaker[AsyncSession], user: int) -> list[tuple]:
    async with sessions() as session:
        rows = await session.execute(
            select(UnmappedEntry.site, UnmappedEntry.site_anime_id, UnmappedEntry.title).where(
                UnmappedEntry.discord_user_id == user
            )
        )
        return [tuple(r) for r in rows]


async def test_anilist_and_kitsu_links_store_mal_ids_and_keep_the_unknown(
    sync: SyncService, sessions: async_sessionmaker[AsyncSession]
) -> None:
    accounts = AccountService(sessions)
    ann = await sync.link(1, "ann", "anilist")
    assert (ann.account.source, ann.account.mal_username, ann.account.site_user_id) == (
        "anilist",
        "Ann",
        "7",
    )
    assert (ann.stats.entries, ann.stats.scored, ann.unknown) == (2, 1, 1)
    assert {(e.anime_id, e.score, e.status) for e in await accounts.profile(1)} == {
        (1, 9, "completed"),
        (21, 0, "watching"),
    }
    assert await _unmapped(sessions, 1) == [("anilist", 170000, "New Show")]
    assert (await accounts.stats(1)).unknown == 1

    bo = await sync.link(2, "bo", "kitsu")
    assert (bo.account.source, bo.account.site_user_id, bo.stats.entries, bo.unknown) == (
        "kitsu",
        "42",
        2,
        1,
    )
    assert {(e.anime_id, e.score) for e in await accounts.profile(2)} == {(1, 8), (5114, 10)}

    # A new link replaces the old one, unknown entries included.
    mal = await sync.link(1, "alice", "mal")
    assert (mal.account.source, mal.account.site_user_id, mal.unknown) == ("mal", None, 0)
    assert await _unmapped(sessions, 1) == []
    assert await accounts.unlink(2)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(UnmappedEntry)) == 0


async def test_bad_names_private_and_unknown_users_write_nothing(
    sync: SyncService, sessions: async_sessionmaker[AsyncSession]
) -> None:
    accounts = AccountService(sessions)
    for name, site, words in (
        ("shy", "anilist", "private"),
        ("nobody", "anilist", "no AniList user called `nobody`"),
        ("nobody", "kitsu", "no Kitsu user called `nobody`"),
        ("no way!", "anilist", "not a valid AniList user name"),
        ("x", "myspace", "not a list site"),
    ):
        with pytest.raises(SyncFailed) as failed:
            await sync.link(3, name, site)
        assert words in failed.value.user_message, failed.value.user_message
    assert await accounts.get(3) is None


async def test_refresh_covers_every_site_with_its_own_budget_and_keeps_lists_on_outages(
    fakes: tuple[FakeMal, FakeAniList, FakeKitsu],
    sync: SyncService,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    _mal, anilist, kitsu = fakes
    await sync.link(11, "alice", "mal")
    await sync.link(12, "Ann", "anilist")
    await sync.link(13, "bo", "kitsu")
    await sync.link(14, "bo", "kitsu")
    async with sessions() as session, session.begin():
        await session.execute(update(LinkedAccount).values(last_checked_at=None))

    # Kitsu gets a budget of one account this round; the others are not limited.
    report = await sync.refresh_due(timedelta(0), {"mal": 5, "anilist": 5, "kitsu": 1})
    assert (report.checked, report.skipped, report.synced, report.errors) == (3, 3, 0, {})
    assert await sync.due_accounts(timedelta(hours=1), site="kitsu") == [14]

    # AniList changes (an entry updated): its fingerprint differs, the list is fetched again.
    anilist.add_user("Ann", [*ANN[:2], {**ANN[2], "mal_id": 30, "updated_at": 1_800_000_000}])
    asked = len(anilist.requests)
    outcome = await sync.sync(12)
    assert outcome.changed and (outcome.stats.entries, outcome.unknown) == (3, 0)
    assert len(anilist.requests) == asked + 2, "one fingerprint, one list chunk"
    assert await _unmapped(sessions, 12) == [], "a later mapping moves the entry over"

    # Kitsu down, AniList rate-limited: errors recorded, lists kept, the other site still runs.
    kitsu.server_error(times=10, status=502)
    anilist.rate_limit(times=10, retry_after="0")
    async with sessions() as session, session.begin():
        await session.execute(update(LinkedAccount).values(last_checked_at=None))
    report = await sync.refresh_due(timedelta(0), {"mal": 5, "anilist": 5, "kitsu": 5})
    assert report.stopped_early and set(report.errors) == {12, 13}
    assert report.skipped == 1, "MAL was still refreshed"
    accounts = AccountService(sessions)
    assert len(await accounts.profile(12)) == 3 and len(await accounts.profile(13)) == 2
    assert "rate-limiting" in ((await accounts.require(12)).last_error or "")
    assert "not responding" in ((await accounts.require(13)).last_error or "")
    assert await _unmapped(sessions, 13) == [("kitsu", 44000, "Donghua")]


async def test_a_renamed_account_keeps_refreshing_under_its_new_name(
    fakes: tuple[FakeMal, FakeAniList, FakeKitsu], sync: SyncService
) -> None:
    _mal, anilist, _kitsu = fakes
    await sync.link(21, "Ann", "anilist")
    del anilist.users["ann"]
    anilist.add_user("Anna", ANN[:2], user_id=7)  # renamed, and one title removed
    outcome = await sync.sync(21, force=True)
    assert outcome.account.mal_username == "Anna" and outcome.unknown == 0
    assert "anilist.co/user/Anna/" in outcome.account.profile_url
