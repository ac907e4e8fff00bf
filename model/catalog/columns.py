"""The catalog's columns (one NumPy array per field, rows in ascending id order) and its file.

The file is a NumPy ``.npz`` (zip, deflate), read with ``allow_pickle=False``. Missing values:
-1 for integer columns, NaN for floats, "" for strings. Strings are stored as one UTF-8 byte
array per column (rows joined by ``\\n``, a title's synonyms by ``\\x1f``; both are replaced by
spaces in the text). Keys::

    format_version            int64 scalar
    ids                       int64 (n,) ascending MAL anime ids
    title, english, synonyms  uint8 UTF-8 blobs
    type, season, status      int16 codes into type_vocab / SEASONS / STATUSES (-1 unknown)
    type_vocab                uint8 blob
    year, episodes            int32 (-1 unknown)
    nsfw                      int8: 1 NSFW, 0 safe, -1 unknown
    mean, aod_score           float32 (NaN unknown)
    scored_by, popularity_rank, franchise   int64 (-1 unknown / none)
    {genres,tags,studios}_indptr   int64 (n+1,); _indices int32; _vocab uint8 blob
    rel_indptr int64 (n+1,); rel_other int64; rel_kind uint8 (RELATION_KINDS); rel_mal bool
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from model.catalog.ragged import Incidence, lengths_to_indptr, take_rows
from model.catalog.titles import (
    RELATION_KINDS,
    SEASONS,
    STATUSES,
    CatalogTitle,
    Relation,
)
from model.npyio import load_npz

FORMAT_VERSION = 1
_ROW_SEP, _SYN_SEP = "\n", "\x1f"


class CatalogError(Exception):
    """The catalog file is missing, unreadable, of another version or inconsistent."""


def _clean(text: str | None) -> str:
    return " ".join((text or "").replace(_SYN_SEP, " ").split())


def _blob(strings: Sequence[str]) -> np.ndarray:
    return np.frombuffer(_ROW_SEP.join(strings).encode("utf-8"), dtype=np.uint8).copy()


def _unblob(blob: np.ndarray, n: int) -> list[str]:
    if n == 0:
        return []
    parts = blob.tobytes().decode("utf-8").split(_ROW_SEP)
    if len(parts) != n:
        raise CatalogError(f"a text column has {len(parts)} rows, expected {n}")
    return parts


def _code(value: str | None, vocab: Sequence[str]) -> int:
    return vocab.index(value) if value in vocab else -1


def _opt_int(value: int | None) -> int:
    return -1 if value is None else int(value)


def _opt_float(value: float | None) -> float:
    return np.nan if value is None else float(value)


@dataclass(frozen=True)
class Columns:
    """Every catalog field as arrays over rows (ascending ``ids``)."""

    ids: np.ndarray
    title: list[str]
    english: list[str]
    synonyms: list[str]  # a row's synonyms joined by \x1f
    type: np.ndarray
    type_vocab: tuple[str, ...]
    season: np.ndarray
    status: np.ndarray
    year: np.ndarray
    episodes: np.ndarray
    nsfw: np.ndarray
    mean: np.ndarray
    aod_score: np.ndarray
    scored_by: np.ndarray
    popularity_rank: np.ndarray
    franchise: np.ndarray
    genres: Incidence
    tags: Incidence
    studios: Incidence
    rel_indptr: np.ndarray
    rel_other: np.ndarray
    rel_kind: np.ndarray
    rel_mal: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    # --- building ------------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        titles: Sequence[CatalogTitle],
        relations: Mapping[int, Sequence[Relation]],
        franchises: Mapping[int, int],
        base: Columns | None = None,
    ) -> Columns:
        """Columns for ``titles`` in the given order; vocabularies extend ``base``'s."""
        type_vocab = list(base.type_vocab if base is not None else ())
        for t in titles:
            if t.type and t.type not in type_vocab:
                type_vocab.append(t.type)
        rels = [relations.get(t.anime_id, ()) for t in titles]
        return cls(
            ids=np.array([t.anime_id for t in titles], dtype=np.int64),
            title=[_clean(t.title) for t in titles],
            english=[_clean(t.title_english) for t in titles],
            synonyms=[_SYN_SEP.join(s for s in map(_clean, t.synonyms) if s) for t in titles],
            type=np.array([_code(t.type, type_vocab) for t in titles], dtype=np.int16),
            type_vocab=tuple(type_vocab),
            season=np.array([_code(t.season, SEASONS) for t in titles], dtype=np.int16),
            status=np.array([_code(t.status, STATUSES) for t in titles], dtype=np.int16),
            year=np.array([_opt_int(t.year) for t in titles], dtype=np.int32),
            episodes=np.array([_opt_int(t.episodes) for t in titles], dtype=np.int32),
            nsfw=np.array([-1 if t.nsfw is None else int(t.nsfw) for t in titles], dtype=np.int8),
            mean=np.array([_opt_float(t.mean) for t in titles], dtype=np.float32),
            aod_score=np.array([_opt_float(t.aod_score) for t in titles], dtype=np.float32),
            scored_by=np.array([_opt_int(t.scored_by) for t in titles], dtype=np.int64),
            popularity_rank=np.array([_opt_int(t.popularity_rank) for t in titles], dtype=np.int64),
            franchise=np.array([franchises.get(t.anime_id, -1) for t in titles], dtype=np.int64),
            genres=Incidence.build(
                [t.genres for t in titles], base.genres.vocabulary if base else ()
            ),
            tags=Incidence.build([t.tags for t in titles], base.tags.vocabulary if base else ()),
            studios=Incidence.build(
                [t.studios for t in titles], base.studios.vocabulary if base else ()
            ),
            rel_indptr=lengths_to_indptr(np.array([len(r) for r in rels], dtype=np.int64)),
            rel_other=np.array([r.other_id for rs in rels for r in rs], dtype=np.int64),
            rel_kind=np.array(
                [RELATION_KINDS.index(r.kind) for rs in rels for r in rs], dtype=np.uint8
            ),
            rel_mal=np.array([r.mal_asserted for rs in rels for r in rs], dtype=bool),
        )

    def take(self, rows: np.ndarray) -> Columns:
        """These rows, in this order."""
        rows = np.asarray(rows, dtype=np.int64)
        rel_indptr, positions = take_rows(self.rel_indptr, rows)
        plain: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.startswith("rel_"):
                continue
            if isinstance(value, np.ndarray):
                plain[f.name] = value[rows]
            elif isinstance(value, list):
                plain[f.name] = [value[i] for i in rows.tolist()]
            elif isinstance(value, Incidence):
                plain[f.name] = value.take(rows)
        return replace(
            self,
            **plain,
            rel_indptr=rel_indptr,
            rel_other=self.rel_other[positions],
            rel_kind=self.rel_kind[positions],
            rel_mal=self.rel_mal[positions],
        )

    def concat(self, other: Columns) -> Columns:
        """Rows of ``self`` then ``other`` (built with ``base=self``, so vocabularies extend)."""
        if other.type_vocab[: len(self.type_vocab)] != self.type_vocab:
            raise ValueError("the second block's type vocabulary must extend the first's")
        out: dict[str, Any] = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name == "rel_indptr":
                out[f.name] = np.concatenate([a[:-1], b + a[-1]])
            elif f.name == "type_vocab":
                out[f.name] = b
            elif isinstance(a, np.ndarray):
                out[f.name] = np.concatenate([a, b])
            elif isinstance(a, list):
                out[f.name] = a + b
            elif isinstance(a, Incidence):
                out[f.name] = a.concat(b)
        return Columns(**out)

    # --- reading back --------------------------------------------------------------------------

    def title_at(self, row: int) -> CatalogTitle:
        """The record of one row."""

        def opt(array: np.ndarray) -> int | None:
            value = int(array[row])
            return None if value < 0 else value

        def optf(array: np.ndarray) -> float | None:
            value = float(array[row])
            return None if np.isnan(value) else round(value, 4)

        type_code, season, status = (
            int(self.type[row]),
            int(self.season[row]),
            int(self.status[row]),
        )
        nsfw = int(self.nsfw[row])
        return CatalogTitle(
            anime_id=int(self.ids[row]),
            title=self.title[row],
            title_english=self.english[row] or None,
            synonyms=tuple(s for s in self.synonyms[row].split(_SYN_SEP) if s),
            type=self.type_vocab[type_code] if type_code >= 0 else None,
            year=opt(self.year),
            season=SEASONS[season] if season >= 0 else None,
            episodes=opt(self.episodes),
            genres=self.genres.terms(row),
            tags=self.tags.terms(row),
            studios=self.studios.terms(row),
            nsfw=None if nsfw < 0 else bool(nsfw),
            mean=optf(self.mean),
            scored_by=opt(self.scored_by),
            popularity_rank=opt(self.popularity_rank),
            aod_score=optf(self.aod_score),
            status=STATUSES[status] if status >= 0 else None,
        )

    def relations_at(self, row: int) -> tuple[Relation, ...]:
        lo, hi = int(self.rel_indptr[row]), int(self.rel_indptr[row + 1])
        return tuple(
            Relation(int(other), RELATION_KINDS[int(kind)], bool(mal))
            for other, kind, mal in zip(
                self.rel_other[lo:hi], self.rel_kind[lo:hi], self.rel_mal[lo:hi], strict=True
            )
        )

    # --- file ----------------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the ``.npz`` under a temporary name and rename it into place."""
        arrays: dict[str, np.ndarray] = {"format_version": np.int64(FORMAT_VERSION)}  # type: ignore[dict-item]
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Incidence):
                arrays[f"{f.name}_indptr"] = value.indptr
                arrays[f"{f.name}_indices"] = value.indices
                arrays[f"{f.name}_vocab"] = _blob(value.vocabulary)
            elif isinstance(value, list | tuple):
                arrays[f.name] = _blob(value)
            else:
                arrays[f.name] = value
        target = Path(path)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        tmp.write_bytes(buffer.getvalue())
        os.replace(tmp, target)

    @classmethod
    def load(cls, path: str | Path) -> Columns:
        """Read a file written by :meth:`save`; :class:`CatalogError` names what is wrong."""
        try:
            data = load_npz(path)
        except FileNotFoundError:
            raise CatalogError(f"{path}: no catalog file there") from None
        except (OSError, ValueError, EOFError) as exc:
            raise CatalogError(f"{path}: not a readable catalog file ({exc})") from None
        try:
            version = int(data["format_version"])
            if version != FORMAT_VERSION:
                raise CatalogError(
                    f"{path}: catalog format {version}, this version reads {FORMAT_VERSION}"
                )
            n = len(data["ids"])

            def incidence(name: str) -> Incidence:
                indptr = data[f"{name}_indptr"]
                vocab = data[f"{name}_vocab"]
                words = tuple(vocab.tobytes().decode("utf-8").split(_ROW_SEP)) if len(vocab) else ()
                if len(indptr) != n + 1:
                    raise CatalogError(f"{path}: {name} has {len(indptr) - 1} rows, expected {n}")
                return Incidence(indptr, data[f"{name}_indices"], words)

            type_vocab = data["type_vocab"]
            columns = cls(
                ids=data["ids"],
                title=_unblob(data["title"], n),
                english=_unblob(data["english"], n),
                synonyms=_unblob(data["synonyms"], n),
                type=data["type"],
                type_vocab=tuple(type_vocab.tobytes().decode("utf-8").split(_ROW_SEP))
                if len(type_vocab)
                else (),
                **{
                    key: data[key]
                    for key in (
                        "season",
                        "status",
                        "year",
                        "episodes",
                        "nsfw",
                        "mean",
                        "aod_score",
                        "scored_by",
                        "popularity_rank",
                        "franchise",
                        "rel_indptr",
                        "rel_other",
                        "rel_kind",
                        "rel_mal",
                    )
                },
                genres=incidence("genres"),
                tags=incidence("tags"),
                studios=incidence("studios"),
            )
        except KeyError as exc:
            raise CatalogError(f"{path}: catalog file lacks {exc.args[0]!r}") from None
        for f in fields(columns):
            value = getattr(columns, f.name)
            if (
                isinstance(value, np.ndarray)
                and f.name != "rel_indptr"
                and not f.name.startswith("rel_")
                and len(value) != n
            ):
                raise CatalogError(f"{path}: column {f.name} has {len(value)} rows, expected {n}")
        if len(columns.rel_indptr) != n + 1 or (n > 0 and bool(np.any(np.diff(columns.ids) <= 0))):
            raise CatalogError(f"{path}: ids are not ascending or relations do not match them")
        return columns
