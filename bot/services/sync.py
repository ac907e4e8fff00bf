"""Fetching members' lists from MAL and storing them: link, re-sync, import, background refresh.

A successful sync replaces the stored entries in one transaction; a failed one only records the
error on the account, so stored entries are never lost to a MAL outage. MAL's cheap list
fingerprint lets unchanged lists skip the full fetch (but a full fetch still happens every
``full_sync_max_age``, since removing an entry does not change the fingerprint).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import write_session
from bot.db.models import LinkedAccount, ListEntry
from bot.services.accounts import AccountView, ListStats, list_stats
from bot.services.catalog import CatalogService
from bot.services.errors import NotLinked, SyncFailed

if TYPE_CHECKING:
    from common.mal import MalClient, MalListEntry
    from model.listformats import ParsedList

log = logging.getLogger(__name__)
ERROR_LENGTH = 500
LINK_CHANGED = "Your link changed while your list was syncing; nothing was overwritten."


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One list entry as it is stored (from MAL or from an imported file)."""

    anime_id: int
    status: str
    score: int
    episodes: int = 0
    rewatching: bool = False
    updated_at: datetime | None = None
    title: str | None = None

    @classmethod
    def from_mal(cls, entry: MalListEntry) -> StoredEntry:
        return cls(
            anime_id=entry.anime_id,
            status=entry.status[:16] or "completed",
            score=min(max(entry.score, 0), 10),
            episodes=max(entry.num_episodes_watched, 0),
            rewatching=entry.is_rewatching,
            updated_at=entry.updated_at.astimezone(UTC) if entry.updated_at else None,
            title=entry.title,
        )


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    account: AccountView
    stats: ListStats
    changed: bool  # False: the fingerprint showed the list unchanged, nothing was fetched


@dataclass
class RefreshReport:
    """What one background refresh round did."""

    checked: int = 0
    synced: int = 0
    skipped: int = 0
    errors: dict[int, str] = field(default_factory=dict)
    stopped_early: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


