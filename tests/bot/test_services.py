"""Services against the real migrations and the real MAL client talking to the fake MAL."""

from __future__ import annotations

import asyncio
import gzip
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import LinkedAccount
from bot.services.accounts import AccountService
from bot.services.catalog import CatalogService
from bot.services.errors import ImportRejected, NotLinked, SyncFailed
from bot.services.guilds import GuildSettingsService
from bot.services.imports import read_upload
from bot.services.sync import SyncService
from common.mal import MalClient
from fakes.mal import FakeMal

ALICE = [(1, 9), (5, 7, "watching"), (6, 0, "plan_to_watch"), (20, 3, "dropped")]


@pytest.fixture
async def fake() -> AsyncIterator[FakeMal]:
    anime = {
        1: {"title": "Cowboy Bebop", "nsfw": "white"},
        5: {"title": "Cowboy Bebop: Tengoku no Tobira", "media_type": "movie"},
        6: {"title": "Trigun"},
        20: {"title": "Naruto"},
    }
    async with FakeMal.running(lists={"alice": ALICE}, anime=anime) as fake:
        yield fake


@pytest.fixture
async def mal(fake: FakeMal) -> AsyncIterator[MalClient]:
    client = MalClient(
        fake.base_url, "test-client", requests_per_second=0, max_retries=1, backoff_base=0.001
    )
    async with client:
        yield client


@pytest.fixture
def catalog(sessions: async_sessionmaker[AsyncSession]) -> CatalogService:
    return CatalogService(sessions)


@pytest.fixture
def sync(
    sessions: async_sessionmaker[AsyncSession], mal: MalClient, catalog: CatalogService
) -> SyncService:
    return SyncService(sessions, mal, catalog)


@pytest.fixture
def accounts(sessions: async_sessionmaker[AsyncSession]) -> AccountService:
    return AccountService(sessions)


async def test_link_stores_the_list(sync: SyncService, accounts: AccountService) -> None:
    outcome = await sync.link(10, " alice ")
    assert outcome.account.mal_username == "alice" and outcome.changed
    assert outcome.stats.entries == 4 and outcome.stats.scored == 3
    assert outcome.stats.by_status == {
        "watching": 1,
        "completed": 1,
        "dropped": 1,
        "plan_to_watch": 1,
    }
    profile = sorted(await accounts.profile(10), key=lambda e: e.anime_id)
    assert [(e.anime_id, e.score, e.status) for e in profile] == [
        (1, 9, "completed"),
        (5, 7, "watching"),
        (6, 0, "plan_to_watch"),
        (20, 3, "dropped"),
    ]
    assert (await accounts.require(10)).last_sync_at is not None


@pytest.mark.parametrize(
    ("username", "setup", "message"),
    [
        ("nobody", None, "no MyAnimeList user"),
        ("secret", "private", "/import"),
        ("not a name!", None, "not a valid"),
        ("alice", "down", "not responding"),
    ],
)
async def test_link_failures_store_nothing(
    fake: FakeMal,
    sync: SyncService,
    accounts: AccountService,
    username: str,
    setup: str | None,
    message: str,
) -> None:
    if setup == "private":
        fake.add_user("secret", ALICE, private=True)
    if setup == "down":
        fake.server_error(times=10, status=503)
    with pytest.raises(SyncFailed) as failure:
        await sync.link(11, username)
    assert message in failure.value.user_message
    assert await accounts.get(11) is None


async def test_sync_replaces_entries_and_failed_sync_keeps_them(
    fake: FakeMal, sync: SyncService, accounts: AccountService
) -> None:
    await sync.link(12, "alice")
    fake.add_user("alice", [(1, 10), (30, 8)])
    outcome = await sync.sync(12)
    assert outcome.changed and outcome.stats.entries == 2
    assert {(e.anime_id, e.score) for e in await accounts.profile(12)} == {(1, 10), (30, 8)}

    fake.add_user("alice", [(99, 1)])
    fake.server_error(times=10, status=500, match="/animelist")
    with pytest.raises(SyncFailed) as failure:
        await sync.sync(12, force=True)
    assert "not responding" in failure.value.user_message
    assert {(e.anime_id, e.score) for e in await accounts.profile(12)} == {(1, 10), (30, 8)}
    account = await accounts.require(12)
    assert account.last_error and "not responding" in account.last_error
    assert account.last_error_at is not None

    fake.clear_faults()
    await sync.sync(12)
    assert {e.anime_id for e in await accounts.profile(12)} == {99}
    assert (await accounts.require(12)).last_error is None


