"""Start-up in one place (discord.py ``examples/advanced_startup.py``): open the database, the
HTTP session, the MAL client and the model, build the services, and run the bot with them.

``run(settings)`` is what ``python -m bot`` calls; ``running_bot(settings)`` is the same start-up
as an async context manager for in-process tests and the demo.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import aiohttp
import discord
import sqlalchemy.exc
import yarl
from sqlalchemy.engine import make_url

from bot.client import DEFAULT_GATEWAY, AnirecBot
from bot.context import Services
from bot.db.engine import create_engine, session_factory
from bot.db.migrate import upgrade
from bot.gcpauses import collect_when_idle, freeze_long_lived
from bot.metrics import Metrics, answering, running_metrics
from bot.services.accounts import AccountService
from bot.services.catalog import CatalogService, load_shipped
from bot.services.cooldowns import SharedCooldowns
from bot.services.guilds import GuildSettingsService
from bot.services.listchanges import ListChanges
from bot.services.malbudget import DatabaseBudget
from bot.services.modelrefresh import ModelRefresher
from bot.services.modelwatch import ModelWatcher, fingerprint, seed_catalog
from bot.services.pool import RecommenderPool
from bot.services.recommendations import RecommendationService
from bot.services.sync import SyncService
from common.anilist import AniListClient
from common.kitsu import KitsuClient
from common.mal import MalClient
from common.settings import Settings

if TYPE_CHECKING:
    from model import Recommender
    from model.catalog import Catalog

log = logging.getLogger(__name__)
READY_TIMEOUT = 60.0


def configure_discord_endpoints(settings: Settings) -> None:
    """Point discord.py's REST routes and gateway at the configured URLs (fakes, proxies)."""
    # anirec never joins voice: discord.py's warnings about missing voice libraries are noise.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    discord.http.Route.BASE = settings.discord_api_base_url.rstrip("/")
    gateway = settings.discord_gateway_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        gateway if gateway.rstrip("/") != DEFAULT_GATEWAY.rstrip("/") else DEFAULT_GATEWAY
    )


def load_recommender(settings: Settings, catalog: Catalog | None = None) -> Recommender | None:
    """The model at ``MODEL_PATH`` ranking every title of ``catalog`` too, or ``None`` (with one
    clear log line) when it is missing or unreadable: the bot still starts and answers that
    there is no model yet."""
    from bot.services.modelwatch import load_recommender as load
    from model.artifact import ArtifactError

    path = settings.model_path
    if not path.exists():
        log.warning("no model at %s: recommendations are off until you run `make model`", path)
        return None
    try:
        return load(path, catalog)
    except ArtifactError as exc:
        log.error("the model at %s cannot be used (%s); starting without it", path, exc)
    except Exception:
        log.exception("the model at %s failed to load; starting without it", path)
    return None


