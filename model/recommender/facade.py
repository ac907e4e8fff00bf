"""The recommender facade: profiles in, ranked and explained titles out (NumPy only).

Ranking uses the unified score (DESIGN.md, "Score"): ``p^w · max(r̂+1, 0.001)^(1−w)`` with p the
presence softmax and r̂ the predicted normalized rating; w comes from the artifact's metadata
("score_weight", default 0.3) and is 1 for profiles with no scores, whose rating head is then
evaluated only for the returned titles (:mod:`model.forward`). Explanations are holdout analyses
(:mod:`model.recommender.explanations`).

A :class:`Recommender` holds only read-only state, so any number of threads may call it at once.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from model.artifact import Artifact, load_artifact
from model.coldstart.calibration import Calibration, find_calibration
from model.coldstart.index import TitleIndex
from model.coldstart.source import CatalogSource
from model.encoding import CorpusIndex, encode_batch, encode_profile
from model.engine import Engine
from model.features import EncodedProfile
from model.forward import Float32Forward, ForwardStrategy, ProfilePass
from model.profile import ProfileEntry, dedupe
from model.recommender import explanations
from model.recommender.mixing import CatalogRanking, mixed_recommendations
from model.recommender.query import RecommendationQuery
from model.recommender.ranking import CandidateFilter, Target, targets, top_k
from model.recommender.stages import Stages
from model.recommender.workers import DEFAULT_WORKERS, Workers, one_call
from model.results import Explanation, ProfileInsights, Recommendation

DEFAULT_QUERY = RecommendationQuery()
_SAME: Any = object()  # "keep this recommender's setting" in with_threads


class Recommender:
    """Ranked, filtered and explained recommendations from one artifact."""

    contributors_per_title = 3  # "because you watched" entries attached to each title
    explanation_contributors = 5  # entries listed by explain (up or down)
    batch_size = 64  # profiles per batched pass in recommend_many

    def __init__(
        self,
        artifact: Artifact,
        *,
        blas_threads: int | None = 1,
        workers: int = DEFAULT_WORKERS,
        fast: str | None = None,
        ranking: ForwardStrategy | None = None,
        catalog: CatalogSource | TitleIndex | None = None,
        calibration: Calibration | None = None,
    ) -> None:
        """Serve ``artifact``; ``ranking`` is the pass that ranks unexplained recommendations
        (default: exact float32, or the int8 pass named by ``fast``); explanations, insights
        and targets always use the exact pass on the same engine. With a ``catalog``, every
        catalog title can be recommended (:mod:`model.recommender.mixing`), the side channel
        scored with ``calibration`` (default: the artifact's ``coldstart.json``, else the
        hand-set :data:`model.coldstart.calibration.DEFAULT`)."""
        if ranking is not None and fast is not None:
            raise ValueError("give either fast or ranking, not both")
        if ranking is None:
            engine = Engine(artifact.config, artifact.weights)
            if fast is None:
                ranking = Float32Forward(engine)
            else:
                from model.fastpath import Int8Forward  # onnxruntime only when asked for

                ranking = Int8Forward(engine, fast)
        self.artifact = artifact
        self.fast = fast
        self.ranking: ForwardStrategy = ranking
        self.engine: Engine = ranking.engine
        self.exact: ForwardStrategy = (
            ranking if isinstance(ranking, Float32Forward) else Float32Forward(self.engine)
        )
        self.threads = Workers(workers, blas_threads)
        self.corpus_ids: np.ndarray = artifact.corpus_ids
        self.n_items: int = artifact.config.n_items
        self.score_weight = artifact.score_weight
        self._index = {int(a): i for i, a in enumerate(self.corpus_ids)}
        self._corpus = CorpusIndex(self.corpus_ids)
        # The second stage and the shown predicted score (model.recommender.stages).
        self.stages = Stages(artifact, self._index)
        self.shown = self.stages.shown
        # The dict's own lookup (ids are ints), not the bound self.position: that was a
        # reference cycle, so a swapped-out model waited for a full gc.collect to be freed.
        self.candidates = CandidateFilter(
            [str(item["media_type"]) for item in artifact.items], self._index.get
        )
        self.mixing: CatalogRanking | None = None
        if catalog is not None:
            index = catalog if isinstance(catalog, TitleIndex) else TitleIndex(catalog)
            if calibration is None:
                calibration = find_calibration(artifact.directory)
            self.mixing = CatalogRanking(index, calibration, self.corpus_ids)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        verify: bool = True,
        blas_threads: int | None = 1,
        workers: int = DEFAULT_WORKERS,
        fast: str | None = None,
        catalog: CatalogSource | TitleIndex | None = None,
        calibration: Calibration | None = None,
    ) -> Recommender:
        """Load an artifact (raises :class:`model.artifact.ArtifactError`).

        ``blas_threads`` is the OpenBLAS thread count used by each call, set for the calling
        thread only (the process-wide setting is untouched; ``None`` leaves BLAS as it is).
        The default 1 suits a bot that runs requests in its own thread pool on a shared 2-core
        machine: OpenBLAS's own threads wait for each other at every small GEMV, which costs
        milliseconds as soon as another process holds a core. ``workers``
        (:class:`model.recommender.workers.Workers`) is the coarser way to use the second core.
        ``fast="int8"`` (opt-in, needs the extra ``anirec[fast]``) ranks unexplained
        recommendations with int8 output layers and re-scores a shortlist exactly
        (:mod:`model.fastpath`).
        """
        artifact = load_artifact(path, verify=verify)
        return cls(
            artifact,
            blas_threads=blas_threads,
            workers=workers,
            fast=fast,
            catalog=catalog,
            calibration=calibration,
        )

    def with_threads(
        self, *, blas_threads: int | None = _SAME, workers: int = _SAME
    ) -> Recommender:
        """A recommender sharing this one's artifact, engine and passes, with other thread
        settings (its own helper threads: :meth:`close` it too)."""
        twin = copy.copy(self)
        twin.threads = Workers(
            self.workers if workers is _SAME else workers,
            self.blas_threads if blas_threads is _SAME else blas_threads,
        )
        return twin

    @property
    def workers(self) -> int:
        """Threads that share one call (see :class:`model.recommender.workers.Workers`)."""
        return self.threads.count

    @property
    def blas_threads(self) -> int | None:
        """OpenBLAS threads of each call, on the calling thread only."""
        return self.threads.blas_threads

    def close(self) -> None:
        """Stop the worker threads of batched calls (only started when ``workers > 1``)."""
        self.threads.close()

    # -- lookups ---------------------------------------------------------------------------

    def position(self, anime_id: int) -> int | None:
        """Corpus position of a title, None outside the corpus."""
        return self._index.get(int(anime_id))

    def item(self, anime_id: int) -> dict[str, Any] | None:
        """{"anime_id", "title", "media_type", "count"} for a corpus title, else None."""
        pos = self.position(anime_id)
        if pos is None:
            return None
        return {**self.artifact.items[pos], "count": int(self.artifact.item_counts[pos])}

    @property
    def media_types(self) -> tuple[str, ...]:
        return self.candidates.media_types

    # -- forward passes --------------------------------------------------------------------

    def encode(self, entries: Sequence[ProfileEntry]) -> EncodedProfile:
        """The network input of one list (DESIGN.md, "Statuses", "Hybrid normalization")."""
        return encode_profile(entries, self._index)

    def encode_many(self, profiles: Sequence[Sequence[ProfileEntry]]) -> list[EncodedProfile]:
        """:meth:`encode` for each profile, vectorized over the batch (equal results)."""
        if len(profiles) == 1:
            return [self.encode(profiles[0])]
        return encode_batch(profiles, self._corpus)

    def passes(
        self,
        profiles: Sequence[EncodedProfile],
        *,
        rank: bool = True,
        strategy: ForwardStrategy | None = None,
    ) -> list[ProfilePass]:
        """Batched passes (exact unless another ``strategy`` is given); full ratings only for
        profiles whose ranking needs them, none with ``rank=False``. With a second stage
        (``model.rerank``) every pass is exact and re-ranked."""
        return self.stages.passes(
            self.exact, profiles, strategy=strategy, rank=rank, batch_size=self.batch_size,
            split=self.threads.split,
        )  # fmt: skip

    # -- public API ------------------------------------------------------------------------

    @one_call
    def recommend(
        self, entries: Sequence[ProfileEntry], query: RecommendationQuery = DEFAULT_QUERY
    ) -> list[Recommendation]:
        """The ``query.k`` best titles not on the list (filters: media types, plan-to-watch,
        ids). With ``query.explain``, each carries its top "because you watched" contributors
        (one holdout pass over the profile)."""
        if query.explain:
            (run,) = self.passes([self.encode(entries)])
            return self._analyze(run, entries, query, 5, insights=False)[0]
        return self.recommend_many([entries], query)[0]

    @one_call
    def recommend_many(
        self,
        profiles: Sequence[Sequence[ProfileEntry]],
        query: RecommendationQuery = DEFAULT_QUERY,
    ) -> list[list[Recommendation]]:
        """:meth:`recommend` for many profiles, in batched passes (explanations per profile)."""
        if query.explain:
            # One batched forward pass, then a holdout pass per profile.
            runs = self.passes(self.encode_many(profiles))
            return [
                self._analyze(run, p, query, 5, insights=False)[0]
                for run, p in zip(runs, profiles, strict=True)
            ]
        recs, _ = self.recommend_batch(profiles, query)
        return recs

    @one_call
    def recommend_batch(
        self,
        profiles: Sequence[Sequence[ProfileEntry]],
        query: RecommendationQuery = DEFAULT_QUERY,
        *,
        targets: Sequence[Sequence[int] | None] | None = None,
    ) -> tuple[list[list[Recommendation]], list[list[Target | None] | None]]:
        """Unexplained recommendations and, per profile, :meth:`targets` for the given ids.

        One batched pass serves both (the batch CLI's workhorse); ``query.explain`` is ignored.
        """
        wanted = list(targets) if targets is not None else [None] * len(profiles)
        if len(wanted) != len(profiles):
            raise ValueError(f"{len(wanted)} target lists for {len(profiles)} profiles")

        def work(
            start: int, stop: int
        ) -> list[tuple[list[Recommendation], list[Target | None] | None]]:
            encoded = self.encode_many(profiles[start:stop])
            strategy = self.ranking if self.ranking.serves(len(encoded)) else self.exact
            runs = self.passes(encoded, strategy=strategy)
            return [
                (
                    self._ranked(run, entries, query),
                    self._targets(run, wanted_ids) if wanted_ids is not None else None,
                )
                for run, entries, wanted_ids in zip(
                    runs, profiles[start:stop], wanted[start:stop], strict=True
                )
            ]

        n = len(profiles)
        # Batches of at most ``batch_size``; each pass cuts itself over the workers where it
        # streams the most bytes (model.forward), so the numbers never depend on the cut.
        parts = -(-n // self.batch_size)
        bounds = [(n * i // parts, n * (i + 1) // parts) for i in range(parts)]
        results = [work(start, stop) for start, stop in bounds]
        pairs = [pair for part in results for pair in part]
        return [r for r, _ in pairs], [t for _, t in pairs]

    @one_call
    def targets(
        self, entries: Sequence[ProfileEntry], anime_ids: Sequence[int]
    ) -> list[Target | None]:
        """{"anime_id", "presence", "predicted_score"} per id from the full profile; None
        for ids outside the corpus."""
        (run,) = self.passes([self.encode(entries)], rank=False)
        return self._targets(run, anime_ids)

    def _ranked(
        self, run: ProfilePass, entries: Sequence[ProfileEntry], query: RecommendationQuery
    ) -> list[Recommendation]:
        """Unexplained recommendations of one pass: the corpus alone, or mixed with the catalog."""
        mask = self.candidates.mask(run.profile, query)
        if self.mixing is None:
            return self.stages.recommendations(run, top_k(run, mask, query.k))
        picks = self.mixing.rank(run, entries, query, mask)
        network = np.asarray([p.position for p in picks if p.position is not None], np.int64)
        return mixed_recommendations(run, picks, self.stages.recommendations(run, network))

    def known_entries(self, entries: Sequence[ProfileEntry]) -> tuple[int, int]:
        """(entries the network reads, entries that enter the input): below
        :data:`model.recommender.mixing.HANDFUL` known, a reply says the model barely knows
        the list."""
        kept = [e for e in dedupe(entries) if e.enters_input]
        return sum(1 for e in kept if self.position(e.anime_id) is not None), len(kept)

    def _targets(self, run: ProfilePass, anime_ids: Sequence[int]) -> list[Target | None]:
        found = targets(run, anime_ids, self._index)
        self.shown.fill_targets(run.profile, found)
        return found

    @one_call
    def analyze(
        self,
        entries: Sequence[ProfileEntry],
        query: RecommendationQuery = DEFAULT_QUERY,
        *,
        top: int = 5,
    ) -> tuple[list[Recommendation], ProfileInsights]:
        """Explained recommendations and the profile's insights from one holdout pass
        (``query.explain`` is ignored: they are always explained)."""
        (run,) = self.passes([self.encode(entries)])
        return self._analyze(run, entries, query, top)

    def _analyze(
        self,
        run: ProfilePass,
        entries: Sequence[ProfileEntry],
        query: RecommendationQuery,
        top: int,
        *,
        insights: bool = True,
    ) -> tuple[list[Recommendation], ProfileInsights]:
        """Explained recommendations of one pass and, with ``insights``, the profile's."""
        mask = self.candidates.mask(run.profile, query)
        picks = None if self.mixing is None else self.mixing.rank(run, entries, query, mask)
        if picks is None:
            best = top_k(run, mask, query.k)
        else:
            best = np.asarray([p.position for p in picks if p.position is not None], np.int64)
        recs, found = explanations.analyze(
            run, entries, best, self.corpus_ids, top=top, per_title=self.contributors_per_title,
            split=self.threads.split, insights=insights,
        )  # fmt: skip
        shown = self.shown.recommendations(run.profile, recs)
        return (shown if picks is None else mixed_recommendations(run, picks, shown)), found

    @one_call
    def insights(self, entries: Sequence[ProfileEntry], top: int = 5) -> ProfileInsights:
        """Most impactful entries (over the top 10) and most surprising scores."""
        return self.analyze(entries, RecommendationQuery(10), top=top)[1]

    @one_call
    def explain(self, entries: Sequence[ProfileEntry], anime_id: int) -> Explanation:
        """Rank, scores and contributing entries for one title (holdout analysis)."""
        listed = {e.anime_id: e for e in dedupe(entries)}
        entry = listed.get(int(anime_id))
        pos = self.position(anime_id)
        if pos is None:
            return explanations.outside_corpus(int(anime_id), entry)
        (run,) = self.passes([self.encode(entries)], rank=entry is None)  # ranks unlisted only
        found = explanations.explain_title(
            run, int(anime_id), pos, entry, self.corpus_ids,
            contributors=self.explanation_contributors, split=self.threads.split,
        )  # fmt: skip
        return self.shown.explanation(run.profile, pos, found)

    @one_call
    def explain_catalog_title(
        self, entries: Sequence[ProfileEntry], anime_id: int, query: RecommendationQuery
    ) -> Explanation:
        """A catalog title outside the corpus in the mixed ranking under ``query``
        (:meth:`model.recommender.mixing.CatalogRanking.explain`); else :meth:`explain`."""
        if self.mixing is None or self.position(anime_id) is not None:
            return self.explain(entries, anime_id)
        (run,) = self.passes([self.encode(entries)])
        mask = self.candidates.mask(run.profile, query)
        found = self.mixing.explain(run, entries, int(anime_id), query, mask)
        return found if found is not None else self.explain(entries, anime_id)

    @one_call
    def similar(self, anime_id: int, k: int = 10) -> list[tuple[int, float]]:
        """Titles the model relates to one title: presence probabilities given only that title."""
        pos = self.position(anime_id)
        if pos is None:
            return []
        (run,) = self.passes([self.encode([ProfileEntry(int(anime_id), 0, "completed")])])
        mask = np.ones(self.n_items, dtype=bool)
        mask[pos] = False
        best = top_k(run, mask, k)
        return [
            (int(self.corpus_ids[p]), float(v))
            for p, v in zip(best, run.presence_at(best), strict=True)
        ]
