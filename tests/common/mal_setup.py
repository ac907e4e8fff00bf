"""What the MAL client tests share: the fake MAL's users and titles, and a client tuned for
tests (no rate limit, millisecond backoff)."""

from __future__ import annotations

from datetime import UTC, datetime

from common.mal import MalClient
from fakes.mal import FakeMal

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
