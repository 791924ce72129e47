"""Compiled kernels: one typed wrapper around numba for the hot loops.

Kernels are compiled once per machine (``cache=True``) and release the GIL
(``nogil=True``), so callers split work over threads instead of using numba's own
threading layer, which is not safe to enter from several threads at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

import numba
import numpy as np

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def kernel(fn: F) -> F:
    """Compile ``fn`` with numba in nopython mode, GIL released, cached on disk."""
    return cast(F, numba.njit(cache=True, nogil=True)(fn))


def split_map(fn: Callable[[slice], T], n: int, *, min_chunk: int = 500_000) -> list[T]:
    """Run ``fn`` over contiguous slices of ``range(n)``, one thread per core.

    Small inputs run in the calling thread: a pool costs more than it saves.
    """
    workers = max(1, min(os.cpu_count() or 1, n // min_chunk))
    bounds = np.linspace(0, n, workers + 1).astype(np.int64)
    parts = [
        slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    if workers == 1:
        return [fn(p) for p in parts]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, parts))
