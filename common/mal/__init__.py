"""MyAnimeList API v2: the async client, its rate limiter, typed errors and payload models.

Imports no discord: ``training`` (the collector) uses it too.
"""

from common.mal.client import MalClient, validate_username
from common.mal.errors import (
    AnimeNotFound,
    InvalidResponse,
    InvalidUsername,
    ListPrivate,
    MalAuthError,
    MalError,
    MalThrottled,
    MalUnavailable,
    RateLimited,
    UserNotFound,
)
from common.mal.models import (
    AlternativeTitles,
    AnimePage,
    MalAnime,
    MalListEntry,
    RelatedAnime,
    StartSeason,
)
from common.mal.ratelimit import RateLimiter, SharedBudget

__all__ = [
    "AlternativeTitles",
    "AnimeNotFound",
    "AnimePage",
    "InvalidResponse",
    "InvalidUsername",
    "ListPrivate",
    "MalAnime",
    "MalAuthError",
    "MalClient",
    "MalError",
    "MalListEntry",
    "MalThrottled",
    "MalUnavailable",
    "RateLimited",
    "RateLimiter",
    "RelatedAnime",
    "SharedBudget",
    "StartSeason",
    "UserNotFound",
    "validate_username",
]
