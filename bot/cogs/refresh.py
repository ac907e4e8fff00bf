"""Background refresh: a ``tasks.loop`` started in ``cog_load``, waiting for ready, cancelled on
unload. Each round syncs the stalest lists of each site (MAL, AniList, Kitsu; fingerprint skip,
each site's own budget of accounts and its rate limit in its client), records per-account
errors, then reads a few of MAL's season and ranking pages for titles the catalog lacks
(:mod:`bot.services.discovery`) and fills a few catalog titles' details from MAL.

Unloading first asks the running round to stop between accounts and gives it a moment, then
cancels it: cancelling in the middle of a database call can leave an aiosqlite connection
closing after the engine is gone (a shutdown that never ends).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from discord.ext import commands, tasks

from bot.context import Services
from bot.db.errors import log_storage_problem, storage_problem
from bot.services.catalogmodel import refresh_served_catalog
from bot.services.discovery import CatalogDiscovery
from common.settings import Settings

log = logging.getLogger(__name__)
MAX_TITLES_PER_ROUND = 1000
MAX_ACCOUNTS_PER_ROUND = 500
UNLOAD_GRACE_SECONDS = 5.0
DISCOVERY_PAGES = 4
CATALOG_REFRESH_SECONDS = 3600.0
"""MAL season/ranking pages read per round (one request each, up to 500 titles a page)."""
CATALOG_LEASE = 2.5
"""The catalog chore's lease in refresh intervals: its process renews it each round."""


def accounts_per_round(interval_minutes: float, requests_per_second: float) -> int:
    """As many accounts as fit in half a round at MAL's rate (each needs 1–3 requests)."""
    if requests_per_second <= 0:
        return MAX_ACCOUNTS_PER_ROUND
    budget = interval_minutes * 60 * requests_per_second / 2 / 3
    return max(1, min(MAX_ACCOUNTS_PER_ROUND, int(budget)))


def site_budgets(settings: Settings) -> dict[str, int]:
    """Accounts per round for each site, from its own request budget (each needs 1–3 requests:
    a fingerprint, and the list when it changed; Kitsu's first lookup by name is one more)."""
    minutes = settings.refresh_interval_minutes
    return {
        "mal": accounts_per_round(minutes, settings.mal_requests_per_second),
        "anilist": accounts_per_round(minutes, settings.anilist_requests_per_minute / 60),
        "kitsu": accounts_per_round(minutes, settings.kitsu_requests_per_second),
    }


def titles_per_round(interval_minutes: float, requests_per_second: float) -> int:
    """Catalog titles to fill from MAL per round: a quarter of the round's request budget."""
    if requests_per_second <= 0:
        return MAX_TITLES_PER_ROUND
    budget = interval_minutes * 60 * requests_per_second / 4
    return max(1, min(MAX_TITLES_PER_ROUND, int(budget)))


class RefreshCog(commands.Cog):
    def __init__(self, bot: commands.Bot | commands.AutoShardedBot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.discovery = CatalogDiscovery(services.catalog)
        self.catalog_served_at = time.monotonic()  # the model was loaded with the catalog
        self.rounds = 0
        self.last_report: object | None = None
        self.stopping = False
        self.in_round = False

    async def cog_load(self) -> None:
        self.refresh.change_interval(minutes=self.services.settings.refresh_interval_minutes)
        self.refresh.start()

    async def cog_unload(self) -> None:
        self.stopping = True
        task = self.refresh.get_task()
        if task is None or task.done():
            return
        if self.in_round:  # let it finish its current account (bounded), then stop
            self.refresh.stop()
            done, _ = await asyncio.wait([task], timeout=UNLOAD_GRACE_SECONDS)
            if done:
                return
        self.refresh.cancel()
        await asyncio.wait([task], timeout=1.0)

    @tasks.loop(minutes=30)
    async def refresh(self) -> None:
        settings = self.services.settings
        if self.stopping:
            return
        self.in_round = True
        try:
            report = await self.services.sync.refresh_due(
                timedelta(hours=settings.refresh_min_age_hours),
                site_budgets(settings),
                stop=lambda: self.stopping,
            )
            self.last_report = report
            if report.checked:
                log.info(
                    "refresh: %d checked, %d synced, %d unchanged, %d failed%s",
                    report.checked,
                    report.synced,
                    report.skipped,
                    len(report.errors),
                    f" (stopped asking {', '.join(report.failing_sites)}: failing)"
                    if report.failing_sites
                    else "",
                )
            mal_ok = "mal" not in report.failing_sites
            # One process of a deployment reads MAL's catalog pages (they would cost every
            # process the same shared MAL budget); the others reload what it stored, hourly.
            lead = await self.services.sync.leases.claim_task(
                "catalog", timedelta(minutes=settings.refresh_interval_minutes * CATALOG_LEASE)
            )
            due = time.monotonic() - self.catalog_served_at >= CATALOG_REFRESH_SECONDS
            if not lead and due and not self.stopping:
                self.catalog_served_at = time.monotonic()
                await self.services.catalog.load()
                if await refresh_served_catalog(self.services.pool, self.services.catalog):
                    log.info("model: now ranking the catalog as other processes filled it")
            if self.services.mal is not None and mal_ok and lead and not self.stopping:
                found = await self.discovery.run(
                    self.services.mal, pages=DISCOVERY_PAGES, stop=lambda: self.stopping
                )
                if found.added:
                    log.info("catalog: %d new titles from MAL's season/ranking pages", found.added)
                filled = await self.services.catalog.fill_details(
                    self.services.mal,
                    limit=titles_per_round(
                        settings.refresh_interval_minutes, settings.mal_requests_per_second
                    ),
                    stop=lambda: self.stopping,
                )
                if filled:
                    log.info("catalog: filled %d titles from MAL", filled)
                # New titles and links reach the model's ranking without a restart, at most
                # hourly: each rebuild indexes the whole catalog again (a second or two).
                if (found.added or filled) and due and not self.stopping:
                    self.catalog_served_at = time.monotonic()
                    if await refresh_served_catalog(self.services.pool, self.services.catalog):
                        log.info("model: now ranking the refreshed catalog")
        except Exception as exc:
            # One bad round must not end the loop; a database that is down or refuses
            # writes gets its one clear line (bot.db.errors), not a traceback a round.
            problem = storage_problem(exc)
            if problem is None:
                log.exception("background refresh round failed")
            else:
                log_storage_problem(problem, exc)
        finally:
            self.in_round = False
            self.rounds += 1

    @refresh.before_loop
    async def before_refresh(self) -> None:
        await self.bot.wait_until_ready()
