"""AniList's public GraphQL API: a member's anime list in MAL's terms (imports no discord)."""

from common.anilist.client import AniListClient, validate_name
from common.anilist.models import SCORE_SCALES, STATUSES, read_entry, read_lists, score_scale

__all__ = [
    "SCORE_SCALES",
    "STATUSES",
    "AniListClient",
    "read_entry",
    "read_lists",
    "score_scale",
    "validate_name",
]
