"""The MAL client against the local fake MAL API: paging, faults, errors, politeness."""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
import time
from collections.abc import AsyncIterator
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
    MalError,
    MalListEntry,
    MalThrottled,
    MalUnavailable,
    RateLimited,
    RateLimiter,
    UserNotFound,
)
from common.mal.client import parse_retry_after
from common.settings import MalSettings
from fakes.mal import FakeMal
from model.profile import ProfileEntry

CLIENT_ID = "test-client-id-0123456789"
STATUSES = ("watching", "completed", "on_hold", "dropped", "plan_to_watch")


def big_list(n: int) -> list[dict]:
    return [
        {
            "anime_id": 100 + i,
            "status": STATUSES[i % 5],
            "score": i % 11,
            "num_episodes_watched": i % 13,
            "is_rewatching": i % 7 == 0,
            "updated_at": datetime(2020, 1, 1, tzinfo=UTC).replace(second=i % 60),
        }
        for i in range(n)
    ]


ANIME = {
    1: {
        "title": "Cowboy Bebop",
        "alternative_titles": {"en": "Cowboy Bebop", "ja": "カウボーイビバップ", "synonyms": []},
        "media_type": "tv",
        "genres": ["Action", "Sci-Fi"],
        "mean": 8.75,
        "num_list_users": 1_900_000,
        "start_season": {"year": 1998, "season": "spring"},
        "num_episodes": 26,
    },
    5114: {"title": "Fullmetal Alchemist: Brotherhood", "num_episodes": 64},
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeMal]:
    lists = {"alice": big_list(2345), "Bob_2": [(1, 9), (5114, 0, "plan_to_watch")], "empty": []}
    async with FakeMal.running(lists, ANIME, private=["hidden"]) as server:
        server.add_user("hidden", [(1, 7)], private=True)
        yield server


def make_client(fake: FakeMal, **kwargs) -> MalClient:
    options = {
        "requests_per_second": 0,
        "timeout": 2,
        "max_retries": 3,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "retry_after_max": 1.0,
    }
    options.update(kwargs)
    return MalClient(fake.base_url, CLIENT_ID, **options)


@pytest.fixture
async def mal(fake: FakeMal) -> AsyncIterator[MalClient]:
    async with make_client(fake) as client:
        yield client


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


# --- faults recovered -----------------------------------------------------------------------

RECOVERABLE = [
    ("rate_limit", {"retry_after": "0.05"}),
    ("rate_limit", {"retry_after": None}),
    ("server_error", {"status": 500}),
    ("server_error", {"status": 502}),
    ("server_error", {"status": 503}),
    ("slow", {"delay": 0.6}),
    ("truncated_json", {}),
    ("malformed_json", {}),
    ("without_data", {}),
    ("disconnect", {}),
]


@pytest.mark.parametrize(("kind", "options"), RECOVERABLE)
async def test_faults_are_retried_and_recovered(fake: FakeMal, kind: str, options: dict) -> None:
    async with make_client(fake, timeout=0.3) as client:
        fake.inject(kind, times=2, match="offset=1000", **options)
        entries = await client.get_animelist("alice")
        assert len(entries) == 2345
        assert len({e.anime_id for e in entries}) == 2345
        # aiohttp itself resends once when a kept-alive connection drops, so a disconnect
        # may cost the client one retry instead of two.
        low = 1 if kind == "disconnect" else 2
        assert low <= client.stats.retries <= 2
        fake.inject(kind, times=2, match="/anime/", **options)
        assert (await client.get_anime(1)).title == "Cowboy Bebop"
        assert 2 * low <= client.stats.retries <= 4
        assert fake.pending_faults == []  # every injected fault was met


EXHAUSTED = [
    ("rate_limit", {"retry_after": "0.01"}, RateLimited),
    ("server_error", {"status": 500}, MalUnavailable),
    ("slow", {"delay": 0.6}, MalUnavailable),
    ("disconnect", {}, MalUnavailable),
    ("truncated_json", {}, InvalidResponse),
    ("malformed_json", {}, InvalidResponse),
    ("without_data", {}, InvalidResponse),
]