async def test_unchanged_fingerprint_skips_the_full_fetch(fake: FakeMal, sync: SyncService) -> None:
    await sync.link(13, "alice")
    full_fetches = len([r for r in fake.requests if "limit=1000" in r.path + str(r.query)])
    outcome = await sync.sync(13)
    assert not outcome.changed and outcome.stats.entries == 4
    after = len([r for r in fake.requests if "limit=1000" in r.path + str(r.query)])
    assert after == full_fetches
    assert (await sync.sync(13, force=True)).changed


async def test_refresh_walks_stalest_first_and_stops_when_mal_fails(
    fake: FakeMal, sync: SyncService, sessions: async_sessionmaker[AsyncSession]
) -> None:
    for user_id in (21, 22, 23):
        await sync.link(user_id, "alice")
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        for user_id, age in ((21, 5), (22, 30), (23, 2)):
            await session.execute(
                update(LinkedAccount)
                .where(LinkedAccount.discord_user_id == user_id)
                .values(last_checked_at=now - timedelta(hours=age))
            )
    assert await sync.due_accounts(timedelta(hours=1)) == [22, 21, 23]
    assert await sync.due_accounts(timedelta(hours=4)) == [22, 21]

    report = await sync.refresh_due(timedelta(hours=4))
    assert (report.checked, report.skipped, report.errors) == (2, 2, {})
    assert await sync.due_accounts(timedelta(hours=1)) == [23]

    fake.throttle(times=50)
    report = await sync.refresh_due(timedelta(0))
    assert report.stopped_early and report.checked == 1 and len(report.errors) == 1


async def test_a_sync_in_flight_does_not_undo_an_unlink_or_a_newer_link(
    fake: FakeMal, sync: SyncService, accounts: AccountService
) -> None:
    fake.add_user("bob", [(20, 6)])
    for unlink in (True, False):
        await sync.link(15, "alice")
        fake.slow(0.3, match="limit=1000")
        running = asyncio.create_task(sync.sync(15, force=True))
        for _ in range(200):  # until the slow full fetch is in flight
            if not fake.pending_faults:
                break
            await asyncio.sleep(0.01)
        if unlink:
            assert await accounts.unlink(15)
            with pytest.raises(NotLinked):
                await running
            assert await accounts.get(15) is None and await accounts.profile(15) == []
        else:
            await sync.link(15, "bob")
            with pytest.raises(SyncFailed):
                await running
            assert (await accounts.require(15)).mal_username == "bob"
            assert {e.anime_id for e in await accounts.profile(15)} == {20}


async def test_an_unchanged_list_check_in_flight_after_unlink_is_not_linked(
    fake: FakeMal, sync: SyncService, accounts: AccountService
) -> None:
    await sync.link(16, "alice")
    fake.slow(0.3, match="limit=1&")
    running = asyncio.create_task(sync.sync(16))
    for _ in range(200):  # until the slow fingerprint request is in flight
        if not fake.pending_faults:
            break
        await asyncio.sleep(0.01)
    assert await accounts.unlink(16)
    with pytest.raises(NotLinked):
        await running
    assert await accounts.get(16) is None


async def test_unlink_and_sharing(sync: SyncService, accounts: AccountService) -> None:
    await sync.link(14, "alice")
    assert (await accounts.set_sharing(14, True)).share_opt_in
    assert await accounts.unlink(14)
    assert await accounts.get(14) is None and await accounts.profile(14) == []
    assert not await accounts.unlink(14)
    with pytest.raises(NotLinked):
        await accounts.set_sharing(14, True)


