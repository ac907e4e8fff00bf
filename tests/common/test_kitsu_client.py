"""The Kitsu client against the fake Kitsu (JSON:API paging, mappings, 404s, faults)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from common.kitsu import KitsuClient
from common.sites import SiteRateLimited, SiteUnavailable, SiteUserNotFound
from fakes.kitsu import FakeKitsu

ENTRIES = [
    {"anime_id": 1, "mal_id": 1, "status": "completed", "rating": 18, "progress": 26},
    {"anime_id": 3936, "mal_id": 5114, "status": "current", "rating": None, "progress": 4},
    {"anime_id": 7, "mal_id": 20, "status": "on_hold", "rating": 2},
    {"anime_id": 8, "mal_id": 30, "status": "dropped", "rating": 9},
    {"anime_id": 9, "mal_id": 40, "status": "planned"},
    {"anime_id": 44000, "mal_id": None, "status": "completed", "rating": 14, "title": "Donghua"},
    {"anime_id": 10, "mal_id": 50, "status": "completed", "private": True},
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeKitsu]:
    async with FakeKitsu.running() as server:
        server.add_user("Bo Kitsu", ENTRIES, slug="bo", user_id=42)
        yield server


def client(fake: FakeKitsu) -> KitsuClient:
    return KitsuClient(fake.base_url, requests_per_second=0, max_retries=2, backoff_base=0.01)


async def test_a_library_in_mal_terms(fake: FakeKitsu) -> None:
    async with client(fake) as kitsu:
        got = await kitsu.get_list("bo")
        by_name = await kitsu.get_list("Bo Kitsu")  # the display name works too
    assert (got.username, got.user_id, len(got.entries)) == ("Bo Kitsu", "42", 6)
    assert by_name.entries == got.entries
    by_id = {e.site_anime_id: e for e in got.entries}
    assert (by_id[1].mal_id, by_id[1].score, by_id[1].status) == (1, 9, "completed")
    assert (by_id[3936].mal_id, by_id[3936].score, by_id[3936].status) == (5114, 0, "watching")
    assert by_id[7].score == 1 and by_id[8].score == 5 and by_id[9].status == "plan_to_watch"
    assert [e.site_anime_id for e in got.unmapped] == [44000] and by_id[44000].title == "Donghua"
    assert 10 not in by_id, "private entries are not shown"


async def test_pages_follow_links_next(fake: FakeKitsu) -> None:
    rows = [{"anime_id": 100 + i, "status": "completed", "rating": 16} for i in range(1201)]
    fake.add_user("many", rows, user_id=43)
    async with client(fake) as kitsu:
        got = await kitsu.get_list("anyone", user_id="43")
    assert len(got.entries) == 1201 and {e.mal_id for e in got.entries} == {
        100 + i for i in range(1201)
    }
    pages = [p for p in fake.paths if p.startswith("/api/edge/library-entries")]
    assert len(pages) == 3 and "page%5Blimit%5D=500" in pages[0]


async def test_fingerprint_sees_edits_and_removals(fake: FakeKitsu) -> None:
    async with client(fake) as kitsu:
        before = await kitsu.list_fingerprint("bo", user_id="42")
        fake.add_user("Bo Kitsu", ENTRIES[1:], slug="bo")
        removed = await kitsu.list_fingerprint("bo", user_id="42")
        edited = [*ENTRIES[1:], {**ENTRIES[0], "updated_at": "2025-05-05T00:00:00.000Z"}]
        fake.add_user("Bo Kitsu", edited, slug="bo")
        touched = await kitsu.list_fingerprint("bo")
    assert len({before, removed, touched}) == 3


async def test_unknown_users_and_outages(fake: FakeKitsu) -> None:
    async with client(fake) as kitsu:
        with pytest.raises(SiteUserNotFound) as missing:
            await kitsu.get_list("nobody")
        with pytest.raises(SiteUserNotFound):
            await kitsu.get_list("bo", user_id="999")  # a deleted account: 404 by id
        fake.rate_limit(times=1, retry_after="0.1")
        assert len((await kitsu.get_list("bo")).entries) == 6
        fake.rate_limit(times=5, retry_after="0")
        with pytest.raises(SiteRateLimited):
            await kitsu.get_list("bo")
        fake.clear_faults()
        fake.server_error(times=5, status=503)
        with pytest.raises(SiteUnavailable):
            await kitsu.get_list("bo")
    assert (
        missing.value.user_message == "There is no Kitsu user called `nobody`. Check the spelling."
    )
