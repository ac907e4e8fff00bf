"""The collector against the fake MAL: output format, statuses, resume after a kill."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from common.mal import MalClient
from fakes.mal import FakeMal
from training.__main__ import main as training_main
from training.collect import (
    Summary,
    collect,
    complete_bytes,
    done_usernames,
    read_usernames,
    repair_part,
)
from training.data.collected import FetchRecord, iter_records, load_collected

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "collector-test-id-42"


def lists(n: int, size: int = 3) -> dict[str, list[tuple[int, int, str]]]:
    return {
        f"user{i}": [(1 + (i + j) % 50, (i + j) % 11, "completed") for j in range(size)]
        for i in range(n)
    }


def client_for(fake: FakeMal, **kwargs) -> MalClient:
    options = {"requests_per_second": 0, "max_retries": 1, "backoff_base": 0.01, "timeout": 2}
    options.update(kwargs)
    return MalClient(fake.base_url, CLIENT_ID, **options)


def records(out: Path) -> list[FetchRecord]:
    """Every complete record of the parts in ``out`` (a cut last member is left out)."""
    return [r for p in sorted(out.glob("*.jsonl.gz")) for r in iter_records(p, errors="skip")]


def raw_lines(out: Path) -> list[dict]:
    """The JSON lines as written, in complete gzip members only (a part may be mid-write)."""
    lines: list[dict] = []
    for part in sorted(out.glob("*.jsonl.gz")):
        text = gzip.decompress(part.read_bytes()[: complete_bytes(part)]).decode()
        lines.extend(json.loads(line) for line in text.splitlines())
    return lines


async def test_writes_one_line_per_user_in_the_contract_format(tmp_path: Path) -> None:
    data = lists(5)
    async with FakeMal.running(data, private=["user3"]) as fake, client_for(fake) as client:
        names = ["user0", "USER1", "user2", "user3", "user4", "nobody", "x"]
        summary = await collect(names, tmp_path, client, progress=False)
    assert (summary.fetched, summary.private, summary.missing) == (4, 1, 1)
    assert (summary.failed, summary.invalid, summary.total) == (0, 1, 7)
    assert summary.entries == 12
    lines = raw_lines(tmp_path)
    assert Counter(r["http_status"] for r in lines) == {200: 4, 403: 1, 404: 1}
    by_name = {r["username"]: r for r in lines}
    assert set(by_name) == {"user0", "USER1", "user2", "user3", "user4", "nobody"}
    assert by_name["user3"]["entries"] == [] and by_name["nobody"]["entries"] == []
    first = by_name["USER1"]["entries"][0]
    assert set(first) == {"anime_id", "status", "score", "num_episodes_watched", "updated_at"}
    assert [(e["anime_id"], e["score"]) for e in by_name["USER1"]["entries"]] == [
        (a, s) for a, s, _ in data["user1"]
    ]
    assert by_name["user0"]["fetched_at"].endswith("+00:00")
    # The data side's loader reads it as a dataset of the four public lists.
    loaded = load_collected(tmp_path)
    assert sorted(loaded) == ["USER1", "user0", "user2", "user4"]
    assert [e.score for e in loaded["user0"]] == [s for _, s, _ in data["user0"]]


async def test_rerun_skips_finished_users(tmp_path: Path) -> None:
    async with FakeMal.running(lists(6), private=["user5"]) as fake:
        async with client_for(fake) as client:
            await collect(["user0", "user1", "user5", "ghost"], tmp_path, client, progress=False)
        fake.requests.clear()
        async with client_for(fake) as client:
            names = [f"user{i}" for i in range(6)] + ["ghost"]
            summary = await collect(names, tmp_path, client, progress=False)
        asked = {r.path.split("/")[3] for r in fake.requests_to("/animelist")}
    assert asked == {"user2", "user3", "user4"}
    assert summary.already_done == 4 and summary.fetched == 3
    names = [r.username for r in records(tmp_path)]
    assert sorted(names) == sorted({*names}) and len(names) == 7


async def test_failed_users_are_not_written_and_are_retried_next_run(tmp_path: Path) -> None:
    async with FakeMal.running(lists(3)) as fake:
        fake.server_error(times=100, match="/users/user1/")
        async with client_for(fake) as client:
            summary = await collect(["user0", "user1", "user2"], tmp_path, client, progress=False)
        assert (summary.fetched, summary.failed, summary.failed_users) == (2, 1, ["user1"])
        assert "user1" not in {r.username for r in records(tmp_path)}
        fake.clear_faults()
        async with client_for(fake) as client:
            summary = await collect(["user0", "user1", "user2"], tmp_path, client, progress=False)
        assert (summary.fetched, summary.failed, summary.already_done) == (1, 0, 2)
    assert sorted(r.username for r in records(tmp_path)) == ["user0", "user1", "user2"]


async def test_throttling_pauses_and_requeues(tmp_path: Path) -> None:
    async with FakeMal.running(lists(4)) as fake, client_for(fake, max_retries=0) as client:
        fake.throttle(times=2)  # the list request and the probe both get 403
        started = time.monotonic()
        summary = await collect(
            [f"user{i}" for i in range(4)],
            tmp_path,
            client,
            progress=False,
            throttle_pause=0.3,
            workers=1,
        )
        assert time.monotonic() - started >= 0.28
        paths = [r.path for r in fake.requests]
        assert paths[:2] == ["/v2/users/user0/animelist", "/v2/anime/1"]  # 403, then the probe
        assert paths.count("/v2/users/user0/animelist") == 2  # re-queued, fetched later
        assert fake.requests[2].at - fake.requests[1].at >= 0.28  # everyone paused
    assert (summary.fetched, summary.private, summary.failed) == (4, 0, 0)


async def test_stops_early_when_mal_keeps_failing(tmp_path: Path) -> None:
    async with FakeMal.running(lists(40)) as fake, client_for(fake, max_retries=0) as client:
        fake.server_error(times=10_000)
        names = [f"user{i}" for i in range(40)]
        summary = await collect(
            names, tmp_path, client, progress=False, workers=2, max_consecutive_failures=5
        )
        assert summary.stopped_early
        assert 5 <= summary.failed <= 6  # the other worker may finish its user
        assert len(fake.requests_to("/animelist")) == summary.failed
    assert records(tmp_path) == []


def _member(record: dict) -> bytes:
    return gzip.compress((json.dumps(record) + "\n").encode())


def test_a_cut_last_member_is_repaired(tmp_path: Path) -> None:
    part = tmp_path / "part-old.jsonl.gz"
    good = [
        {"username": f"u{i}", "http_status": 200, "fetched_at": "2026-01-01T00:00:00+00:00",
         "entries": [{"anime_id": 1, "status": "completed", "score": 7,
                      "num_episodes_watched": 1, "updated_at": None}]}
        for i in range(3)
    ]  # fmt: skip
    cut = _member({**good[0], "username": "u_cut"})
    part.write_bytes(b"".join(_member(r) for r in good) + cut[: len(cut) - 5])
    whole = len(b"".join(_member(r) for r in good))
    assert complete_bytes(part) == whole
    assert done_usernames(tmp_path) == {"u0", "u1", "u2"}
    assert part.stat().st_size == whole
    # Repaired in place: an ordinary gzip reader now reads the whole file.
    with gzip.open(part, "rt") as handle:
        assert [json.loads(line)["username"] for line in handle] == ["u0", "u1", "u2"]
    assert repair_part(part) == 0


def test_read_usernames(tmp_path: Path) -> None:
    path = tmp_path / "names.txt"
    path.write_text("# comment\nalice\n\n  Bob  \nALICE\nbob\ncarol\n")
    assert read_usernames(path) == ["alice", "Bob", "carol"]


def test_summary_line() -> None:
    line = Summary(total=5, fetched=3, private=1, missing=1, seconds=2.0).line()
    assert "fetched 3, private 1, missing 1, failed 0" in line and "2.5 users/s" in line


def test_missing_client_id_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MAL_CLIENT_ID", raising=False)
    names = tmp_path / "names.txt"
    names.write_text("alice\n")
    argv = ["collect", "--usernames", str(names), "--out", str(tmp_path / "out")]
    assert training_main([*argv, "--env-file", str(tmp_path / "none.env")]) == 2
    err = capsys.readouterr().err.strip()
    assert "MAL_CLIENT_ID is not set" in err and len(err.splitlines()) == 1


# --- the real CLI, killed mid-run -----------------------------------------------------------


async def run_cli(fake: FakeMal, names: Path, out: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAL_")}
    env.update({"MAL_CLIENT_ID": CLIENT_ID, "MAL_API_BASE_URL": fake.base_url})
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "training", "collect", "--usernames", str(names),
        "--out", str(out), "--limit-rps", "0", "--concurrency", "4",
        "--env-file", str(out.parent / "none.env"),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_cli_resumes_after_kill_9_without_duplicates_or_losses(tmp_path: Path) -> None:
    n = 300
    data = lists(n, size=5)
    out = tmp_path / "out"
    names = tmp_path / "names.txt"
    names.write_text("\n".join(data) + "\n")
    async with FakeMal.running(data, private=["user7"], latency=0.01) as fake:
        fake.remove_user("user11")
        first = await run_cli(fake, names, out)
        deadline = time.monotonic() + 30
        written = 0
        while written < 40:
            assert time.monotonic() < deadline, "collector wrote nothing"
            assert first.returncode is None, "collector finished before it could be killed"
            await asyncio.sleep(0.02)
            written = len(raw_lines(out))
        first.send_signal(signal.SIGKILL)
        await first.wait()
        assert first.returncode == -signal.SIGKILL
        before = {r["username"] for r in raw_lines(out)}
        assert 40 <= len(before) < n
        fake.requests.clear()

        second = await run_cli(fake, names, out)
        stdout, stderr = await asyncio.wait_for(second.communicate(), timeout=60)
        assert second.returncode == 0, stderr.decode()
        refetched = {r.path.split("/")[3] for r in fake.requests_to("/animelist")}

    assert not refetched & before  # finished users were not asked again
    final = records(out)
    usernames = [r.username for r in final]
    assert len(usernames) == len(set(usernames)) == n  # no duplicate, no lost user
    assert set(usernames) == set(data)
    statuses = {r.username: r.http_status for r in final}
    assert statuses["user7"] == 403 and statuses["user11"] == 404
    assert f"already done {len(before)}" in stdout.decode()
    assert CLIENT_ID not in stdout.decode() + stderr.decode()
    for part in out.glob("*.jsonl.gz"):  # every part is a clean gzip file after the rerun
        with gzip.open(part) as handle:
            handle.read()
