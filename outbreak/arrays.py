"""Small NumPy idioms more than one domain needs."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Ints = NDArray[np.int64]


def spread(first: Ints, last: Ints) -> tuple[Ints, Ints]:
    """(row, value) for every value from ``first[row]`` to ``last[row]`` inclusive.

    >>> spread(np.array([3, 10]), np.array([5, 10]))
    (array([0, 0, 0, 1]), array([ 3,  4,  5, 10]))
    """
    n = last - first + 1
    rows = np.repeat(np.arange(len(n)), n)
    return rows, first[rows] + np.arange(len(rows)) - np.repeat(np.cumsum(n) - n, n)