EXPORT = b"""<?xml version="1.0" encoding="UTF-8" ?>
<myanimelist>
  <myinfo><user_name>carol</user_name></myinfo>
  <anime><series_animedb_id>1</series_animedb_id>
    <series_title><![CDATA[Cowboy Bebop]]></series_title>
    <my_score>8</my_score><my_status>Completed</my_status></anime>
  <anime><series_animedb_id>777</series_animedb_id>
    <series_title><![CDATA[Odd Title]]></series_title>
    <my_score>0</my_score><my_status>Plan to Watch</my_status></anime>
</myanimelist>
"""


async def test_import_of_a_gzipped_export(
    sync: SyncService, accounts: AccountService, catalog: CatalogService
) -> None:
    parsed = read_upload(gzip.compress(EXPORT), "animelist.xml.gz")
    outcome = await sync.import_list(15, parsed)
    assert outcome.account.source == "import" and outcome.account.mal_username == "carol"
    assert {(e.anime_id, e.status) for e in await accounts.profile(15)} == {
        (1, "completed"),
        (777, "plan_to_watch"),
    }
    assert catalog.get(777).title == "Odd Title"
    with pytest.raises(SyncFailed, match="imported"):
        await sync.sync(15)
    assert await sync.due_accounts(timedelta(0)) == []


@pytest.mark.parametrize(
    "data", [b"", b"not xml at all", b"<myanimelist></myanimelist>", b"\x1f\x8b broken gzip"]
)
def test_bad_uploads_are_rejected(data: bytes) -> None:
    with pytest.raises(ImportRejected):
        read_upload(data, "upload.xml")


async def test_catalog_seed_fill_and_search(
    fake: FakeMal, mal: MalClient, catalog: CatalogService
) -> None:
    fake.add_anime(
        16498,
        "Shingeki no Kyojin",
        alternative_titles={"en": "Attack on Titan", "ja": "", "synonyms": ["AoT", "SnK"]},
        num_list_users=3_000_000,
        genres=["Action"],
    )
    fake.add_anime(9999, "Hentai Thing", nsfw="black")
    items = [
        {"anime_id": 16498, "title": "Shingeki no Kyojin", "media_type": "tv"},
        {"anime_id": 1, "title": "Cowboy Bebop", "media_type": "tv"},
        {"anime_id": 9999, "title": "Hentai Thing", "media_type": "ova"},
    ]
    assert await catalog.seed(items) == 3
    assert await catalog.seed(items) == 0
    assert await catalog.fill_details(mal, limit=10) == 3
    assert catalog.get(16498).title_english == "Attack on Titan"
    assert catalog.get(16498).picture_url and catalog.get(16498).genres == ("Action",)
    assert catalog.nsfw_ids() == {9999}
    for query in ("attack on titan", "atack on titn", "shingeki", "SnK", "cowboy bebpo"):
        assert catalog.search(query)[0].anime.anime_id in (16498, 1), query
    assert catalog.search("atack on titn")[0].anime.anime_id == 16498
    assert catalog.search("cowboy bebpo")[0].anime.anime_id == 1
    assert catalog.resolve("16498") == catalog.get(16498)
    assert catalog.search("zzzzqqqq") == []
    fresh = CatalogService(catalog._sessions)
    assert await fresh.load() == 3 and fresh.get(16498).title_english == "Attack on Titan"


async def test_guild_settings(sessions: async_sessionmaker[AsyncSession]) -> None:
    guilds = GuildSettingsService(sessions)
    assert (await guilds.get(1)).default_count == 10
    config = await guilds.update(1, default_count=5, allow_nsfw=True)
    assert (config.default_count, config.allow_nsfw, config.members_can_view_others) == (
        5,
        True,
        True,
    )
    assert (await guilds.update(1, members_can_view_others=False)).default_count == 5
    assert (await guilds.get(1)).members_can_view_others is False
    with pytest.raises(ValueError, match="default_count"):
        await guilds.update(1, default_count=26)


