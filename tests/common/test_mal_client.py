"""The MAL client against the local fake MAL API: paging, parsing, validation, errors, hygiene
(faults and politeness: test_mal_retries.py)."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import UTC, datetime

import aiohttp
import pytest

from common.mal import (
    AnimeNotFound,
    InvalidResponse,
    InvalidUsername,
    ListPrivate,
    MalAuthError,
    MalClient,
    MalListEntry,
    MalThrottled,
    MalUnavailable,
    UserNotFound,
)
from common.settings import MalSettings
from fakes.mal import FakeMal
from model.profile import ProfileEntry
from tests.common.mal_setup import CLIENT_ID, big_list, make_client

# --- happy paths ----------------------------------------------------------------------------


async def test_paging_follows_next_over_1000_entries(fake: FakeMal, mal: MalClient) -> None:
    entries = await mal.get_animelist("alice")
    assert [e.anime_id for e in entries] == [100 + i for i in range(2345)]
    sent = fake.requests_to("/animelist")
    assert [r.query.get("offset", "0") for r in sent] == ["0", "1000", "2000"]
    for request in sent:
        assert request.query["fields"] == "list_status"
        assert request.query["limit"] == "1000"
        assert request.query["nsfw"] == "true"
        assert request.client_id == CLIENT_ID


async def test_entries_carry_list_status(mal: MalClient) -> None:
    entries = await mal.get_animelist("alice")
    expected = big_list(2345)
    for entry, want in zip(entries[:40], expected[:40], strict=True):
        assert entry.status == want["status"]
        assert entry.score == want["score"]
        assert entry.num_episodes_watched == want["num_episodes_watched"]
        assert entry.is_rewatching == want["is_rewatching"]
        assert entry.updated_at == want["updated_at"]
        assert entry.title == f"Anime {want['anime_id']}"
    assert entries[3].to_profile_entry() == ProfileEntry(103, 3, "dropped")


async def test_usernames_are_case_insensitive_and_small_lists_take_one_page(
    fake: FakeMal, mal: MalClient
) -> None:
    entries = await mal.get_animelist("bob_2")
    assert [(e.anime_id, e.score, e.status) for e in entries] == [
        (1, 9, "completed"),
        (5114, 0, "plan_to_watch"),
    ]
    assert entries[0].title == "Cowboy Bebop"
    assert len(fake.requests) == 1
    assert await mal.get_animelist("empty") == []


async def test_fingerprint_is_one_cheap_request_and_changes_with_the_list(
    fake: FakeMal, mal: MalClient
) -> None:
    first = await mal.list_fingerprint("Bob_2")
    (request,) = fake.requests
    assert request.query["limit"] == "1"
    assert request.query["sort"] == "list_updated_at"
    assert first is not None
    assert await mal.list_fingerprint("Bob_2") == first
    fake.add_user(
        "Bob_2",
        [
            {"anime_id": 1, "score": 9},
            {"anime_id": 5114, "score": 8, "updated_at": datetime(2030, 1, 1, tzinfo=UTC)},
        ],
    )
    changed = await mal.list_fingerprint("Bob_2")
    assert changed is not None and changed != first
    assert changed.startswith("5114:")
    assert await mal.list_fingerprint("empty") is None


async def test_get_anime_asks_for_and_parses_every_field(fake: FakeMal, mal: MalClient) -> None:
    anime = await mal.get_anime(1)
    fields = set(fake.requests[0].query["fields"].split(","))
    assert {
        "alternative_titles",
        "main_picture",
        "media_type",
        "genres",
        "mean",
        "num_list_users",
        "nsfw",
        "start_season",
        "num_episodes",
    } <= fields
    assert anime.id == 1
    assert anime.title == "Cowboy Bebop"
    assert anime.alternative_titles.ja == "カウボーイビバップ"
    assert anime.genres == ("Action", "Sci-Fi")
    assert anime.mean == pytest.approx(8.75)
    assert anime.num_list_users == 1_900_000
    assert str(anime.start_season) == "Spring 1998"
    assert anime.num_episodes == 26
    assert anime.nsfw == "white"
    assert anime.main_picture is not None and anime.main_picture.startswith("https://")
    with pytest.raises(AnimeNotFound):
        await mal.get_anime(999_999)


# --- validation and auth --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["", "a", "x" * 17, "bad name", "ünïcode", "../etc", "a/b", "semi;colon", "a?b=c"]
)
async def test_invalid_usernames_make_no_request(fake: FakeMal, mal: MalClient, name: str) -> None:
    with pytest.raises(InvalidUsername) as caught:
        await mal.get_animelist(name)
    with pytest.raises(InvalidUsername):
        await mal.list_fingerprint(name)
    assert fake.requests == []
    assert "2–16" in caught.value.user_message


async def test_valid_edge_usernames_are_sent(fake: FakeMal, mal: MalClient) -> None:
    for name in ("ab", "A-b_9" + "x" * 11):
        with pytest.raises(UserNotFound):
            await mal.get_animelist(name)
    assert len(fake.requests) == 2


async def test_wrong_client_id_is_an_auth_error_and_not_retried() -> None:
    async with (
        FakeMal.running({"alice": [(1, 5)]}, client_id="the-right-id") as fake,
        make_client(fake) as client,
    ):
        with pytest.raises(MalAuthError) as caught:
            await client.get_animelist("alice")
        assert isinstance(caught.value, MalUnavailable)
        assert len(fake.requests) == 1
        assert fake.requests[0].client_id == CLIENT_ID
        assert "admin" in caught.value.user_message


async def test_fake_requires_the_header(fake: FakeMal) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{fake.base_url}/anime/1") as response:
            assert response.status == 401
        async with session.get(
            f"{fake.base_url}/anime/1", headers={"X-MAL-CLIENT-ID": "anything"}
        ) as response:
            assert response.status == 200


# --- errors ---------------------------------------------------------------------------------


async def test_missing_user(mal: MalClient) -> None:
    with pytest.raises(UserNotFound) as caught:
        await mal.get_animelist("nobody_here")
    assert "nobody_here" in caught.value.user_message


async def test_private_list_is_told_apart_by_a_probe(fake: FakeMal, mal: MalClient) -> None:
    with pytest.raises(ListPrivate) as caught:
        await mal.get_animelist("hidden")
    assert "private" in caught.value.user_message
    assert [r.path for r in fake.requests] == ["/v2/users/hidden/animelist", "/v2/anime/1"]


async def test_throttling_403_is_not_reported_as_private(fake: FakeMal, mal: MalClient) -> None:
    fake.throttle(times=10)
    with pytest.raises(MalThrottled) as caught:
        await mal.get_animelist("alice")
    assert "private" not in caught.value.user_message
    # Once MAL answers again, the same user is fine: nothing was cached as private.
    fake.clear_faults()
    assert len(await mal.get_animelist("alice")) == 2345


async def test_private_skips_the_probe_when_another_request_just_succeeded(
    fake: FakeMal, mal: MalClient
) -> None:
    fake.slow(0.3, match="/users/hidden/")
    hidden = asyncio.create_task(mal.get_animelist("hidden"))
    await asyncio.sleep(0.05)
    await mal.get_anime(5114)  # succeeds while the 403 is on its way
    with pytest.raises(ListPrivate):
        await hidden
    assert fake.requests_to("/anime/1") == []


# --- hygiene --------------------------------------------------------------------------------


async def test_client_id_is_never_logged(fake: FakeMal, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with make_client(fake) as client:
        fake.server_error(times=2)
        fake.rate_limit(times=1, retry_after="0.01")
        await client.get_anime(1)
        fake.throttle(times=5)
        with pytest.raises(MalThrottled) as caught:
            await client.get_animelist("alice")
        assert CLIENT_ID not in repr(client)
    assert caplog.records
    assert CLIENT_ID not in caplog.text
    assert CLIENT_ID not in str(caught.value) + caught.value.user_message


async def test_shared_session_is_left_open(fake: FakeMal) -> None:
    async with aiohttp.ClientSession() as session:
        async with MalClient(fake.base_url, CLIENT_ID, requests_per_second=0, session=session):
            pass
        assert not session.closed


async def test_from_settings(fake: FakeMal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAL_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("MAL_API_BASE_URL", fake.base_url)
    monkeypatch.setenv("MAL_REQUESTS_PER_SECOND", "0")
    monkeypatch.setenv("MAL_MAX_CONCURRENCY", "3")
    settings = MalSettings(_env_file=None)  # type: ignore[call-arg]
    async with MalClient.from_settings(settings) as client:
        assert client.limiter.max_concurrency == 3
        assert client.limiter.interval == 0
        assert len(await client.get_animelist("bob_2")) == 2
    assert fake.requests[0].client_id == CLIENT_ID


def test_next_link_to_another_host_is_rebased_onto_the_base_url() -> None:
    client = MalClient("http://127.0.0.1:9/v2", CLIENT_ID)
    same, params = client._follow("http://127.0.0.1:9/v2/users/a_b/animelist?offset=1000", "a_b")
    assert (same, params) == ("http://127.0.0.1:9/v2/users/a_b/animelist?offset=1000", None)
    url, params = client._follow(
        "https://api.myanimelist.net/v2/users/a_b/animelist?offset=1000&limit=1000&fields=list_status",
        "a_b",
    )
    assert url == "http://127.0.0.1:9/v2/users/a_b/animelist"
    assert params == {"offset": "1000", "limit": "1000", "fields": "list_status"}


@pytest.mark.parametrize(
    "item",
    [
        {"node": {"id": 1}, "list_status": "completed"},
        {"node": {"id": 1}, "list_status": ["completed"]},
        {"node": {"id": 1}, "list_status": {"status": "completed", "score": float("inf")}},
        {"node": "1"},
        "entry",
    ],
)
def test_malformed_list_entries_are_invalid_responses(item: object) -> None:
    # A MalError fails that one sync cleanly; anything else would end the background round
    # at the same (stalest) account every time.
    with pytest.raises(InvalidResponse):
        MalListEntry.from_api(item)  # type: ignore[arg-type]


def test_mal_package_imports_no_discord() -> None:
    import subprocess

    code = "import common.mal, sys; sys.exit('discord' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