@pytest.mark.parametrize(("kind", "options", "error"), EXHAUSTED)
async def test_faults_past_the_retries_raise_typed_errors(
    fake: FakeMal, kind: str, options: dict, error: type[MalError]
) -> None:
    async with make_client(fake, timeout=0.3, max_retries=2) as client:
        fake.inject(kind, times=50, **options)
        with pytest.raises(error) as caught:
            await client.get_animelist("bob_2")
        assert caught.value.user_message
        assert client.stats.requests == 3  # bounded: 1 + max_retries


async def test_retry_after_seconds_is_honoured(fake: FakeMal) -> None:
    async with make_client(fake) as client:
        fake.rate_limit(times=1, retry_after="0.4")
        await client.get_anime(1)
    first, second = fake.requests
    assert second.at - first.at >= 0.38


async def test_retry_after_pauses_every_request_of_the_client(fake: FakeMal) -> None:
    async with make_client(fake) as client:
        fake.rate_limit(times=1, retry_after="0.4", match="/anime/1")
        throttled = asyncio.create_task(client.get_anime(1))
        await asyncio.sleep(0.1)
        await client.get_anime(5114)  # must wait for MAL's Retry-After too
        await throttled
    limited_at = fake.requests[0].at
    later = [r.at for r in fake.requests[1:]]
    assert min(later) - limited_at >= 0.38


async def test_retry_after_is_capped(fake: FakeMal) -> None:
    async with make_client(fake, retry_after_max=0.2) as client:
        fake.rate_limit(times=1, retry_after="3600")
        started = time.monotonic()
        await client.get_anime(1)
        assert time.monotonic() - started < 1.5


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("7", now=now) == 7
    assert parse_retry_after("1.5", now=now) == 1.5
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == pytest.approx(30)
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


async def test_retry_after_http_date_is_honoured(fake: FakeMal) -> None:
    from email.utils import formatdate

    async with make_client(fake, retry_after_max=5) as client:
        fake.rate_limit(times=1, retry_after=formatdate(time.time() + 1.2, usegmt=True))
        await client.get_anime(1)
    first, second = fake.requests
    assert second.at - first.at >= 0.15  # HTTP dates have 1 s resolution


# --- politeness -----------------------------------------------------------------------------


async def test_limiter_spaces_request_starts() -> None:
    limiter = RateLimiter(requests_per_second=20, max_concurrency=8)
    starts: list[float] = []

    async def one() -> None:
        async with limiter.slot():
            starts.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(10)))
    # The limiter books start slots 0.05 s apart; a task woken late by a busy loop may start
    # closer to the next one, but never before its slot: the i-th start is >= i · 0.05 s in.
    for i, start in enumerate(starts):
        assert start - starts[0] >= i * 0.05 - 0.002, i
    assert starts[-1] - starts[0] < 1.0


async def test_client_requests_are_spaced_by_the_limit(fake: FakeMal) -> None:
    async with make_client(fake, requests_per_second=10, max_concurrency=4) as client:
        await asyncio.gather(*(client.get_anime(1) for _ in range(6)))
    starts = sorted(r.at for r in fake.requests)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.085
    assert starts[-1] - starts[0] >= 0.45


async def test_concurrency_cap(fake: FakeMal) -> None:
    fake.latency = 0.15
    async with make_client(fake, requests_per_second=0, max_concurrency=2) as client:
        started = time.monotonic()
        await asyncio.gather(*(client.get_anime(1) for _ in range(6)))
        elapsed = time.monotonic() - started
    assert elapsed >= 0.44  # 6 requests, 2 at a time, 0.15 s each
    starts = sorted(r.at for r in fake.requests)
    assert starts[2] - starts[0] >= 0.14  # the third waited for a free slot


async def test_limiter_off_does_not_wait(fake: FakeMal) -> None:
    async with make_client(fake, requests_per_second=0, max_concurrency=8) as client:
        started = time.monotonic()
        await asyncio.gather(*(client.get_anime(1) for _ in range(40)))
        assert time.monotonic() - started < 2.0
    assert len(fake.requests) == 40


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
