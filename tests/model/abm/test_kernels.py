"""The compiled kernels equal their plain NumPy references, draw for draw."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from outbreak.model.abm import kernels as K
from outbreak.model.abm.city import city
from outbreak.model.abm.policy import VENUE_KINDS
from outbreak.model.abm.population import Population, hybrid
from outbreak.model.abm.rng import STREAMS, address, at, draw, draws, pair_draws
from outbreak.model.abm.sim import Pars


def test_scalar_draws_equal_the_vectorised_ones() -> None:
    a = np.arange(50)
    vec = draws(7, 3, a, 11, 5)
    assert [draw(7, 3, int(x), 11, 5) for x in a] == list(vec)
    pre = np.uint64(address(7, 3, 4, 5))  # numba returns a Python int
    assert [at(pre, int(b)) for b in a] == list(pair_draws(7, 3, 4, a, 5))


def test_draws_are_uniform_and_independent_across_streams() -> None:
    u = draws(1, 0, np.arange(200_000), 0, 0)
    v = draws(1, 1, np.arange(200_000), 0, 0)
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    assert abs(np.corrcoef(u, v)[0, 1]) < 0.01
    counts = np.histogram(u, bins=20, range=(0, 1))[0]
    expected = len(u) / 20
    assert ((counts - expected) ** 2 / expected).sum() < 45  # chi2(19) p ~ 0.001


def test_schedule_equals_its_reference() -> None:
    pars = Pars()
    dur = K.lognormal_params(pars.dur)
    probs = pars.conditional()
    n = 3_000
    times = np.full((n, 7), -1, dtype=np.int32)
    severity = np.full(n, -1, dtype=np.int8)
    bands = np.arange(n) % 10
    for j in range(n):
        K.schedule(j, 3, 9, int(bands[j]), dur, *probs, times, severity)
    seen = set()
    for j in range(n):
        row, sev = K.schedule_reference(j, 3, 9, int(bands[j]), dur, probs)
        assert times[j].tolist() == row and severity[j] == sev
        seen.add(sev)
    assert {0, 1, 2} <= seen  # every branch up to a hospital bed exercised
    # a course is ordered in time
    sym = times[:, 2] >= 0
    assert (times[:, 1] > times[:, 0]).all() and (times[:, 5] > times[:, 1]).all()
    assert (times[sym, 2] >= times[sym, 1]).all()


def test_schedule_reaches_death_with_certain_probabilities() -> None:
    pars = Pars()
    dur = K.lognormal_params(pars.dur)
    ones = np.ones(10)
    times = np.full((50, 7), -1, dtype=np.int32)
    severity = np.full(50, -1, dtype=np.int8)
    for j in range(50):
        K.schedule(j, 0, 1, 5, dur, ones, ones, ones, ones, times, severity)
        row, sev = K.schedule_reference(j, 0, 1, 5, dur, (ones, ones, ones, ones))
        assert times[j].tolist() == row and sev == severity[j] == 3
    assert (times[:, 6] == 1).all()
    assert (times[:, 4] >= times[:, 3]).all() and (times[:, 5] > times[:, 4]).all()


def _state(pop: Population, seed: int) -> dict[str, Any]:
    """A mid-epidemic state: some infected (some infectious), diagnosed, in
    quarantine."""
    n = len(pop)
    rng = np.random.default_rng(seed)
    pars = Pars()
    dur = K.lognormal_params(pars.dur)
    times = np.full((n, 7), -1, dtype=np.int32)
    severity = np.full(n, -1, dtype=np.int8)
    band = np.minimum(pop.age // 10, 9).astype(np.int8)
    infected = rng.choice(n, size=n // 10, replace=False)
    for j in infected:
        K.schedule(int(j), int(rng.integers(0, 10)), seed, int(band[j]), dur,
                   *pars.conditional(), times, severity)  # fmt: skip
    diag = np.full(n, -1, dtype=np.int32)
    diag[infected[: len(infected) // 5]] = 8
    quar = np.where(rng.random(n) < 0.05, 20, 0).astype(np.int32)
    susceptible = times[:, 0] < 0
    bits = np.packbits(susceptible, bitorder="little")
    bits = np.concatenate([bits, np.zeros(-len(bits) % 8, np.uint8)]).view(np.uint64)
    return {
        "times": times, "susceptible": susceptible, "bits": bits, "band": band,
        "sus": np.asarray(pars.sus_ors), "diag": diag, "quar": quar,
        "any_quar": True, "iso": np.array([0.0, 0.0, 0.1, 0.2]),
        "quar_f": np.array([1.0, 0.0, 0.2, 0.2]), "asymp": 0.7,
        "load": np.asarray(pars.viral_load),
        "rel_trans": rng.negative_binomial(0.45, 0.45 / 100.45, n) * 0.01,
    }  # fmt: skip


def _lists(pop: Population, infectious: np.ndarray) -> list[list[np.ndarray]]:
    h = pop.households
    out = []
    for i in infectious:
        g = h.of[i]
        hh = h.members[h.offsets[g] : h.offsets[g + 1]] if g >= 0 else np.empty(0)
        out.append(
            [hh]
            + [
                layer.nbrs[layer.offsets[i] : layer.offsets[i + 1]]
                for layer in (pop.schools, pop.works, pop.community)
            ]
        )
    return out


def _kernel_claims(
    pop: Population, run: dict[str, Any], infectious: np.ndarray, t: int,
    seed: int, base: np.ndarray, pmax: np.ndarray, weekday: int,
    venue_mult: np.ndarray, parts: int,
) -> list[tuple[int, int, int]]:  # fmt: skip
    h, s, w, c = pop.households, pop.schools, pop.works, pop.community
    offsets = K.capacities(infectious, h.of, h.offsets, s.offsets, w.offsets, c.offsets)
    out = np.empty((offsets[-1], 2), dtype=np.int32)
    count = np.zeros(len(infectious), dtype=np.int32)
    bounds = np.linspace(0, len(infectious), parts + 1).astype(np.int64)
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        K.transmit(int(a), int(b), infectious, t, seed, base, pmax, run["times"],
                   run["bits"], run["band"], run["sus"], run["diag"], run["quar"],
                   True, run["iso"], run["quar_f"], run["asymp"], run["load"],
                   run["rel_trans"], offsets, h.of, h.members, h.offsets, s.nbrs,
                   s.offsets, w.nbrs, w.offsets, c.nbrs, c.offsets, pop.tags,
                   weekday, venue_mult, out, count)  # fmt: skip
    return [
        (int(infectious[k]), int(out[e, 0]), int(out[e, 1]))
        for k in range(len(infectious))
        for e in range(offsets[k], offsets[k] + count[k])
    ]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("scale", [1.0, 40.0])  # everyday, and near-certain contacts
def test_transmit_equals_its_reference_on_the_hybrid_population(
    seed: int, scale: float
) -> None:
    pop = hybrid(4_000, seed=seed)
    run = _state(pop, seed)
    t = 10
    times = run["times"]
    infectious = np.flatnonzero(
        (times[:, 0] >= 0) & (times[:, 1] <= t) & (times[:, 5] > t)
    )
    infectious = infectious.astype(np.int32)
    base = 0.016 * np.array([3.0, 0.6, 0.6, 0.3]) * np.array([1.0, 0.5, 0.8, 0.6])
    base *= scale
    pmax = base * 4.0
    got = _kernel_claims(pop, run, infectious, t, seed, base, pmax, 0, np.ones(1), 3)
    want = K.transmit_reference(
        infectious, t, seed, base, pmax, run, _lists(pop, infectious)
    )
    assert got == want
    assert len(want) > 20  # the comparison exercised real infections


def test_transmit_equals_its_reference_with_venue_tags() -> None:
    pop = city(3_000, seed=3)
    run = _state(pop, 3)
    t = 10
    times = run["times"]
    infectious = np.flatnonzero(
        (times[:, 0] >= 0) & (times[:, 1] <= t) & (times[:, 5] > t)
    )
    infectious = infectious.astype(np.int32)
    base = 0.3 * np.array([3.0, 0.6, 0.6, 0.3])
    pmax = base * 4.0
    venue_mult = np.linspace(0.0, 1.0, len(VENUE_KINDS))
    tags = [
        pop.tags[pop.community.offsets[i] : pop.community.offsets[i + 1]]
        for i in infectious
    ]
    for weekday in (2, 6):
        got = _kernel_claims(
            pop, run, infectious, t, 3, base, pmax, weekday, venue_mult, 2
        )
        want = K.transmit_reference(infectious, t, 3, base, pmax, run,
                                    _lists(pop, infectious), tags, weekday,
                                    venue_mult)  # fmt: skip
        assert got == want
        venues = {w >> 2 for _, _, w in want if w & 3 == 3}
        assert 0 not in venues  # "other" has a multiplier of 0 here
        assert len(venues) >= 2


def test_apply_gives_first_claim_and_skips_the_infected() -> None:
    pars = Pars()
    n = 10
    times = np.full((n, 7), -1, dtype=np.int32)
    times[5, 0] = 0  # already infected
    severity = np.full(n, -1, dtype=np.int8)
    infector = np.full(n, -1, dtype=np.int32)
    layer = np.full(n, -1, dtype=np.int8)
    bits = np.full(1, ~np.uint64(0), dtype=np.uint64)
    infectious = np.array([1, 2], dtype=np.int32)
    offsets = np.array([0, 3, 5], dtype=np.int64)
    out = np.array([[7, 0], [5, 1], [8, 3], [7, 2], [9, 2], [0, 0]], dtype=np.int32)
    count = np.array([3, 2], dtype=np.int32)
    band = np.zeros(n, dtype=np.int8)
    new = K.apply(4, 1, infectious, offsets, out, count, band,
                  K.lognormal_params(pars.dur), *pars.conditional(), times,
                  severity, infector, layer, bits)  # fmt: skip
    assert new.tolist() == [7, 8, 9]
    assert infector[[7, 8, 9]].tolist() == [1, 1, 2] and layer[7] == 0
    assert times[5, 0] == 0 and infector[5] == -1
    assert (times[[7, 8, 9], 0] == 4).all()
    assert all(not (int(bits[0]) >> j) & 1 for j in (7, 8, 9))
    assert (int(bits[0]) >> 6) & 1


def test_geometric_candidates_are_bernoulli_at_the_bound() -> None:
    """Candidates along a list of m contacts: each position independently with
    probability ``bound`` (the thinning is exact only if so)."""
    m, bound = 200, 0.03
    hits = np.zeros(m)
    trials = 3_000
    for i in range(trials):
        hits[K._candidates(5, 2, i, 1, bound, m)] += 1
    freq = hits / trials
    assert abs(freq.mean() - bound) < 0.002
    # the first and last positions are no more or less likely than the middle
    assert abs(freq[:20].mean() - freq[-20:].mean()) < 0.01
    assert STREAMS["skip_w"] == K.SKIP_STREAMS[2]


@pytest.mark.parametrize(("layer", "mean"), [("c", 20.0), ("w", 16.0), ("s", 3.0)])
def test_random_contacts_equal_their_reference(
    layer: str, mean: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hash-drawn contact lists (two passes split over threads, staged by
    block) are the edges a plain loop draws from the same addresses, in the same
    order: per agent, the contacts it started, then those it was drawn for."""
    from functools import partial

    from scipy.stats import poisson

    from outbreak.jit import split_map
    from outbreak.model.abm import population as P

    # ranges of 2,000 agents, so a small population takes the threaded path
    monkeypatch.setattr(P, "split_map", partial(split_map, min_chunk=2_000))
    n, seed = 9_000, 4
    who = np.flatnonzero(np.arange(n) % 3 != 1)  # a subset, as schools and work are
    got = P._random_contacts(seed, layer, who, mean, n)
    word, pop_stream = P._LAYER_WORD[layer], STREAMS["population"]
    started: list[list[int]] = [[] for _ in range(n)]
    drawn: list[list[int]] = [[] for _ in range(n)]
    for j, a in enumerate(who):
        u0 = pair_draws(seed, pop_stream, word, np.array([0]), j)[0]
        k = int(poisson.ppf(u0, mean))
        for u in pair_draws(seed, pop_stream, word, np.arange(1, round(k / 2) + 1), j):
            b = int(who[int(u * len(who))])
            if a != b:
                started[a].append(b)
                drawn[b].append(int(a))
    for i in range(n):
        mine = got.nbrs[got.offsets[i] : got.offsets[i + 1]].tolist()
        assert mine == started[i] + drawn[i], i
    assert abs(got.mean_contacts() * n / len(who) - mean) < 0.05 * mean + 0.1


def test_certain_contacts_are_all_infected_whatever_the_source_s_bound() -> None:
    """When p_j >= 1 every susceptible contact is infected: the candidate bound is
    clipped to 1 after the source's transmissibility, never before (clipped
    before, a source with rel_trans 0.5 looked at only half its contacts)."""
    pop = hybrid(3_000, seed=5)
    run = _state(pop, 5)
    n = len(pop)
    run["diag"] = np.full(n, -1, dtype=np.int32)
    run["quar"] = np.zeros(n, dtype=np.int32)
    run["rel_trans"] = np.full(n, 0.5)
    t = 10
    times = run["times"]
    infectious = np.flatnonzero(
        (times[:, 0] >= 0) & (times[:, 1] <= t) & (times[:, 5] > t)
    ).astype(np.int32)
    base = np.full(4, 1e6)
    got = _kernel_claims(pop, run, infectious, t, 5, base, base * 4.0, 0, np.ones(1), 2)
    want = sum(
        int(np.sum(run["susceptible"][lst] & (lst != i)))
        for i, lists in zip(infectious, _lists(pop, infectious), strict=True)
        for lst in (np.asarray(x, dtype=np.int64) for x in lists)
    )
    assert len(got) == want and want > 100
