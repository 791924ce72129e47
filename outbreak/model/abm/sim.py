"""The simulation: ``Sim(population, policy=…).run().results_``.

One day, in this order (style rule 21):

1. **arrivals** — infected arrivals from abroad join (quarantined if the policy
   says so);
2. **transmission** — every infectious agent meets its contacts in each layer
   (household, school, work, community), weighted by the day's policy multipliers,
   isolation and quarantine; the infected get their whole course at once;
3. **testing** — symptomatic people and newly quarantined contacts are tested
   (within the day's capacity); positives are confirmed after the test delay and
   isolated from then;
4. **tracing** — contacts of the cases confirmed ``delay`` days ago are found and
   quarantined (those who comply).

Disease states are not stepped: each infection's course is scheduled when it
happens (kernels.schedule), so a day costs what the infectious do, and the daily
series come from the schedules at the end (results.py).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from outbreak.errors import InvalidInput
from outbreak.model.abm import kernels as K
from outbreak.model.abm import params as P
from outbreak.model.abm.policy import (
    Arrivals,
    Policy,
    Quarantine,
    Testing,
    Tracing,
    Wristbands,
    layer_multipliers,
    venue_multipliers,
)
from outbreak.model.abm.population import Population
from outbreak.model.abm.results import Results, summarise
from outbreak.model.abm.rng import STREAMS, draws
from outbreak.model.rt import NotFittedError

PARALLEL_MIN = 20_000


def clear(bits: NDArray[np.uint64], who: NDArray[np.int32]) -> None:
    """Mark agents as no longer infectable."""
    w = who.astype(np.int64)
    np.bitwise_and.at(
        bits, w >> 6, ~(np.uint64(1) << (w & 63).astype(np.uint64))
    )  # infectious agents before a day's transmission is split


@dataclass(frozen=True)
class Pars:
    """Disease and transmission parameters (defaults: ``params``; Covasim 3.1.9)."""

    beta: float = P.BETA
    layer_beta: tuple[float, float, float, float] = tuple(  # type: ignore[assignment]
        P.LAYER_BETA[k] for k in "hswc"
    )
    asymp_factor: float = P.ASYMP_FACTOR
    dur: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(P.DUR))
    symp_probs: tuple[float, ...] = tuple(P.SYMP_PROBS)
    severe_probs: tuple[float, ...] = tuple(P.SEVERE_PROBS)
    crit_probs: tuple[float, ...] = tuple(P.CRIT_PROBS)
    death_probs: tuple[float, ...] = tuple(P.DEATH_PROBS)
    sus_ors: tuple[float, ...] = tuple(P.SUS_ORS)
    iso_factor: tuple[float, float, float, float] = tuple(  # type: ignore[assignment]
        P.ISO_FACTOR[k] for k in "hswc"
    )
    quar_factor: tuple[float, float, float, float] = tuple(  # type: ignore[assignment]
        P.QUAR_FACTOR[k] for k in "hswc"
    )
    viral_load: tuple[float, float, float] = (
        P.LOAD_RATIO,
        P.HIGH_FRACTION,
        P.HIGH_CAP_DAYS,
    )
    initial_infected: int | None = None  # default: one agent in 10,000
    # Individual transmissibility: negative binomial, mean 1, dispersion k (None:
    # everyone alike). k = 0.45: ~10 % of cases cause ~80 % of infections
    # (Covasim's beta_dist; Endo et al., Wellcome Open Res 5:67 (2020),
    # doi:10.12688/wellcomeopenres.15842.3, k ~ 0.1; Adam et al., Nat Med 26:1714
    # (2020), doi:10.1038/s41591-020-1092-0, k ~ 0.4 in Hong Kong).
    dispersion: float | None = 0.45

    def __post_init__(self) -> None:
        if self.beta < 0:
            raise InvalidInput(f"beta must be >= 0, got {self.beta}", field="beta")

    def conditional(
        self,
    ) -> tuple[
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.float64],
    ]:
        """P(symptomatic | infected), P(severe | symptomatic), P(critical | severe),
        P(death | critical) per age band (Covasim's conversion)."""
        sym = np.asarray(self.symp_probs)
        sev, crit, death = (
            np.asarray(self.severe_probs),
            np.asarray(self.crit_probs),
            np.asarray(self.death_probs),
        )
        return sym, sev / sym, crit / sev, death / crit


class Sim:
    """An agent-based epidemic in a population under a policy.

    Parameters
    ----------
    population
        Agents and contact layers (:func:`~outbreak.model.abm.population.hybrid`
        or the synthetic city).
    days
        Days simulated.
    seed
        Every draw is addressed by it (common random numbers across scenarios).
    policy
        Interventions on their dates.
    pars
        Disease and transmission parameters.
    threads
        Threads for a day's transmission (default: the machine's cores).
    start
        The date of day 0 (weekdays matter in the city population: church on
        Sundays); default: a Monday.

    Examples
    --------
    >>> from outbreak.model.abm.population import hybrid
    >>> sim = Sim(hybrid(3_000, seed=1), days=60, seed=1).run()
    >>> r = sim.results_
    >>> int(r.new_infections.sum()) == int(r.cumulative_infections[-1])
    True
    """

    def __init__(
        self,
        population: Population,
        *,
        days: int = 180,
        seed: int = 0,
        policy: Policy | None = None,
        pars: Pars | None = None,
        threads: int | None = None,
        start: date | None = None,
    ) -> None:
        self.population = population
        self.start = start
        self.days = days
        self.seed = seed
        self.policy = policy or Policy()
        self.pars = pars or Pars()
        self.threads = threads

    @property
    def results(self) -> Results:
        """The run's results (after :meth:`run`)."""
        if not hasattr(self, "results_"):
            raise NotFittedError("Run the simulation first: Sim(...).run()")
        return self.results_

    def run(self) -> Sim:
        """Simulate ``days`` days; the results land in ``results_``."""
        if self.days < 1:
            raise InvalidInput(f"days must be >= 1, got {self.days}", field="days")
        run = _Run(self)
        workers = self.threads or os.cpu_count() or 1
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for t in range(self.days):
                run.day(t, pool, workers)
        self.results_ = summarise(run.state(), self.days, self.population)
        return self


class _Run:
    """The mutable state of one run."""

    def __init__(self, sim: Sim) -> None:
        pop, pars = sim.population, sim.pars
        n = len(pop)
        self.sim, self.pop, self.seed = sim, pop, sim.seed
        self.times = np.full((n, 7), -1, dtype=np.int32)
        self.times[:, 6] = 0
        self.severity = np.full(n, -1, dtype=np.int8)
        self.infector = np.full(n, -1, dtype=np.int32)
        self.layer_of = np.full(n, -1, dtype=np.int8)
        self.diag = np.full(n, -1, dtype=np.int32)
        self.quar = np.zeros(n, dtype=np.int32)  # quarantined while t < quar
        self.tested = np.zeros(sim.days, dtype=np.int64)
        self.band = np.minimum(pop.age // 10, 9).astype(np.int8)
        self.sus = np.asarray(pars.sus_ors, dtype=np.float64)
        # one bit per agent, set while it can be infected
        packed = np.packbits(np.ones(n, dtype=bool), bitorder="little")
        self.bits: NDArray[np.uint64] = np.concatenate(
            [packed, np.zeros(-len(packed) % 8, dtype=np.uint8)]
        ).view(np.uint64)
        self.dur = K.lognormal_params(pars.dur)
        self.probs = pars.conditional()
        self.mult = layer_multipliers(sim.policy, sim.days)
        self.venue_mult = venue_multipliers(sim.policy, sim.days)
        self.weekday0 = sim.start.weekday() if sim.start is not None else 0
        self.layer_beta = np.asarray(pars.layer_beta, dtype=np.float64)
        self.iso = np.asarray(pars.iso_factor, dtype=np.float64)
        self.quar_f = np.asarray(pars.quar_factor, dtype=np.float64)
        self.load = np.asarray(pars.viral_load, dtype=np.float64)
        # the most a contact can be infected with in each layer, whatever the
        # policy (one bound for every scenario keeps their draws common)
        ratio, frac, _ = pars.viral_load
        peak = max(ratio, 1.0) / (1.0 + frac * (ratio - 1.0))
        self.bound = (
            pars.beta * self.layer_beta * peak * max(1.0, pars.asymp_factor)
            * float(self.sus.max()) * max(1.0, float(self.mult.max()))
        )  # fmt: skip
        self.rel_trans = _transmissibility(n, sim.seed, pars.dispersion)
        self.to_trace: dict[int, list[NDArray[np.int32]]] = {}
        self.any_quar = bool(sim.policy.of(Quarantine))
        k = pars.initial_infected or max(1, n // 10_000)
        first = self._pick(STREAMS["seed"], np.arange(n), k, 0)
        self.active = self._infect(first, 0)

    def _pick(
        self, stream: int, who: NDArray[np.integer[Any]], k: int, t: int
    ) -> NDArray[np.int32]:
        """``k`` of ``who``, the same ones for every scenario of a seed."""
        if k >= len(who):
            return who.astype(np.int32)
        order = np.argsort(draws(self.seed, stream, who, 0, t), kind="stable")
        return who[order[:k]].astype(np.int32)

    def _infect(self, who: NDArray[np.int32], t: int) -> NDArray[np.int32]:
        p_sym, p_sev, p_crit, p_death = self.probs
        for j in who:
            K.schedule(int(j), t, self.seed, int(self.band[j]), self.dur, p_sym, p_sev,
                       p_crit, p_death, self.times, self.severity)  # fmt: skip
        clear(self.bits, who)
        return who

    def state(self) -> dict[str, Any]:
        """Everything the results are computed from."""
        return {
            "times": self.times,
            "severity": self.severity,
            "infector": self.infector,
            "layer": self.layer_of,
            "diag": self.diag,
            "tested": self.tested,
        }

    def day(self, t: int, pool: ThreadPoolExecutor, workers: int) -> None:
        """One day, in the documented order."""
        self._arrivals(t)
        self.active = self.active[self.times[self.active, 5] > t]
        new = self._transmit(t, pool, workers)
        self.active = np.concatenate([self.active, new])
        self._test(t)
        self._trace(t)

    def _arrivals(self, t: int) -> None:
        a = self.sim.policy.active(Arrivals, t)
        if a is None:
            return
        whole = int(a.per_day)
        extra = draws(self.seed, STREAMS["import"], np.array([t]), 0, t)[0]
        k = whole + int(extra < a.per_day - whole)
        free = np.flatnonzero(self.times[:, 0] < 0)
        who = self._pick(STREAMS["import"], free, k, t)
        self.active = np.concatenate([self.active, self._infect(who, t)])
        if a.quarantine:
            self._quarantine(who, t)

    def _transmit(
        self, t: int, pool: ThreadPoolExecutor, workers: int
    ) -> NDArray[np.int32]:
        pop, pars = self.pop, self.sim.pars
        # in agent order: contact lists are then read front to back (3× faster
        # than in infection order, measured), and the result does not depend on it
        infectious = np.sort(self.active[self.times[self.active, 1] <= t])
        if len(infectious) == 0:
            return np.empty(0, dtype=np.int32)
        h, s, w, c = pop.households, pop.schools, pop.works, pop.community
        offsets = K.capacities(infectious, h.of, h.offsets, s.offsets, w.offsets,
                               c.offsets)  # fmt: skip
        out = np.empty((offsets[-1], 2), dtype=np.int32)
        count = np.zeros(len(infectious), dtype=np.int32)
        base = pars.beta * self.layer_beta * self.mult[t]
        pmax = self.bound  # clipped to 1 per source, after its rel_trans
        args = (infectious, t, self.seed, base, pmax, self.times, self.bits,
                self.band, self.sus, self.diag, self.quar, self.any_quar, self.iso,
                self.quar_f, pars.asymp_factor, self.load, self.rel_trans, offsets,
                h.of, h.members, h.offsets, s.nbrs, s.offsets, w.nbrs, w.offsets,
                c.nbrs, c.offsets, pop.tags, (self.weekday0 + t) % 7,
                self.venue_mult[t], out, count)  # fmt: skip
        parts = workers if len(infectious) >= PARALLEL_MIN else 1
        bounds = np.linspace(0, len(infectious), parts + 1).astype(np.int64)
        jobs = [
            pool.submit(K.transmit, int(a), int(b), *args)
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        for job in jobs:
            job.result()
        p_sym, p_sev, p_crit, p_death = self.probs
        return K.apply(t, self.seed, infectious, offsets, out, count, self.band,
                       self.dur, p_sym, p_sev, p_crit, p_death, self.times,
                       self.severity, self.infector, self.layer_of,
                       self.bits)  # fmt: skip

    def _test(self, t: int) -> None:
        test = self.sim.policy.active(Testing, t)
        if test is None:
            return
        a = self.active
        tm = self.times[a]
        undiagnosed = self.diag[a] < 0
        sym = undiagnosed & (tm[:, 2] >= 0) & (tm[:, 2] <= t)
        u = draws(self.seed, STREAMS["test"], a, 0, t)
        want = a[sym & (u < test.p_symptomatic)]
        # contacts quarantined yesterday (tracing comes after testing), infected or
        # not: every test counts against the day's capacity
        started = np.flatnonzero(self.quar == t - 1 + self._quar_days(t))
        started = started[self.diag[started] < 0]
        uq = draws(self.seed, STREAMS["test"], started, 1, t)
        want = np.union1d(want, started[uq < test.p_quarantined]).astype(np.int32)
        if test.capacity and len(want) > test.capacity:
            want = self._pick(STREAMS["test_order"], want, test.capacity, t)
        self.tested[t] += len(want)
        tw = self.times[want]
        detectable = (tw[:, 0] >= 0) & (tw[:, 1] <= t) & (t < tw[:, 5])
        hit = draws(self.seed, STREAMS["test"], want, 2, t) < test.sensitivity
        positive = want[detectable & hit]
        self.diag[positive] = t + test.delay
        trace = self.sim.policy.active(Tracing, t)
        if trace is not None and len(positive):
            self.to_trace.setdefault(t + test.delay + trace.delay, []).append(positive)

    def _quar_days(self, t: int) -> int:
        q = self.sim.policy.active(Quarantine, t)
        return q.days if q is not None else P.QUARANTINE_DAYS

    def _trace(self, t: int) -> None:
        cases = self.to_trace.pop(t, None)
        trace = self.sim.policy.active(Tracing, t)
        if cases is None or trace is None:
            return
        found = _contacts(
            self.pop, np.concatenate(cases), np.asarray(trace.recall), self.seed, t
        )
        self._quarantine(found[self.diag[found] < 0], t)

    def _quarantine(self, who: NDArray[np.int32], t: int) -> None:
        q = self.sim.policy.active(Quarantine, t)
        if q is None or len(who) == 0:
            return
        band = self.sim.policy.active(Wristbands, t)
        compliance = band.compliance if band is not None else q.compliance
        u = draws(self.seed, STREAMS["quarantine"], who, 0, 0)
        stay = who[u < compliance]
        self.quar[stay] = np.maximum(self.quar[stay], t + q.days)


def _transmissibility(n: int, seed: int, k: float | None) -> NDArray[np.float64]:
    """Each agent's relative transmissibility, fixed for the run: negative binomial
    with mean 1 and dispersion ``k`` in steps of 0.01, as Covasim draws it; the
    same for every scenario of a seed."""
    if k is None:
        return np.ones(n)
    rng = np.random.default_rng([seed, STREAMS["population"]])
    step = 0.01
    drawn = rng.negative_binomial(k, k / (1 / step + k), size=n)
    return np.asarray(drawn * step, dtype=np.float64)


def _contacts(
    pop: Population,
    cases: NDArray[np.int32],
    recall: NDArray[np.float64],
    seed: int,
    t: int,
) -> NDArray[np.int32]:
    """Contacts of ``cases`` found by tracing: each (case, contact) pair of a layer
    found with that layer's recall."""
    found = []
    h = pop.households
    g = h.of[cases]
    for case, grp in zip(cases[g >= 0], g[g >= 0], strict=True):
        m = h.members[h.offsets[grp] : h.offsets[grp + 1]]
        m = m[m != case]
        u = draws(seed, STREAMS["trace"], m.astype(np.int64), int(case) * 4, t)
        found.append(m[u < recall[0]])
    for k, layer in enumerate((pop.schools, pop.works, pop.community), start=1):
        for case in cases:
            m = layer.nbrs[layer.offsets[case] : layer.offsets[case + 1]]
            u = draws(seed, STREAMS["trace"], m.astype(np.int64), int(case) * 4 + k, t)
            found.append(m[u < recall[k]])
    if not found:
        return np.empty(0, dtype=np.int32)
    return np.unique(np.concatenate(found)).astype(np.int32)
