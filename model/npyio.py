"""NumPy file reads under one process-wide lock.

NumPy parses every ``.npy`` header (also each member of an ``.npz``) with ``ast.literal_eval``, and
CPython 3.11 keeps the AST constructor's recursion-depth counter per interpreter rather than per
thread: two threads parsing at once can fail with "SystemError: AST constructor recursion depth
mismatch" (python/cpython#106905). The bot reads models and catalogs from worker threads while
another read may be running (a model swap, a catalog rebuild, a promote check), so every NumPy
file read in the project goes through :data:`NPY_LOCK`. Reads are rare and short (weights are
memory-mapped), so serialising them costs nothing measurable.
"""

from __future__ import annotations

import os
import threading
from typing import Literal

import numpy as np

NPY_LOCK = threading.Lock()


def load_npy(path: str | os.PathLike[str], *, mmap_mode: Literal["r"] | None = None) -> object:
    """``np.load(path, mmap_mode=..., allow_pickle=False)`` under :data:`NPY_LOCK`.

    An ``.npy`` gives an array, an ``.npz`` an archive: the caller checks which it expected.
    """
    with NPY_LOCK:
        loaded: object = np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    return loaded


def load_npz(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, read eagerly under :data:`NPY_LOCK` (no pickles)."""
    with NPY_LOCK, np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}