class SyncService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        mal: MalClient | None,
        catalog: CatalogService,
        *,
        full_sync_max_age: timedelta = timedelta(days=3),
    ) -> None:
        self._sessions = sessions
        self._mal = mal
        self._catalog = catalog
        self.full_sync_max_age = full_sync_max_age

    @property
    def mal(self) -> MalClient:
        if self._mal is None:
            raise SyncFailed("The bot is not connected to MyAnimeList.")
        return self._mal

    # --- storing ------------------------------------------------------------------------------

    async def _store(
        self,
        discord_user_id: int,
        username: str,
        entries: Iterable[StoredEntry],
        *,
        source: str,
        fingerprint: str | None,
        new_link: bool,
    ) -> SyncOutcome:
        by_id = {e.anime_id: e for e in entries}  # a repeated id: the later entry wins
        now = _now()
        async with write_session(self._sessions) as session:
            account = await session.get(LinkedAccount, discord_user_id)
            if not new_link and (
                account is None or (account.mal_username, account.source) != (username, source)
            ):
                # Unlinked, re-linked or imported while this re-sync waited on MAL: storing its
                # list now would bring deleted data back or overwrite the newer link.
                raise NotLinked() if account is None else SyncFailed(LINK_CHANGED)
            if account is None:
                account = LinkedAccount(discord_user_id=discord_user_id, linked_at=now)
                session.add(account)
            elif new_link:
                account.linked_at = now
            account.mal_username = username
            account.source = source
            account.last_sync_at = now
            account.last_checked_at = now
            account.list_fingerprint = fingerprint
            account.last_error = None
            account.last_error_at = None
            await session.flush()
            await session.execute(
                delete(ListEntry).where(ListEntry.discord_user_id == discord_user_id)
            )
            rows = [
                ListEntry(
                    discord_user_id=discord_user_id,
                    anime_id=e.anime_id,
                    status=e.status,
                    score=e.score,
                    episodes=e.episodes,
                    rewatching=e.rewatching,
                    updated_at=e.updated_at,
                )
                for e in by_id.values()
            ]
            session.add_all(rows)
            await session.flush()
            view = AccountView.from_row(account)
        await self._catalog.add_titles({e.anime_id: e.title for e in by_id.values()})
        return SyncOutcome(view, list_stats(rows), changed=True)

    async def _record_error(self, discord_user_id: int, message: str) -> None:
        async with write_session(self._sessions) as session:
            account = await session.get(LinkedAccount, discord_user_id)
            if account is not None:
                account.last_error = message[:ERROR_LENGTH]
                account.last_error_at = account.last_checked_at = _now()

    async def _mark_checked(self, discord_user_id: int) -> SyncOutcome:
        async with write_session(self._sessions) as session:
            account = await session.get(LinkedAccount, discord_user_id)
            if account is None:  # unlinked while the fingerprint was fetched
                raise NotLinked()
            account.last_checked_at = _now()
            account.last_error = account.last_error_at = None
            await session.flush()
            view = AccountView.from_row(account)
            rows = (
                await session.scalars(
                    select(ListEntry).where(ListEntry.discord_user_id == discord_user_id)
                )
            ).all()
        return SyncOutcome(view, list_stats(list(rows)), changed=False)

    # --- operations ---------------------------------------------------------------------------

    async def link(self, discord_user_id: int, username: str) -> SyncOutcome:
        """Validate ``username``, fetch its list and store it as this member's link.

        On any MAL error nothing is written and :class:`SyncFailed` carries the reason.
        """
        from common.mal import ListPrivate, MalError, validate_username

        try:
            name = validate_username(username)
            fingerprint = await self.mal.list_fingerprint(name)
            entries = await self.mal.get_animelist(name)
        except ListPrivate as exc:
            hint = " Or upload your list export with `/import`."
            raise SyncFailed(exc.user_message + hint, str(exc)) from exc
        except MalError as exc:
            raise SyncFailed(exc.user_message, str(exc)) from exc
        return await self._store(
            discord_user_id,
            name,
            map(StoredEntry.from_mal, entries),
            source="mal",
            fingerprint=fingerprint,
            new_link=True,
        )

    async def import_list(
        self, discord_user_id: int, parsed: ParsedList, username: str | None = None
    ) -> SyncOutcome:
        """Store an uploaded list (MAL export) as this member's link; not refreshed from MAL."""
        entries = (
            StoredEntry(
                anime_id=e.anime_id,
                status=e.status or "completed",
                score=e.score,
                title=parsed.titles.get(e.anime_id),
            )
            for e in parsed.entries
        )
        name = (username or parsed.username or "imported list")[:64]
        return await self._store(
            discord_user_id, name, entries, source="import", fingerprint=None, new_link=True
        )

    async def sync(self, discord_user_id: int, *, force: bool = False) -> SyncOutcome:
        """Re-fetch a linked member's list (skipped when the fingerprint is unchanged and the
        last full sync is recent, unless ``force``). Errors are recorded and raised."""
        from common.mal import MalError

        async with self._sessions() as session:
            account = await session.get(LinkedAccount, discord_user_id)
            if account is None:
                raise NotLinked()
            username, source = account.mal_username, account.source
            stored_fingerprint, last_sync = account.list_fingerprint, account.last_sync_at
        if source != "mal":
            raise SyncFailed(
                "Your list was imported from a file: upload a fresh export with `/import`, "
                "or `/link` your username if your list is public."
            )
        try:
            fingerprint = await self.mal.list_fingerprint(username)
            recent = last_sync is not None and _now() - last_sync < self.full_sync_max_age
            if not force and recent and fingerprint == stored_fingerprint:
                return await self._mark_checked(discord_user_id)
            entries = await self.mal.get_animelist(username)
        except MalError as exc:
            await self._record_error(discord_user_id, exc.user_message)
            raise SyncFailed(exc.user_message, str(exc)) from exc
        return await self._store(
            discord_user_id,
            username,
            map(StoredEntry.from_mal, entries),
            source="mal",
            fingerprint=fingerprint,
            new_link=False,
        )

    async def due_accounts(self, min_age: timedelta, limit: int | None = None) -> list[int]:
        """MAL-linked accounts not checked for ``min_age``, stalest (never checked) first."""
        cutoff = _now() - min_age
        stamp = LinkedAccount.last_checked_at
        query = (
            select(LinkedAccount.discord_user_id)
            .where(LinkedAccount.source == "mal")
            .where(or_(stamp.is_(None), stamp <= cutoff))
            .order_by(stamp.is_not(None), stamp.asc(), LinkedAccount.linked_at.asc())
            .limit(limit)
        )
        async with self._sessions() as session:
            return list((await session.scalars(query)).all())

    async def refresh_due(
        self,
        min_age: timedelta,
        limit: int | None = None,
        *,
        stop: Callable[[], bool] | None = None,
    ) -> RefreshReport:
        """One background round: sync due accounts one by one, stalest first.

        Per-account problems (private, renamed) are recorded and the round goes on; when MAL
        itself is failing (throttled, rate-limited, down) the round stops early, as it does
        when ``stop()`` turns true (checked between accounts).
        """
        from common.mal import MalThrottled, MalUnavailable, RateLimited

        report = RefreshReport()
        for user_id in await self.due_accounts(min_age, limit):
            if stop is not None and stop():
                report.stopped_early = True
                break
            report.checked += 1
            try:
                outcome = await self.sync(user_id)
            except NotLinked:  # unlinked while the round ran
                continue
            except SyncFailed as exc:
                report.errors[user_id] = exc.user_message
                if isinstance(exc.__cause__, MalThrottled | MalUnavailable | RateLimited):
                    report.stopped_early = True
                    break
                continue
            except Exception:
                # Recorded (which also moves the account back in the queue) so that one list
                # the bot cannot store does not end every round at the same, stalest account.
                log.exception("background sync of account %s failed", user_id)
                report.errors[user_id] = SyncFailed.user_message
                await self._record_error(user_id, SyncFailed.user_message)
                continue
            if outcome.changed:
                report.synced += 1
            else:
                report.skipped += 1
        return report
