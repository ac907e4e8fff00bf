"""What kind of storage failure an exception is, and one clear log line per kind.

Four kinds reach members as a short message (``bot.error_policy``) instead of a traceback:
the database is unreachable (PostgreSQL restarting, network), it refuses writes (a read-only
file system or database, ``default_transaction_read_only``), it is full (disk, quota, SQLite's
``max_page_count``), or a SQLite writer waited out its lock. Reads keep working in the second
and third cases, so the bot goes on answering from what is stored.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy.exc

log = logging.getLogger(__name__)
LOG_EVERY = 60.0
UNREACHABLE, READ_ONLY, FULL, BUSY = "unreachable", "read-only", "full", "busy"

# PostgreSQL SQLSTATEs: read_only_sql_transaction, disk_full, insufficient_resources,
# admin/crash shutdown, cannot_connect_now.
_SQLSTATES = {
    "25006": READ_ONLY,
    "53100": FULL,
    "53000": FULL,
    "57P01": UNREACHABLE,
    "57P02": UNREACHABLE,
    "57P03": UNREACHABLE,
}
_PHRASES = (
    ("readonly database", READ_ONLY),
    ("read-only", READ_ONLY),
    ("disk is full", FULL),
    ("no space left", FULL),
    ("database is locked", BUSY),
    ("connection", UNREACHABLE),
    ("could not connect", UNREACHABLE),
    ("server closed", UNREACHABLE),
    ("the database system is", UNREACHABLE),  # starting up / shutting down
    ("unable to open database", UNREACHABLE),
)
_logged: dict[str, float] = {}


def storage_problem(error: BaseException) -> str | None:
    """``UNREACHABLE``, ``READ_ONLY``, ``FULL`` or ``BUSY`` for a storage failure, else None."""
    if isinstance(error, sqlalchemy.exc.TimeoutError):  # no pooled connection came free
        return UNREACHABLE
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        if error.connection_invalidated:
            return UNREACHABLE
        state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        if state in _SQLSTATES:
            return _SQLSTATES[state]
    elif not isinstance(error, ConnectionError | sqlalchemy.exc.SQLAlchemyError):
        return None
    if isinstance(error, ConnectionError):  # asyncpg's connect, refused or reset
        return UNREACHABLE
    text = str(error).lower()
    return next((kind for phrase, kind in _PHRASES if phrase in text), None)


def reset_log() -> None:
    """Forget what was logged, so the next problem of each kind is logged at once (tests)."""
    _logged.clear()


def log_storage_problem(kind: str, error: BaseException) -> None:
    """One clear line per kind and minute (a failing database fails every command)."""
    now = time.monotonic()
    if now - _logged.get(kind, float("-inf")) < LOG_EVERY:
        return
    _logged[kind] = now
    first = (str(error).splitlines() or [type(error).__name__])[0][:300]
    if kind in (READ_ONLY, FULL):
        log.error(
            "database refuses writes (%s): %s; nothing new is saved, members are still "
            "answered from what is stored",
            kind,
            first,
        )
    elif kind == UNREACHABLE:
        log.error(
            "database unreachable: %s; commands fail with a short message until it is back", first
        )
    else:
        log.warning("database busy (a writer held the lock too long): %s", first)
