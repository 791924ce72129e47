"""The synthetic city as a population: its households, schools, workplaces,
districts and venues; closures by venue kind act on exactly those contacts."""

from __future__ import annotations

import numpy as np
import pytest

from outbreak.model.abm.city import EVERY_DAY, VENUE_CONTACTS, city
from outbreak.model.abm.policy import (
    DISTANCING_VENUES,
    VENUE_KINDS,
    Closure,
    Distancing,
    Policy,
)
from outbreak.model.abm.population import Population
from outbreak.model.abm.sim import Pars, Sim
from outbreak.synth import build_city, residents


@pytest.fixture(scope="module")
def pop() -> Population:
    return city(20_000, seed=4)


def test_agents_are_the_city_s_people(pop: Population) -> None:
    c = build_city(20_000, 4)
    people = residents(c, 0)
    assert np.array_equal(pop.age, people.age.astype(np.uint8))
    assert np.array_equal(pop.district, people.gu.astype(np.int16))
    # the household layer is the city's households
    h = pop.households
    assert np.array_equal(
        h.of[1:] != h.of[:-1], people.household[1:] != people.household[:-1]
    )
    # school contacts are pupils of the same school and age; work contacts share
    # a workplace
    s = pop.schools
    for i in np.flatnonzero(people.school >= 0)[:200]:
        mates = s.nbrs[s.offsets[i] : s.offsets[i + 1]]
        assert (people.school[mates] == people.school[i]).all()
        assert (people.age[mates] == people.age[i]).all()
    w = pop.works
    for i in np.flatnonzero(people.work >= 0)[:200]:
        mates = w.nbrs[w.offsets[i] : w.offsets[i + 1]]
        assert (people.work[mates] == people.work[i]).all()
    assert len(pop.districts) == 25 and "강남구" in pop.districts


def test_community_contacts_carry_venue_and_weekday(pop: Population) -> None:
    tags = pop.tags
    assert len(tags) == len(pop.community.nbrs)
    kinds = tags >> 3
    days = tags & 7
    assert set(np.unique(kinds)) == {0} | {VENUE_KINDS.index(k) for k in VENUE_CONTACTS}
    # everyday district contacts are kind "other"; venue contacts on one weekday
    assert (days[kinds == 0] == EVERY_DAY).all()
    assert set(np.unique(days[kinds > 0])) == set(range(7))
    church = VENUE_KINDS.index("church")
    assert set(np.unique(days[kinds == church])) == {6}  # Sunday services
    # symmetric: a meets b at a venue on a day iff b meets a there then
    c = pop.community
    src = np.repeat(np.arange(len(pop)), np.diff(c.offsets))
    fwd = set(zip(src.tolist(), c.nbrs.tolist(), tags.tolist(), strict=True))
    back = set(zip(c.nbrs.tolist(), src.tolist(), tags.tolist(), strict=True))
    assert fwd == back


def test_closing_a_venue_kind_stops_infections_there(pop: Population) -> None:
    seeded = Pars(initial_infected=40)
    base = Sim(pop, days=100, seed=2, pars=seeded).run().results
    at = base.infections_by_venue.sum(0)
    church, bar = VENUE_KINDS.index("church"), VENUE_KINDS.index("bar_club")
    assert at[church] > 0 and at[bar] > 0
    shut = Policy((Closure(0, kinds=("church", "bar_club")),))
    closed = Sim(pop, days=100, seed=2, policy=shut, pars=seeded).run().results
    assert closed.infections_by_venue[:, [church, bar]].sum() == 0
    assert closed.infections_by_venue[:, VENUE_KINDS.index("restaurant")].sum() > 0


def test_distancing_levels_close_their_venues(pop: Population) -> None:
    r = (
        Sim(pop, days=100, seed=2, policy=Policy((Distancing(0, level="3"),)))
        .run()
        .results
    )
    closed = [VENUE_KINDS.index(k) for k, f in DISTANCING_VENUES["3"].items() if f == 0]
    assert r.infections_by_venue[:, closed].sum() == 0


def test_by_district_adds_up(pop: Population) -> None:
    r = Sim(pop, days=60, seed=1).run().results
    assert r.infections_by_district.sum() == r.cumulative_infections[-1]
    t = r.by_district()
    assert t.num_rows == 60 * 25 and set(t.column("district").to_pylist()) == set(
        pop.districts
    )
