"""What members say of recommended titles: "Not interested", "Already seen", "Seen it, liked it".

Stored per member (``member_feedback``), one kind per title (the latest wins). Every marked
title is kept out of that member's later recommendations (``/recommend``, ``/together``). The two
"seen" kinds also count as watched in the member's profile, the model's input: "Already seen"
as a completed, unscored entry (the model gives it the member's mean, DESIGN.md "Hybrid
normalization"), "Seen it, liked it" as completed and scored :data:`LIKED_SCORE`, until the
member's own list has the title: the list's entry then wins (:func:`merge_profile`). Deleted
with the link (``/unlink``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, Select, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.db.engine import write_session
from bot.db.models import LinkedAccount, MemberFeedback
from bot.services.errors import NotLinked, ServiceError
from model.profile import ProfileEntry

NOT_INTERESTED: Final = "not_interested"
SEEN: Final = "seen"
LIKED: Final = "liked"
KINDS: Final[dict[str, str]] = {
    NOT_INTERESTED: "Not interested",
    SEEN: "Already seen",
    LIKED: "Seen it, liked it",
}
"""Each kind and the words members see."""
LIKED_SCORE: Final = 8
"""The score "Seen it, liked it" stands for (MAL's "Very Good")."""
MAX_FEEDBACK = 2000
"""Marks kept per member; a member at the limit must undo some first (bounds the profile)."""


class UnknownFeedback(ServiceError):
    user_message = "I do not know that kind of feedback."


class TooMuchFeedback(ServiceError):
    user_message = f"You have marked {MAX_FEEDBACK} titles already: undo some in `/profile` first."


@dataclass(frozen=True, slots=True)
class Feedback:
    anime_id: int
    kind: str
    created_at: datetime

    @property
    def label(self) -> str:
        return KINDS.get(self.kind, self.kind)


def merge_profile(
    entries: Sequence[ProfileEntry], feedback: Iterable[Feedback]
) -> list[ProfileEntry]:
    """The member's list plus the titles they marked seen (completed; "liked" scored
    :data:`LIKED_SCORE`) that the list does not have: a list entry always wins."""
    listed = {e.anime_id for e in entries}
    extra = [
        ProfileEntry(f.anime_id, LIKED_SCORE if f.kind == LIKED else 0, "completed")
        for f in feedback
        if f.kind in (SEEN, LIKED) and f.anime_id not in listed
    ]
    return [*entries, *extra]


def _marks_where(condition: ColumnElement[bool]) -> Select[int, int, str, datetime]:
    """The marks ``condition`` picks as plain columns (member, title, kind, when), newest
    first."""
    return (
        select(
            MemberFeedback.discord_user_id,
            MemberFeedback.anime_id,
            MemberFeedback.kind,
            MemberFeedback.created_at,
        )
        .where(condition)
        .order_by(MemberFeedback.created_at.desc(), MemberFeedback.anime_id)
    )


def _marks_of(ids: Sequence[int]) -> Select[int, int, str, datetime]:
    """The marks of the members ``ids``."""
    return _marks_where(MemberFeedback.discord_user_id.in_(ids))


# Built once (it keeps its cache key): every /recommend reads the caller's marks.
_MARKS_OF_ONE = _marks_where(MemberFeedback.discord_user_id == bindparam("member"))


class FeedbackService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        # Called with the member once changed marks are committed (their profile changed: the
        # answer cache warms their answer again, bot.services.listchanges).
        self.on_change: Callable[[int], None] = lambda _member: None

    async def of(self, discord_user_id: int) -> list[Feedback]:
        """The member's marks, newest first."""
        found = await self.of_members([discord_user_id])
        return found.get(discord_user_id, [])

    async def of_members(self, discord_user_ids: Iterable[int]) -> dict[int, list[Feedback]]:
        """Marks per member (newest first), in one query; members without any are absent."""
        ids = list(dict.fromkeys(discord_user_ids))
        if not ids:
            return {}
        async with self._sessions() as session:
            rows = await session.execute(_marks_of(ids))
        out: dict[int, list[Feedback]] = {}
        for member, anime_id, kind, created_at in rows:
            out.setdefault(member, []).append(Feedback(anime_id, kind, created_at))
        return out

    async def of_member(
        self, reader: AsyncSession | AsyncConnection, discord_user_id: int
    ) -> list[Feedback]:
        """:meth:`of`, read in the caller's session or on its connection."""
        rows = await reader.execute(_MARKS_OF_ONE, {"member": discord_user_id})
        return [Feedback(anime_id, kind, created_at) for _, anime_id, kind, created_at in rows]

    async def mark(self, discord_user_id: int, anime_ids: Iterable[int], kind: str) -> int:
        """Mark titles with ``kind`` (replacing an earlier mark); returns how many were new
        or changed. The member must be linked."""
        if kind not in KINDS:
            raise UnknownFeedback()
        wanted = list(dict.fromkeys(int(a) for a in anime_ids))
        async with write_session(self._sessions) as session:
            if await session.get(LinkedAccount, discord_user_id) is None:
                raise NotLinked()
            rows = {
                row.anime_id: row
                for row in await session.scalars(
                    select(MemberFeedback).where(MemberFeedback.discord_user_id == discord_user_id)
                )
            }
            new = [a for a in wanted if a not in rows]
            if len(rows) + len(new) > MAX_FEEDBACK:
                raise TooMuchFeedback()
            changed = 0
            for anime_id in wanted:
                row = rows.get(anime_id)
                if row is None:
                    session.add(
                        MemberFeedback(
                            discord_user_id=discord_user_id, anime_id=anime_id, kind=kind
                        )
                    )
                    changed += 1
                elif row.kind != kind:
                    row.kind = kind
                    changed += 1
        if changed:
            self.on_change(discord_user_id)
        return changed

    async def undo(self, discord_user_id: int, anime_ids: Iterable[int]) -> int:
        """Forget the marks on these titles; returns how many there were."""
        ids = [int(a) for a in anime_ids]
        if not ids:
            return 0
        async with write_session(self._sessions) as session:
            result = await session.execute(
                delete(MemberFeedback).where(
                    MemberFeedback.discord_user_id == discord_user_id,
                    MemberFeedback.anime_id.in_(ids),
                )
            )
            # DML returns a CursorResult at run time; SQLAlchemy's stubs type execute() as Result.
            undone = int(result.rowcount)  # type: ignore[attr-defined]
        if undone:
            self.on_change(discord_user_id)
        return undone
