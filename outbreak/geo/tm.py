"""WGS84 → EPSG:5179 (Korea 2000 / Unified CS), compiled, for ingest-sized inputs.

EPSG:5179 is a transverse Mercator projection of the GRS80 ellipsoid (origin 38° N,
127.5° E, scale 0.9996, false easting 1,000,000 m, false northing 2,000,000 m). The
forward map is Krüger's series to sixth order in the third flattening *n*, as in
Karney (2011), "Transverse Mercator with an accuracy of a few nanometers",
J. Geodesy 85:475–485, doi:10.1007/s00190-011-0445-3 — the algorithm PROJ's own
``tmerc`` uses. It agrees with PROJ to well under a millimetre over Korea (tested),
and runs about ten times faster, split over the cores.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from outbreak.jit import kernel, split_map

A_M = 6_378_137.0  # GRS80 semi-major axis
F = 1 / 298.257222101  # GRS80 flattening
LAT0, LON0 = 38.0, 127.5
K0, FE, FN = 0.9996, 1_000_000.0, 2_000_000.0


def _series() -> tuple[float, float, NDArray[np.float64]]:
    n = F / (2 - F)
    e = math.sqrt(F * (2 - F))
    rect = A_M / (1 + n) * (1 + n**2 / 4 + n**4 / 64 + n**6 / 256)
    alpha = np.array(
        [
            n / 2 - 2 * n**2 / 3 + 5 * n**3 / 16 + 41 * n**4 / 180
            - 127 * n**5 / 288 + 7891 * n**6 / 37800,
            13 * n**2 / 48 - 3 * n**3 / 5 + 557 * n**4 / 1440
            + 281 * n**5 / 630 - 1983433 * n**6 / 1935360,
            61 * n**3 / 240 - 103 * n**4 / 140 + 15061 * n**5 / 26880
            + 167603 * n**6 / 181440,
            49561 * n**4 / 161280 - 179 * n**5 / 168 + 6601661 * n**6 / 7257600,
            34729 * n**5 / 80640 - 3418889 * n**6 / 1995840,
            212378941 * n**6 / 319334400,
        ]
    )  # fmt: skip
    return e, rect, alpha


E, RECT, ALPHA = _series()


@kernel
def _tm(  # pragma: no cover - compiled; tested through to_5179
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    e: float,
    rect: float,
    alpha: NDArray[np.float64],
    y0: float,
    out_x: NDArray[np.float64] | NDArray[np.int64],
    out_y: NDArray[np.float64] | NDArray[np.int64],
    decimetres: bool,
) -> None:
    lam0 = math.radians(LON0)
    for i in range(len(lon)):
        phi = math.radians(lat[i])
        lam = math.radians(lon[i]) - lam0
        s = math.sin(phi)
        t = math.sinh(math.atanh(s) - e * math.atanh(e * s))  # conformal latitude
        c, sl = math.cos(lam), math.sin(lam)
        r2 = t * t + c * c
        r = math.sqrt(r2)
        xi1 = math.atan2(t, c)
        sh1 = sl / r  # sinh η′
        eta1 = math.asinh(sh1)
        # Σ α_j sin(2jζ′), ζ′ = ξ′ + iη′, by Clenshaw summation; the double-angle
        # terms come from t, c and sinh η′ algebraically, with no further calls.
        s2, c2 = 2 * t * c / r2, (c * c - t * t) / r2
        sh2, ch2 = 2 * sh1 * math.sqrt(1 + sh1 * sh1), 1 + 2 * sh1 * sh1
        sin_z = complex(s2 * ch2, c2 * sh2)
        two_cos_z = 2 * complex(c2 * ch2, -s2 * sh2)
        b1, b2 = 0j, 0j
        for j in range(5, -1, -1):
            b1, b2 = two_cos_z * b1 - b2 + alpha[j], b1
        total = b1 * sin_z
        xi, eta = xi1 + total.real, eta1 + total.imag
        x, y = FE + K0 * rect * eta, FN + K0 * rect * xi - y0
        if decimetres:
            out_x[i], out_y[i] = round(x * 10), round(y * 10)
        else:
            out_x[i], out_y[i] = x, y


def _origin_y() -> float:
    x, y = np.empty(1), np.empty(1)
    _tm(np.array([LON0]), np.array([LAT0]), E, RECT, ALPHA, 0.0, x, y, False)
    return float(y[0] - FN)


def _project(
    lon: NDArray[np.float64], lat: NDArray[np.float64], dtype: type, decimetres: bool
) -> tuple[NDArray[Any], NDArray[Any]]:
    lon = np.ascontiguousarray(lon, dtype=np.float64)
    lat = np.ascontiguousarray(lat, dtype=np.float64)
    x: NDArray[Any] = np.empty(len(lon), dtype=dtype)
    y: NDArray[Any] = np.empty(len(lon), dtype=dtype)
    y0 = _origin_y()

    def run(part: slice) -> None:
        _tm(lon[part], lat[part], E, RECT, ALPHA, y0, x[part], y[part], decimetres)

    split_map(run, len(lon))
    return x, y


def to_5179(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project WGS84 degrees to EPSG:5179 metres (x east, y north)."""
    return _project(lon, lat, np.float64, False)


def to_5179_dm(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Project WGS84 degrees to EPSG:5179 whole decimetres, as the movement store keeps.

    Examples
    --------
    >>> x, y = to_5179_dm(np.array([127.5]), np.array([38.0]))  # the origin
    >>> int(x[0]), int(y[0])
    (10000000, 20000000)
    """
    return _project(lon, lat, np.int64, True)