@contextlib.asynccontextmanager
async def open_services(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Services]:
    """Database, HTTP session, MAL, AniList and Kitsu clients, model and services; all closed
    on exit."""
    if migrate:
        await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    http = aiohttp.ClientSession()
    mal = MalClient.from_settings(settings, session=http)
    # PostgreSQL may be shared by several bot processes: state that must be one for all of
    # them (MAL's budget, guild settings' cache, cool-downs) goes through the database.
    shared = engine.dialect.name == "postgresql"
    if shared and settings.mal_requests_per_second > 0:
        mal.limiter.budget = DatabaseBudget(sessions, settings.mal_requests_per_second)
    guilds = GuildSettingsService(sessions)
    # AniList and Kitsu: each its own limiter (request budget), the shared HTTP session.
    anilist = AniListClient(
        settings.anilist_api_url,
        http,
        requests_per_minute=settings.anilist_requests_per_minute,
        timeout=settings.mal_timeout_seconds,
        max_retries=settings.mal_max_retries,
    )
    kitsu = KitsuClient(
        settings.kitsu_api_base_url,
        http,
        requests_per_second=settings.kitsu_requests_per_second,
        timeout=settings.mal_timeout_seconds,
        max_retries=settings.mal_max_retries,
    )
    loaded_from = await asyncio.to_thread(fingerprint, settings.model_path)
    catalog = CatalogService(sessions, base=await asyncio.to_thread(load_shipped))
    await catalog.load()  # before the model: it ranks every catalog title
    recommender = await asyncio.to_thread(load_recommender, settings, catalog.model_catalog)
    pool = RecommenderPool(recommender, threads=settings.recommender_threads)
    accounts = AccountService(sessions)
    recommendations = RecommendationService(
        pool,
        accounts,
        catalog,
        cache_size=settings.recommend_cache_size,
        prefetch=settings.recommend_prefetch,
        mal=mal,
    )
    # Every process re-warms the answers it keeps when a member's list changes, wherever the
    # list was refreshed (PostgreSQL: LISTEN/NOTIFY; SQLite: this process).
    list_changes = ListChanges()
    list_changes.subscribers.append(recommendations.profile_changed)
    accounts.feedback.on_change = list_changes.committed  # marks: this process's answers
    # A model that failed to load is not retried until its files change.
    watcher = ModelWatcher(settings.model_path, pool, catalog, loaded=loaded_from)
    collector: asyncio.Task[None] | None = None
    try:
        if shared:
            await guilds.listen(settings.database_url)
            await list_changes.listen(settings.database_url)
        if recommender is not None:
            added = await seed_catalog(catalog, recommender)
            log.info("model: %d titles (%d new in the catalog)", recommender.n_items, added)
        # The pool holds the model; this frame lives as long as the bot and must not keep a
        # model alive after a live swap replaced it.
        del recommender
        gc.collect()
        freeze_long_lived()  # the catalog and the model's indexes: out of every collection
        metrics = Metrics(
            {
                "pool_queued": lambda: pool.queued,
                "pool_running": lambda: pool.running,
                "model_generation": lambda: pool.generation,
                "prefetch_queued": lambda: recommendations.prefetcher.queued,
                "answer_cache_hits": lambda: recommendations.answers.hits,
                "answer_cache_misses": lambda: recommendations.answers.misses,
                "mal_wait_s": lambda: round(mal.limiter.delay, 2),
            }
        )
        collector = asyncio.create_task(
            collect_when_idle(lambda: pool.queued == pool.running == 0 and not answering()),
            name="gc-when-idle",
        )
        async with running_metrics(
            metrics, interval=settings.metrics_interval_seconds, port=settings.metrics_port
        ):
            yield Services(
                settings=settings,
                sessions=sessions,
                accounts=accounts,
                sync=SyncService(
                    sessions, mal, catalog, anilist=anilist, kitsu=kitsu, changes=list_changes
                ),
                catalog=catalog,
                guilds=guilds,
                pool=pool,
                recommendations=recommendations,
                mal=mal,
                model_watcher=watcher,
                model_refresher=ModelRefresher(
                    settings.model_refresh_command,
                    settings.model_path,
                    every_days=settings.model_refresh_days,
                    threads=settings.model_refresh_threads,
                ),
                shared_cooldowns=SharedCooldowns(sessions) if shared else None,
            )
    finally:
        if collector is not None:
            collector.cancel()
            await asyncio.gather(collector, return_exceptions=True)
        await guilds.close()
        await list_changes.close()
        await recommendations.prefetcher.close()
        await pool.close()
        await mal.close()
        await http.close()
        await engine.dispose()


@contextlib.asynccontextmanager
async def running_bot(
    settings: Settings, *, migrate: bool = True, ready_timeout: float = READY_TIMEOUT
) -> AsyncIterator[AnirecBot]:
    """Start the bot in this event loop, wait until it is ready, close everything on exit."""
    configure_discord_endpoints(settings)
    async with open_services(settings, migrate=migrate) as services, AnirecBot(services) as bot:
        task = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()))
        ready = asyncio.create_task(bot.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {task, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if task in done:
                task.result()  # raises the start-up error
                raise RuntimeError("the bot stopped before it was ready")
            if ready not in done:
                raise TimeoutError(f"the bot was not ready within {ready_timeout:.0f} s")
            yield bot
        finally:
            ready.cancel()
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def start_bot(settings: Settings, *, ready: asyncio.Event | None = None) -> AnirecBot:
    """Start the bot in the background and return it once ready. ``await bot.close()`` stops
    it; ``await bot.shutdown`` (a task) then finishes once its services are closed too."""
    started: asyncio.Future[AnirecBot] = asyncio.get_running_loop().create_future()

    async def keep() -> None:
        try:
            async with running_bot(settings) as bot:
                started.set_result(bot)
                if ready is not None:
                    ready.set()
                await bot.closed.wait()
        except Exception as exc:
            if not started.done():
                started.set_exception(exc)
            else:
                log.exception("the bot stopped with an error")

    task = asyncio.create_task(keep())
    try:
        bot = await started
    except BaseException:
        await asyncio.gather(task, return_exceptions=True)
        raise
    bot.shutdown = task
    return bot


async def main(settings: Settings) -> int:
    configure_discord_endpoints(settings)
    try:
        async with open_services(settings) as services, AnirecBot(services) as bot:
            await bot.start(settings.discord_token.get_secret_value())
    except discord.LoginFailure:
        log.error("Discord rejected DISCORD_TOKEN: check the token in .env")
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error("Discord refused the gateway intents")
        return 1
    except aiohttp.ClientError as exc:
        log.error(
            "cannot reach Discord at %s: %s",
            settings.discord_api_base_url,
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
        )
        return 1
    except (OSError, sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError) as exc:
        url = make_url(settings.database_url).render_as_string(hide_password=True)
        log.error("cannot start: %s (database %s)", str(exc).splitlines()[0], url)
        return 1
    return 0


def run(settings: Settings) -> int:
    """Run the bot until it is stopped (Ctrl-C); returns the process exit code."""
    try:
        return asyncio.run(main(settings))
    except KeyboardInterrupt:
        log.info("stopped")
        return 0
