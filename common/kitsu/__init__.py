"""Kitsu's public JSON:API: a member's anime library in MAL's terms (imports no discord)."""

from common.kitsu.client import KitsuClient, validate_name
from common.kitsu.models import MAL_SITE, STATUSES, read_page

__all__ = ["MAL_SITE", "STATUSES", "KitsuClient", "read_page", "validate_name"]