async def test_odd_optional_anime_fields_do_not_stop_the_catalog_fill(
    fake: FakeMal, mal: MalClient, catalog: CatalogService
) -> None:
    fake.add_anime(
        42,
        "Odd Payload",
        alternative_titles="none",
        main_picture=["x"],
        start_season="2020",
        num_list_users="many",
        genres=[],
    )
    fake.anime[42]["genres"] = ["Action"]  # names, not {"id", "name"} objects
    await catalog.seed([{"anime_id": 42, "title": "Odd Payload"}, {"anime_id": 1, "title": "B"}])
    assert await catalog.fill_details(mal, limit=10) == 2
    odd = catalog.get(42)
    assert odd.details and odd.title == "Odd Payload" and odd.genres == ()
    assert odd.picture_url is None and odd.popularity == 0


async def test_one_list_that_cannot_be_stored_does_not_stall_the_refresh(
    fake: FakeMal, sync: SyncService, accounts: AccountService, caplog: pytest.LogCaptureFixture
) -> None:
    await sync.link(31, "alice")
    fake.add_user("bob", [(20, 6)])
    await sync.link(32, "bob")
    # A timestamp Python cannot move to UTC: storing this list raises OverflowError.
    fake.add_user("alice", [{"anime_id": 1, "score": 9, "updated_at": "0001-01-01T00:00+14:00"}])
    fake.add_user("bob", [(20, 7)])
    with caplog.at_level(logging.ERROR, logger="bot.services.sync"):
        report = await sync.refresh_due(timedelta(0))
    assert (report.checked, report.synced, list(report.errors)) == (2, 1, [31])
    assert {(e.anime_id, e.score) for e in await accounts.profile(31)} == {
        (1, 9),
        (5, 7),
        (6, 0),
        (20, 3),
    }
    assert {(e.anime_id, e.score) for e in await accounts.profile(32)} == {(20, 7)}
    failed = await accounts.require(31)
    assert failed.last_error and failed.last_sync_at
    assert failed.last_checked_at and failed.last_checked_at > failed.last_sync_at


def test_upload_limits_name_the_limit_and_what_to_do() -> None:
    from bot.services.imports import MAX_ENTRIES, MAX_UPLOAD_BYTES

    rows = "".join(
        f"<anime><series_animedb_id>{i}</series_animedb_id><my_status>2</my_status></anime>"
        for i in range(1, MAX_ENTRIES + 2)
    )
    many = gzip.compress(f"<myanimelist>{rows}</myanimelist>".encode())
    with pytest.raises(ImportRejected, match=r"more than 30,000 entries.*with /link instead\.$"):
        read_upload(many, "many.xml.gz")
    with pytest.raises(ImportRejected, match=r"upload limit; upload the \.xml\.gz file"):
        read_upload(b" " * (MAX_UPLOAD_BYTES + 1), "big.xml")
    padded = b"<myanimelist>" + b"<!-- -->\n" * 7_000_000 + b"</myanimelist>"
    with pytest.raises(ImportRejected, match=r"unpacks to more than 60 MB.*unchanged\.$"):
        read_upload(gzip.compress(padded), "padded.xml.gz")


def test_upload_notes_say_what_was_skipped() -> None:
    data = EXPORT.replace(b"<series_animedb_id>777<", b"<series_animedb_id>0<")
    parsed = read_upload(data, "conv.xml")
    assert [e.anime_id for e in parsed.entries] == [1]
    assert parsed.notes() == ["Skipped 1 entry without a MyAnimeList id."]
    only_unknown = EXPORT.replace(b"<series_animedb_id>1<", b"<series_animedb_id>0<")
    only_unknown = only_unknown.replace(b"<series_animedb_id>777<", b"<series_animedb_id>0<")
    with pytest.raises(ImportRejected, match=r"None of the 2 entries .* has a MyAnimeList id"):
        read_upload(only_unknown, "conv.xml")
