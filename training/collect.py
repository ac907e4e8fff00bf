"""``python -m training collect``: fetch many users' public MAL lists into gzip JSONL files.

Output: a directory of ``part-*.jsonl.gz`` files, one JSON line per user::

    {"username": "...", "http_status": 200 | 403 | 404, "fetched_at": "2026-11-28T09:00:00+00:00",
     "entries": [{"anime_id", "status", "score", "num_episodes_watched", "updated_at"}]}

403 (private) and 404 (no such user) lines have no entries; they are written so a rerun does
not ask again. Users that failed otherwise (throttling, MAL down, retries exhausted) are not
written and are retried by the next run.

Resumable: each run appends to a new part file, one gzip member per user, flushed at once;
on start a part whose last member was cut by a kill is truncated back to its last complete
member, and the done-set is rebuilt from every part with the dataset's own reader
(``training.data.collected``). So Ctrl-C, ``kill -9`` or a crash
loses at most the users in flight, never a finished one, and never writes a user twice. A lock
file keeps two collectors off the same directory.

Politeness is the MAL client's: one rate limiter (``MAL_REQUESTS_PER_SECOND``, or
``--limit-rps``), a concurrency cap, retries with backoff honouring ``Retry-After``, and a pause
when MAL throttles (403 on everything).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import gzip
import json
import logging
import os
import sys
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from common.logs import configure_logging
from common.mal import (
    InvalidUsername,
    ListPrivate,
    MalClient,
    MalError,
    MalThrottled,
    UserNotFound,
)
from common.settings import MalSettings, SettingsError, load_settings
from training.data.collected import iter_records

log = logging.getLogger(__name__)

PART_GLOB = "*.jsonl.gz"
DONE_STATUSES = frozenset({200, 403, 404})
THROTTLE_PAUSE_SECONDS = 60.0
MAX_THROTTLE_RETRIES = 3
MAX_CONSECUTIVE_FAILURES = 25  # then MAL is down or unreachable: stop instead of churning


# --- resuming: repair, then read with the one reader (training.data.collected) ------------


def complete_bytes(path: Path) -> int:
    """How many leading bytes of a part are complete gzip members (a kill cuts only the last)."""
    valid = 0
    with open(path, "rb") as handle:
        pos = 0  # file offset of the start of ``data``
        decoder = zlib.decompressobj(wbits=31)
        while chunk := handle.read(1 << 20):
            data = chunk
            while data:
                try:
                    decoder.decompress(data)
                except zlib.error:
                    return valid
                if not decoder.eof:
                    pos += len(data)
                    break
                valid = pos = pos + len(data) - len(decoder.unused_data)
                data = decoder.unused_data
                decoder = zlib.decompressobj(wbits=31)
    return valid


def repair_part(path: Path) -> int:
    """Truncate a part to its complete members; returns the bytes dropped (0: it was whole)."""
    size = path.stat().st_size
    valid = complete_bytes(path)
    if valid < size:
        os.truncate(path, valid)
    return size - valid


def done_usernames(directory: Path, *, repair: bool = True) -> set[str]:
    """Lower-cased usernames already written with a final status; cut tails truncated first."""
    done: set[str] = set()
    for path in sorted(directory.glob(PART_GLOB)):
        if repair and (dropped := repair_part(path)):
            log.warning(
                "%s: dropped %d bytes of an incomplete last record (interrupted run)",
                path.name,
                dropped,
            )
        for record in iter_records(path, errors="skip"):
            if record.http_status in DONE_STATUSES:
                done.add(record.username.lower())
    return done


# --- writing --------------------------------------------------------------------------------


class PartWriter:
    """Appends one gzip member per record to a new part file, flushed at once (kill-safe)."""

    def __init__(self, directory: Path) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.path = directory / f"part-{stamp}-{os.getpid()}.jsonl.gz"
        self._handle: IO[bytes] | None = None
        self.written = 0

    def write(self, record: dict[str, Any]) -> None:
        if self._handle is None:
            self._handle = open(self.path, "ab")  # noqa: SIM115 - closed in close()
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        self._handle.write(gzip.compress(line.encode("utf-8"), compresslevel=6, mtime=0))
        self._handle.flush()
        self.written += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


# --- collecting -----------------------------------------------------------------------------


@dataclass
class Summary:
    """Counts of one run (``already_done`` = skipped because an earlier run finished them)."""

    total: int = 0
    already_done: int = 0
    fetched: int = 0
    private: int = 0
    missing: int = 0
    failed: int = 0
    invalid: int = 0
    entries: int = 0
    seconds: float = 0.0
    stopped_early: bool = False
    failed_users: list[str] = field(default_factory=list)

    def line(self) -> str:
        rate = (self.fetched + self.private + self.missing) / self.seconds if self.seconds else 0.0
        return (
            f"fetched {self.fetched}, private {self.private}, missing {self.missing}, "
            f"failed {self.failed}, invalid {self.invalid}, already done {self.already_done} "
            f"(of {self.total}); {self.entries} entries in {self.seconds:.1f}s "
            f"({rate:.1f} users/s)"
        )


def read_usernames(path: Path) -> list[str]:
    """One username per line (blank lines and ``#`` comments skipped), de-duplicated
    case-insensitively in file order."""
    seen: set[str] = set()
    names: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        name = raw.strip()
        if not name or name.startswith("#") or name.lower() in seen:
            continue
        seen.add(name.lower())
        names.append(name)
    return names


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


async def collect(
    usernames: Iterable[str],
    out_dir: Path,
    client: MalClient,
    *,
    summary: Summary | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    throttle_pause: float = THROTTLE_PAUSE_SECONDS,
    max_consecutive_failures: int = MAX_CONSECUTIVE_FAILURES,
) -> Summary:
    """Fetch every not-yet-done user's list into a new part file in ``out_dir``.

    Stops early (``summary.stopped_early``) after ``max_consecutive_failures`` users in a row
    failed: MAL is down or unreachable, and the rest are better left to a later run.
    """
    summary = summary or Summary()
    started = time.monotonic()
    names = list(usernames)
    done = done_usernames(out_dir)
    pending = [n for n in names if n.lower() not in done]
    summary.total = len(names)
    summary.already_done = len(names) - len(pending)
    queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
    for name in pending:
        queue.put_nowait((name, 0))
    writer = PartWriter(out_dir)
    bar = tqdm(
        total=len(names),
        initial=summary.already_done,
        unit="user",
        desc="collect",
        disable=None if progress is None else not progress,
        file=sys.stderr,
        smoothing=0.05,
    )

    streak = 0

    def fail(name: str) -> None:
        nonlocal streak
        summary.failed += 1
        summary.failed_users.append(name)
        bar.update(1)
        streak += 1
        if streak >= max_consecutive_failures and not summary.stopped_early:
            summary.stopped_early = True
            log.error("%d users in a row failed; stopping (rerun later to resume)", streak)

    def finish(name: str, status: int, entries: list[dict[str, Any]]) -> None:
        nonlocal streak
        streak = 0
        writer.write(
            {"username": name, "http_status": status, "fetched_at": _now(), "entries": entries}
        )
        bar.update(1)

    async def work() -> None:
        while not summary.stopped_early:
            try:
                name, throttled = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                mal_entries = await client.get_animelist(name)
            except ListPrivate:
                summary.private += 1
                finish(name, 403, [])
            except UserNotFound:
                summary.missing += 1
                finish(name, 404, [])
            except InvalidUsername:
                summary.invalid += 1
                bar.update(1)
            except MalThrottled:
                if throttled < MAX_THROTTLE_RETRIES:
                    pause = throttle_pause * 2**throttled
                    log.warning("MAL is throttling us; pausing %.0fs", pause)
                    client.limiter.defer(pause)
                    queue.put_nowait((name, throttled + 1))
                else:
                    fail(name)
            except MalError as exc:
                log.warning("%s: %s", name, exc)
                fail(name)
            else:
                summary.fetched += 1
                summary.entries += len(mal_entries)
                finish(name, 200, [e.to_record() for e in mal_entries])

    n_workers = max(1, workers or client.limiter.max_concurrency)
    try:
        # A worker only stops when the queue is empty, so a throttled user re-queued by one
        # worker is picked up by another (or by itself) later.
        await asyncio.gather(*(work() for _ in range(n_workers)))
    finally:
        writer.close()
        bar.close()
        summary.seconds = time.monotonic() - started
    return summary


@contextlib.contextmanager
def _exclusive(directory: Path) -> Iterator[None]:
    """Hold ``directory/.collect.lock`` (the OS releases it even after ``kill -9``)."""
    with open(directory / ".collect.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"another collector is writing to {directory}") from None
        yield


def run_collect(args: argparse.Namespace) -> int:
    """The ``collect`` sub-command."""
    try:
        settings = load_settings(MalSettings, env_file=args.env_file)
    except SettingsError as exc:
        print(f"collect: {exc}", file=sys.stderr)
        return 2
    updates: dict[str, Any] = {}
    if args.limit_rps is not None:
        updates["mal_requests_per_second"] = args.limit_rps
    if args.concurrency is not None:
        updates["mal_max_concurrency"] = args.concurrency
    settings = settings.model_copy(update=updates)
    configure_logging(args.log_level, [settings.mal_client_id.get_secret_value()])
    names = read_usernames(args.usernames)
    args.out.mkdir(parents=True, exist_ok=True)
    summary = Summary()

    async def main() -> None:
        async with MalClient.from_settings(settings) as client:
            await collect(names, args.out, client, summary=summary)

    with _exclusive(args.out):
        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            print(
                f"interrupted: {summary.fetched + summary.private + summary.missing} users "
                "written this run; rerun the same command to resume.",
                file=sys.stderr,
            )
            return 130
    print(f"collect: {summary.line()}")
    if summary.stopped_early:
        print(
            "collect: stopped early after many failures in a row (is MAL_API_BASE_URL "
            "reachable?); rerun the same command to resume.",
            file=sys.stderr,
        )
        return 1
    if summary.failed:
        print(
            f"collect: {summary.failed} users failed (e.g. {', '.join(summary.failed_users[:5])});"
            " rerun the same command to retry them.",
            file=sys.stderr,
        )
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "collect",
        help="fetch public MAL lists into gzip JSONL (resumable)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--usernames", type=Path, required=True, help="file with one MAL username per line"
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--limit-rps",
        type=float,
        default=None,
        help="MAL requests per second (default: MAL_REQUESTS_PER_SECOND; 0 = no limit)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="requests in flight (default: MAL_MAX_CONCURRENCY)",
    )
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    parser.add_argument("--log-level", default="WARNING")
    parser.set_defaults(handler=run_collect)
