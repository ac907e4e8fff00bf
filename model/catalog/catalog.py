"""The catalog: every anime MAL knows, with type, era, content, NSFW status, scores and relations.

Shipped as ``model/data/catalog.npz`` (built from catalog-2026 by ``python -m training
build-catalog``; sources and licences in the README) and extended at run time with MAL's details
(:meth:`Catalog.with_updates`). A :class:`Catalog` is immutable: updates return a new one, so a
reader never sees half an update. Rows are in ascending id order; every per-title array
(``ids``, ``nsfw_status``, ``years``, the feature matrices …) is indexed by the same row.

NSFW: ``nsfw_status`` is 1 (NSFW), 0 (known safe) or -1 (unknown). Where NSFW is not allowed only
known-safe titles pass (:meth:`nsfw_allowed_mask`, :meth:`is_safe`); a title the catalog lacks is
not safe either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from model.catalog.columns import Columns
from model.catalog.ragged import Incidence
from model.catalog.titles import RELATION_KINDS, CatalogTitle, Relation
from model.catalog.updates import merge_relations, merge_title, normalized

SHIPPED_PATH = Path(__file__).resolve().parent.parent / "data" / "catalog.npz"


def _readonly(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


class Catalog:
    """An immutable, columnar set of :class:`CatalogTitle` records with relations and franchises."""

    def __init__(self, columns: Columns) -> None:
        self._c = columns

    # --- construction --------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalog:
        """The catalog file at ``path`` (None: the one shipped with the project).
        Raises :class:`CatalogError` naming the file when it is missing or broken."""
        return cls(Columns.load(SHIPPED_PATH if path is None else path))

    @classmethod
    def from_titles(
        cls,
        titles: Iterable[CatalogTitle],
        relations: Mapping[int, Sequence[Relation]] | None = None,
        franchises: Mapping[int, int] | None = None,
    ) -> Catalog:
        """A catalog of these titles (a later duplicate id wins); ``relations`` per id are taken
        as given (both directions, as the caller wants them); ``franchises`` maps id → group."""
        by_id = {t.anime_id: normalized(t) for t in titles}
        ordered = [by_id[aid] for aid in sorted(by_id)]
        return cls(Columns.build(ordered, relations or {}, franchises or {}))

    @classmethod
    def empty(cls) -> Catalog:
        return cls.from_titles(())

    def save(self, path: str | Path) -> None:
        """Write the catalog file (atomically: a temporary file renamed into place)."""
        self._c.save(path)

    # --- lookup --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._c)

    def __contains__(self, anime_id: object) -> bool:
        if isinstance(anime_id, bool) or not isinstance(anime_id, int | np.integer):
            return False
        return self._find(int(anime_id)) >= 0

    def __iter__(self) -> Iterator[CatalogTitle]:
        """Every title, in id order (materializes records: for the bot's search index, not for
        per-request work)."""
        return (self._c.title_at(row) for row in range(len(self._c)))

    def _find(self, anime_id: int) -> int:
        ids = self._c.ids
        row = int(np.searchsorted(ids, anime_id))
        return row if row < len(ids) and int(ids[row]) == anime_id else -1

    @property
    def ids(self) -> np.ndarray:
        """int64 (n,): every MAL id, ascending (read-only)."""
        return _readonly(self._c.ids)

    def row(self, anime_id: int) -> int:
        """The row of ``anime_id`` in every per-title array; KeyError if the catalog lacks it."""
        row = self._find(int(anime_id))
        if row < 0:
            raise KeyError(anime_id)
        return row

    def rows(self, anime_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """int64 rows of many ids at once; -1 where the catalog lacks the id."""
        wanted = np.asarray(anime_ids, dtype=np.int64)
        ids = self._c.ids
        if len(ids) == 0:
            return np.full(wanted.shape, -1, dtype=np.int64)
        found = np.searchsorted(ids, wanted)
        clipped = np.minimum(found, len(ids) - 1)
        return np.where(ids[clipped] == wanted, clipped, -1).astype(np.int64)

    def get(self, anime_id: int) -> CatalogTitle | None:
        """The record of ``anime_id``, or None."""
        row = self._find(int(anime_id))
        return None if row < 0 else self._c.title_at(row)

    # --- NSFW ----------------------------------------------------------------------------------

    @property
    def nsfw_status(self) -> np.ndarray:
        """int8 (n,): 1 NSFW, 0 known safe, -1 unknown (read-only)."""
        return _readonly(self._c.nsfw)

    def nsfw_allowed_mask(self, allow_nsfw: bool) -> np.ndarray:
        """bool (n,) over ``ids``: the titles a server may be shown. With NSFW allowed, all;
        otherwise only titles known to be safe (unknown status counts as NSFW)."""
        if allow_nsfw:
            return np.ones(len(self._c), dtype=bool)
        return np.asarray(self._c.nsfw == 0)

    def is_safe(self, anime_id: int) -> bool:
        """True only for a catalog title known to be safe for work."""
        row = self._find(int(anime_id))
        return row >= 0 and int(self._c.nsfw[row]) == 0

    def allowed(self, anime_id: int, allow_nsfw: bool) -> bool:
        """May this title be shown where NSFW is (not) allowed? (Unknown ids only with NSFW.)"""
        return allow_nsfw or self.is_safe(anime_id)

    # --- relations and franchises --------------------------------------------------------------

    def relations(self, anime_id: int) -> tuple[Relation, ...]:
        """The title's links (empty for an id the catalog lacks)."""
        row = self._find(int(anime_id))
        return () if row < 0 else self._c.relations_at(row)

    def relation_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every link at once, CSR by row: ``(indptr (n+1,), other_ids int64, kinds uint8,
        mal_asserted bool)``; row ``i``'s links are ``[indptr[i]:indptr[i+1]]`` and ``kinds``
        index :data:`RELATION_KINDS` (0 related, 1 sequel, 2 prequel). Read-only."""
        c = self._c
        return (
            _readonly(c.rel_indptr),
            _readonly(c.rel_other),
            _readonly(c.rel_kind),
            _readonly(c.rel_mal),
        )

    def franchise(self, anime_id: int) -> int | None:
        """The title's franchise group (connected over strong links), or None (alone / unknown).
        Crossovers merge a few big groups: use :meth:`relations` where precision matters."""
        row = self._find(int(anime_id))
        if row < 0:
            return None
        value = int(self._c.franchise[row])
        return None if value < 0 else value

    @property
    def franchise_ids(self) -> np.ndarray:
        """int64 (n,): franchise group per row, -1 for none (read-only)."""
        return _readonly(self._c.franchise)

    # --- features for content similarity -------------------------------------------------------

    @property
    def genre_matrix(self) -> Incidence:
        """Titles × genres, sparse 0/1 (:class:`Incidence`: ``indptr``, ``indices``,
        ``vocabulary``; ``.dense()`` for a uint8 matrix)."""
        return self._c.genres

    @property
    def tag_matrix(self) -> Incidence:
        """Titles × tags (the shipped file keeps tags carried by at least a few titles)."""
        return self._c.tags

    @property
    def studio_matrix(self) -> Incidence:
        """Titles × studios."""
        return self._c.studios

    @property
    def type_codes(self) -> np.ndarray:
        """int16 (n,): index into :attr:`type_vocabulary`, -1 unknown."""
        return _readonly(self._c.type)

    @property
    def type_vocabulary(self) -> tuple[str, ...]:
        return self._c.type_vocab

    @property
    def years(self) -> np.ndarray:
        """int32 (n,): start year, -1 unknown."""
        return _readonly(self._c.year)

    @property
    def season_codes(self) -> np.ndarray:
        """int16 (n,): index into ``SEASONS`` (winter, spring, summer, fall), -1 unknown."""
        return _readonly(self._c.season)

    @property
    def status_codes(self) -> np.ndarray:
        """int16 (n,): index into ``STATUSES`` (finished, airing, upcoming), -1 unknown."""
        return _readonly(self._c.status)

    @property
    def episodes(self) -> np.ndarray:
        """int32 (n,): episode count, -1 unknown."""
        return _readonly(self._c.episodes)

    @property
    def means(self) -> np.ndarray:
        """float32 (n,): MAL mean score, NaN unknown."""
        return _readonly(self._c.mean)

    @property
    def aod_scores(self) -> np.ndarray:
        """float32 (n,): mean score over sites (1–10), NaN unknown."""
        return _readonly(self._c.aod_score)

    @property
    def scored_by(self) -> np.ndarray:
        """int64 (n,): MAL users who scored the title, -1 unknown."""
        return _readonly(self._c.scored_by)

    @property
    def popularity_ranks(self) -> np.ndarray:
        """int64 (n,): MAL popularity rank (1 = most members), -1 unknown."""
        return _readonly(self._c.popularity_rank)

    def titles_of(self, rows: np.ndarray | Sequence[int]) -> list[str]:
        """Main titles of these rows (cheap: no records built)."""
        return [self._c.title[int(r)] for r in rows]

    # --- updates -------------------------------------------------------------------------------

    def with_updates(
        self,
        titles: Iterable[CatalogTitle],
        relations: Mapping[int, Sequence[Relation]] | None = None,
    ) -> Catalog:
        """A new catalog with ``titles`` merged in (fields an update leaves None/empty keep the
        catalog's value; new ids are added) and, per id in ``relations``, that id's links replaced
        by the given ones, each mirrored on the other title (sequel ↔ prequel). A new title
        joins the franchise of the first title it is linked to that has one."""
        updates = {t.anime_id: t for t in titles}
        rel_updates = dict(relations or {})
        if not updates and not rel_updates:
            return self
        merged = {aid: merge_title(self.get(aid), t) for aid, t in updates.items()}
        touched = set(merged) | set(rel_updates)
        for rels in rel_updates.values():
            touched.update(r.other_id for r in rels)
        for aid in list(touched):
            touched.update(r.other_id for r in self.relations(aid))
        current = {aid: list(self.relations(aid)) for aid in touched}
        new_relations = merge_relations(current, rel_updates)
        changed_ids = {
            aid
            for aid in touched
            if aid in merged or (aid in self and tuple(new_relations[aid]) != self.relations(aid))
        }
        records: list[CatalogTitle] = []
        franchises: dict[int, int] = {}
        for aid in sorted(changed_ids):
            record = merged.get(aid) or self.get(aid)
            assert record is not None  # changed ids are updates or catalog titles
            records.append(record)
            group = self.franchise(aid)
            if group is None:
                group = self._inherited_franchise(new_relations.get(aid, ()))
            if group is not None:
                franchises[aid] = group
        block = Columns.build(records, new_relations, franchises, base=self._c)
        kept = np.flatnonzero(~np.isin(self._c.ids, np.array(sorted(changed_ids), dtype=np.int64)))
        both = self._c.take(kept).concat(block)
        return Catalog(both.take(np.argsort(both.ids, kind="stable")))

    def _inherited_franchise(self, rels: Sequence[Relation]) -> int | None:
        ranked = sorted(rels, key=lambda r: (r.kind == "related", not r.mal_asserted))
        for rel in ranked:
            group = self.franchise(rel.other_id)
            if group is not None:
                return group
        return None


__all__ = ["RELATION_KINDS", "SHIPPED_PATH", "Catalog"]
