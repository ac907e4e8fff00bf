"""A sparse product over some rows of a :class:`~model.coldstart.index.Csr`, column-major.

:meth:`Csr.dot` sums each row's products one after the other (``np.add.reduceat`` in float64 is
a plain left-to-right loop per row); its cost is mostly that loop's start per row, 30k times per
request over the catalog. :class:`RowDot` keeps the same products in another order: the first
entry of every row, then the second of every row that has one, and so on (rows sorted longest
first, so the rows with a k-th entry are a prefix), and adds them into one accumulator per row,
one vector operation per entry position. Each row still adds its products left to right from 0,
so the values are the same bits as ``Csr.dot`` at those rows (but for a row whose terms are
all −0.0: 0.0 here, which adds the same to anything); only the loops differ. Serving
needs the content term only at titles a ranking may return and the network does not rank (the
network scores its own), so it builds one for those rows, and sums the few more a list opens
with :meth:`Csr.dot_at` (:mod:`model.recommender.mixing`).
"""

from __future__ import annotations

import numpy as np

from model.coldstart.index import Csr, spans

LONG = 48
"""Rows with more entries than this are summed row by row, as :meth:`Csr.dot` does: the few
longest rows would otherwise cost a vector operation per entry position for a handful of rows."""


class RowDot:
    """``csr.dot(vector)[rows]`` with one vector operation per entry position (read-only)."""

    def __init__(self, csr: Csr, rows: np.ndarray, long: int = LONG) -> None:
        self.rows = np.asarray(rows, dtype=np.int64)
        lengths = csr.indptr[self.rows + 1] - csr.indptr[self.rows]
        order = np.argsort(-lengths, kind="stable")
        ranked = lengths[order]
        n_long = int(np.count_nonzero(ranked > long))
        # The long rows: their entries one after the other, a sum per row (reduceat).
        self._long = order[:n_long]
        at_long = spans(csr.indptr, self.rows[self._long])
        self._long_indices, self._long_data = csr.indices[at_long], csr.data[at_long]
        self._long_starts = np.cumsum(ranked[:n_long]) - ranked[:n_long]
        # The others: rows with a k-th entry, for every k, are a prefix of them ranked longest
        # first; their k-th entries are stored together.
        self._order, ranked = order[n_long:], ranked[n_long:]
        longest = int(ranked[0]) if len(ranked) else 0
        self._counts = np.searchsorted(-ranked, -np.arange(longest), "left").tolist()
        starts = csr.indptr[self.rows[self._order]]
        at = np.concatenate(
            [starts[:n] + k for k, n in enumerate(self._counts)] + [np.zeros(0, np.int64)]
        )
        self._indices = csr.indices[at]
        self._data = csr.data[at]

    @property
    def nbytes(self) -> int:
        """Bytes held next to the matrix itself."""
        arrays = (self._indices, self._data, self._order, self._long_indices, self._long_data)
        return int(sum(a.nbytes for a in arrays))

    def dot(self, vector: np.ndarray) -> np.ndarray:
        """(len(rows),) = (csr @ vector)[rows], bit for bit as :meth:`Csr.dot` gives it."""
        v32 = vector.astype(np.float32)
        products = self._data * v32[self._indices]  # float32, added to float64 sums
        total = np.zeros(len(self._order), dtype=np.float64)
        start = 0
        for count in self._counts:
            total[:count] += products[start : start + count]
            start += count
        out = np.empty(len(self.rows), dtype=np.float64)
        out[self._order] = total
        if len(self._long):
            long_products = self._long_data * v32[self._long_indices]
            out[self._long] = np.add.reduceat(long_products, self._long_starts, dtype=np.float64)
        return out
