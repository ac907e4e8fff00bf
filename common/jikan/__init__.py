"""An async client for the parts of the Jikan v4 API (https://docs.api.jikan.moe/) that find
public MyAnimeList usernames: user search, recent list updaters of an anime, random users, and
the most popular anime (whose updaters are many and current)."""

from common.jikan.client import JikanClient, Page
from common.jikan.errors import (
    JikanError,
    JikanInvalidResponse,
    JikanNotFound,
    JikanRateLimited,
    JikanUnavailable,
)
from common.jikan.ratelimit import SlidingWindowLimiter

__all__ = [
    "JikanClient",
    "JikanError",
    "JikanInvalidResponse",
    "JikanNotFound",
    "JikanRateLimited",
    "JikanUnavailable",
    "Page",
    "SlidingWindowLimiter",
]
