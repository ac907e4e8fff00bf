"""Read-then-insert writes that several bot processes may run at once on PostgreSQL."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError

log = logging.getLogger(__name__)
ATTEMPTS = 3
P = ParamSpec("P")
T = TypeVar("T")


def retry_on_conflict(
    write: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """Run ``write`` again when its insert hit a key another process inserted after ``write``
    read the table (PostgreSQL's READ COMMITTED; SQLite's ``BEGIN IMMEDIATE`` serializes
    writers, so it never happens there). The retry reads the row and takes the update path;
    seen first when three processes seeded the same model's titles at start-up."""

    @functools.wraps(write)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await write(*args, **kwargs)
            except IntegrityError:
                if attempt == ATTEMPTS:
                    raise
                log.info("%s: another process wrote the same rows; again", write.__qualname__)
        raise AssertionError("unreachable")

    return wrapper
