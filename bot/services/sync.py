"""Fetching members' lists (MyAnimeList, AniList, Kitsu) and storing them: link, re-sync,
import, background refresh.

A successful sync replaces the stored entries in one transaction; a failed one only records the
error on the account, so stored entries are never lost to a site's outage. Each site's cheap
list fingerprint lets unchanged lists skip the full fetch (but a full fetch still happens every
``full_sync_max_age``: removing an entry does not change MAL's fingerprint). AniList and Kitsu
entries without a MAL id are stored in ``unmapped_entries`` (see :mod:`bot.services.listsites`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import write_session
from bot.db.errors import log_storage_problem, storage_problem
from bot.db.models import LinkedAccount, ListEntry, UnmappedEntry
from bot.services.accounts import AccountView, ListStats, list_stats
from bot.services.catalog import CatalogService
from bot.services.errors import NotLinked, SyncFailed
from bot.services.leases import AccountLeases
from bot.services.listchanges import ListChanges
from bot.services.listsites import (
    FETCHED_SITES,
    SITE_NAMES,
    Fetched,
    ListSites,
    SiteClient,
    SiteFailed,
    StoredEntry,
)

if TYPE_CHECKING:
    from common.mal import MalClient
    from common.sites import SiteEntry
    from model.listformats import ParsedList

log = logging.getLogger(__name__)
ERROR_LENGTH = 500
LINK_CHANGED = "Your link changed while your list was syncing; nothing was overwritten."


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    account: AccountView
    stats: ListStats
    changed: bool  # False: the fingerprint showed the list unchanged, nothing was fetched
    unknown: int = 0  # AniList/Kitsu entries without a MAL id (stored apart, not in stats)


@dataclass
class RefreshReport:
    """What one background refresh round did."""

    checked: int = 0
    synced: int = 0
    skipped: int = 0
    errors: dict[int, str] = field(default_factory=dict)
    stopped_early: bool = False
    failing_sites: list[str] = field(default_factory=list)  # sites the round stopped asking


def _now() -> datetime:
    return datetime.now(UTC)


class SyncService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        mal: MalClient | None,
        catalog: CatalogService,
        *,
        anilist: SiteClient | None = None,
        kitsu: SiteClient | None = None,
        full_sync_max_age: timedelta = timedelta(days=3),
        leases: AccountLeases | None = None,
        changes: ListChanges | None = None,
    ) -> None:
        self._sessions = sessions
        self.leases = leases or AccountLeases(sessions)
        self.changes = changes or ListChanges()  # every stored list is announced
        self.sites = ListSites(mal, anilist, kitsu)
        self._catalog = catalog
        self.full_sync_max_age = full_sync_max_age

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
        site_user_id: str | None = None,
        unmapped: Iterable[SiteEntry] = (),
    ) -> SyncOutcome:
        by_id = {e.anime_id: e for e in entries}  # a repeated id: the later entry wins
        unknown = {e.site_anime_id: e for e in unmapped}
        now = _now()
        async with write_session(self._sessions) as session:
            account = await session.get(LinkedAccount, discord_user_id)
            if not new_link and (
                account is None or not _same_link(account, username, source, site_user_id)
            ):
                # Unlinked, re-linked or imported while this re-sync waited on MAL: storing its
                # list now would bring deleted data back or overwrite the newer link.
                raise NotLinked() if account is None else SyncFailed(LINK_CHANGED)
            if account is None:
                account = LinkedAccount(discord_user_id=discord_user_id, linked_at=now)
                session.add(account)
            elif new_link:
                account.linked_at = now
            account.mal_username = username[:64]
            account.source = source
            account.site_user_id = site_user_id
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
            await session.execute(
                delete(UnmappedEntry).where(UnmappedEntry.discord_user_id == discord_user_id)
            )
            session.add_all(
                UnmappedEntry(
                    discord_user_id=discord_user_id,
                    site=source,
                    site_anime_id=e.site_anime_id,
                    status=e.status,
                    score=e.score,
                    episodes=e.episodes,
                    updated_at=e.updated_at,
                    title=e.title[:256] if e.title else None,
                )
                for e in unknown.values()
            )
            await session.flush()
            view = AccountView.from_row(account)
            announced = await self.changes.announce(session, discord_user_id)
        if not announced:
            self.changes.committed(discord_user_id)
        await self._catalog.add_titles({e.anime_id: e.title for e in by_id.values()})
        return SyncOutcome(view, list_stats(rows), changed=True, unknown=len(unknown))

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
            unknown = await self._unknown_count(session, discord_user_id)
        return SyncOutcome(view, list_stats(list(rows)), changed=False, unknown=unknown)

    @staticmethod
    async def _unknown_count(session: AsyncSession, discord_user_id: int) -> int:
        query = select(UnmappedEntry.site_anime_id).where(
            UnmappedEntry.discord_user_id == discord_user_id
        )
        return len((await session.scalars(query)).all())

    async def _store_fetched(
        self, discord_user_id: int, got: Fetched, *, new_link: bool
    ) -> SyncOutcome:
        return await self._store(
            discord_user_id,
            got.username,
            got.entries,
            source=got.source,
            fingerprint=got.fingerprint,
            new_link=new_link,
            site_user_id=got.user_id,
            unmapped=got.unmapped,
        )

    # --- operations ---------------------------------------------------------------------------

    async def link(self, discord_user_id: int, username: str, site: str = "mal") -> SyncOutcome:
        """Fetch ``username``'s list on ``site`` (mal, anilist, kitsu) and store it as this
        member's link, replacing any other. On any error nothing is written and
        :class:`SyncFailed` carries the reason."""
        if site not in FETCHED_SITES:
            raise SyncFailed(f"`{site[:20]}` is not a list site: use mal, anilist or kitsu.")
        got = await self.sites.fetch(site, username, link=True)
        return await self._store_fetched(discord_user_id, got, new_link=True)

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
        """Re-fetch a linked member's list from its site (skipped when the fingerprint is
        unchanged and the last full sync is recent, unless ``force``). Errors are recorded on
        the account (the stored list stays) and raised."""
        async with self._sessions() as session:
            account = await session.get(LinkedAccount, discord_user_id)
            if account is None:
                raise NotLinked()
            username, source = account.mal_username, account.source
            user_id = account.site_user_id
            stored_fingerprint, last_sync = account.list_fingerprint, account.last_sync_at
        if source not in FETCHED_SITES:
            raise SyncFailed(
                "Your list was imported from a file: upload a fresh export with `/import`, "
                "or `/link` your username if your list is public."
            )
        try:
            fingerprint = await self.sites.fingerprint(source, username, user_id)
            recent = last_sync is not None and _now() - last_sync < self.full_sync_max_age
            if not force and recent and fingerprint == stored_fingerprint:
                return await self._mark_checked(discord_user_id)
            got = await self.sites.fetch(source, username, user_id, fingerprint=fingerprint)
        except SyncFailed as exc:
            await self._record_error(discord_user_id, exc.user_message)
            raise
        return await self._store_fetched(discord_user_id, got, new_link=False)

    async def due_accounts(
        self, min_age: timedelta, limit: int | None = None, *, site: str | None = None
    ) -> list[int]:
        """Fetched accounts (of ``site``, else of every site) not checked for ``min_age``,
        stalest (never checked) first."""
        cutoff = _now() - min_age
        stamp = LinkedAccount.last_checked_at
        sites = FETCHED_SITES if site is None else (site,)
        query = (
            select(LinkedAccount.discord_user_id)
            .where(LinkedAccount.source.in_(sites))
            .where(or_(stamp.is_(None), stamp <= cutoff))
            .order_by(stamp.is_not(None), stamp.asc(), LinkedAccount.linked_at.asc())
            .limit(limit)
        )
        async with self._sessions() as session:
            return list((await session.scalars(query)).all())

    async def refresh_due(
        self,
        min_age: timedelta,
        limit: int | Mapping[str, int] | None = None,
        *,
        stop: Callable[[], bool] | None = None,
    ) -> RefreshReport:
        """One background round: for each site the bot is connected to, sync its due accounts
        one by one, stalest first, at most ``limit`` (per site: a mapping) of them.

        Per-account problems (private, renamed) are recorded and the round goes on; when a
        site itself is failing (throttled, rate-limited, down) the round stops asking that
        site (``stopped_early``), as it stops everything when ``stop()`` turns true.
        """
        report = RefreshReport()
        for site in FETCHED_SITES:
            if not self.sites.available(site):
                continue
            budget = limit.get(site, 0) if isinstance(limit, Mapping) else limit
            try:
                done = budget == 0 or await self._refresh_site(site, min_age, budget, report, stop)
            except Exception as exc:
                problem = storage_problem(exc)
                if problem is None:
                    raise
                # Down, read-only or full: nothing more can be stored this round. One line.
                log_storage_problem(problem, exc)
                report.stopped_early = True
                return report
            if not done:
                report.stopped_early = True
                if stop is not None and stop():
                    return report
        return report

    async def _refresh_site(
        self,
        site: str,
        min_age: timedelta,
        budget: int | None,
        report: RefreshReport,
        stop: Callable[[], bool] | None,
    ) -> bool:
        """Sync up to ``budget`` due accounts of ``site``, leased a batch at a time (another
        process refreshing at once gets other accounts); False when the round stopped early."""
        seen: set[int] = set()
        while budget is None or len(seen) < budget:
            size = (
                self.leases.batch if budget is None else min(self.leases.batch, budget - len(seen))
            )
            batch = await self.leases.claim(min_age, size, (site,), exclude=seen)
            if not batch:
                return True
            seen.update(batch)
            try:
                for user_id in batch:
                    if stop is not None and stop():
                        return False
                    if not await self._refresh_one(site, user_id, report):
                        return False
            finally:
                await self.leases.release(batch)
        return True

    async def _refresh_one(self, site: str, user_id: int, report: RefreshReport) -> bool:
        """Sync one leased account; False when ``site`` itself is failing."""
        report.checked += 1
        try:
            outcome = await self.sync(user_id)
        except NotLinked:  # unlinked while the round ran
            return True
        except SyncFailed as exc:
            report.errors[user_id] = exc.user_message
            if isinstance(exc, SiteFailed) and exc.outage:
                log.info("refresh: %s is failing; next round", SITE_NAMES[site])
                report.failing_sites.append(site)
                return False
            return True
        except Exception as exc:
            if storage_problem(exc) is not None:
                raise  # the database, not this account: refresh_due ends the round
            # Recorded (which also moves the account back in the queue) so that one
            # list the bot cannot store does not end every round at the same account.
            log.exception("background sync of account %s failed", user_id)
            report.errors[user_id] = SyncFailed.user_message
            await self._record_error(user_id, SyncFailed.user_message)
            return True
        if outcome.changed:
            report.synced += 1
        else:
            report.skipped += 1
        return True


def _same_link(
    account: LinkedAccount, username: str, source: str, site_user_id: str | None
) -> bool:
    """Still the link a re-sync started from: same site and the same account id (AniList,
    Kitsu: a renamed account stays linked, under its new name) or else the same name."""
    if account.source != source:
        return False
    if site_user_id is not None and account.site_user_id is not None:
        return account.site_user_id == site_user_id
    return account.mal_username == username
