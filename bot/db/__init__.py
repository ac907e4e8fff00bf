"""Storage: SQLAlchemy models, the async engine and sessions (no discord imports)."""

from bot.db.engine import create_engine, session_factory
from bot.db.models import (
    Anime,
    Base,
    BotState,
    GuildSettings,
    LinkedAccount,
    ListEntry,
    MemberFeedback,
    UnmappedEntry,
)

__all__ = [
    "Anime",
    "Base",
    "BotState",
    "GuildSettings",
    "LinkedAccount",
    "ListEntry",
    "MemberFeedback",
    "UnmappedEntry",
    "create_engine",
    "session_factory",
]
