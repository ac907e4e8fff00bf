"""Opt-in approximate ranking: int8 output layers through onnxruntime, exact float32 re-score.

``Recommender.load(path, fast="int8")`` makes unexplained recommendations (``recommend(...,
explain=False)``, ``recommend_many(..., explain=False)``, ``recommend_batch``) read the two
N-wide output layers as int8 (symmetric, one scale per output column) instead of float32:
a quarter of the bytes, and onnxruntime's MLAS int8 GEMM (``com.microsoft.DynamicQuantizeMatMul``:
the input is quantized to uint8 per call, VNNI dot products, float32 out) instead of a float32
GEMV. Those approximate logits and ratings rank every candidate; the best
``max(shortlist, 4k)`` of them are re-scored exactly in float32 by gathering their columns from
the artifact's own (D, N) kernels (no float32 copy is held; ``fast="int8-columns"`` keeps an
(N, D) copy of each for a faster gather, at twice those layers' float32 bytes), and the top k
of the exact scores is returned with its exact scores. Ranking does not depend on the softmax
normaliser (log p = l − logZ is a per-profile shift), so only the displayed presence uses logZ
from the approximate logits (its relative error is what the accuracy check reports).
Explanations, insights and targets stay float32.

:class:`Int8Forward` is the pass (a :class:`model.forward.ForwardStrategy`) that the recommender
is given for ranking; :class:`Int8OutputLayers` holds the int8 sessions. Everything else (the
sparse encoder, trunk, hidden decoder layers, graft, rating offset) is the float32
:class:`model.engine.Engine`.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from model.engine import DTYPE, Engine, SparseInput
from model.explain import Parallel
from model.features import EncodedProfile
from model.forward import RATING_FLOOR, BatchForward, ProfilePass, first_layer

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

FAST_MODES = ("int8", "int8-columns")
"""``int8-columns`` also keeps the (N, D) float32 copies (``copy_columns``): the exact gather is
~4× faster, which batches need (batch throughput ≈ float32's instead of under half of it)."""
SHORTLIST = 64
"""Candidates re-scored exactly per profile (at least 4k). The exact top 10 sat at most at
approximate rank 22 on random full-size weights (1,000 synthetic and 1,000 real profiles)."""
GATHER_BATCH_LIMIT = 4
"""Without the column copies a batch larger than this runs the float32 path: each profile's
column gather (~0.55 ms) makes int8 lose to float32 from about 4 profiles on."""


INSTALL_HINT = "pip install 'anirec[fast]'"


def available() -> bool:
    """Whether onnxruntime and onnx (the ``fast`` extra) are installed."""
    try:
        require()
    except ImportError:
        return False
    return True


def require() -> None:
    """Raise :class:`ImportError` naming the extra to install when onnxruntime/onnx are missing."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"the fast modes need onnxruntime and onnx (the 'fast' extra): {INSTALL_HINT}"
        ) from exc


def quantize_columns(kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 with one scale per output column (max |w| ↦ 127): (int8 kernel, scales)."""
    kernel = np.asarray(kernel, dtype=DTYPE)
    scale = np.abs(kernel).max(axis=0) / DTYPE(127.0)
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(kernel / scale), -127, 127).astype(np.int8)
    return q, scale.astype(DTYPE)


