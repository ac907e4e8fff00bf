"""What the AniList and Kitsu clients share: typed errors, the MAL-shaped entry and list, the
score scaling, and the rate-limited, retried request loop. Imports no discord."""

from common.sites.entries import SiteEntry, SiteList, scale_score
from common.sites.errors import (
    SiteError,
    SiteInvalidResponse,
    SiteInvalidUsername,
    SiteListPrivate,
    SiteRateLimited,
    SiteUnavailable,
    SiteUserNotFound,
)
from common.sites.http import Answer, SiteHttp, SiteLimiter

__all__ = [
    "Answer",
    "SiteEntry",
    "SiteError",
    "SiteHttp",
    "SiteInvalidResponse",
    "SiteInvalidUsername",
    "SiteLimiter",
    "SiteList",
    "SiteListPrivate",
    "SiteRateLimited",
    "SiteUnavailable",
    "SiteUserNotFound",
    "scale_score",
]
