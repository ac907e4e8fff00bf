"""The anime catalog: titles, pictures and details the bot shows, and title search.

Every anime MAL knows: the catalog shipped with the project (``model.catalog``, ~30k titles,
read-only, in memory) under the ``anime`` table's rows (the model's corpus items, titles seen in
members' lists or listed by MAL's season and ranking pages, and MAL's details of them, a few per
background round). A row's fields win over the shipped record; what a row lacks comes from it.
All rows are kept in memory too, so rendering and autocomplete never wait on the database.

NSFW: a title counts as NSFW unless MAL's details or the shipped catalog say it is safe
(:attr:`AnimeInfo.safe`); every lookup that serves a server takes its ``allow_nsfw``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import write_session
from bot.db.models import Anime
from bot.services.animeinfo import (
    MAL_ANIME_URL,
    AnimeInfo,
    TitleChoice,
    catalog_title,
    relations_of,
)
from bot.services.catalogfill import DetailFill
from bot.services.conflicts import retry_on_conflict
from bot.services.titles import TitleHit, TitleIndex
from model.catalog import Catalog, CatalogError, CatalogTitle, Relation

if TYPE_CHECKING:
    from common.mal import MalAnime

__all__ = ["MAL_ANIME_URL", "AnimeInfo", "CatalogService", "TitleChoice", "load_shipped"]

log = logging.getLogger(__name__)
INSERT_CHUNK = 500
INDEX_REBUILD_SECONDS = 5.0
_BASE_INDEXES: weakref.WeakKeyDictionary[Catalog, TitleIndex] = weakref.WeakKeyDictionary()
"""Title index per shipped catalog (~2 s to build for 30k titles): built once per process."""
SEARCH_SLACK = 3
"""Hits asked of each index per hit wanted: some are merged (same id) or hidden (NSFW)."""


@functools.cache
def load_shipped() -> Catalog:
    """The catalog shipped with the project (read once per process: it is immutable); an empty
    one (and one log line) if it cannot be read, so the bot still starts (titles then come from
    the model and MAL only)."""
    try:
        return Catalog.load()
    except CatalogError as exc:
        log.error("shipped catalog unusable (%s): only titles from the model and MAL", exc)
        return Catalog.empty()


class CatalogService(DetailFill):
    """Reads and writes the ``anime`` table and serves title search from memory, over the
    shipped catalog ``base`` (None: an empty one, for tests that build their own rows)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], base: Catalog | None = None
    ) -> None:
        self._sessions = sessions
        self._base = base if base is not None else Catalog.empty()
        self._base_index: TitleIndex | None = None
        self._info: dict[int, AnimeInfo] = {}
        # per row, what the model's catalog takes from it: (record, MAL's relations or None)
        self._rows_catalog: dict[int, tuple[CatalogTitle, list[Relation] | None]] = {}
        self._index: TitleIndex | None = None
        self._index_built = 0.0
        self._index_stale = False
        self._unsafe: frozenset[int] | None = None
        self._model_catalog: Catalog | None = None
        self._got: dict[int, AnimeInfo] = {}  # get()'s answers until a row changes
        self.on_nsfw_change: list[Callable[[], None]] = []  # called when nsfw_ids() changes

    # --- memory -------------------------------------------------------------------------------

    async def load(self) -> int:
        """Read every row into memory (and index the shipped titles once, off the event
        loop); returns the count of rows."""
        async with self._sessions() as session:
            rows = (await session.scalars(select(Anime))).all()
        self._info, self._rows_catalog, self._got = {}, {}, {}
        # Forgotten first: the set is rebuilt on its next use, not updated row by row here.
        self._unsafe = None
        self._remember(rows)
        self._index = None
        self._model_catalog = None
        if self._base_index is None:
            self._base_index = _BASE_INDEXES.get(self._base)
        if self._base_index is None:
            self._base_index = await asyncio.to_thread(self._build_base_index)
            _BASE_INDEXES[self._base] = self._base_index
        return len(self._info)

    def _build_base_index(self) -> TitleIndex:
        return TitleIndex((t.anime_id, t.variants, t.scored_by) for t in self._base)

    def _remember(self, rows: Iterable[Anime]) -> None:
        changed = []
        for row in rows:
            self._info[row.anime_id] = AnimeInfo.from_row(row)
            self._got.pop(row.anime_id, None)
            changed.append(row.anime_id)
            # A row adds to the model's catalog what the shipped one lacks: MAL's details, or a
            # title it does not know at all (a new season's, or a model's corpus title).
            if row.details_fetched_at is not None or row.anime_id not in self._base:
                self._rows_catalog[row.anime_id] = (catalog_title(row), relations_of(row))
        self._index_stale = True
        self._model_catalog = None
        if self._unsafe is not None:
            # Updated, not recomputed: a cover fetched for /recommend would otherwise make the
            # next call rebuild the set over every title on the event loop (~30 ms each).
            unsafe = set(self._unsafe)
            for aid in changed:
                if self.is_safe(aid):
                    unsafe.discard(aid)
                else:
                    unsafe.add(aid)
            if unsafe != self._unsafe:
                self._unsafe = frozenset(unsafe)
                for listener in self.on_nsfw_change:
                    listener()

    @property
    def index(self) -> TitleIndex:
        """The index of the rows' titles; after changes it is rebuilt at most every
        ``INDEX_REBUILD_SECONDS`` (the shipped titles have their own index, built once)."""
        now = time.monotonic()
        if self._index is None or (
            self._index_stale and now - self._index_built >= INDEX_REBUILD_SECONDS
        ):
            self._index = TitleIndex(
                (a.anime_id, (a.title, a.title_english or "", *a.synonyms), a.popularity)
                for a in self._info.values()
            )
            self._index_built, self._index_stale = now, False
        return self._index

    @property
    def base(self) -> Catalog:
        """The shipped catalog (read-only)."""
        return self._base

    @property
    def model_catalog(self) -> Catalog:
        """The shipped catalog with every row's MAL details merged in (relations included):
        what the recommender's side channel ranks. Rebuilt on first use after a change."""
        if self._model_catalog is None:
            rows = self._rows_catalog.values()
            relations = {title.anime_id: rels for title, rels in rows if rels is not None}
            self._model_catalog = self._base.with_updates((t for t, _ in rows), relations)
        return self._model_catalog

    def __len__(self) -> int:
        """Titles known: the shipped catalog's and the rows', once each."""
        extra = sum(1 for aid in self._info if aid not in self._base)
        return len(self._base) + extra

    def get(self, anime_id: int) -> AnimeInfo:
        """The anime's info, or a placeholder ``Anime #id`` when nothing is known of it."""
        # Memoized: a /recommend looks up ~100 titles on the event loop, each a NumPy search of
        # the shipped catalog that let the recommender's threads take the GIL (profiled).
        found = self._got.get(anime_id)
        if found is None:
            found = self._got[anime_id] = self._lookup(anime_id)
        return found

    def _lookup(self, anime_id: int) -> AnimeInfo:
        info = self._info.get(anime_id)
        if info is not None and info.details and info.safe is not None:
            return info
        title = self._base.get(anime_id)
        if info is None:
            return AnimeInfo.from_title(title) if title is not None else AnimeInfo.unknown(anime_id)
        return info.filled_from(title) if title is not None else info

    def known(self, anime_id: int) -> bool:
        return anime_id in self._info or anime_id in self._base

    def is_safe(self, anime_id: int) -> bool:
        """Known to be safe for work (MAL's details, else the shipped catalog)."""
        return self.get(anime_id).safe is True

    def allowed(self, anime_id: int, allow_nsfw: bool) -> bool:
        return allow_nsfw or self.is_safe(anime_id)

    def nsfw_ids(self) -> frozenset[int]:
        """Every known title that is not known to be safe (NSFW or unknown status): what a
        server without NSFW must never be shown. Titles nobody knows are not listed: check
        :meth:`allowed` on what is shown."""
        if self._unsafe is None:
            self._unsafe = self._compute_unsafe()
        return self._unsafe

    def _compute_unsafe(self) -> frozenset[int]:
        """:meth:`nsfw_ids` from scratch: what :meth:`is_safe` says of every known title,
        without building each one's :class:`AnimeInfo` (that took ~0.5 s on the event loop
        after every catalog reload, in the middle of a ``/recommend`` burst)."""
        base = self._base
        unsafe = set(base.ids[base.nsfw_status != 0].tolist())
        undecided = []  # rows that leave it to the shipped catalog
        for aid, info in self._info.items():
            if info.safe is True:
                unsafe.discard(aid)
            elif info.safe is False:
                unsafe.add(aid)
            else:
                undecided.append(aid)
        if undecided:
            ids = np.asarray(undecided, dtype=np.int64)
            # Unknown to the shipped catalog as well: not known safe.
            unsafe.update(ids[~np.isin(ids, base.ids)].tolist())
        return frozenset(unsafe)

    def search(self, query: str, limit: int = 25, *, allow_nsfw: bool = False) -> list[TitleChoice]:
        """Titles matching ``query`` (English, romaji, synonyms; typos tolerated), best first;
        titles not known to be safe only with ``allow_nsfw``."""
        wanted = limit * SEARCH_SLACK + 10
        indexes = [self.index] + ([self._base_index] if self._base_index is not None else [])
        best: dict[int, tuple[float, int, TitleHit]] = {}
        for index in indexes:
            for order, hit in enumerate(index.search(query, wanted)):
                seen = best.get(hit.anime_id)
                if seen is None or (hit.score, -order) > (seen[0], -seen[1]):
                    best[hit.anime_id] = (hit.score, order, hit)
        ranked = sorted(best.values(), key=lambda v: (-v[0], v[1]))
        out: list[TitleChoice] = []
        for _, _, hit in ranked:
            info = self.get(hit.anime_id)
            if info.allowed(allow_nsfw):
                out.append(TitleChoice(info, hit.matched, hit.score))
                if len(out) == limit:
                    break
        return out

    def resolve(self, text: str, *, allow_nsfw: bool = False) -> AnimeInfo | None:
        """An autocomplete value (the anime id) or free text (the best match), else ``None``;
        a title not known to be safe only with ``allow_nsfw``."""
        text = text.strip()
        if text.isdigit() and self.known(int(text)):
            info = self.get(int(text))
            return info if info.allowed(allow_nsfw) else None
        hits = self.search(text, 1, allow_nsfw=allow_nsfw)
        return hits[0].anime if hits else None

    # --- writes -------------------------------------------------------------------------------

    @retry_on_conflict
    async def seed(self, items: Iterable[Mapping[str, Any]]) -> int:
        """Add the model's corpus items (``{"anime_id", "title", "media_type"}``) that are
        missing and mark every corpus item ``in_corpus``; returns how many rows were added."""
        wanted = {int(item["anime_id"]): item for item in items}
        added = 0
        async with write_session(self._sessions) as session:
            existing = {
                row.anime_id: row
                for row in (await session.scalars(select(Anime))).all()
                if row.anime_id in wanted
            }
            for row in existing.values():
                row.in_corpus = True
            new = [
                Anime(
                    anime_id=aid,
                    title=str(item.get("title") or f"Anime #{aid}")[:512],
                    media_type=(str(item["media_type"])[:16] if item.get("media_type") else None),
                    in_corpus=True,
                    synonyms=[],
                    genres=[],
                )
                for aid, item in wanted.items()
                if aid not in existing
            ]
            for start in range(0, len(new), INSERT_CHUNK):
                session.add_all(new[start : start + INSERT_CHUNK])
                await session.flush()
            added = len(new)
            rows = [*existing.values(), *new]
        self._remember(rows)
        return added

    @retry_on_conflict
    async def add_titles(self, titles: Mapping[int, str | None]) -> int:
        """Add rows for ids the catalog lacks, with the title a list gave; returns the count."""
        missing = {aid: t for aid, t in titles.items() if aid not in self._info}
        if not missing:
            return 0
        async with write_session(self._sessions) as session:
            present = set(
                (
                    await session.scalars(
                        select(Anime.anime_id).where(Anime.anime_id.in_(list(missing)))
                    )
                ).all()
            )
            rows = [
                Anime(anime_id=aid, title=(t or f"Anime #{aid}")[:512], synonyms=[], genres=[])
                for aid, t in missing.items()
                if aid not in present
            ]
            session.add_all(rows)
        self._remember(rows)
        return len(rows)

    @retry_on_conflict
    async def store_details(self, anime: MalAnime) -> AnimeInfo:
        """Write MAL's details of one anime (insert or update)."""
        async with write_session(self._sessions) as session:
            row = await session.get(Anime, anime.id)
            if row is None:
                row = Anime(anime_id=anime.id, in_corpus=False)
                session.add(row)
            _fill_row(row, anime)
            row.related = [[r.anime_id, r.relation_type[:32]] for r in anime.related]
            row.details_fetched_at = datetime.now(UTC)
            await session.flush()
            info = AnimeInfo.from_row(row)
        self._remember([row])
        return info

    @retry_on_conflict
    async def store_listed(self, listed: Iterable[MalAnime]) -> int:
        """Add the titles of a MAL season or ranking page that neither the rows nor the shipped
        catalog know, with what the page says of them (MAL's details, relations included,
        come later: :meth:`fill_details`). Returns how many rows were added."""
        new = {a.id: a for a in listed if a.id not in self._info and a.id not in self._base}
        if not new:
            return 0
        async with write_session(self._sessions) as session:
            present = set(
                (
                    await session.scalars(
                        select(Anime.anime_id).where(Anime.anime_id.in_(list(new)))
                    )
                ).all()
            )
            rows = []
            for aid, anime in new.items():
                if aid in present:
                    continue
                row = Anime(anime_id=aid, in_corpus=False)
                _fill_row(row, anime)
                rows.append(row)
            session.add_all(rows)
        self._remember(rows)
        return len(rows)


def _fill_row(row: Anime, anime: MalAnime) -> None:
    """A row's fields from MAL's anime payload (details or a listing's node)."""
    row.title = anime.title[:512]
    row.title_english = anime.alternative_titles.en[:512] or None
    row.title_japanese = anime.alternative_titles.ja[:512] or None
    row.synonyms = [s[:512] for s in anime.alternative_titles.synonyms]
    row.picture_url = anime.main_picture
    row.media_type = anime.media_type[:16]
    row.genres = list(anime.genres)
    row.mean = anime.mean
    row.popularity = anime.num_list_users
    row.nsfw = anime.nsfw
    row.num_episodes = anime.num_episodes
    row.start_season = str(anime.start_season)[:16] if anime.start_season else None
    row.studios = [s[:128] for s in anime.studios]
    row.status = anime.status[:24] if anime.status else None
    row.num_scoring_users = anime.num_scoring_users or None
    row.popularity_rank = anime.popularity
