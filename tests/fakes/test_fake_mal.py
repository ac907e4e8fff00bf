"""The fake MAL API itself: MAL's shapes, paging, parameters, Kaggle backing, process mode."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from fakes.mal import FakeMal

ROOT = Path(__file__).resolve().parents[2]
HEADERS = {"X-MAL-CLIENT-ID": "fake-test-id"}


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers=HEADERS) as client:
        yield client


async def get(session: aiohttp.ClientSession, url: str, **params: Any) -> tuple[int, Any]:
    async with session.get(url, params=params) as response:
        return response.status, await response.json(content_type=None)


async def test_default_page_is_100_with_absolute_next_and_previous(
    session: aiohttp.ClientSession,
) -> None:
    async with FakeMal.running({"alice": [(i, 5) for i in range(1, 251)]}) as fake:
        status, body = await get(session, f"{fake.base_url}/users/alice/animelist")
        assert status == 200
        assert len(body["data"]) == 100
        assert "list_status" not in body["data"][0]  # only with fields=list_status
        assert set(body["data"][0]["node"]) == {"id", "title", "main_picture"}
        assert "previous" not in body["paging"]
        next_url = body["paging"]["next"]
        assert next_url.startswith(fake.base_url + "/users/alice/animelist?")
        status, body = await get(session, next_url)
        assert [item["node"]["id"] for item in body["data"]] == list(range(101, 201))
        assert "offset=0" in body["paging"]["previous"]
        status, body = await get(session, body["paging"]["next"], fields="list_status")
        assert len(body["data"]) == 50 and "next" not in body["paging"]
        assert body["data"][0]["list_status"]["status"] == "completed"


async def test_limit_over_1000_is_rejected_like_mal(session: aiohttp.ClientSession) -> None:
    async with FakeMal.running({"alice": [(1, 5)]}) as fake:
        status, body = await get(session, f"{fake.base_url}/users/alice/animelist", limit=1001)
        assert status == 400
        assert body == {"message": "", "error": "invalid_parameters"}


async def test_sort_and_nsfw(session: aiohttp.ClientSession) -> None:
    entries = [
        {"anime_id": 1, "score": 3, "updated_at": "2020-01-01T00:00:00+00:00"},
        {"anime_id": 2, "score": 9, "updated_at": "2024-01-01T00:00:00+00:00"},
        {"anime_id": 3, "score": 5, "updated_at": "2022-01-01T00:00:00+00:00"},
    ]
    anime = {1: {"title": "A"}, 2: {"title": "B", "nsfw": "black"}, 3: {"title": "C"}}
    async with FakeMal.running({"alice": entries}, anime) as fake:
        url = f"{fake.base_url}/users/alice/animelist"
        _, body = await get(session, url)
        assert [d["node"]["id"] for d in body["data"]] == [1, 3]
        _, body = await get(session, url, nsfw="true", sort="list_updated_at")
        assert [d["node"]["id"] for d in body["data"]] == [2, 3, 1]
        _, body = await get(session, url, nsfw="true", sort="list_score", fields="list_status")
        assert [d["list_status"]["score"] for d in body["data"]] == [9, 5, 3]


async def test_errors_have_mal_bodies_and_requests_are_logged(
    session: aiohttp.ClientSession,
) -> None:
    async with FakeMal.running({"alice": []}, private=["alice"]) as fake:
        assert await get(session, f"{fake.base_url}/users/alice/animelist") == (
            403,
            {"message": "", "error": "forbidden"},
        )
        assert (await get(session, f"{fake.base_url}/users/bob/animelist"))[0] == 404
        assert (await get(session, f"{fake.base_url}/users/b@d/animelist"))[0] == 400
        assert (await get(session, f"{fake.base_url}/anime/5"))[0] == 404
        fake.rate_limit(retry_after="12")
        async with session.get(f"{fake.base_url}/anime/5") as response:
            assert response.status == 429
            assert response.headers["Retry-After"] == "12"
        assert [r.path for r in fake.requests][:2] == [
            "/v2/users/alice/animelist",
            "/v2/users/bob/animelist",
        ]
        assert all(r.client_id == "fake-test-id" for r in fake.requests)


def write_kaggle(tmp_path: Path) -> tuple[Path, Path]:
    ratings = tmp_path / "rating.csv"
    ratings.write_text("user_id,anime_id,rating\n1,20,8\n1,30,-1\n2,20,10\n7,40,6\n")
    anime = tmp_path / "anime.csv"
    anime.write_text(
        "anime_id,name,genre,type,episodes,rating,members\n"
        '20,Naruto,"Action, Comedy",TV,220,7.81,683297\n'
        "30,Neon Genesis Evangelion,Mecha,TV,26,8.32,461946\n"
        "40,Some Title,Hentai,OVA,Unknown,6.1,1000\n"
    )
    return ratings, anime


async def test_kaggle_backing(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    ratings, anime_csv = write_kaggle(tmp_path)
    fake = FakeMal.from_kaggle(ratings, anime_csv)
    assert fake.usernames == ["user1", "user2", "user7"]
    await fake.start()
    try:
        url = f"{fake.base_url}/users/user1/animelist"
        _, body = await get(session, url, fields="list_status", nsfw="true")
        assert [(d["node"]["title"], d["list_status"]["score"]) for d in body["data"]] == [
            ("Naruto", 8),
            ("Neon Genesis Evangelion", 0),
        ]
        assert body["data"][0]["list_status"]["num_episodes_watched"] == 220
        _, body = await get(session, f"{fake.base_url}/users/user7/animelist")
        assert body["data"] == []  # nsfw title hidden without nsfw=true
        _, detail = await get(session, f"{fake.base_url}/anime/40", fields="media_type,genres,nsfw")
        assert detail["media_type"] == "ova"
        assert detail["nsfw"] == "black"
        assert detail["genres"] == [{"id": 1, "name": "Hentai"}]
    finally:
        await fake.stop()


async def test_startable_as_a_process(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    ratings, anime_csv = write_kaggle(tmp_path)
    names = tmp_path / "names.txt"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fakes.mal",
        "--ratings",
        str(ratings),
        "--anime",
        str(anime_csv),
        "--port",
        "0",
        "--private",
        "user2",
        "--write-usernames",
        str(names),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
        base_url = line.decode().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v2")
        assert names.read_text().split() == ["user1", "user2", "user7"]
        status, body = await get(session, f"{base_url}/users/user1/animelist")
        assert status == 200 and len(body["data"]) == 2
        assert (await get(session, f"{base_url}/users/user2/animelist"))[0] == 403
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0
