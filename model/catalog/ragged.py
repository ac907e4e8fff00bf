"""Ragged per-title lists (genres, tags, studios, relations) as CSR-style ``(indptr, values)``.

Row ``i``'s values are ``values[indptr[i]:indptr[i + 1]]``. :class:`Incidence` adds a vocabulary:
its values index the vocabulary, so it is a sparse 0/1 title × term matrix (scipy's
``csr_matrix((np.ones(len(indices)), indices, indptr), shape=shape)`` reads it as is).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


def lengths_to_indptr(lengths: np.ndarray) -> np.ndarray:
    """``[2, 0, 3]`` → ``[0, 2, 2, 5]`` (int64)."""
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    return indptr


def take_rows(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``indptr`` of rows ``rows`` (in that order) and the positions of their values in the
    old value arrays: ``new_values = old_values[positions]``."""
    rows = np.asarray(rows, dtype=np.int64)
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    new_indptr = lengths_to_indptr(lengths)
    total = int(new_indptr[-1])
    positions = (
        np.arange(total, dtype=np.int64)
        - np.repeat(new_indptr[:-1], lengths)
        + np.repeat(starts, lengths)
    )
    return new_indptr, positions


@dataclass(frozen=True, slots=True)
class Incidence:
    """A sparse 0/1 matrix of titles (rows, in catalog id order) × ``vocabulary`` terms."""

    indptr: np.ndarray
    """int64 (n_titles + 1,)."""
    indices: np.ndarray
    """int32 (nnz,): column (term) numbers, each row's in increasing order."""
    vocabulary: tuple[str, ...]

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.indptr) - 1, len(self.vocabulary))

    def row(self, row: int) -> np.ndarray:
        """Term numbers of one title."""
        return self.indices[self.indptr[row] : self.indptr[row + 1]]

    def terms(self, row: int) -> tuple[str, ...]:
        """Terms of one title, as strings."""
        return tuple(self.vocabulary[i] for i in self.row(row))

    def column(self, term: str) -> int | None:
        """The column of ``term`` (case-folded match), or None."""
        try:
            return self.vocabulary.index(" ".join(term.split()).casefold())
        except ValueError:
            return None

    def counts(self) -> np.ndarray:
        """int64 (n_terms,): how many titles carry each term (document frequency)."""
        return np.bincount(self.indices, minlength=len(self.vocabulary)).astype(np.int64)

    def dense(self, rows: np.ndarray | None = None) -> np.ndarray:
        """uint8 (len(rows), n_terms) 0/1 matrix of ``rows`` (default: every title)."""
        indptr, indices = self.indptr, self.indices
        if rows is not None:
            indptr, positions = take_rows(indptr, np.asarray(rows))
            indices = indices[positions]
        n = len(indptr) - 1
        out = np.zeros((n, len(self.vocabulary)), dtype=np.uint8)
        out[np.repeat(np.arange(n), np.diff(indptr)), indices] = 1
        return out

    def take(self, rows: np.ndarray) -> Incidence:
        """These rows, in this order (same vocabulary)."""
        indptr, positions = take_rows(self.indptr, rows)
        return Incidence(indptr, self.indices[positions], self.vocabulary)

    @classmethod
    def build(cls, rows: Sequence[Iterable[str]], vocabulary: Sequence[str] = ()) -> Incidence:
        """From per-title term lists; ``vocabulary`` is kept as the first columns (so an existing
        matrix's column numbers stay valid) and new terms are appended in sorted order."""
        vocab = list(vocabulary)
        number = {term: i for i, term in enumerate(vocab)}
        new_terms = sorted({t for terms in rows for t in terms if t not in number})
        for term in new_terms:
            number[term] = len(vocab)
            vocab.append(term)
        per_row = [sorted({number[t] for t in terms}) for terms in rows]
        indptr = lengths_to_indptr(np.array([len(r) for r in per_row], dtype=np.int64))
        flat = [i for r in per_row for i in r]
        return cls(indptr, np.array(flat, dtype=np.int32), tuple(vocab))

    def concat(self, other: Incidence) -> Incidence:
        """Rows of ``self`` then rows of ``other``; ``other``'s vocabulary must extend self's."""
        if other.vocabulary[: len(self.vocabulary)] != self.vocabulary:
            raise ValueError("the second matrix's vocabulary must extend the first's")
        indptr = np.concatenate([self.indptr[:-1], other.indptr + self.indptr[-1]])
        return Incidence(indptr, np.concatenate([self.indices, other.indices]), other.vocabulary)