def _session(kernel: np.ndarray, bias: np.ndarray) -> InferenceSession:
    """A one-node onnxruntime session computing ≈ x @ kernel + bias with int8 weights."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    d, n = kernel.shape
    q, scale = quantize_columns(kernel)
    inits = [
        numpy_helper.from_array(q, "B"),
        numpy_helper.from_array(scale, "S"),
        numpy_helper.from_array(np.zeros(n, dtype=np.int8), "Z"),
        numpy_helper.from_array(np.asarray(bias, dtype=DTYPE), "bias"),
    ]
    node = helper.make_node(
        "DynamicQuantizeMatMul", ["x", "B", "S", "Z", "bias"], ["y"], domain="com.microsoft"
    )
    graph = helper.make_graph(
        [node],
        "output_layer",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", d])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", n])],
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    )
    model.ir_version = 9
    options = ort.SessionOptions()
    # One thread per session: the recommender's own workers run the two heads side by side.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def _release_freed_memory() -> None:
    """Give the heap's free pages back to the system (glibc only; elsewhere a no-op).

    Building a session copies each int8 matrix several times (ONNX proto, serialized bytes,
    ORT's parse); glibc keeps those freed blocks resident: ~90 MiB per full-size layer.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class _Head:
    """One output layer: the int8 session for all columns, the float32 (D, N) kernel for a few
    (the artifact's array itself, or with ``copy_columns`` an (N, D) copy)."""

    def __init__(self, kernel: np.ndarray, bias: np.ndarray, copy_columns: bool = False) -> None:
        self.bias = np.asarray(bias, dtype=DTYPE)
        self.session = _session(kernel, bias)
        self.kernel = np.asarray(kernel, dtype=DTYPE)
        self.columns = np.ascontiguousarray(self.kernel.T) if copy_columns else None

    def approx(self, hidden: np.ndarray) -> np.ndarray:
        """(B, N) ≈ hidden @ kernel + bias."""
        x = np.ascontiguousarray(hidden, dtype=DTYPE)
        out: np.ndarray = self.session.run(None, {"x": x})[0]
        return out

    def exact(self, hidden: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """(C,) hidden @ kernel[:, columns] + bias[columns] in float32, for one profile."""
        out: np.ndarray
        if self.columns is not None:
            out = self.columns[columns] @ hidden + self.bias[columns]
        else:
            # Fancy indexing gathers the strided columns faster than np.take(..., axis=1).
            out = hidden @ self.kernel[:, columns] + self.bias[columns]
        return out


class Int8OutputLayers:
    """The engine's two output layers as int8 sessions plus exact float32 column access."""

    def __init__(
        self, engine: Engine, shortlist: int = SHORTLIST, *, copy_columns: bool = False
    ) -> None:
        self.engine = engine
        self.shortlist = shortlist
        n = engine.n_items
        if engine.depth == 1:
            kp, bp = engine.head0_kernel[:, :n], engine.head0_bias[:n]
            kr, br = engine.head0_kernel[:, n:], engine.head0_bias[n:]
        else:
            kp, bp = engine.presence_layers[-1]
            kr, br = engine.rating_layers[-1]
        self.presence = None if engine.presence_off else _Head(kp, bp, copy_columns)
        self.presence_bias = np.asarray(bp, dtype=DTYPE)
        self.rating = _Head(kr, br, copy_columns)
        _release_freed_memory()

    @property
    def extra_bytes(self) -> int:
        """Bytes held next to the artifact's weights: the int8 kernels (twice: onnxruntime keeps
        the initializer and its prepacked form), plus the float32 (N, D) copies if kept."""
        heads = [h for h in (self.presence, self.rating) if h is not None]
        copies = sum(h.columns.nbytes for h in heads if h.columns is not None)
        return copies + sum(2 * h.kernel.size for h in heads)

    def approx_logits(self, hp: np.ndarray) -> np.ndarray:
        if self.presence is None:
            return np.repeat(self.presence_bias[None, :], len(hp), axis=0)
        return self.presence.approx(hp)

    def exact_logits(self, hp: np.ndarray, columns: np.ndarray) -> np.ndarray:
        if self.presence is None:
            bias: np.ndarray = self.presence_bias[columns].copy()
            return bias
        return self.presence.exact(hp, columns)


@dataclass(slots=True)
class Int8Pass(ProfilePass):
    """A pass whose ``logits``/``ratings`` are approximate for ranking; every value that is
    returned (presence, ratings, scores at given columns) is exact float32."""

    presence_hidden: np.ndarray  # (D,)
    layers: Int8OutputLayers
    shortlist: int
    # The shortlist's exact (sorted columns, logits, ratings), kept for the returned titles.
    exact: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None

    def _cached(self, columns: np.ndarray, which: int) -> np.ndarray | None:
        if self.exact is None:
            return None
        found = self.exact[which]
        if found is None:
            return None
        cols = self.exact[0]
        at = np.minimum(np.searchsorted(cols, columns), len(cols) - 1)
        if len(cols) == 0 or not np.array_equal(cols[at], columns):
            return None
        return found[at]

    def _exact_logits(self, columns: np.ndarray) -> np.ndarray:
        cached = self._cached(columns, 1)
        if cached is not None:
            return cached
        out = self.layers.exact_logits(self.presence_hidden, columns)
        if self.graft is not None:
            out = out + self.graft[columns]
        return out

    def ratings_at(self, columns: np.ndarray) -> np.ndarray:
        cached = self._cached(columns, 2)
        if cached is not None:
            return cached
        return self.layers.rating.exact(self.rating_hidden, columns) + DTYPE(self.offset)

    def presence_at(self, columns: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.exp(self._exact_logits(columns) - DTYPE(self.lse))
        return out

    def ranking(self, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        size = max(self.shortlist, 4 * k)
        w = DTYPE(self.weight)
        if len(candidates) > size:
            approx = self.logits[candidates]  # log p up to the per-profile logZ
            if self.weight < 1.0:
                assert self.ratings is not None
                rated = np.maximum(self.ratings[candidates] + 1.0, DTYPE(RATING_FLOOR))
                approx = w * approx + (1 - w) * np.log(rated)
            candidates = _best(candidates, approx, size)
        candidates = np.sort(candidates)
        self.exact = None
        logits = self._exact_logits(candidates)
        log_p = logits - DTYPE(self.lse)
        if self.weight >= 1.0:
            self.exact = (candidates, logits, None)
            return candidates, log_p
        ratings = self.ratings_at(candidates)
        self.exact = (candidates, logits, ratings)
        r = np.maximum(ratings + 1.0, DTYPE(RATING_FLOOR))
        return candidates, w * log_p + (1 - w) * np.log(r)


def _best(candidates: np.ndarray, scores: np.ndarray, size: int) -> np.ndarray:
    """The ``size`` best candidates (ascending positions), ties broken by position like the
    float32 ranking: all above the size-th score, then the first of those equal to it."""
    threshold = scores[np.argpartition(-scores, size - 1)[size - 1]]
    above = scores > threshold
    tied = np.flatnonzero(scores == threshold)[: size - int(above.sum())]
    out: np.ndarray = np.union1d(candidates[above], candidates[tied])
    return out


@dataclass(slots=True)
class Int8BatchForward(BatchForward):
    """A batch's outputs with approximate logits and ratings, and the presence head's hidden
    layer for the exact re-score."""

    presence_hidden: np.ndarray  # (B, D)
    layers: Int8OutputLayers

    def profile_pass(
        self,
        b: int,
        row: int | None,
        *,
        profile: EncodedProfile,
        inp: SparseInput,
        weight: float,
        lse: float,
        offset: float,
        engine: Engine,
    ) -> Int8Pass:
        base = BatchForward.profile_pass(
            self,
            b,
            row,
            profile=profile,
            inp=inp,
            weight=weight,
            lse=lse,
            offset=offset,
            engine=engine,
        )
        shared: dict[str, Any] = {f.name: getattr(base, f.name) for f in fields(ProfilePass)}
        return Int8Pass(
            **shared,
            presence_hidden=self.presence_hidden[b],
            layers=self.layers,
            shortlist=self.layers.shortlist,
        )


class Int8Forward:
    """The int8 ranking pass (a :class:`model.forward.ForwardStrategy`): the float32 engine up
    to the heads' hidden layers, then both output layers as int8 sessions.

    ``mode`` is one of :data:`FAST_MODES`; ``shortlist`` the candidates re-scored exactly.
    """

    def __init__(self, engine: Engine, mode: str = "int8", *, shortlist: int = SHORTLIST) -> None:
        if mode not in FAST_MODES:
            raise ValueError(f"unknown fast mode {mode!r}; expected one of {FAST_MODES}")
        require()
        self.engine = engine
        self.mode = mode
        self.layers = Int8OutputLayers(engine, shortlist, copy_columns=mode == "int8-columns")

    @property
    def shortlist(self) -> int:
        return self.layers.shortlist

    @property
    def extra_bytes(self) -> int:
        return self.layers.extra_bytes

    def serves(self, batch: int) -> bool:
        return self.mode == "int8-columns" or batch <= GATHER_BATCH_LIMIT

    def forward(
        self, inputs: Sequence[SparseInput], rows: Sequence[int], split: Parallel
    ) -> Int8BatchForward:
        """:meth:`model.forward.Float32Forward.forward` with int8 output layers: approximate
        logits (graft included) and approximate ratings at ``rows``."""
        layers, engine = self.layers, self.engine
        rows = list(rows)
        pre0 = first_layer(engine, inputs, split)
        z = engine.trunk(pre0)

        def presence_task() -> tuple[np.ndarray, np.ndarray]:
            hp = engine.presence_hidden(z)
            return hp, layers.approx_logits(hp)

        def rating_task() -> tuple[np.ndarray, np.ndarray | None]:
            hr = engine.rating_hidden(z)
            return hr, layers.rating.approx(hr[rows]) if rows else None

        (hp, logits), (hr, ratings) = split([presence_task, rating_task])
        graft = engine.graft(inputs) if engine.has_graft else None
        if graft is not None:
            logits += graft
        if ratings is not None and engine.has_rating_offset:
            ratings += engine.offsets([inputs[b] for b in rows])[:, None]
        return Int8BatchForward(pre0, hr, logits, ratings, graft, hp, layers)
