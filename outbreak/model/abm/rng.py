"""Random numbers by address: a draw is a function of (seed, stream, who, whom, day).

Common random numbers by construction (style rule 22): every stochastic decision —
does agent ``a`` infect agent ``b`` in layer ``L`` on day ``t``; how long is ``a``'s
latent period — reads a uniform hashed from its own address instead of the next
number of a shared generator. Changing a policy changes which decisions are asked,
never the answers to the others, so two scenarios run with one seed differ only
where the policy acts (Covasim's issue #373: a vaccine changed the epidemic before
it started). The hash is SplitMix64's finaliser (Steele, Lea & Flood, OOPSLA 2014,
doi:10.1145/2660193.2660195), whose output passes BigCrush; a key is folded in one
64-bit word at a time.

Streams are small integers, one per kind of decision (:data:`STREAMS`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from outbreak.jit import kernel

U64 = np.uint64
_GOLDEN = U64(0x9E3779B97F4A7C15)
_M1 = U64(0xBF58476D1CE4E5B9)
_M2 = U64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-53

# one stream per kind of decision; adding a stream never moves another's draws
STREAMS = {
    name: k
    for k, name in enumerate(
        (
            "layer_h", "layer_s", "layer_w", "layer_c", "layer_v",
            "latent", "presymptomatic", "symptomatic", "severe", "critical",
            "death", "to_severe", "to_critical", "to_death", "recovery",
            "test", "test_order", "trace", "quarantine", "seed", "import",
            "visit", "community", "population", "skip_h", "skip_s", "skip_w",
            "skip_c",
        )
    )
}  # fmt: skip


@kernel
def mix(x: U64) -> U64:  # pragma: no cover - compiled
    """SplitMix64's finaliser: a bijection of 64-bit words that scrambles bits."""
    x = (x ^ (x >> U64(30))) * _M1
    x = (x ^ (x >> U64(27))) * _M2
    return x ^ (x >> U64(31))


@kernel
def draw(seed: int, stream: int, a: int, b: int, t: int) -> float:  # pragma: no cover
    """The uniform in [0, 1) at address (seed, stream, a, b, t)."""
    h = mix(U64(seed) * _GOLDEN + U64(stream))
    h = mix(h ^ U64(a))
    h = mix(h + _GOLDEN ^ U64(b))
    h = mix(h ^ U64(t) * _GOLDEN)
    return float(h >> U64(11)) * _TO_UNIT


@kernel
def address(seed: int, stream: int, a: int, t: int) -> U64:  # pragma: no cover
    """The part of an address shared by all of ``a``'s draws on day ``t`` in one
    stream (hashed once per source; :func:`at` finishes it per contact)."""
    return mix(mix(mix(U64(seed) * _GOLDEN + U64(stream)) ^ U64(a)) ^ U64(t) * _GOLDEN)


@kernel
def at(prefix: U64, b: int) -> float:  # pragma: no cover - compiled
    """The uniform at ``prefix`` (from :func:`address`) and ``b``."""
    h = mix(prefix + _GOLDEN ^ U64(b))
    return float(h >> U64(11)) * _TO_UNIT


def pair_draws(
    seed: int, stream: int, a: int, b: NDArray[np.integer[Any]], t: int
) -> NDArray[np.float64]:
    """NumPy reference of :func:`address` + :func:`at` (a's draws with many b)."""
    with np.errstate(over="ignore"):
        b64 = np.asarray(b, dtype=np.int64).astype(U64)

        def mx(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
            x = (x ^ (x >> U64(30))) * _M1
            x = (x ^ (x >> U64(27))) * _M2
            return x ^ (x >> U64(31))

        one = np.array([U64(seed) * _GOLDEN + U64(stream)], dtype=U64)
        prefix = mx(mx(mx(one) ^ U64(a)) ^ U64(t) * _GOLDEN)
        h = mx(prefix + _GOLDEN ^ b64)
    return np.asarray((h >> U64(11)).astype(np.float64) * _TO_UNIT)


def draws(
    seed: int,
    stream: int,
    a: NDArray[np.integer[Any]],
    b: int | NDArray[np.integer[Any]],
    t: int,
) -> NDArray[np.float64]:
    """The same uniforms for many addresses (NumPy; the reference the kernels are
    tested against).

    Examples
    --------
    >>> u = draws(1, 0, np.arange(3), 0, 0)
    >>> again = draws(1, 0, np.arange(3), 0, 0)
    >>> bool(((u >= 0) & (u < 1)).all()), bool((again == u).all())
    (True, True)
    """
    with np.errstate(over="ignore"):
        a64 = np.asarray(a, dtype=np.int64).astype(U64)
        b64 = np.broadcast_to(np.asarray(b, dtype=np.int64), a64.shape).astype(U64)

        def mx(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
            x = (x ^ (x >> U64(30))) * _M1
            x = (x ^ (x >> U64(27))) * _M2
            return x ^ (x >> U64(31))

        h = mx(np.full(a64.shape, U64(seed) * _GOLDEN + U64(stream), dtype=U64))
        h = mx(h ^ a64)
        h = mx(h + _GOLDEN ^ b64)
        h = mx(h ^ U64(t) * _GOLDEN)
    return np.asarray((h >> U64(11)).astype(np.float64) * _TO_UNIT)
