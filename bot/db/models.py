"""The bot's tables (SQLAlchemy 2.0 declarative models).

Every change here needs an Alembic revision in ``migrations/versions/`` (the tests compare the
migrated schema with these models).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, so batch migrations on SQLite can find and alter them."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LinkedAccount(Base):
    """A Discord member's link to one anime list: fetched from MyAnimeList, AniList or Kitsu, or
    imported from a MAL export file. ``mal_username`` holds the user name on the linked site."""

    __tablename__ = "linked_accounts"

    discord_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    mal_username: Mapped[str] = mapped_column(String(64))
    # The list's site: "mal", "anilist", "kitsu" (fetched and refreshed) or "import" (a file).
    source: Mapped[str] = mapped_column(String(8), default="mal")
    # The account's id on AniList or Kitsu (Kitsu's library is fetched by user id).
    site_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    share_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Last time the list was looked at (a full sync or a fingerprint check that skipped one).
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    list_fingerprint: Mapped[str | None] = mapped_column(String(128), default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The background refresh's lease (bot.services.leases): which process is syncing this list
    # and until when; an expired lease (a dead process's) is taken over.
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    entries: Mapped[list[ListEntry]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (Index(None, "last_checked_at"),)


class ListEntry(Base):
    """One entry of a linked member's stored list; replaced as a whole on each good sync."""

    __tablename__ = "list_entries"

    discord_user_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("linked_accounts.discord_user_id", ondelete="CASCADE"),
        primary_key=True,
    )
    anime_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(SmallInteger, default=0)
    episodes: Mapped[int] = mapped_column(Integer, default=0)
    rewatching: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    account: Mapped[LinkedAccount] = relationship(back_populates="entries")


class UnmappedEntry(Base):
    """An AniList or Kitsu list entry whose title has no MyAnimeList id (yet): counted as
    unknown, kept with the site's own anime id so a later sync (once the site maps it) or a
    later id mapping can move it into ``list_entries``. Replaced with the list on each sync."""

    __tablename__ = "unmapped_entries"

    discord_user_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("linked_accounts.discord_user_id", ondelete="CASCADE"),
        primary_key=True,
    )
    site: Mapped[str] = mapped_column(String(8), primary_key=True)
    site_anime_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(SmallInteger, default=0)
    episodes: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    title: Mapped[str | None] = mapped_column(String(256), default=None)


class MemberFeedback(Base):
    """What a member said of a recommended title: "not_interested", "seen" (already seen) or
    "liked" (seen it, liked it). Kept out of later recommendations; the two "seen" kinds count
    as watched in the profile until the member's own list has the title."""

    __tablename__ = "member_feedback"

    discord_user_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("linked_accounts.discord_user_id", ondelete="CASCADE"),
        primary_key=True,
    )
    anime_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Anime(Base):
    """The anime catalog: seeded from the model's corpus, filled in from MAL's anime details."""

    __tablename__ = "anime"

    anime_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(512))
    title_english: Mapped[str | None] = mapped_column(String(512), default=None)
    title_japanese: Mapped[str | None] = mapped_column(String(512), default=None)
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)
    picture_url: Mapped[str | None] = mapped_column(String(512), default=None)
    media_type: Mapped[str | None] = mapped_column(String(16), default=None)
    genres: Mapped[list[str]] = mapped_column(JSON, default=list)
    mean: Mapped[float | None] = mapped_column(Float, default=None)
    popularity: Mapped[int | None] = mapped_column(Integer, default=None)  # MAL num_list_users
    nsfw: Mapped[str | None] = mapped_column(String(8), default=None)  # MAL: white, gray, black
    num_episodes: Mapped[int | None] = mapped_column(Integer, default=None)
    start_season: Mapped[str | None] = mapped_column(String(16), default=None)
    studios: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    # MAL's related_anime as [[other id, relation_type], ...]; None = details not fetched
    related: Mapped[list[list[Any]] | None] = mapped_column(JSON, default=None)
    status: Mapped[str | None] = mapped_column(String(24), default=None)  # MAL airing status
    num_scoring_users: Mapped[int | None] = mapped_column(Integer, default=None)
    popularity_rank: Mapped[int | None] = mapped_column(Integer, default=None)
    in_corpus: Mapped[bool] = mapped_column(Boolean, default=False)
    details_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class GuildSettings(Base):
    """Per-server settings that admins change with ``/config``."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    default_count: Mapped[int] = mapped_column(SmallInteger, default=10)
    allow_nsfw: Mapped[bool] = mapped_column(Boolean, default=False)
    members_can_view_others: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BotState(Base):
    """Small key/value facts the bot keeps between runs (e.g. the synced command tree's hash)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SharedBudget(Base):
    """A request budget shared by every bot process on this database (MAL's limit is per client
    id): the next free start slot and a ``Retry-After`` pause, both in Unix seconds."""

    __tablename__ = "shared_budgets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_slot: Mapped[float] = mapped_column(Float, default=0.0)
    not_before: Mapped[float] = mapped_column(Float, default=0.0)


class MemberCooldown(Base):
    """A member's uses of one command in the current window (Unix seconds), for the cool-downs
    that must hold across bot processes (bot.services.cooldowns)."""

    __tablename__ = "member_cooldowns"

    discord_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    command: Mapped[str] = mapped_column(String(16), primary_key=True)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    window_end: Mapped[float] = mapped_column(Float, default=0.0)
