"""Everything the cogs need, built once at start-up (``bot.app``) and passed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.services.accounts import AccountService
from bot.services.catalog import CatalogService
from bot.services.cooldowns import SharedCooldowns
from bot.services.guilds import GuildSettingsService
from bot.services.modelrefresh import ModelRefresher
from bot.services.modelwatch import ModelWatcher
from bot.services.pool import RecommenderPool
from bot.services.recommendations import RecommendationService
from bot.services.sync import SyncService
from common.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from common.mal import MalClient

DEFAULT_COOLDOWNS: dict[str, tuple[int, float]] = {
    "link": (2, 60.0),
    "import": (2, 60.0),
    "recommend": (4, 30.0),
    "why": (6, 30.0),
    "similar": (6, 30.0),
    "profile": (6, 30.0),
    "together": (4, 30.0),
    "refresh": (1, 120.0),
}
"""Per-member (uses, seconds) of the expensive commands."""


@dataclass
class Services:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    accounts: AccountService
    sync: SyncService
    catalog: CatalogService
    guilds: GuildSettingsService
    pool: RecommenderPool
    recommendations: RecommendationService
    mal: MalClient | None
    cooldowns: dict[str, tuple[int, float]] = field(default_factory=lambda: dict(DEFAULT_COOLDOWNS))
    model_watcher: ModelWatcher | None = None
    model_refresher: ModelRefresher | None = None
    shared_cooldowns: SharedCooldowns | None = None  # set when the database is shared
