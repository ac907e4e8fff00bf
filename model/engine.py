"""The CPU serving engine: :func:`model.reference.forward`, computed sparsely and in batches.

The network (DESIGN.md; a two-head Mult-DAE after Liang et al. 2018) is evaluated in stages so
callers compute only what an answer needs:

* :meth:`Engine.first_layer` – the encoder's first pre-activation from the listed items only.
  The first layer is linear in x = presence ‖ ratings, so x·W_e0 + b_e0 is the sum over listed
  items i of ``W_e0[i] + v_i · W_e0[N + i]`` plus the bias: 2n kernel rows instead of a 2N×H GEMV.
* :meth:`Engine.trunk` – the rest of the encoder, to the bottleneck z.
* :meth:`Engine.heads` – both decoder heads up to their last hidden layer; the heads' first
  layers share z and run as one GEMM.
* :meth:`Engine.logits` / :meth:`Engine.ratings` – the output layers, optionally for a subset of
  columns (the rating head's output is needed for every item only when ranking a scored profile).
* :meth:`Engine.graft` – the optional item–item term ``g · (presence · G)``, also sparse.
* :meth:`Engine.offsets` – the optional rating offset (the profile's mean input value, added to
  every predicted rating); :meth:`Engine.holdout_offsets` gives it with each entry left out.

Everything runs in float32, like the reference; weights stay the artifact's read-only memory maps.
The engine holds no mutable state, so concurrent calls from several threads are safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from model.reference import NetworkConfig

DTYPE = np.float32
_ROW_CHUNK = 256  # kernel rows gathered at a time: keeps the gathered block in L2
# Gathering a row costs about twice streaming it (read, copy, read again, per-row overhead):
# past these shares of the corpus a dense GEMV over all rows is cheaper (measured here).
_DENSE_FIRST_LAYER = 0.4
_DENSE_GRAFT = 0.5


@dataclass(frozen=True, slots=True)
class SparseInput:
    """One profile's network input: corpus positions and their normalized ratings."""

    indices: np.ndarray
    values: np.ndarray

    @property
    def size(self) -> int:
        return len(self.indices)


def swish_(x: np.ndarray) -> np.ndarray:
    """In-place x·sigmoid(x) with the same operations, in the same order, as the reference."""
    t = np.multiply(x, 0.5, dtype=x.dtype)
    np.tanh(t, out=t)
    t += 1.0
    t *= 0.5
    x *= t
    return x


def logsumexp(logits: np.ndarray, *, overwrite: bool = False) -> np.ndarray:
    """Row-wise log Σ exp, stable; the presence softmax's normalizer. ``overwrite``: work in
    ``logits`` itself (it is left holding exp(logits − max)), the same numbers without two
    temporary arrays of its size."""
    top = logits.max(axis=-1, keepdims=True)
    shifted = np.subtract(logits, top, out=logits if overwrite else None)
    np.exp(shifted, out=shifted)
    out: np.ndarray = (top + np.log(shifted.sum(axis=-1, keepdims=True)))[..., 0]
    return out


