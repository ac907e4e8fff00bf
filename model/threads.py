"""BLAS thread control without extra dependencies.

NumPy's wheels bundle OpenBLAS (``numpy.libs/libscipy_openblas*``), which reads
``OPENBLAS_NUM_THREADS`` only when NumPy is imported. Serving sets the count deliberately at run
time instead, through OpenBLAS's own C API (what threadpoolctl does, minus the dependency):
GEMV at batch 1 is memory-bound and gains from both cores, while a caller that runs many requests
in its own thread pool wants one BLAS thread per request so the two pools do not fight.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np


@cache
def _openblas() -> tuple[ctypes.CDLL, str] | None:
    libs = Path(np.__file__).parent.parent / "numpy.libs"
    for path in sorted(glob.glob(str(libs / "libscipy_openblas*.so*"))):
        try:
            lib = ctypes.CDLL(path)  # already loaded by NumPy: returns the same handle
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                if hasattr(lib, f"{prefix}_set_num_threads{suffix}"):
                    return lib, f"{prefix}_{{}}{suffix}"
    return None


def blas_threads() -> int | None:
    """OpenBLAS's current thread count, or None when NumPy uses another BLAS."""
    found = _openblas()
    if found is None:
        return None
    lib, name = found
    return int(getattr(lib, name.format("get_num_threads"))())


def set_blas_threads(n: int) -> bool:
    """Set OpenBLAS's thread count for the whole process; False when it cannot be set."""
    found = _openblas()
    if found is None:
        return False
    lib, name = found
    getattr(lib, name.format("set_num_threads"))(ctypes.c_int(max(1, int(n))))
    return True


@cache
def _local_setter() -> Any:
    found = _openblas()
    fn = getattr(found[0], "openblas_set_num_threads_local", None) if found else None
    if fn is not None:
        fn.restype, fn.argtypes = ctypes.c_int, [ctypes.c_int]
    return fn


@contextmanager
def local_blas_threads(n: int | None) -> Iterator[None]:
    """BLAS threads for calls made by *this* thread inside the block (OpenBLAS ≥ 0.3.27).

    Other threads and the process-wide setting are untouched, so a library can choose its own
    count without surprising its caller. ``None`` (or an OpenBLAS without the call) does nothing.
    """
    setter = _local_setter() if n is not None else None
    if setter is None or n is None:
        yield
        return
    previous = setter(max(1, int(n)))
    try:
        yield
    finally:
        setter(previous)


def blas_info() -> dict[str, object]:
    """Which BLAS kernel runs (OPENBLAS_CORETYPE can force an older one) and how many threads."""
    found = _openblas()
    info: dict[str, object] = {
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
    }
    if found is None:
        info["library"] = None
        return info
    lib, name = found
    core = getattr(lib, name.format("get_corename"), None)
    config = getattr(lib, name.format("get_config"), None)
    for fn in (core, config):
        if fn is not None:
            fn.restype = ctypes.c_char_p
    info["library"] = "openblas"
    info["corename"] = core().decode() if core else None
    info["config"] = config().decode() if config else None
    info["threads"] = blas_threads()
    return info
