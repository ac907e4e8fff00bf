"""The recommender facade: profiles in, ranked and explained titles out (NumPy only).

Ranking uses the unified score (DESIGN.md, "Score"): ``p^w · max(r̂+1, 0.001)^(1−w)`` with p the
presence softmax and r̂ the predicted normalized rating; w comes from the artifact's metadata
("score_weight", default 0.3) and is 1 for profiles with no scores, whose rating head is then
evaluated only for the returned titles. Titles are ranked in the log domain,
``w·(logit − logsumexp) + (1−w)·log max(r̂+1, 0.001)``, which orders them exactly like the score
without the N powers; the returned scores are :func:`model.reference.unified_score`.

A :class:`Recommender` holds only read-only state, so any number of threads may call it at once.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from model import explain
from model.artifact import Artifact, load_artifact
from model.encoding import CorpusIndex, encode_batch, encode_entries
from model.engine import DTYPE, Engine, SparseInput, logsumexp
from model.explain import Holdout, holdout
from model.features import EncodedProfile, dedupe
from model.profile import ProfileEntry
from model.reference import unified_score
from model.results import Contributor, Explanation, ProfileInsights, Recommendation
from model.threads import local_blas_threads

_RATING_FLOOR = 1e-3  # max(r̂+1, 0.001) in the unified score
_MIN_VARIANTS_PER_WORKER = 16  # below this, splitting a holdout pass costs more than it saves
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)
"""Worker threads per call unless told otherwise: both cores of the 2-core serving machine."""
_MIN_SPLIT_FIRST_LAYER = 8  # profiles in a batch before its first layer is cut in two
_F = TypeVar("_F", bound=Callable[..., Any])
_T = TypeVar("_T")


def _blas(method: _F) -> _F:
    """Run a public method with the recommender's BLAS thread count for the calling thread."""

    @functools.wraps(method)
    def wrapper(self: Recommender, *args: Any, **kwargs: Any) -> Any:
        state = self._thread
        depth = getattr(state, "depth", 0)
        state.depth = depth + 1
        if depth == 0:  # count each thread's outermost call only
            with self._pool_lock:
                self._active += 1
        try:
            with local_blas_threads(self.blas_threads):
                return method(self, *args, **kwargs)
        finally:
            state.depth = depth
            if depth == 0:
                with self._pool_lock:
                    self._active -= 1

    return wrapper  # type: ignore[return-value]


