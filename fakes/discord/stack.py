"""The local stack around the fake Discord: a tiny random model, a migrated database, and the
real bot as a separate ``python -m bot`` process (the anime live in :mod:`.catalog`).

Shared by the end-to-end tests, ``make demo`` and the load test; nothing here needs
``../shared`` or the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fakes.discord.catalog import CATALOG, ROOT, Anime


def build_tiny_model(
    directory: str | os.PathLike[str],
    catalog: Sequence[Anime] = CATALOG,
    *,
    seed: int = 0,
    item_counts: Sequence[int] | None = None,
    full_size: bool = False,
) -> Path:
    """A random-weight artifact over ``catalog``, in order: contracts.md's tiny config, or with
    ``full_size`` the default (serving-sized) layers, for load measurements."""
    from model.artifact import save_artifact
    from model.reference import NetworkConfig, random_weights

    if full_size:
        config = NetworkConfig(len(catalog))
    else:
        config = NetworkConfig(len(catalog), encoder=(32, 16), decoder=(32,))
    ids = np.asarray([a.anime_id for a in catalog], dtype=np.int64)
    counts = np.asarray(
        item_counts if item_counts is not None else range(len(catalog) * 10, 0, -10),
        dtype=np.int64,
    )
    items = [
        {"anime_id": a.anime_id, "title": a.title, "media_type": a.media_type} for a in catalog
    ]
    return save_artifact(
        Path(directory),
        config=config,
        weights=random_weights(config, seed=seed),
        corpus_ids=ids,
        item_counts=counts,
        items=items,
        metadata={"note": "random weights, for tests and demos", "score_weight": 0.3},
    )


def sqlite_url(path: str | os.PathLike[str]) -> str:
    return f"sqlite+aiosqlite:///{Path(path)}"


async def migrate(url: str) -> None:
    """Apply the real Alembic migrations to ``url`` (``alembic upgrade head``)."""
    from bot.db.migrate import upgrade

    await upgrade(url)


def bot_environment(
    *,
    discord_env: Mapping[str, str],
    mal_base_url: str,
    database_url: str,
    model_path: str | os.PathLike[str],
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Settings for a bot pointed at the fakes, as environment variables (no real secrets)."""
    return {
        **discord_env,
        "MAL_CLIENT_ID": "fake-mal-client-id",
        "MAL_API_BASE_URL": mal_base_url,
        "MAL_REQUESTS_PER_SECOND": "0",
        "MAL_MAX_RETRIES": "1",
        "MAL_TIMEOUT_SECONDS": "5",
        "DATABASE_URL": database_url,
        "MODEL_PATH": str(model_path),
        "LOG_LEVEL": "INFO",
        **(extra or {}),
    }


class BotProcess:
    """``python -m bot`` as a child process, with its log in a file.

    It runs in an empty working directory so a developer's ``.env`` (real tokens, a real
    ``DEV_GUILD_ID``) can never leak into it; the repository is put on ``PYTHONPATH``.
    """

    def __init__(self, env: Mapping[str, str], *, workdir: str | os.PathLike[str] | None = None):
        self._tmp = None if workdir is not None else tempfile.TemporaryDirectory(prefix="anirec-")
        self.workdir = Path(workdir) if workdir is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self.log_path = self.workdir / "bot.log"
        base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
        self.env = {**base, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **env}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_path, "wb")  # noqa: SIM115 - the child owns it until stop()
        self._log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def stop(self, grace: float = 15.0) -> int | None:
        """SIGINT (a clean shutdown), then SIGKILL after ``grace`` seconds; the exit code."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            for _ in range(int(grace * 10)):
                if process.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                process.kill()
        code = process.wait()
        self._log.close()
        return code

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def artifact_catalog(model_path: str | os.PathLike[str]) -> list[Anime]:
    """The corpus of an existing model artifact as catalog entries (raises ArtifactError)."""
    from model.artifact import load_artifact

    artifact = load_artifact(model_path, verify=True)
    return [
        Anime(int(item["anime_id"]), str(item["title"]), str(item.get("media_type") or "tv"))
        for item in artifact.items
    ]


# --------------------------------------------------------------------------- the whole stack


@dataclass
class Stack:
    """Running fakes, a guild with members, and the bot process."""

    discord: Any  # FakeDiscord
    mal: Any  # FakeMal
    guild: Any  # FakeGuild
    members: dict[str, Any]  # Discord username → FakeMember
    bot: BotProcess


class StackError(RuntimeError):
    """The bot process did not come up; the message carries its log's tail."""


@contextlib.asynccontextmanager
async def local_stack(
    *,
    model_path: str | os.PathLike[str],
    anime: Iterable[Anime],
    lists: Mapping[str, Iterable[tuple[int, int, str]]],
    members: Iterable[str],
    workdir: str | os.PathLike[str],
    heartbeat_interval: float = 41.25,
    ack_deadline: float = 3.0,
    ready_within: float = 90.0,
    extra_env: Mapping[str, str] | None = None,
) -> AsyncIterator[Stack]:
    """Start the fake MAL and fake Discord here, the real bot as ``python -m bot`` next to them
    (migrated SQLite DB under ``workdir``), and stop everything on exit."""
    from fakes.discord.server import FakeDiscord
    from fakes.mal import FakeMal

    workdir = Path(workdir)
    database_url = sqlite_url(workdir / "anirec.db")
    await migrate(database_url)
    mal_anime = {a.anime_id: a.mal_fields() for a in anime}
    async with (
        FakeMal.running(lists={k: list(v) for k, v in lists.items()}, anime=mal_anime) as mal,
        FakeDiscord.running(
            heartbeat_interval=heartbeat_interval, ack_deadline=ack_deadline
        ) as fake,
    ):
        guild = fake.add_guild("anirec demo")
        joined = {name: fake.add_member(guild, name) for name in members}
        env = bot_environment(
            discord_env=fake.env(),
            mal_base_url=mal.base_url,
            database_url=database_url,
            model_path=ROOT / model_path,  # relative to the repository (the bot runs elsewhere)
            extra=extra_env,
        )
        bot = BotProcess(env, workdir=workdir)
        bot.start()
        try:
            ready = asyncio.ensure_future(fake.wait_until_ready(within=ready_within))
            while not ready.done():
                if not bot.running():
                    ready.cancel()
                    raise StackError(
                        f"the bot exited with code {bot.process and bot.process.returncode} "
                        f"before connecting:\n{bot.log_tail()}"
                    )
                await asyncio.wait({ready}, timeout=0.2)
            try:
                ready.result()
            except TimeoutError as exc:
                raise StackError(
                    f"the bot did not connect within {ready_within:.0f} s:\n{bot.log_tail()}"
                ) from exc
            # discord.py dispatches on_ready a moment after the last GUILD_CREATE.
            await asyncio.sleep(0.5)
            yield Stack(fake, mal, guild, joined, bot)
        finally:
            await bot.stop()
