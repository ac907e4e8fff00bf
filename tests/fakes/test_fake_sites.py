"""The fake AniList and fake Kitsu answer in their sites' shapes, status codes and headers."""

from __future__ import annotations

import aiohttp

from fakes.anilist import FakeAniList
from fakes.kitsu import FakeKitsu


async def test_fake_anilist_speaks_graphql_errors_and_rate_limits() -> None:
    async with FakeAniList.running(limit_per_minute=3) as fake, aiohttp.ClientSession() as http:
        fake.add_user("Ann", [{"media_id": 1}])
        async with http.post(fake.base_url, json={"variables": {}}) as r:
            assert r.status == 400 and r.headers["X-RateLimit-Limit"] == "3"
            body = await r.json()
            assert body["errors"][0]["status"] == 400 and "query" in body["errors"][0]["message"]
        query = {"query": "query { User { id } }", "variables": {"name": "nobody"}}
        async with http.post(fake.base_url, json=query) as r:
            body = await r.json()
            assert r.status == 404 and body["errors"][0]["message"] == "User not found"
            assert body["data"] == {"User": None} and r.headers["X-RateLimit-Remaining"] == "1"
        async with http.post(fake.base_url, json=query) as r:
            assert r.headers["X-RateLimit-Remaining"] == "0"
        async with http.post(fake.base_url, json=query) as r:
            body = await r.json()
            assert r.status == 429 and int(r.headers["Retry-After"]) > 0
            assert int(r.headers["X-RateLimit-Reset"]) > 0
            assert body == {"data": None, "errors": [body["errors"][0]]}
            assert body["errors"][0]["message"] == "Too Many Requests."


async def test_fake_kitsu_speaks_json_api() -> None:
    async with FakeKitsu.running() as fake, aiohttp.ClientSession() as http:
        fake.add_user("Bo", [{"anime_id": i} for i in range(1, 13)], slug="bo", user_id=42)
        base = fake.base_url
        async with http.get(f"{base}/users/999") as r:
            body = await r.json(content_type=None)
            assert r.status == 404 and r.content_type == "application/vnd.api+json"
            assert body["errors"][0]["status"] == "404"
        async with http.get(f"{base}/library-entries", params={"page[limit]": "501"}) as r:
            assert r.status == 400
        params = {"filter[userId]": "42", "include": "anime,anime.mappings"}
        async with http.get(f"{base}/library-entries", params=params) as r:
            page = await r.json(content_type=None)
        assert len(page["data"]) == 10 and page["meta"]["count"] == 12  # Kitsu's default limit
        assert "page%5Boffset%5D=10" in page["links"]["next"]
        kinds = {item["type"] for item in page["included"]}
        assert kinds == {"anime", "mappings"}
        async with http.get(page["links"]["next"]) as r:
            last = await r.json(content_type=None)
        assert len(last["data"]) == 2 and "next" not in last["links"]
