"""The threads of one recommender: BLAS threads per call, helper threads that split a call."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from model.threads import local_blas_threads

DEFAULT_WORKERS = min(2, os.cpu_count() or 1)
"""Worker threads per call unless told otherwise: both cores of the 2-core serving machine."""

_T = TypeVar("_T")
_P = ParamSpec("_P")


class Workers:
    """Threads that share one call: the caller and ``count − 1`` helpers, one BLAS thread each.

    A call may cut its work into tasks (the halves of a batch's first layer, the two heads of a
    pass or the two column halves of the presence output layer, the same cuts in each chunk of
    a holdout pass) and hand them to :meth:`split`. They run on the helpers only while no other
    call is in progress, so a caller's own pool (the bot's ``RECOMMENDER_THREADS``, 2) is never
    joined by a third busy thread; the work is cut the same way on one thread or two, so the
    numbers do not depend on it. The default (2 on a 2-core machine) uses the idle second core
    of a chat bot's usual single request; 1 keeps every call on its caller's thread.

    ``blas_threads`` is the OpenBLAS thread count of each call, set for the calling thread only
    (``None`` leaves BLAS as it is).
    """

    def __init__(self, count: int = DEFAULT_WORKERS, blas_threads: int | None = 1) -> None:
        self.count = max(1, int(count))
        self.blas_threads = blas_threads
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._active = 0  # calls in progress, over all threads
        self._thread = threading.local()

    @property
    def active(self) -> int:
        """Calls in progress, over all threads."""
        return self._active

    @property
    def started(self) -> bool:
        """Whether the helper threads have been started."""
        return self._executor is not None

    @contextmanager
    def call(self) -> Iterator[None]:
        """One call: counted while it runs (each thread's outermost only), with this
        recommender's BLAS thread count on the calling thread."""
        state = self._thread
        depth = getattr(state, "depth", 0)
        state.depth = depth + 1
        if depth == 0:
            with self._lock:
                self._active += 1
        try:
            with local_blas_threads(self.blas_threads):
                yield
        finally:
            state.depth = depth
            if depth == 0:
                with self._lock:
                    self._active -= 1

    def splitting(self) -> bool:
        """Whether a call may use the helper threads now: ``count > 1`` and no other call in
        progress (another call already keeps the other core busy, e.g. the bot's own pool;
        splitting would only add a third thread to two cores and halve the GEMM batches)."""
        return self.count >= 2 and self._active <= 1

    def split(self, tasks: Sequence[Callable[[], _T]]) -> list[_T]:
        """Run ``tasks`` on the calling thread and the helpers; results in order.

        The caller never just waits: it runs the first task itself, then takes back, from the
        end, every task no helper has started yet (``Future.cancel`` succeeds only then), and
        waits only for tasks already running. Helpers never submit work themselves, so
        concurrent calls cannot deadlock.
        """
        if len(tasks) < 2 or not self.splitting():
            return [task() for task in tasks]
        threads = self.blas_threads

        def local(task: Callable[[], _T]) -> _T:
            with local_blas_threads(threads):
                return task()

        pool = self.pool()
        futures: list[Future[_T]] = [pool.submit(local, task) for task in tasks[1:]]
        first = tasks[0]()
        taken: dict[int, _T] = {}
        for i in range(len(futures) - 1, -1, -1):
            if futures[i].cancel():
                taken[i] = tasks[i + 1]()
        rest = [taken[i] if i in taken else f.result() for i, f in enumerate(futures)]
        return [first, *rest]

    def pool(self) -> ThreadPoolExecutor:
        """The helper threads, started on first use."""
        with self._lock:
            if self._executor is None:
                # The caller works too (see split): count − 1 helpers.
                self._executor = ThreadPoolExecutor(
                    max(1, self.count - 1), thread_name_prefix="anirec"
                )
            return self._executor

    def close(self) -> None:
        """Stop the helper threads (started only when ``count > 1``)."""
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown()
                self._executor = None


class UsesWorkers(Protocol):
    """An object whose public calls run under its :class:`Workers`."""

    @property
    def threads(self) -> Workers: ...


_S = TypeVar("_S", bound=UsesWorkers)


def one_call(method: Callable[Concatenate[_S, _P], _T]) -> Callable[Concatenate[_S, _P], _T]:
    """Run a public method as one call of its object's :class:`Workers`."""

    @functools.wraps(method)
    def wrapper(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        with self.threads.call():
            return method(self, *args, **kwargs)

    return wrapper
