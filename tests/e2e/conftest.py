"""End-to-end fixtures: the real bot (``bot.app.running_bot``, what ``make run`` starts) against
the fake Discord and the fake MAL, with a tiny random model and a freshly migrated SQLite DB."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from common.settings import Settings
from fakes.anilist import FakeAniList
from fakes.anilist import rows_from_mal as anilist_rows
from fakes.discord import FakeDiscord, FakeGuild, FakeMember, InteractionResult, Permission
from fakes.discord.catalog import CATALOG, SAMPLE_LIST
from fakes.discord.stack import build_tiny_model, migrate, sqlite_url
from fakes.kitsu import FakeKitsu
from fakes.kitsu import rows_from_mal as kitsu_rows
from fakes.mal import FakeMal

E2E_DIR = Path(__file__).parent

# Lists on the fake MAL: alice's is the sample list; bob likes action; carol's list is private.
BOB_LIST = ((20, 8, "completed"), (21, 9, "watching"), (269, 7, "completed"), (813, 8, "completed"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("model") / "model")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once per session; each test gets a copy (migrations take a while)."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    asyncio.run(migrate(sqlite_url(path)))
    return path


@pytest.fixture
def database_url(template_db: Path, tmp_path: Path) -> str:
    target = tmp_path / "anirec.db"
    shutil.copyfile(template_db, target)
    return sqlite_url(target)


@pytest.fixture
async def mal() -> AsyncIterator[FakeMal]:
    anime = {a.anime_id: a.mal_fields() for a in CATALOG}
    lists = {"alice_mal": SAMPLE_LIST, "bob_mal": BOB_LIST, "carol_mal": SAMPLE_LIST[:5]}
    async with FakeMal.running(lists=lists, anime=anime, private=["carol_mal"]) as fake:
        yield fake


@pytest.fixture
async def anilist() -> AsyncIterator[FakeAniList]:
    """AniList: "AliceAni" holds the sample list scored out of 100, plus one title without a MAL
    id; "ShyAni" is private."""
    async with FakeAniList.running() as fake:
        unmapped = {"media_id": 170001, "mal_id": None, "status": "COMPLETED", "score": 80}
        fake.add_user("AliceAni", [*anilist_rows(SAMPLE_LIST), unmapped], score_format="POINT_100")
        fake.add_user("ShyAni", anilist_rows(BOB_LIST), private=True)
        yield fake


@pytest.fixture
async def kitsu() -> AsyncIterator[FakeKitsu]:
    """Kitsu: "bob-kitsu" holds bob's list."""
    async with FakeKitsu.running() as fake:
        fake.add_user("Bob K", kitsu_rows(BOB_LIST), slug="bob-kitsu")
        yield fake


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord.running(heartbeat_interval=1.0) as fake:
        yield fake


@dataclass
class World:
    """One server with three members and an admin, the fakes, and the bot's settings."""

    discord: FakeDiscord
    mal: FakeMal
    guild: FakeGuild
    alice: FakeMember
    bob: FakeMember
    carol: FakeMember
    admin: FakeMember
    settings: Settings
    anilist: FakeAniList | None = None
    kitsu: FakeKitsu | None = None

    async def slash(self, who: FakeMember, name: str, /, **options: Any) -> InteractionResult:
        return await self.discord.slash(self.guild, who, name, options=options)

    async def autocomplete(
        self, who: FakeMember, name: str, option: str, value: str, /, **options: Any
    ) -> list[dict[str, Any]]:
        return await self.discord.autocomplete(
            self.guild, who, name, option, value, options=options
        )

    async def click(
        self, result: InteractionResult, label: str, who: FakeMember, /
    ) -> InteractionResult:
        """``who`` presses the button labelled ``label`` on ``result``'s message."""
        return await self.discord.click(result, result.button(label)["custom_id"], who)


def make_settings(
    discord: FakeDiscord, mal: FakeMal, database_url: str, model_path: Path, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "discord_token": "fake-discord-token",
        "mal_client_id": "fake-mal-client-id",
        "database_url": database_url,
        "model_path": model_path,
        "discord_api_base_url": discord.api_base_url,
        "discord_gateway_url": discord.gateway_url,
        "mal_api_base_url": mal.base_url,
        "mal_requests_per_second": 0,
        "mal_max_retries": 0,
        "mal_timeout_seconds": 5,
        "recommender_threads": 2,
        "dev_guild_id": None,  # explicit, so a developer's environment cannot leak in
        "log_level": "INFO",
        "refresh_interval_minutes": 30,
        "refresh_min_age_hours": 12,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def world(
    discord_fake: FakeDiscord,
    mal: FakeMal,
    database_url: str,
    model_path: Path,
    anilist: FakeAniList,
    kitsu: FakeKitsu,
) -> World:
    fake = discord_fake
    guild = fake.add_guild("Anime Club")
    return World(
        discord=fake,
        mal=mal,
        guild=guild,
        alice=fake.add_member(guild, "alice"),
        bob=fake.add_member(guild, "bob"),
        carol=fake.add_member(guild, "carol"),
        admin=fake.add_member(
            guild, "mod", permissions=Permission.MEMBER | Permission.MANAGE_GUILD
        ),
        settings=make_settings(
            fake,
            mal,
            database_url,
            model_path,
            anilist_api_url=anilist.base_url,
            anilist_requests_per_minute=0,
            kitsu_api_base_url=kitsu.base_url,
            kitsu_requests_per_second=0,
        ),
        anilist=anilist,
        kitsu=kitsu,
    )


BotFactory = Callable[..., Any]


@pytest.fixture
async def start_bot(world: World) -> AsyncIterator[BotFactory]:
    """``await start_bot(**setting_overrides)``: the real bot, connected and ready."""
    from bot.app import running_bot

    stack: list[Any] = []

    async def start(**overrides: Any) -> Any:
        if overrides:
            world.settings = world.settings.model_copy(update=overrides)
        manager = running_bot(world.settings)
        bot = await manager.__aenter__()
        stack.append(manager)
        await world.discord.wait_until_ready(within=30)
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        return bot

    yield start
    for manager in reversed(stack):
        await manager.__aexit__(None, None, None)
    assert not world.discord.rejected, "the bot sent what Discord refuses"
    assert not world.discord.unhandled, "the bot called endpoints the fake lacks"


@pytest.fixture
async def bot(start_bot: BotFactory) -> Any:
    return await start_bot()
