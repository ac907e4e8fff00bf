"""The bot's logic, free of discord: accounts, syncing lists from MAL, the catalog, the
recommender facade, per-server settings and list imports. Cogs call these and render results."""

from bot.services.accounts import AccountService, AccountView, ListStats
from bot.services.catalog import AnimeInfo, CatalogService
from bot.services.errors import ServiceError
from bot.services.guilds import GuildConfig, GuildSettingsService
from bot.services.pool import RecommenderPool
from bot.services.recommendations import RecommendationService
from bot.services.sync import SyncService

__all__ = [
    "AccountService",
    "AccountView",
    "AnimeInfo",
    "CatalogService",
    "GuildConfig",
    "GuildSettingsService",
    "ListStats",
    "RecommendationService",
    "RecommenderPool",
    "ServiceError",
    "SyncService",
]