@dataclass(slots=True)
class _Pass:
    """One profile's forward pass: what ranking, filters and explanations read."""

    profile: EncodedProfile
    inp: SparseInput
    weight: float
    pre0: np.ndarray  # (H,) first pre-activation, for the holdout variants
    logits: np.ndarray  # (N,) graft included
    lse: float
    rating_hidden: np.ndarray  # (D,) input of the rating head's output layer
    ratings: np.ndarray | None  # (N,) when the ranking needed them
    graft: np.ndarray | None  # (N,)
    offset: float  # the rating offset (0 for models without one), included in ``ratings``
    engine: Engine

    def ratings_at(self, columns: np.ndarray) -> np.ndarray:
        if self.ratings is not None:
            return self.ratings[columns]
        return self.engine.ratings(self.rating_hidden[None, :], columns)[0] + DTYPE(self.offset)

    def presence_at(self, columns: np.ndarray) -> np.ndarray:
        return np.exp(self.logits[columns] - self.lse)

    def scores_at(self, columns: np.ndarray) -> np.ndarray:
        return unified_score(self.presence_at(columns), self.ratings_at(columns), self.weight)

    def log_scores(self) -> np.ndarray:
        """Monotone in the unified score, for every item."""
        log_p = self.logits - self.lse
        if self.weight >= 1.0:
            return log_p
        assert self.ratings is not None
        w = DTYPE(self.weight)
        return w * log_p + (1 - w) * np.log(np.maximum(self.ratings + 1.0, DTYPE(_RATING_FLOOR)))

    def ranking(self, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(candidates to rank, their log scores) when the k best are wanted."""
        return candidates, self.log_scores()[candidates]


class Recommender:
    """Ranked, filtered and explained recommendations from one artifact."""

    contributors_per_title = 3
    """"Because you watched" entries attached to each recommendation."""
    explanation_contributors = 5
    """Entries listed by :meth:`explain` (up or down)."""
    batch_size = 64
    """Profiles per batched pass in :meth:`recommend_many`."""
    workers = DEFAULT_WORKERS
    """Threads that share one call (the caller and ``workers − 1`` helpers, one BLAS thread
    each): the halves of a batch's first layer, the two heads of a pass (or the two column
    halves of the presence output layer), the same cuts in each chunk of a holdout pass. Only
    while no other call is in progress, so the bot's own pool (``RECOMMENDER_THREADS``, 2) is
    never joined by a third busy thread; the work is cut the same way on one thread or two, so
    the numbers do not depend on it. The default (2 on a 2-core machine) uses the idle second
    core of a chat bot's usual single request; 1 keeps every call on its caller's thread."""

    def __init__(
        self,
        artifact: Artifact,
        *,
        blas_threads: int | None = 1,
        workers: int = DEFAULT_WORKERS,
        fast: str | None = None,
    ) -> None:
        self.artifact = artifact
        self.blas_threads = blas_threads
        self.workers = max(1, int(workers))
        self._executor: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._active = 0  # public calls in progress, over all threads
        self._thread = threading.local()
        self.engine = Engine(artifact.config, artifact.weights)
        self.corpus_ids: np.ndarray = artifact.corpus_ids
        self.n_items: int = artifact.config.n_items
        self.score_weight = artifact.score_weight
        self._index = {int(a): i for i, a in enumerate(self.corpus_ids)}
        self._corpus = CorpusIndex(self.corpus_ids)
        media = np.asarray([item["media_type"] for item in artifact.items])
        self._media_masks = {str(m): media == m for m in np.unique(media)}
        self.fast = fast
        self._fast = None
        if fast is not None:
            from model import fastpath  # onnxruntime only when asked for

            if fast not in fastpath.FAST_MODES:
                raise ValueError(
                    f"unknown fast mode {fast!r}; expected one of {fastpath.FAST_MODES}"
                )
            fastpath.require()
            self._fast = fastpath.Int8OutputLayers(self.engine, copy_columns=fast == "int8-columns")

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        verify: bool = True,
        blas_threads: int | None = 1,
        workers: int = DEFAULT_WORKERS,
        fast: str | None = None,
    ) -> Recommender:
        """Load an artifact (raises :class:`model.artifact.ArtifactError`).

        ``blas_threads`` is the OpenBLAS thread count used by each call, set for the calling
        thread only (the process-wide setting is untouched; ``None`` leaves BLAS as it is).
        The default 1 suits a bot that runs requests in its own thread pool on a shared 2-core
        machine: OpenBLAS's own threads wait for each other at every small GEMV, which costs
        milliseconds as soon as another process holds a core. ``workers`` (see the attribute)
        is the coarser way to use the second core. ``fast="int8"`` (opt-in, needs the extra
        ``anirec[fast]``) ranks unexplained recommendations with int8 output layers and
        re-scores a shortlist exactly (:mod:`model.fastpath`).
        """
        artifact = load_artifact(path, verify=verify)
        return cls(artifact, blas_threads=blas_threads, workers=workers, fast=fast)

    # -- lookups ---------------------------------------------------------------------------

    def position(self, anime_id: int) -> int | None:
        """Corpus position of a title, None outside the corpus."""
        return self._index.get(int(anime_id))

    def item(self, anime_id: int) -> dict | None:
        """{"anime_id", "title", "media_type", "count"} for a corpus title, else None."""
        pos = self.position(anime_id)
        if pos is None:
            return None
        return {**self.artifact.items[pos], "count": int(self.artifact.item_counts[pos])}

    @property
    def media_types(self) -> tuple[str, ...]:
        return tuple(sorted(self._media_masks))

    # -- forward passes --------------------------------------------------------------------

    def encode(self, entries: Sequence[ProfileEntry]) -> EncodedProfile:
        return encode_entries(entries, self._index)

    def encode_many(self, profiles: Sequence[Sequence[ProfileEntry]]) -> list[EncodedProfile]:
        """:meth:`encode` for each profile, vectorized over the batch (equal results)."""
        if len(profiles) == 1:
            return [self.encode(profiles[0])]
        return encode_batch(profiles, self._corpus)

    def _weight(self, profile: EncodedProfile) -> float:
        return self.score_weight if profile.has_scores else 1.0

    def _splitting(self) -> bool:
        """Whether a call may use the helper threads now: ``workers > 1`` and no other call in
        progress (another call already keeps the other core busy, e.g. the bot's own pool;
        splitting would only add a third thread to two cores and halve the GEMM batches)."""
        return self.workers >= 2 and self._active <= 1

    def _parallel(self, tasks: Sequence[Callable[[], _T]]) -> list[_T]:
        """Run ``tasks`` on the calling thread and ``workers − 1`` helper threads; results in
        order.

        Only while no other call is in progress (the bot's own pool already keeps both cores
        busy then). The caller never just waits: it runs the first task itself, then takes back,
        from the end, every task no helper has started yet (``Future.cancel`` succeeds only
        then), and waits only for tasks already running. Helpers never submit work themselves,
        so concurrent calls cannot deadlock.
        """
        if len(tasks) < 2 or not self._splitting():
            return [task() for task in tasks]
        threads = self.blas_threads

        def local(task: Callable[[], _T]) -> _T:
            with local_blas_threads(threads):
                return task()

        pool = self._pool()
        futures: list[Future[_T]] = [pool.submit(local, task) for task in tasks[1:]]
        first = tasks[0]()
        taken: dict[int, _T] = {}
        for i in range(len(futures) - 1, -1, -1):
            if futures[i].cancel():
                taken[i] = tasks[i + 1]()
        rest = [taken[i] if i in taken else f.result() for i, f in enumerate(futures)]
        return [first, *rest]

    def _first_layer(self, inputs: list[SparseInput], run: explain.Parallel) -> np.ndarray:
        """The batch's first pre-activations, in row halves on two threads for large batches
        (row by row, so the cut changes no number)."""
        engine = self.engine
        if len(inputs) < _MIN_SPLIT_FIRST_LAYER:
            return engine.first_layer(inputs)
        half = len(inputs) // 2
        return np.concatenate(
            run(
                [
                    lambda: engine.first_layer(inputs[:half]),
                    lambda: engine.first_layer(inputs[half:]),
                ]
            )
        )

    def _forward(
        self, inputs: list[SparseInput], rows: list[int], parallel: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        """(pre0, rating hidden, logits with graft, ratings at ``rows`` or None, graft or None).

        The pass is cut into tasks where it streams the most bytes: the halves of the batch's
        first layer (row by row, so the cut changes no number), one head each (its hidden layers
        and its output layer) when ratings are needed, else the two column halves of the
        presence output layer, which are always computed as halves. With ``parallel`` (and
        :meth:`_splitting`) the tasks run on two threads (NumPy releases the GIL in all of
        them); either way the numbers are the same.
        """
        engine = self.engine
        run = self._parallel if parallel else explain.serial
        pre0 = self._first_layer(inputs, run)
        z = engine.trunk(pre0)
        mid = self.n_items // 2

        def halves(hp: np.ndarray, run: explain.Parallel) -> np.ndarray:
            left, right = run(
                [
                    lambda: engine.logits(hp, slice(0, mid)),
                    lambda: engine.logits(hp, slice(mid, None)),
                ]
            )
            return np.concatenate([left, right], axis=1)

        def rating_branch() -> tuple[np.ndarray, np.ndarray | None]:
            hr = engine.rating_hidden(z)
            return hr, engine.ratings(hr[rows]) if rows else None

        if rows:

            def presence_branch() -> np.ndarray:
                return halves(engine.presence_hidden(z), explain.serial)

            (hr, ratings), logits = run([rating_branch, presence_branch])
        else:
            hp, (hr, ratings) = engine.presence_hidden(z), rating_branch()
            logits = halves(hp, run)
        graft = engine.graft(inputs) if engine.has_graft else None
        if graft is not None:
            logits += graft
        if ratings is not None and engine.has_rating_offset:
            ratings += engine.offsets([inputs[b] for b in rows])[:, None]
        return pre0, hr, logits, ratings, graft

    def _passes(
        self,
        profiles: Sequence[EncodedProfile],
        parallel: bool = True,
        rank: bool = True,
        fast: bool = False,
    ) -> list[_Pass]:
        """Batched forward; full ratings only for profiles whose ranking needs them.

        ``parallel=False`` when already running on the worker pool (no nested submissions);
        ``rank=False`` when no ranking is asked for (ratings then only where they are read).
        """
        engine = self.engine
        out: list[_Pass] = []
        for start in range(0, len(profiles), self.batch_size):
            chunk = profiles[start : start + self.batch_size]
            inputs = [SparseInput(p.indices, p.values) for p in chunk]
            weights = [self._weight(p) for p in chunk]
            rows = [b for b, w in enumerate(weights) if w < 1.0] if rank else []
            make: type[_Pass] = _Pass
            extras: list[dict[str, Any]] = [{} for _ in chunk]
            if fast:
                from model.fastpath import fast_forward

                pre0, hr, logits, ratings, graft, make, extras = fast_forward(self, inputs, rows)
            else:
                pre0, hr, logits, ratings, graft = self._forward(inputs, rows, parallel)
            offsets = engine.offsets(inputs)
            lse = logsumexp(logits)
            where = {b: r for r, b in enumerate(rows)}
            for b, profile in enumerate(chunk):
                out.append(
                    make(
                        profile=profile,
                        inp=inputs[b],
                        weight=weights[b],
                        pre0=pre0[b],
                        logits=logits[b],
                        lse=float(lse[b]),
                        rating_hidden=hr[b],
                        ratings=ratings[where[b]] if b in where and ratings is not None else None,
                        graft=graft[b] if graft is not None else None,
                        offset=float(offsets[b]),
                        engine=engine,
                        **extras[b],
                    )
                )
        return out

    def _candidates(
        self,
        profile: EncodedProfile,
        media: Collection[str] | None,
        include_planned: bool,
        exclude: Collection[int],
    ) -> np.ndarray:
        if isinstance(media, str):  # one type given bare, not as a collection of characters
            media = (media,)
        if media is None:
            mask = np.ones(self.n_items, dtype=bool)
        else:
            mask = np.zeros(self.n_items, dtype=bool)
            for m in media:
                found = self._media_masks.get(str(m).lower())
                if found is not None:
                    mask |= found
        on_list = profile.excluded
        if include_planned and len(profile.planned):
            on_list = np.setdiff1d(on_list, profile.planned)
        mask[on_list] = False
        for anime_id in exclude:
            pos = self.position(anime_id)
            if pos is not None:
                mask[pos] = False
        return mask

    @staticmethod
    def _top(run: _Pass, mask: np.ndarray, k: int) -> np.ndarray:
        """Positions of the k best candidates, best first."""
        if k <= 0:
            return np.empty(0, dtype=np.int64)
        candidates = np.flatnonzero(mask)
        if len(candidates) == 0:
            return candidates
        candidates, scores = run.ranking(candidates, k)
        if len(candidates) > k:
            part = np.argpartition(-scores, k - 1)[:k]
            candidates, scores = candidates[part], scores[part]
        order = np.lexsort((candidates, -scores))
        return candidates[order]

    def _recommendations(
        self, run: _Pass, top: np.ndarray, contributors: Sequence[tuple[Contributor, ...]] = ()
    ) -> list[Recommendation]:
        if len(top) == 0:
            return []
        presence = run.presence_at(top)
        ratings = run.ratings_at(top)
        scores = unified_score(presence, ratings, run.weight)
        predicted = run.profile.normalizer.denormalize(ratings)
        return [
            Recommendation(
                anime_id=int(self.corpus_ids[pos]),
                score=float(scores[j]),
                presence=float(presence[j]),
                predicted_score=float(predicted[j]),
                contributors=contributors[j] if contributors else (),
            )
            for j, pos in enumerate(top)
        ]

    # -- public API ------------------------------------------------------------------------

    @_blas
    def recommend(
        self,
        entries: Sequence[ProfileEntry],
        k: int = 10,
        *,
        media: Collection[str] | None = None,
        include_planned: bool = False,
        exclude: Collection[int] = (),
        explain: bool = True,
    ) -> list[Recommendation]:
        """The k best titles not on the list (filters: media types, plan-to-watch, ids).

        With ``explain``, each carries its top "because you watched" contributors (one holdout
        pass over the profile).
        """
        if explain:
            recs, _ = self.analyze(
                entries, k, media=media, include_planned=include_planned, exclude=exclude
            )
            return recs
        return self.recommend_many(
            [entries],
            k,
            media=media,
            include_planned=include_planned,
            exclude=exclude,
            explain=False,
        )[0]

    @_blas
    def recommend_many(
        self,
        profiles: Sequence[Sequence[ProfileEntry]],
        k: int = 10,
        *,
        media: Collection[str] | None = None,
        include_planned: bool = False,
        exclude: Collection[int] = (),
        explain: bool = True,
    ) -> list[list[Recommendation]]:
        """:meth:`recommend` for many profiles, in batched passes (explanations per profile)."""
        if explain:
            # One batched forward pass, then a holdout pass per profile.
            runs = self._passes(self.encode_many(profiles))
            return [
                self._analyze(run, p, k, 5, media, include_planned, exclude)[0]
                for run, p in zip(runs, profiles, strict=True)
            ]
        recs, _ = self.recommend_batch(
            profiles, k, media=media, include_planned=include_planned, exclude=exclude
        )
        return recs

    @_blas
    def recommend_batch(
        self,
        profiles: Sequence[Sequence[ProfileEntry]],
        k: int = 10,
        *,
        targets: Sequence[Sequence[int] | None] | None = None,
        media: Collection[str] | None = None,
        include_planned: bool = False,
        exclude: Collection[int] = (),
    ) -> tuple[list[list[Recommendation]], list[list[dict | None] | None]]:
        """Unexplained recommendations and, per profile, :meth:`targets` for the given ids.

        One batched pass serves both (the batch CLI's workhorse).
        """
        wanted = list(targets) if targets is not None else [None] * len(profiles)
        if len(wanted) != len(profiles):
            raise ValueError(f"{len(wanted)} target lists for {len(profiles)} profiles")

        def work(start: int, stop: int) -> list[tuple[list[Recommendation], Any]]:
            encoded = self.encode_many(profiles[start:stop])
            fast = False
            if self._fast is not None:
                from model.fastpath import GATHER_BATCH_LIMIT

                fast = self.fast == "int8-columns" or len(encoded) <= GATHER_BATCH_LIMIT
            runs = self._passes(encoded, fast=fast)
            return [
                (
                    self._recommendations(
                        run,
                        self._top(
                            run,
                            self._candidates(run.profile, media, include_planned, exclude),
                            k,
                        ),
                    ),
                    self._targets(run, ids) if ids is not None else None,
                )
                for run, ids in zip(runs, wanted[start:stop], strict=True)
            ]

        n = len(profiles)
        # Batches of at most ``batch_size``; each pass cuts itself over the workers where it
        # streams the most bytes (see _forward), so the numbers never depend on the cut.
        parts = -(-n // self.batch_size)
        bounds = [(n * i // parts, n * (i + 1) // parts) for i in range(parts)]
        results = [work(start, stop) for start, stop in bounds]
        pairs = [pair for part in results for pair in part]
        return [r for r, _ in pairs], [t for _, t in pairs]

    def _holdout(self, inp: SparseInput, run: _Pass, columns: np.ndarray) -> Holdout:
        # The tasks are cut the same way either way: threads only where they pay off.
        small = inp.size < 2 * _MIN_VARIANTS_PER_WORKER
        parallel = explain.serial if small else self._parallel
        return holdout(self.engine, inp, run.pre0, run.graft, columns, parallel=parallel)

    def _pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._executor is None:
                # The caller works too (see _parallel): workers − 1 helpers.
                self._executor = ThreadPoolExecutor(
                    max(1, self.workers - 1), thread_name_prefix="anirec"
                )
            return self._executor

    def close(self) -> None:
        """Stop the worker threads of batched calls (only started when ``workers > 1``)."""
        with self._pool_lock:
            if self._executor is not None:
                self._executor.shutdown()
                self._executor = None

    @_blas
    def targets(
        self, entries: Sequence[ProfileEntry], anime_ids: Sequence[int]
    ) -> list[dict | None]:
        """{"anime_id", "presence", "predicted_score"} per id from the full profile; None
        for ids outside the corpus."""
        (run,) = self._passes([self.encode(entries)], rank=False)
        return self._targets(run, anime_ids)

    def _targets(self, run: _Pass, anime_ids: Sequence[int]) -> list[dict | None]:
        positions = [self.position(a) for a in anime_ids]
        known = np.asarray([p for p in positions if p is not None], dtype=np.int64)
        presence = run.presence_at(known)
        predicted = run.profile.normalizer.denormalize(run.ratings_at(known))
        out: list[dict | None] = []
        j = 0
        for anime_id, pos in zip(anime_ids, positions, strict=True):
            if pos is None:
                out.append(None)
                continue
            out.append(
                {
                    "anime_id": int(anime_id),
                    "presence": float(presence[j]),
                    "predicted_score": float(predicted[j]),
                }
            )
            j += 1
        return out

    @_blas
    def analyze(
        self,
        entries: Sequence[ProfileEntry],
        k: int = 10,
        *,
        top: int = 5,
        media: Collection[str] | None = None,
        include_planned: bool = False,
        exclude: Collection[int] = (),
    ) -> tuple[list[Recommendation], ProfileInsights]:
        """Explained recommendations and the profile's insights from one holdout pass."""
        (run,) = self._passes([self.encode(entries)])
        return self._analyze(run, entries, k, top, media, include_planned, exclude)

    def _analyze(
        self,
        run: _Pass,
        entries: Sequence[ProfileEntry],
        k: int,
        top: int,
        media: Collection[str] | None,
        include_planned: bool,
        exclude: Collection[int],
    ) -> tuple[list[Recommendation], ProfileInsights]:
        profile, inp = run.profile, run.inp
        best = self._top(run, self._candidates(profile, media, include_planned, exclude), k)
        if inp.size == 0:
            return self._recommendations(run, best), ProfileInsights((), (), profile.unknown_ids)
        scored = inp.indices[profile.scored]
        columns = np.unique(np.concatenate([best, scored]))
        held = self._holdout(inp, run, columns)
        where = np.searchsorted(columns, best)
        effects = run.scores_at(columns)[None, :] - held.scores(run.weight)  # (n, C)
        ids = self.corpus_ids[inp.indices]

        contributors = []
        for c in where:
            col = effects[:, c]
            order = np.argsort(-col, kind="stable")[: self.contributors_per_title]
            contributors.append(
                tuple(Contributor(int(ids[i]), float(col[i])) for i in order if col[i] > 0)
            )
        recs = self._recommendations(run, best, contributors)

        total = effects[:, where].sum(axis=1) if len(where) else np.zeros(inp.size)
        impact_order = np.argsort(-total, kind="stable")[:top]
        impactful = tuple(Contributor(int(ids[i]), float(total[i])) for i in impact_order)

        # Each scored entry's rating as predicted with that entry left out.
        scored_rows = np.flatnonzero(profile.scored)
        own_cols = np.searchsorted(columns, inp.indices[scored_rows])
        predicted = profile.normalizer.denormalize(held.ratings[scored_rows, own_cols])
        user = {e.anime_id: e.score for e in dedupe(entries)}
        user_scores = np.asarray([user[int(ids[i])] for i in scored_rows], dtype=np.float64)
        gap = np.abs(user_scores - predicted)
        surprising = tuple(
            (int(ids[scored_rows[j]]), int(user_scores[j]), float(predicted[j]))
            for j in np.argsort(-gap, kind="stable")[:top]
        )
        return recs, ProfileInsights(impactful, surprising, profile.unknown_ids)

    @_blas
    def insights(self, entries: Sequence[ProfileEntry], top: int = 5) -> ProfileInsights:
        """Most impactful entries (over the top 10) and most surprising scores."""
        return self.analyze(entries, 10, top=top)[1]

    @_blas
    def explain(self, entries: Sequence[ProfileEntry], anime_id: int) -> Explanation:
        """Rank, scores and contributing entries for one title (holdout analysis)."""
        listed = {e.anime_id: e for e in dedupe(entries)}
        entry = listed.get(int(anime_id))
        user_score = entry.score if entry is not None and entry.is_scored else None
        pos = self.position(anime_id)
        if pos is None:
            return Explanation(
                int(anime_id),
                False,
                entry is not None,
                None,
                None,
                None,
                None,
                user_score,
                None,
                (),
            )
        profile = self.encode(entries)
        (run,) = self._passes([profile], rank=entry is None)  # ranks only titles not listed
        inp = run.inp
        column = np.asarray([pos], dtype=np.int64)
        own = np.flatnonzero(inp.indices == pos)
        score = float(run.scores_at(column)[0])
        presence = float(run.presence_at(column)[0])
        rating = float(run.ratings_at(column)[0])
        effects = np.zeros(0)
        if inp.size:
            held = self._holdout(inp, run, column)
            variant = held.scores(run.weight)[:, 0]
            effects = score - variant
            if len(own):
                i = int(own[0])
                score = float(variant[i])
                presence = float(held.presence()[i, 0])
                rating = float(held.ratings[i, 0])
                effects[i] = 0.0
        rank = None
        if entry is None:
            log_scores = run.log_scores()
            mask = np.ones(self.n_items, dtype=bool)
            mask[profile.excluded] = False
            rank = 1 + int(np.count_nonzero(log_scores[mask] > log_scores[pos]))
        predicted = float(profile.normalizer.denormalize(rating))
        ids = self.corpus_ids[inp.indices]
        order = [i for i in np.argsort(-np.abs(effects), kind="stable") if effects[i] != 0]
        contributors = tuple(
            Contributor(int(ids[i]), float(effects[i]))
            for i in order[: self.explanation_contributors]
        )
        surprise = user_score - predicted if user_score is not None else None
        return Explanation(
            anime_id=int(anime_id),
            in_corpus=True,
            on_list=entry is not None,
            rank=rank,
            score=score,
            presence=presence,
            predicted_score=predicted,
            user_score=user_score,
            surprise=surprise,
            contributors=contributors,
        )

    @_blas
    def similar(self, anime_id: int, k: int = 10) -> list[tuple[int, float]]:
        """Titles the model relates to one title: presence probabilities given only that title."""
        pos = self.position(anime_id)
        if pos is None:
            return []
        (run,) = self._passes([self.encode([ProfileEntry(int(anime_id), 0, "completed")])])
        mask = np.ones(self.n_items, dtype=bool)
        mask[pos] = False
        best = self._top(run, mask, k)
        return [
            (int(self.corpus_ids[p]), float(v))
            for p, v in zip(best, run.presence_at(best), strict=True)
        ]
