"""The scheduled model refresh: ``python -m training refresh`` as its own low-priority process.

The bot never trains in its event loop or its process: every ``MODEL_REFRESH_DAYS`` it starts
``MODEL_REFRESH_COMMAND`` (default ``python -m training refresh --to {model_path}``; ``python`` is
this interpreter) under ``nice -n 10``, with ``MODEL_REFRESH_THREADS`` threads for BLAS, OpenMP
and XLA, and logs its output line by line. The refresh promotes a better model itself
(``python -m training promote``); the bot's :class:`~bot.services.modelwatch.ModelWatcher` then
swaps it in. One refresh at a time; a second request while one runs is refused.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.services.modelinfo import RefreshState

log = logging.getLogger(__name__)
NICENESS = 10
MAX_LINE = 500


def refresh_argv(command: str, model_path: Path) -> list[str]:
    """The refresh command as an argv: ``{model_path}`` filled in, a leading ``python`` made
    this interpreter, under ``nice`` when the system has it."""
    argv = [part.replace("{model_path}", str(model_path)) for part in shlex.split(command)]
    if not argv:
        raise ValueError("MODEL_REFRESH_COMMAND is empty")
    if argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    nice = shutil.which("nice")
    return [nice, "-n", str(NICENESS), *argv] if nice else argv


def refresh_env(threads: int) -> dict[str, str]:
    """This process's environment with the training's threads bounded to ``threads``."""
    env = dict(os.environ)
    for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[key] = str(threads)
    env["XLA_FLAGS"] = (
        f"{env.get('XLA_FLAGS', '')} --xla_cpu_multi_thread_eigen=false "
        f"intra_op_parallelism_threads={threads}"
    ).strip()
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _now() -> datetime:
    return datetime.now(UTC)


class ModelRefresher:
    """Runs the refresh command on a schedule (or when asked) and remembers how it went."""

    def __init__(
        self, command: str, model_path: Path, *, every_days: float = 0.0, threads: int = 1
    ) -> None:
        self.command = command
        self.model_path = model_path
        self.every_days = every_days
        self.threads = threads
        self.running = False
        self.last_started: datetime | None = None
        self.last_finished: datetime | None = None
        self.last_exit: int | None = None
        self.last_line: str | None = None
        self._process: asyncio.subprocess.Process | None = None

    @property
    def enabled(self) -> bool:
        return self.every_days > 0

    def next_due(self) -> datetime | None:
        if not self.enabled:
            return None
        if self.last_started is None:
            return None  # the first run is the loop's first iteration
        return self.last_started + timedelta(days=self.every_days)

    def state(self) -> RefreshState:
        due = self.next_due()
        return RefreshState(
            enabled=self.enabled,
            every_days=self.every_days,
            running=self.running,
            last_started=self.last_started.isoformat(timespec="seconds")
            if self.last_started
            else None,
            last_finished=self.last_finished.isoformat(timespec="seconds")
            if self.last_finished
            else None,
            last_exit=self.last_exit,
            last_line=self.last_line,
            next_due=due.isoformat(timespec="seconds") if due else None,
        )

    async def run_once(self) -> int | None:
        """Run the refresh to its end; its exit status (``None``: one was already running or
        it could not start, said in the log)."""
        if self.running:
            log.info("model refresh: one is already running")
            return None
        self.running = True
        self.last_started = _now()
        self.last_line = None
        try:
            argv = refresh_argv(self.command, self.model_path)
            log.info("model refresh: starting %s", shlex.join(argv))
            try:
                self._process = await asyncio.create_subprocess_exec(
                    *argv,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.STDOUT,
                    stdin=asyncio.subprocess.DEVNULL,
                    env=refresh_env(self.threads),
                )
            except (OSError, ValueError) as exc:
                log.error("model refresh: could not start (%s)", exc)
                self.last_exit = None
                self.last_line = f"could not start: {exc}"
                return None
            assert self._process.stdout is not None
            async for raw in self._process.stdout:
                line = raw.decode("utf-8", "replace").rstrip()[:MAX_LINE]
                if line:
                    self.last_line = line
                    log.info("model refresh: %s", line)
            code = await self._process.wait()
            self.last_exit = code
            if code == 0:
                log.info("model refresh: finished")
            else:
                log.error("model refresh: exited with status %d (%s)", code, self.last_line)
            return code
        finally:
            self.running = False
            self.last_finished = _now()
            self._process = None

    async def stop(self) -> None:
        """Stop a running refresh (the bot is shutting down)."""
        process = self._process
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
