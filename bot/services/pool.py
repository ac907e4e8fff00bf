"""The recommender behind a bounded thread pool, with micro-batching of concurrent requests.

The model's NumPy work runs in ``threads`` worker threads (NumPy releases the GIL in matrix
products), so the event loop keeps serving the gateway's heartbeats. Concurrent ``recommend``
calls with the same :class:`~model.RecommendationQuery` are gathered into one
:meth:`Recommender.recommend_many` pass:
requests that arrive while the workers are busy wait together and go through as one batch,
which costs far less than one pass each.

The model can be replaced while the bot runs (:meth:`RecommenderPool.swap`): calls already
running finish on the old recommender, every batch and call started afterwards uses the new one,
and the old one's helper threads are stopped and the pool's reference dropped as soon as its last
call returns (its memory-mapped weights go with the last reference).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import weakref
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from bot.gcpauses import freeze_long_lived
from bot.services.errors import NoModel
from model.recommender.query import RecommendationQuery

if TYPE_CHECKING:
    from model import ProfileEntry, Recommender
    from model.results import Recommendation

log = logging.getLogger(__name__)
T = TypeVar("T")
COLLECT_ATTEMPTS = 10  # ~50 ms … 30 s after the last call: about 1.5 minutes in all
_Waiting = tuple[tuple["ProfileEntry", ...], "asyncio.Future[list[Recommendation]]"]


class RecommenderPool:
    """Serves one :class:`~model.Recommender` (or none: every call raises :class:`NoModel`)."""

    def __init__(
        self,
        recommender: Recommender | None,
        *,
        threads: int = 2,
        max_batch: int = 32,
        window: float = 0.002,
    ) -> None:
        self.recommender = recommender
        self.threads = max(1, threads)
        self.max_batch = max(1, max_batch)
        self.window = window
        self._executor: ThreadPoolExecutor | None = None
        self._slots = asyncio.Semaphore(self.threads)
        self._pending: dict[RecommendationQuery, list[_Waiting]] = defaultdict(list)
        self._drainers: dict[RecommendationQuery, int] = defaultdict(int)
        self._tasks: set[asyncio.Task[None]] = set()
        self.batch_sizes: deque[int] = deque(maxlen=1000)  # recent batches (metrics, tests)
        self.generation = 0  # bumped by every swap
        self._in_flight: dict[int, int] = defaultdict(int)  # id(recommender) → calls running
        self._retiring: dict[int, Recommender] = {}  # swapped out, calls still running
        self.released = 0  # replaced models whose memory is freed (nothing refers to them)
        self.on_swap: list[Callable[[], None]] = []  # called after every swap

    @property
    def available(self) -> bool:
        return self.recommender is not None

    def require(self) -> Recommender:
        """The loaded recommender; raises :class:`NoModel` when there is none."""
        if self.recommender is None:
            raise NoModel()
        return self.recommender

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="recommender")
        return self._executor

    @property
    def queued(self) -> int:
        """``recommend`` calls waiting for a batch (metrics)."""
        return sum(len(waiting) for waiting in self._pending.values())

    @property
    def running(self) -> int:
        """Batches and calls running in the worker threads now (metrics)."""
        return sum(self._in_flight.values())

    @property
    def retiring(self) -> int:
        """Swapped-out recommenders whose calls have not all returned yet."""
        return len(self._retiring)

    def swap(self, recommender: Recommender | None) -> Recommender | None:
        """Serve ``recommender`` from now on; returns the one it replaces. The old one is
        closed and forgotten once its running calls return (at once if none are)."""
        old, self.recommender = self.recommender, recommender
        self.generation += 1
        if old is not None and old is not recommender:
            self._retiring[id(old)] = old
            self._release_if_idle(old)
        for listener in self.on_swap:
            listener()
        return old

    def _hold(self, recommender: object) -> None:
        self._in_flight[id(recommender)] += 1

    def _release(self, recommender: object) -> None:
        key = id(recommender)
        self._in_flight[key] -= 1
        if self._in_flight[key] <= 0:
            del self._in_flight[key]
        retired = self._retiring.get(key)
        if retired is not None:
            self._release_if_idle(retired)

    def _release_if_idle(self, old: Recommender) -> None:
        if self._in_flight.get(id(old)):
            return
        del self._retiring[id(old)]
        try:
            old.close()
        except Exception:
            log.exception("closing the replaced model failed")
        self._collect(weakref.ref(old), 0)

    def _collect(self, ref: weakref.ref[Recommender], attempt: int) -> None:
        """Free the replaced model's memory: once nothing refers to it, a cyclic collection
        (its objects hold reference cycles, so without one its weights would stay mapped until
        the GC's next full pass; measured with ``python -m fakes.swapbench``). Callers that
        still hold it (a command finishing its reply) are waited for, with backoff."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if attempt > 0 or loop is None:
            if ref() is None:
                # Freed by reference counting: no full collection (0.36 s on the event loop
                # while the Recommender still held a cycle through its CandidateFilter).
                self.released += 1
                log.info("model swap: the replaced model is released")
                freeze_long_lived()  # the new model's catalog lives as long
                return
            started = time.perf_counter()
            gc.collect()
            if ref() is None:
                self.released += 1
                log.info(
                    "model swap: the replaced model is released (gc in %.0f ms)",
                    (time.perf_counter() - started) * 1000,
                )
                freeze_long_lived()
                return
            if loop is None or attempt >= COLLECT_ATTEMPTS:
                log.warning("model swap: the replaced model is still referenced; not freed yet")
                return
        assert loop is not None
        loop.call_later(min(30.0, 0.05 * 2**attempt), self._collect, ref, attempt + 1)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` in a worker thread, within the pool's bound. A bound
        method of a recommender counts as a call on it (a swap waits for it to return)."""
        owner = getattr(fn, "__self__", None)
        self._hold(owner)
        try:
            async with self._slots:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(self._pool(), partial(fn, *args, **kwargs))
        finally:
            self._release(owner)

    async def recommend(
        self, entries: Sequence[ProfileEntry], query: RecommendationQuery | None = None
    ) -> list[Recommendation]:
        """``Recommender.recommend``, micro-batched with concurrent calls of an equal query
        (default: :class:`~model.RecommendationQuery`'s defaults)."""
        self.require()
        key = query if query is not None else RecommendationQuery()
        future: asyncio.Future[list[Recommendation]] = asyncio.get_running_loop().create_future()
        self._pending[key].append((tuple(entries), future))
        if self._drainers[key] < self.threads:
            self._drainers[key] += 1
            task = asyncio.create_task(self._drain(key))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self, key: RecommendationQuery) -> None:
        loop = asyncio.get_running_loop()
        try:
            if self.window:
                await asyncio.sleep(self.window)  # let callers arriving together share a batch
            while True:
                async with self._slots:
                    queue = self._pending.get(key, [])
                    batch = [item for item in queue[: self.max_batch] if not item[1].done()]
                    self._pending[key] = queue[self.max_batch :]
                    if not batch:
                        if not self._pending[key]:
                            return
                        continue
                    # Read per batch: a batch taken after a swap runs on the new model.
                    recommender = self.recommender
                    if recommender is None:
                        for _, future in batch:
                            if not future.done():
                                future.set_exception(NoModel())
                        continue
                    call = partial(
                        recommender.recommend_many, [profile for profile, _ in batch], key
                    )
                    self._hold(recommender)
                    try:
                        results = await loop.run_in_executor(self._pool(), call)
                    except Exception as exc:
                        log.exception("recommend_many failed for a batch of %d", len(batch))
                        for _, future in batch:
                            if not future.done():
                                future.set_exception(exc)
                        continue
                    finally:
                        del call
                        self._release(recommender)
                        del recommender  # so a replaced model is not kept alive by this frame
                    self.batch_sizes.append(len(batch))
                    for (_, future), result in zip(batch, results, strict=True):
                        if not future.done():
                            future.set_result(result)
        finally:
            self._drainers[key] -= 1
            if not self._drainers[key]:
                del self._drainers[key]
                if not self._pending.get(key):
                    self._pending.pop(key, None)

    async def close(self) -> None:
        """Finish queued work, then stop the threads."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
