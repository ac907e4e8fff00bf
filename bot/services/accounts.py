"""Linked accounts: who is linked to which list, their stored entries, sharing, unlinking."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.db.engine import read_connections, write_session
from bot.db.models import LinkedAccount, ListEntry, MemberFeedback, UnmappedEntry
from bot.services.errors import NotLinked
from bot.services.feedback import Feedback, FeedbackService, merge_profile
from bot.services.listsites import SITE_NAMES, profile_url
from model.profile import STATUSES, ProfileEntry

VIEW_COLUMNS = (
    LinkedAccount.discord_user_id,
    LinkedAccount.mal_username,
    LinkedAccount.source,
    LinkedAccount.linked_at,
    LinkedAccount.share_opt_in,
    LinkedAccount.last_sync_at,
    LinkedAccount.last_checked_at,
    LinkedAccount.last_error,
    LinkedAccount.last_error_at,
    LinkedAccount.site_user_id,
)
"""What :class:`AccountView` reads of a linked account."""


@dataclass(frozen=True, slots=True)
class AccountView:
    discord_user_id: int
    mal_username: str  # the user name on the linked site
    # "mal", "anilist", "kitsu" (fetched, refreshed in the background) or "import" (a file)
    source: str
    linked_at: datetime
    share_opt_in: bool
    last_sync_at: datetime | None
    last_checked_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    site_user_id: str | None = None  # the AniList or Kitsu account id

    @classmethod
    def from_row(cls, row: Any) -> AccountView:
        """From the ORM row or a row of :data:`VIEW_COLUMNS`."""
        return cls(
            discord_user_id=row.discord_user_id,
            mal_username=row.mal_username,
            source=row.source,
            linked_at=row.linked_at,
            share_opt_in=row.share_opt_in,
            last_sync_at=row.last_sync_at,
            last_checked_at=row.last_checked_at,
            last_error=row.last_error,
            last_error_at=row.last_error_at,
            site_user_id=row.site_user_id,
        )

    @property
    def site_name(self) -> str:
        """MyAnimeList, AniList, Kitsu, or "a file"."""
        return SITE_NAMES.get(self.source, self.source)

    @property
    def profile_url(self) -> str:
        """The list's page on its site (MAL's for an imported export)."""
        source = "mal" if self.source == "import" else self.source
        return profile_url(source, self.mal_username, self.site_user_id) or ""


@dataclass(frozen=True, slots=True)
class ListStats:
    """Counts over a stored list."""

    entries: int
    scored: int
    by_status: dict[str, int]
    mean_score: float | None
    last_update: datetime | None  # the newest entry's MAL update time
    unknown: int = 0  # AniList/Kitsu entries without a MAL id (unmapped_entries), not counted above


def list_stats(rows: list[ListEntry]) -> ListStats:
    scores = [r.score for r in rows if r.score > 0]
    stamps = [r.updated_at for r in rows if r.updated_at is not None]
    by_status = Counter(r.status for r in rows)
    return ListStats(
        entries=len(rows),
        scored=len(scores),
        by_status={s: by_status[s] for s in STATUSES if by_status[s]},
        mean_score=sum(scores) / len(scores) if scores else None,
        last_update=max(stamps) if stamps else None,
    )


class StoredProfile(NamedTuple):
    """A member's profile (list merged with "seen" marks) and their marks, newest first."""

    entries: list[ProfileEntry]
    marks: list[Feedback]


def profile_entry(anime_id: int, score: int, status: str) -> ProfileEntry:
    """A stored entry as the model's input (scores clamped to 0–10, unknown statuses None)."""
    return ProfileEntry(
        anime_id=anime_id,
        score=min(max(score, 0), 10),
        status=status if status in STATUSES else None,
    )


# Built once: a statement object keeps its cache key, so a command's reads skip building and
# keying the statement again (a few % of a bot process's CPU under a burst of /recommend).
_ACCOUNT = select(*VIEW_COLUMNS).where(LinkedAccount.discord_user_id == bindparam("member"))
_LISTED = select(ListEntry.anime_id, ListEntry.score, ListEntry.status).where(
    ListEntry.discord_user_id == bindparam("member")
)


