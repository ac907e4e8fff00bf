"""Each member's last ``/recommend`` answer, and warming it before it is asked for.

The model's answer is a pure function of the served model, the member's profile (list and
marks) and the query, so the cache key is exactly those (:func:`answer_key`): a list refresh,
a new mark, another filter or a model swap is a different key, never a stale answer, and nothing
has to be invalidated. The bot reads the profile on every call anyway (one query); what a hit
saves is the model's work, ~20–40 ms of CPU per member (README "Where the time went").

:class:`Prefetcher` computes the default answer of a member who has just linked (the command
that usually comes next is ``/recommend``) in the background, and only while the model's pool
has nothing else to do, so it never delays a member who is waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from model import ProfileEntry
    from model.recommender.query import RecommendationQuery
    from model.results import Recommendation

log = logging.getLogger(__name__)

PREFETCH_QUEUE_MAX = 10_000
"""Members waiting for a warm-up; past this the oldest are dropped (a warm-up is optional)."""


class AnswerKey(NamedTuple):
    """What an answer depends on: the pool's model generation (bumped by every swap), the
    profile as the model reads it, the query (filters, excluded ids, NSFW rule)."""

    generation: int
    entries: tuple[ProfileEntry, ...]
    query: RecommendationQuery


def answer_key(
    generation: int, entries: Sequence[ProfileEntry], query: RecommendationQuery
) -> AnswerKey:
    return AnswerKey(generation, tuple(entries), query)


class AnswerCache:
    """The last answer per member (LRU over members, ``size`` of them; 0 keeps none)."""

    def __init__(self, size: int) -> None:
        self.size = max(0, size)
        self._answers: OrderedDict[int, tuple[AnswerKey, list[Recommendation]]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, member: int, key: AnswerKey) -> list[Recommendation] | None:
        """The member's answer when it was computed for ``key``."""
        found = self._answers.get(member)
        if found is None or found[0] != key:
            self.misses += 1
            return None
        self._answers.move_to_end(member)
        self.hits += 1
        return found[1]

    def put(self, member: int, key: AnswerKey, answer: list[Recommendation]) -> None:
        if self.size == 0:
            return
        self._answers[member] = (key, answer)
        self._answers.move_to_end(member)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)

    def key_of(self, member: int) -> AnswerKey | None:
        """The key of the member's kept answer (not a use: order and counts unchanged)."""
        found = self._answers.get(member)
        return None if found is None else found[0]

    def members(self) -> list[tuple[int, AnswerKey]]:
        """(member, key) of every answer kept, the most recently used first."""
        return [(member, found[0]) for member, found in reversed(self._answers.items())]

    def forget(self, member: int) -> None:
        """Drop the member's answer (``/unlink``: nothing of theirs is kept)."""
        self._answers.pop(member, None)


class Prefetcher:
    """Runs ``warm(member, allow_nsfw)`` (True when it computed an answer) for queued members
    while ``idle()`` says the model has nothing else to do, up to ``batch`` at once (they share
    the pool's batches)."""

    def __init__(
        self,
        warm: Callable[[int, bool], Awaitable[bool]],
        idle: Callable[[], bool],
        *,
        batch: int = 8,
        poll: float = 0.02,
    ) -> None:
        self._warm = warm
        self._idle = idle
        self.batch = max(1, batch)
        self.poll = poll
        self._queue: deque[tuple[int, bool]] = deque(maxlen=PREFETCH_QUEUE_MAX)
        self._waiting: set[tuple[int, bool]] = set()  # what the queue holds (rewarms repeat)
        self._task: asyncio.Task[None] | None = None
        self._warming = 0
        self.done = 0

    @property
    def queued(self) -> int:
        """Members waiting for a warm-up (metrics; a load test waits for 0)."""
        return len(self._queue) + self._warming

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def add(self, member: int, allow_nsfw: bool) -> None:
        """Queue a warm-up (a member already queued keeps one place)."""
        item = (member, allow_nsfw)
        if item not in self._waiting:
            if len(self._queue) == self._queue.maxlen:
                self._waiting.discard(self._queue[0])  # the oldest is dropped by the append
            self._queue.append(item)
            self._waiting.add(item)
        if not self.running:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no event loop here: the next add() from one drains it
                return
            self._task = loop.create_task(self._drain())

    async def _drain(self) -> None:
        while self._queue:
            # The pool has no "idle" event to wait on; a 20 ms poll costs nothing measurable.
            while not self._idle():  # noqa: ASYNC110
                await asyncio.sleep(self.poll)
            chosen = [self._queue.popleft() for _ in range(min(self.batch, len(self._queue)))]
            self._waiting.difference_update(chosen)
            self._warming = len(chosen)
            try:
                results = await asyncio.gather(
                    *(self._warm(member, nsfw) for member, nsfw in chosen),
                    return_exceptions=True,
                )
            finally:
                self._warming = 0
            for (member, _), result in zip(chosen, results, strict=True):
                if isinstance(result, BaseException):
                    # Optional work: the member's own /recommend says what is wrong.
                    log.debug("warm-up of member %d skipped: %r", member, result)
                elif result:
                    self.done += 1

    async def close(self) -> None:
        """Stop warming (queued members are forgotten)."""
        self._queue.clear()
        self._waiting.clear()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
