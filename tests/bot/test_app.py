"""The app's wiring, in process: start-up against the local fake Discord and fake MAL, the
configured gateway kept for resumes, command sync only when the tree changed, the no-model and
corrupt-model starts, the error handler, cool-downs and the background refresh."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
import yarl
from sqlalchemy import text

from bot.app import running_bot
from bot.client import AnirecBot
from bot.cogs.refresh import RefreshCog
from common.settings import Settings
from fakes.discord import FakeDiscord, FakeGuild, FakeMember, Permission
from fakes.mal import FakeMal
from tests.bot.artifacts import tiny_artifact, tiny_items

ALICE_LIST = [(100, 9), (101, 7), (105, 3, "dropped"), (110, 0, "plan_to_watch")]


class Harness:
    def __init__(self, discord: FakeDiscord, mal: FakeMal, tmp: Path) -> None:
        self.discord, self.mal, self.tmp = discord, mal, tmp
        self.guild: FakeGuild = discord.add_guild("Club")
        self.alice: FakeMember = discord.add_member(self.guild, "alice")
        self.bob: FakeMember = discord.add_member(self.guild, "bob")
        self.admin: FakeMember = discord.add_member(
            self.guild, "mod", permissions=Permission.MANAGE_GUILD
        )

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "discord_token": self.discord.env()["DISCORD_TOKEN"],
            "mal_client_id": "test-client-id",
            "database_url": f"sqlite+aiosqlite:///{self.tmp / 'bot.db'}",
            "model_path": self.tmp / "model",
            "discord_api_base_url": self.discord.api_base_url,
            "discord_gateway_url": self.discord.gateway_url,
            "mal_api_base_url": self.mal.base_url,
            "mal_requests_per_second": 0,
            "mal_max_retries": 0,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    def bot(self, **overrides: Any) -> AbstractAsyncContextManager[AnirecBot]:
        return running_bot(self.settings(**overrides), ready_timeout=20)

    async def slash(self, who: FakeMember, name: str, /, **options: Any) -> Any:
        return await self.discord.slash(self.guild, who, name, **options)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    anime = {
        i["anime_id"]: {"title": i["title"], "media_type": i["media_type"]} for i in tiny_items()
    }
    async with (
        FakeDiscord.running() as discord,
        FakeMal.running(lists={"alice": ALICE_LIST}, anime=anime) as mal,
    ):
        yield Harness(discord, mal, tmp_path)


async def test_link_recommend_page_why_unlink(harness: Harness) -> None:
    tiny_artifact(harness.tmp / "model")
    async with harness.bot() as bot:
        await harness.discord.wait_until_ready()
        shard = bot._get_websocket(shard_id=0)  # the one shard `make run` connects
        assert shard.gateway == yarl.URL(harness.discord.gateway_url)
        assert bot.shard_count == 1 and bot.shard_ids == [0]
        assert bot.commands_synced is True

        linked = await harness.slash(harness.alice, "link", username="alice")
        assert (
            linked.ephemeral and "Linked to alice" in linked.text and "4** entries" in linked.text
        )

        recs = await harness.slash(harness.alice, "recommend", count=3)
        assert not recs.ephemeral and "Recommendations for" in recs.text
        assert "1. " in recs.text and "4. " not in recs.text
        refused = await harness.discord.click(recs, recs.button("Next")["custom_id"], harness.bob)
        assert refused.ephemeral and "belong to the member" in refused.text
        page2 = await harness.discord.click(recs, recs.button("Next")["custom_id"], harness.alice)
        assert "4. " in page2.text and "Page 2/" in page2.text

        choices = await harness.discord.autocomplete(
            harness.guild, harness.alice, "why", "title", "tiny anme 3"
        )
        assert choices and choices[0]["value"] == "103"
        why = await harness.slash(harness.alice, "why", title=choices[0]["value"])
        assert "Why: Tiny Anime 3" in why.text and "Rank" in why.text

        not_shared = await harness.slash(harness.bob, "recommend", member=harness.alice)
        assert not_shared.ephemeral and "not chosen to share" in not_shared.text

        unlink = await harness.slash(harness.alice, "unlink")
        done = await harness.discord.click(
            unlink, unlink.button("Unlink")["custom_id"], harness.alice
        )
        assert "Unlinked" in done.text and "4 stored entries" in done.text
        after = await harness.slash(harness.alice, "recommend")
        assert after.ephemeral and "/link" in after.text


async def test_no_model_then_unchanged_commands_are_not_resynced(harness: Harness) -> None:
    async with harness.bot() as bot:
        await harness.discord.wait_until_ready()
        assert bot.commands_synced is True
        await harness.slash(harness.alice, "link", username="alice")
        reply = await harness.slash(harness.alice, "recommend")
        assert reply.ephemeral and "make model" in reply.text
        profile = await harness.slash(harness.alice, "profile")
        assert "make model" in profile.text
    async with harness.bot() as bot:
        assert bot.commands_synced is False


async def test_a_corrupt_model_is_reported_and_skipped(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    model = tiny_artifact(harness.tmp / "model")
    weight = next((model / "weights").glob("*.npy"))
    weight.write_bytes(weight.read_bytes()[:-8])
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        async with harness.bot() as bot:
            assert not bot.services.recommendations.available
    assert any("cannot be used" in r.getMessage() for r in caplog.records)


async def test_errors_become_short_ephemeral_messages(harness: Harness) -> None:
    tiny_artifact(harness.tmp / "model")
    async with harness.bot() as bot:
        await harness.discord.wait_until_ready()
        missing = await harness.slash(harness.alice, "link", username="nobody")
        assert missing.ephemeral and "no MyAnimeList user" in missing.text

        unlinked = await harness.slash(harness.bob, "refresh")
        assert unlinked.ephemeral and "/link" in unlinked.text
        with pytest.raises(PermissionError):  # /config is hidden from members without the right
            await harness.slash(harness.bob, "config", allow_nsfw=True)

        admin = await harness.slash(harness.admin, "config", default_count=2, allow_nsfw=True)
        assert admin.ephemeral and "Server settings updated" in admin.text

        async with bot.services.sessions() as session, session.begin():
            await session.execute(text("ALTER TABLE linked_accounts RENAME TO gone"))
        broken = await harness.slash(harness.alice, "recommend")
        assert broken.ephemeral and "Something went wrong" in broken.text
        assert "Traceback" not in broken.text


async def test_cooldown(harness: Harness) -> None:
    async with harness.bot() as bot:
        await harness.discord.wait_until_ready()
        bot.services.cooldowns["link"] = (1, 60.0)
        await harness.slash(harness.alice, "link", username="alice")
        again = await harness.slash(harness.alice, "link", username="alice")
        assert again.ephemeral and "Slow down" in again.text


async def test_background_refresh_records_a_mal_outage_and_keeps_the_list(
    harness: Harness,
) -> None:
    async with harness.bot(refresh_min_age_hours=0) as bot:
        await harness.discord.wait_until_ready()
        await harness.slash(harness.alice, "link", username="alice")
        cog = bot.get_cog("RefreshCog")
        assert isinstance(cog, RefreshCog) and cog.refresh.is_running()
        harness.mal.server_error(times=1000, status=503)
        rounds = cog.rounds
        cog.refresh.change_interval(seconds=0.05)
        cog.refresh.restart()
        for _ in range(200):
            if cog.rounds > rounds:
                break
            await asyncio.sleep(0.02)
        account = await bot.services.accounts.require(harness.alice.user.id)
        assert account.last_error and "not responding" in account.last_error
        assert len(await bot.services.accounts.profile(harness.alice.user.id)) == 4
        task = cog.refresh.get_task()
        assert task is not None
        await bot.remove_cog("RefreshCog")
        await asyncio.wait([task], timeout=5)
        assert task.done() and not cog.refresh.is_running()


async def test_start_bot_returns_a_ready_bot_and_closes_everything(harness: Harness) -> None:
    from bot.app import start_bot

    ready = asyncio.Event()
    bot = await start_bot(harness.settings(), ready=ready)
    assert ready.is_set() and bot.is_ready() and bot.shutdown is not None
    await harness.discord.wait_until_ready()
    reply = await harness.slash(harness.alice, "link", username="alice")
    assert "Linked to alice" in reply.text
    await bot.close()
    await asyncio.wait_for(bot.shutdown, 10)
    assert bot.is_closed()


def test_round_budgets_follow_the_rate_limit() -> None:
    from bot.cogs.refresh import accounts_per_round, titles_per_round

    assert accounts_per_round(30, 1.0) == 300 and titles_per_round(30, 1.0) == 450
    assert accounts_per_round(30, 0) == 500 and titles_per_round(0.01, 1.0) == 1


async def test_sharing_from_profile_and_button_errors(harness: Harness) -> None:
    tiny_artifact(harness.tmp / "model")
    async with harness.bot():
        await harness.discord.wait_until_ready()
        await harness.slash(harness.alice, "link", username="alice")
        profile = await harness.slash(harness.alice, "profile")
        assert profile.ephemeral and "Sharing recommendations: no" in profile.text
        share = profile.button("Share my recommendations")["custom_id"]
        shared = await harness.discord.click(profile, share, harness.alice)
        assert "can now see your recommendations" in shared.text
        seen = await harness.slash(harness.bob, "recommend", member=harness.alice, count=2)
        assert not seen.ephemeral and "Recommendations for" in seen.text
        other = await harness.slash(harness.bob, "profile", member=harness.alice)
        assert "anime profile" in other.text

        unlink = await harness.slash(harness.alice, "unlink")
        await harness.discord.click(unlink, unlink.button("Unlink")["custom_id"], harness.alice)
        stale = await harness.discord.click(profile, share, harness.alice)
        assert stale.ephemeral and "/link" in stale.text and "Traceback" not in stale.text


async def test_only_members_of_this_server_can_be_viewed(harness: Harness) -> None:
    tiny_artifact(harness.tmp / "model")
    elsewhere = harness.discord.add_guild("Elsewhere")
    stranger = harness.discord.add_member(elsewhere, "stranger")
    async with harness.bot() as bot:
        await harness.discord.wait_until_ready()
        await harness.discord.slash(elsewhere, stranger, "link", username="alice")
        await bot.services.accounts.set_sharing(stranger.id, True)
        for command in ("recommend", "profile"):
            refused = await harness.slash(harness.bob, command, member=stranger)
            assert refused.ephemeral and "not in this server" in refused.text, command
        seen = await harness.discord.slash(elsewhere, stranger, "recommend", member=stranger)
        assert "Recommendations for" in seen.text


@contextlib.asynccontextmanager
async def write_lock_held(db_path: Path, seconds: float = 3.2) -> AsyncIterator[None]:
    """Another writer (a big sync, say) holds SQLite's write lock for ``seconds`` from entry;
    the body starts once the lock is taken, the exit waits for its release."""
    locked = threading.Event()

    def hold() -> None:
        db = sqlite3.connect(db_path, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            locked.set()
            time.sleep(seconds)
            db.execute("ROLLBACK")
        finally:
            db.close()

    holder = asyncio.create_task(asyncio.to_thread(hold))
    await asyncio.to_thread(locked.wait, 5)
    try:
        yield
    finally:
        await holder


async def test_buttons_and_config_are_acknowledged_while_the_database_is_busy(
    harness: Harness,
) -> None:
    db_path = harness.tmp / "bot.db"
    async with harness.bot():
        await harness.discord.wait_until_ready()
        await harness.slash(harness.alice, "link", username="alice")
        profile = await harness.slash(harness.alice, "profile")
        unlink = await harness.slash(harness.alice, "unlink")
        async with write_lock_held(db_path):
            config = await harness.slash(harness.admin, "config", default_count=3)
        assert config.ack_s is not None and config.ack_s < 3 and not config.errors
        assert "Server settings updated" in config.text
        for message, label, expected in (
            (profile, "Share my recommendations", "can now see"),
            (unlink, "Unlink", "Unlinked"),
        ):
            async with write_lock_held(db_path):
                result = await harness.discord.click(
                    message, message.button(label)["custom_id"], harness.alice
                )
            assert result.ack_s is not None and result.ack_s < 3, label
            assert not result.errors, result.errors
            if label == "Unlink":
                assert expected in result.text
            else:
                assert any(expected in f.text() for f in result.followups), label


def test_run_says_when_discord_cannot_be_reached(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import socket

    from bot.app import run

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        discord_token="not-a-real-token",
        mal_client_id="test-client-id",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        model_path=tmp_path / "no-model",
        discord_api_base_url=f"http://127.0.0.1:{port}/api/v10",
        discord_gateway_url=f"ws://127.0.0.1:{port}/",
        mal_api_base_url=f"http://127.0.0.1:{port}/v2",
    )
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        assert run(settings) == 1
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.app"]
    assert any(m.startswith(f"cannot reach Discord at http://127.0.0.1:{port}") for m in messages)
    assert not any("database" in m for m in messages)