async def _account(connection: AsyncConnection, discord_user_id: int) -> AccountView | None:
    # Columns, not the ORM object: every command reads the account first, and the ORM's load
    # (identity map, instance state) was a tenth of a process's CPU in a burst.
    row = (await connection.execute(_ACCOUNT, {"member": discord_user_id})).first()
    return AccountView.from_row(row) if row else None


async def _profile(
    connection: AsyncConnection, feedback: FeedbackService, discord_user_id: int
) -> StoredProfile:
    """The stored list merged with the member's marks, and the marks. Plain columns, not ORM
    rows: an ORM object per list entry was a tenth of a bot process's CPU under a burst of
    ``/recommend`` (``make loadtest``)."""
    listed = await connection.execute(_LISTED, {"member": discord_user_id})
    entries = [profile_entry(*row) for row in listed]
    marks = await feedback.of_member(connection, discord_user_id)
    return StoredProfile(merge_profile(entries, marks), marks)


class AccountService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._reads = read_connections(sessions)
        self.feedback = FeedbackService(sessions)

    async def get(self, discord_user_id: int) -> AccountView | None:
        async with self._reads() as connection:
            return await _account(connection, discord_user_id)

    async def require(self, discord_user_id: int, *, self_: bool = True) -> AccountView:
        account = await self.get(discord_user_id)
        if account is None:
            raise NotLinked(self_=self_)
        return account

    async def _rows(self, discord_user_id: int) -> list[ListEntry]:
        async with self._sessions() as session:
            query = select(ListEntry).where(ListEntry.discord_user_id == discord_user_id)
            return list((await session.scalars(query)).all())

    async def profile(self, discord_user_id: int) -> list[ProfileEntry]:
        """The stored list as the model's input entries, plus the titles the member marked
        seen that the list lacks (:func:`bot.services.feedback.merge_profile`)."""
        entries, _ = await self.profile_and_feedback(discord_user_id)
        return entries

    async def profile_and_feedback(self, discord_user_id: int) -> StoredProfile:
        """:meth:`profile` and the member's marks (newest first), read on one connection."""
        async with self._reads() as connection:
            return await _profile(connection, self.feedback, discord_user_id)

    async def with_profile(self, discord_user_id: int) -> tuple[AccountView, StoredProfile] | None:
        """:meth:`get` and :meth:`profile_and_feedback` on one connection (what ``/recommend``
        reads of a member); ``None`` if the member is not linked."""
        async with self._reads() as connection:
            account = await _account(connection, discord_user_id)
            if account is None:
                return None
            return account, await _profile(connection, self.feedback, discord_user_id)

    async def stats(self, discord_user_id: int) -> ListStats:
        """Counts over the stored list, and how many entries have no MAL id."""
        async with self._sessions() as session:
            query = select(func.count()).where(UnmappedEntry.discord_user_id == discord_user_id)
            unknown = await session.scalar(query) or 0
        return replace(list_stats(await self._rows(discord_user_id)), unknown=unknown)

    async def set_sharing(self, discord_user_id: int, share: bool) -> AccountView:
        async with write_session(self._sessions) as session:
            row = await session.get(LinkedAccount, discord_user_id)
            if row is None:
                raise NotLinked()
            row.share_opt_in = share
            await session.flush()
            return AccountView.from_row(row)

    async def unlink(self, discord_user_id: int) -> bool:
        """Delete the link, every stored entry and feedback; ``False`` if there was none."""
        async with write_session(self._sessions) as session:
            # Entries first: do not rely on the backend enforcing ON DELETE CASCADE.
            await session.execute(
                delete(ListEntry).where(ListEntry.discord_user_id == discord_user_id)
            )
            await session.execute(
                delete(MemberFeedback).where(MemberFeedback.discord_user_id == discord_user_id)
            )
            await session.execute(
                delete(UnmappedEntry).where(UnmappedEntry.discord_user_id == discord_user_id)
            )
            result = await session.execute(
                delete(LinkedAccount).where(LinkedAccount.discord_user_id == discord_user_id)
            )
            # DML returns a CursorResult at run time; SQLAlchemy's stubs type execute() as Result.
            return bool(result.rowcount)  # type: ignore[attr-defined]
