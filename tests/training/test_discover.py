"""``python -m training discover`` against the fake Jikan: the usernames file the collector reads
(appended, de-duplicated, valid MAL names only), the sources in order, ``--limit``, failures
skipped, and the command itself as a process pointed at the fake by ``JIKAN_API_BASE_URL``."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from common.jikan import JikanClient
from fakes.jikan import FakeJikan
from training.collect import read_usernames
from training.discover import discover

USERS = ["searcher_1", "Searcher_2", "animefan", "bad name!", "x"]
UPDATES = {
    5114: ["fresh_1", "fresh_2", "Fresh_1", "animefan"],
    1: ["fresh_3"],
    777: ["fresh_4"],
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeJikan]:
    async with FakeJikan.running(USERS, UPDATES, seed=1) as server:
        yield server


def client(fake: FakeJikan) -> JikanClient:
    return JikanClient(fake.base_url, limits=((1000, 1.0),), max_retries=1, backoff_base=0.01)


async def test_writes_new_valid_names_once_and_appends(fake: FakeJikan, tmp_path: Path) -> None:
    out = tmp_path / "names" / "usernames.txt"
    async with client(fake) as jikan:
        summary = await discover(
            jikan, out, limit=100, queries=("searcher", "anime", "name"), random_users=0
        )
    names = read_usernames(out)
    assert names == [
        "fresh_1", "fresh_2", "animefan", "fresh_3", "fresh_4", "searcher_1", "Searcher_2"
    ]  # fmt: skip
    assert summary.found == {"updates": 5, "search": 2}
    assert summary.already_known == 2  # Fresh_1 (case), animefan found again by search
    assert summary.invalid == 1  # "bad name!"; "x" is never matched by those queries

    # A second run appends only what is new; the first run's names stay as they were.
    fake.updates[1].append("fresh_5")
    async with client(fake) as jikan:
        again = await discover(jikan, out, limit=100, sources=("updates",))
    assert again.found == {"updates": 1} and again.already_known == 6
    assert read_usernames(out) == [*names, "fresh_5"]


async def test_limit_stops_early_and_failures_are_skipped(fake: FakeJikan, tmp_path: Path) -> None:
    out = tmp_path / "usernames.txt"
    out.write_text("# from last week\nfresh_2\n")
    fake.inject("server_error", times=2, match="/anime/5114/", status=503)
    async with client(fake) as jikan:
        summary = await discover(jikan, out, limit=2, sources=("updates", "random"))
    assert read_usernames(out) == ["fresh_2", "fresh_3", "fresh_4"]
    assert summary.failed_requests == 1 and summary.total == 2
    assert not any("/random/" in r.path for r in fake.requests), "the limit was reached first"


async def test_a_missing_anime_is_skipped(tmp_path: Path) -> None:
    out = tmp_path / "u.txt"
    async with FakeJikan.running(USERS, UPDATES, top=[424242, 1]) as fake, client(fake) as jikan:
        summary = await discover(jikan, out, limit=10, sources=("updates",))
    assert read_usernames(out) == ["fresh_3"]
    assert summary.failed_requests == 1


async def test_the_command_against_the_fake(fake: FakeJikan, tmp_path: Path) -> None:
    out = tmp_path / "usernames.txt"
    env = {**os.environ, "JIKAN_API_BASE_URL": fake.base_url, "JIKAN_MAX_RETRIES": "0"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "training",
        "discover",
        "--out",
        str(out),
        "--limit",
        "3",
        "--sources",
        "updates",
        "--env-file",
        str(tmp_path / "none.env"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert "discover: 3 new usernames (updates 3)" in stdout.decode()
    assert read_usernames(out) == ["fresh_1", "fresh_2", "animefan"]

    bad = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "training", "discover", "--out", str(out), "--sources", "nope",
        stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    _, err = await bad.communicate()
    assert bad.returncode == 2 and b"unknown source(s) nope" in err