class Engine:
    """Sparse, staged evaluation of the reference network on one artifact's weights."""

    def __init__(self, config: NetworkConfig, weights: Mapping[str, np.ndarray]) -> None:
        self.config = config
        self.n_items = n = config.n_items

        # np.asarray turns memmaps into plain views (no copy): memmap's per-operation
        # bookkeeping costs more than the small ops it wraps.
        def w(name: str) -> np.ndarray:
            return np.asarray(weights[name])

        w0 = w("encoder.0.kernel")
        self.w0 = w0
        self.w0_presence, self.w0_rating = w0[:n], w0[n:]
        self.b0 = w("encoder.0.bias").astype(DTYPE)
        self.encoder = [
            (w(f"encoder.{i}.kernel"), w(f"encoder.{i}.bias"))
            for i in range(1, len(config.encoder))
        ]
        depth = len(config.decoder) + 1
        self.depth = depth
        # The heads' first layers read the same z: one (Z, Dp + Dr) GEMM instead of two GEMVs.
        self.head0_kernel = np.concatenate([w("presence.0.kernel"), w("rating.0.kernel")], axis=1)
        self.head0_bias = np.concatenate([w("presence.0.bias"), w("rating.0.bias")])
        self.head0_split = w("presence.0.kernel").shape[1]
        self.presence_layers = [
            (w(f"presence.{i}.kernel"), w(f"presence.{i}.bias")) for i in range(1, depth)
        ]
        self.rating_layers = [
            (w(f"rating.{i}.kernel"), w(f"rating.{i}.bias")) for i in range(1, depth)
        ]
        self.graft_weight = w("item_item.weight") if config.item_item else None
        self.graft_scale = DTYPE(w("item_item.scale")) if config.item_item else DTYPE(0.0)
        self.has_rating_offset = config.rating_offset
        # Training may scale the presence head to zero next to the graft (residual scale α = 0,
        # baked into the weights): its logits are then the bias alone, and neither its output
        # layer (N×D) nor its hidden layers need to run.
        last = self.presence_layers[-1][0] if depth > 1 else w("presence.0.kernel")
        self.presence_off = not np.any(last)

    # -- encoder ---------------------------------------------------------------------------

    def entry_rows(self, inp: SparseInput) -> np.ndarray:
        """(n, H): each listed entry's share of the first pre-activation, W[i] + v_i·W[N+i]."""
        rows: np.ndarray = self.w0_rating[inp.indices]
        rows *= inp.values.astype(DTYPE)[:, None]
        rows += self.w0_presence[inp.indices]
        return rows

    def first_layer(self, inputs: Sequence[SparseInput]) -> np.ndarray:
        """(B, H) encoder pre-activations x·W_e0 + b_e0, from the listed items' rows only."""
        out = np.empty((len(inputs), self.b0.shape[0]), dtype=DTYPE)
        for b, inp in enumerate(inputs):
            if inp.size > _DENSE_FIRST_LAYER * self.n_items:
                x = np.zeros(2 * self.n_items, dtype=DTYPE)
                x[inp.indices] = 1.0
                x[self.n_items + inp.indices] = inp.values
                out[b] = x @ self.w0
                out[b] += self.b0
                continue
            acc = self.b0.copy()
            for start in range(0, inp.size, _ROW_CHUNK):
                idx = inp.indices[start : start + _ROW_CHUNK]
                vals = inp.values[start : start + _ROW_CHUNK].astype(DTYPE)
                acc += np.ones(len(idx), dtype=DTYPE) @ self.w0_presence[idx]
                acc += vals @ self.w0_rating[idx]
            out[b] = acc
        return out

    def trunk(self, pre0: np.ndarray) -> np.ndarray:
        """The bottleneck z from first pre-activations (swish between layers, linear at the end)."""
        if not self.encoder:
            return pre0
        h = swish_(pre0.copy())
        for i, (kernel, bias) in enumerate(self.encoder):
            h = h @ kernel
            h += bias
            if i < len(self.encoder) - 1:
                swish_(h)
        return h

    # -- decoder heads ---------------------------------------------------------------------

    def heads(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each head's input to its output layer: (presence hidden, rating hidden).

        With no hidden decoder layers both are z itself.
        """
        if self.depth == 1:
            return z, z
        if self.presence_off:
            split = self.head0_split
            hr = z @ self.head0_kernel[:, split:]
            hr += self.head0_bias[split:]
            swish_(hr)
            for kernel, bias in self.rating_layers[:-1]:
                hr = swish_(hr @ kernel + bias)
            return np.empty((len(z), 0), dtype=DTYPE), hr
        h = z @ self.head0_kernel
        h += self.head0_bias
        swish_(h)
        hp, hr = h[:, : self.head0_split], h[:, self.head0_split :]
        for kernel, bias in self.presence_layers[:-1]:
            hp = swish_(hp @ kernel + bias)
        for kernel, bias in self.rating_layers[:-1]:
            hr = swish_(hr @ kernel + bias)
        return hp, hr

    def presence_hidden(self, z: np.ndarray) -> np.ndarray:
        """The presence head alone up to its output layer (empty when the head is off).

        With :meth:`rating_hidden`, what :meth:`heads` returns, one head at a time: two threads
        can each run one head and then its output layer.
        """
        if self.depth == 1:
            return z
        if self.presence_off:
            return np.empty((len(z), 0), dtype=DTYPE)
        split = self.head0_split
        hp: np.ndarray = z @ self.head0_kernel[:, :split]
        hp += self.head0_bias[:split]
        swish_(hp)
        for kernel, bias in self.presence_layers[:-1]:
            hp = swish_(hp @ kernel + bias)
        return hp

    def rating_hidden(self, z: np.ndarray) -> np.ndarray:
        """The rating head alone up to its output layer."""
        if self.depth == 1:
            return z
        split = self.head0_split
        hr: np.ndarray = z @ self.head0_kernel[:, split:]
        hr += self.head0_bias[split:]
        swish_(hr)
        for kernel, bias in self.rating_layers[:-1]:
            hr = swish_(hr @ kernel + bias)
        return hr

    def _output(
        self, hidden: np.ndarray, head: str, columns: np.ndarray | slice | None
    ) -> np.ndarray:
        if self.depth == 1:
            kernel, bias = (
                (self.head0_kernel[:, : self.n_items], self.head0_bias[: self.n_items])
                if head == "presence"
                else (self.head0_kernel[:, self.n_items :], self.head0_bias[self.n_items :])
            )
        else:
            layers = self.presence_layers if head == "presence" else self.rating_layers
            kernel, bias = layers[-1]
        if head == "presence" and self.presence_off:
            picked = bias if columns is None else bias[columns]
            return np.repeat(picked[None, :].astype(DTYPE), len(hidden), axis=0)
        if columns is None or isinstance(columns, slice):
            # A slice of columns is a strided view of the kernel: no copy.
            sl = columns if columns is not None else slice(None)
            out: np.ndarray = hidden @ kernel[:, sl]
            out += bias[sl]
            return out
        picked_out: np.ndarray = hidden @ kernel[:, columns] + bias[columns]
        return picked_out

    def presence_bias(self) -> np.ndarray:
        """(N,) the presence logits without the graft when the head is off (``presence_off``):
        its output bias, the same for every profile."""
        bias: np.ndarray = self.presence_layers[-1][1] if self.depth > 1 else self.head0_bias
        return bias[: self.n_items].astype(DTYPE)

    def logits(self, hp: np.ndarray, columns: np.ndarray | slice | None = None) -> np.ndarray:
        """Presence logits (without the graft) for all items or the given columns."""
        return self._output(hp, "presence", columns)

    def ratings(self, hr: np.ndarray, columns: np.ndarray | slice | None = None) -> np.ndarray:
        """Predicted normalized ratings for all items or the given columns."""
        return self._output(hr, "rating", columns)

    # -- item–item graft -------------------------------------------------------------------

    @property
    def has_graft(self) -> bool:
        return self.graft_weight is not None

    def graft_rows(self, inp: SparseInput, columns: np.ndarray | None = None) -> np.ndarray:
        """(n, N or C): each listed entry's graft row g·G[i] (for the given columns)."""
        assert self.graft_weight is not None
        rows: np.ndarray = self.graft_weight[inp.indices]  # a copy: scaled in place
        if columns is not None:
            rows = rows[:, columns]
        rows *= self.graft_scale
        return rows

    def graft(self, inputs: Sequence[SparseInput], columns: np.ndarray | None = None) -> np.ndarray:
        """(B, N or C): g · (presence · G), summing the listed items' rows of G."""
        assert self.graft_weight is not None
        width = self.n_items if columns is None else len(columns)
        out = np.zeros((len(inputs), width), dtype=DTYPE)
        ones = np.ones(0, dtype=DTYPE)
        for b, inp in enumerate(inputs):
            if inp.size > _DENSE_GRAFT * self.n_items:
                presence = np.zeros(self.n_items, dtype=DTYPE)
                presence[inp.indices] = 1.0
                g = self.graft_weight if columns is None else self.graft_weight[:, columns]
                out[b] = presence @ g
                continue
            for start in range(0, inp.size, _ROW_CHUNK):
                idx = inp.indices[start : start + _ROW_CHUNK]
                if len(ones) != len(idx):
                    ones = np.ones(len(idx), dtype=DTYPE)
                block = self.graft_weight[idx]
                out[b] += ones @ (block if columns is None else block[:, columns])
        out *= self.graft_scale
        return out

    # -- rating offset ---------------------------------------------------------------------

    def offsets(self, inputs: Sequence[SparseInput]) -> np.ndarray:
        """(B,) rating offsets Σ values / max(n, 1); zeros when the model has none."""
        out = np.zeros(len(inputs), dtype=DTYPE)
        if self.has_rating_offset:
            for b, inp in enumerate(inputs):
                out[b] = inp.values.astype(DTYPE).sum(dtype=DTYPE) / DTYPE(max(inp.size, 1))
        return out

    def holdout_offsets(self, inp: SparseInput) -> np.ndarray:
        """(n,) rating offsets with each entry left out: (Σ values − v_i) / max(n − 1, 1)."""
        if not self.has_rating_offset:
            return np.zeros(inp.size, dtype=DTYPE)
        values = inp.values.astype(DTYPE)
        left_out: np.ndarray = (values.sum(dtype=DTYPE) - values) / DTYPE(max(inp.size - 1, 1))
        return left_out

    # -- whole forward ---------------------------------------------------------------------

    def forward(self, inputs: Sequence[SparseInput]) -> tuple[np.ndarray, np.ndarray]:
        """(logits, ratings), each (B, N): what :func:`model.reference.forward` returns."""
        hp, hr = self.heads(self.trunk(self.first_layer(inputs)))
        logits = self.logits(hp)
        if self.has_graft:
            logits += self.graft(inputs)
        ratings = self.ratings(hr)
        if self.has_rating_offset:
            ratings += self.offsets(inputs)[:, None]
        return logits, ratings

    @property
    def weight_bytes(self) -> int:
        arrays = [self.w0_presence, self.w0_rating, self.b0, self.head0_kernel, self.head0_bias]
        for k, b in (*self.encoder, *self.presence_layers, *self.rating_layers):
            arrays += [k, b]
        if self.graft_weight is not None:
            arrays.append(self.graft_weight)
        return sum(int(a.nbytes) for a in arrays)
