"""The pure investigation core on crafted data: windows, stays, routes, contacts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from outbreak.errors import InvalidInput
from outbreak.trace.contacts import (
    GPS,
    TELECOM,
    Candidates,
    ContactRule,
    PlaceVisits,
    Presences,
    find_contacts,
    presences,
)
from outbreak.trace.places import Places
from outbreak.trace.route import RouteRule, RouteStay, Track, Visits, build_route
from outbreak.trace.stays import StayRule, detect_stays
from outbreak.trace.window import Window, infectious_window
from outbreak.types import KST, ExposureKind, RiskLevel

T0 = 1_588_518_000  # 2020-05-04 00:00 KST
CAFE = (9_550_000, 19_520_000)  # decimetres, EPSG:5179
CLUB = (9_600_000, 19_520_000)  # 5 km east
PLACES = Places(
    np.array([1, 2, 3]),
    np.array(["cafe", "bar_club", "cafe"]),
    np.array(["Cafe A", "Club B", "Cafe C"]),
    np.array(["11230", "11170", "11230"]),
    np.array([CAFE[0], CLUB[0], CAFE[0] + 3000]),  # Cafe C is 300 m from Cafe A
    np.array([CAFE[1], CLUB[1], CAFE[1]]),
)


def track(
    start: int, minutes: int, at: tuple[int, int], *, noise_dm: int = 0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One fix per 5 minutes at a place, with Gaussian noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(start, start + minutes * 60, 300, dtype=np.int64)
    x = at[0] + np.round(rng.normal(0, noise_dm + 1e-9, len(t))).astype(np.int64)
    y = at[1] + np.round(rng.normal(0, noise_dm + 1e-9, len(t))).astype(np.int64)
    return t, x, y


# -- window -------------------------------------------------------------------------


def test_window_from_onset_or_sample_date() -> None:
    now = datetime(2020, 6, 1, tzinfo=UTC)
    iso = datetime(2020, 5, 6, 10, tzinfo=KST)
    sym = infectious_window(
        onset_on=date(2020, 5, 3), sample_on=date(2020, 5, 5), isolated_at=iso, now=now
    )
    assert sym.basis == "onset"
    assert sym.start == datetime(2020, 5, 1, tzinfo=KST)  # 2 days before onset
    assert sym.end == iso
    asym = infectious_window(
        onset_on=None, sample_on=date(2020, 5, 5), isolated_at=None, now=now
    )
    assert asym.basis == "sample" and asym.start == datetime(2020, 5, 3, tzinfo=KST)
    assert asym.end == now  # not yet isolated: until now
    with pytest.raises(InvalidInput) as bad:
        infectious_window(
            onset_on=date(2020, 5, 3),
            sample_on=date(2020, 5, 5),
            isolated_at=datetime(2020, 4, 1, tzinfo=KST),
            now=now,
        )
    assert bad.value.field == "isolated_at"


def test_window_needs_offsets_and_order() -> None:
    with pytest.raises(InvalidInput):
        Window(datetime(2020, 5, 1), datetime(2020, 5, 2, tzinfo=UTC))
    with pytest.raises(InvalidInput):
        Window(datetime(2020, 5, 2, tzinfo=UTC), datetime(2020, 5, 1, tzinfo=UTC))
    w = Window(datetime.fromtimestamp(T0, UTC), datetime.fromtimestamp(T0 + 3600, UTC))
    assert w.overlap_s(T0 - 100, T0 + 600) == 600


# -- stays --------------------------------------------------------------------------


def test_stays_need_dwell_within_radius() -> None:
    t1, x1, y1 = track(T0, 60, CAFE, noise_dm=100)  # an hour at the cafe, 10 m noise
    t2, x2, y2 = track(T0 + 3900, 5, (CAFE[0] + 20_000, CAFE[1]))  # 5 min: passing
    t3, x3, y3 = track(T0 + 5400, 90, CLUB, noise_dm=100)
    s = detect_stays(np.r_[t1, t2, t3], np.r_[x1, x2, x3], np.r_[y1, y2, y3])
    assert len(s) == 2  # the 5-minute pass is no stay
    assert abs(s.x_dm[0] - CAFE[0]) < 100 and abs(s.x_dm[1] - CLUB[0]) < 100
    assert s.t_start[0] == T0 - 150 and s.t_end[0] == t1[-1] + 150
    longer = detect_stays(
        np.r_[t1, t2, t3], np.r_[x1, x2, x3], np.r_[y1, y2, y3], StayRule(dwell_min=70)
    )
    assert len(longer) == 1  # only the club lasts 70 minutes


def test_one_glitch_does_not_split_a_stay_and_order_is_required() -> None:
    t, x, y = track(T0, 120, CAFE, noise_dm=50)
    x[10] += 30_000  # one fix 3 km off
    s = detect_stays(t, x, y)
    assert len(s) == 1 and s.n[0] == len(t) - 1
    with pytest.raises(InvalidInput):
        detect_stays(t[::-1], x, y)
    with pytest.raises(InvalidInput):
        StayRule(radius_m=0)


# -- route --------------------------------------------------------------------------


def test_route_names_stays_and_adds_visit_only_stays() -> None:
    t, x, y = track(T0, 60, (CAFE[0] + 50, CAFE[1]), noise_dm=80)
    visits = Visits(
        np.array([T0 + 1200, T0 + 7 * 3600]), np.array([1, 2]), ("card", "qr")
    )
    route = build_route(
        gps=Track(t, x, y), telecom=Track.empty(), visits=visits, places=PLACES
    )
    assert [s.place_id for s in route] == [1, 2]
    cafe, club = route
    assert cafe.sources == {"gps", "card"} and cafe.confidence == pytest.approx(0.95)
    assert club.sources == {"qr"} and club.t_start == T0 + 7 * 3600
    assert club.minutes == RouteRule().checkin_dwell_min


def test_gps_wins_over_base_stations_where_both_exist() -> None:
    t, x, y = track(T0, 60, CAFE, noise_dm=80)
    tt, tx, ty = track(T0, 180, (CAFE[0] + 2000, CAFE[1]))  # tower 200 m away, 3 h
    route = build_route(
        gps=Track(t, x, y),
        telecom=Track(tt[:12], tx[:12], ty[:12]),
        visits=Visits.empty(),
        places=PLACES,
    )
    assert [s.sources for s in route] == [{"gps"}]  # telecom adds nothing GPS covers
    later = build_route(
        gps=Track(t, x, y),
        telecom=Track(tt, tx, ty),
        visits=Visits.empty(),
        places=PLACES,
    )
    assert {"telecom"} in [s.sources for s in later]  # but fills GPS's silence


def test_an_ambiguous_place_is_not_named() -> None:
    places = Places(
        np.array([1, 2]),
        np.array(["cafe", "cafe"]),
        np.array(["a", "b"]),
        np.array(["11230", "11230"]),
        np.array([CAFE[0], CAFE[0] + 150]),
        np.array([CAFE[1], CAFE[1]]),
    )
    t, x, y = track(T0, 60, (CAFE[0] + 70, CAFE[1]))  # between two cafés 15 m apart
    route = build_route(
        gps=Track(t, x, y), telecom=Track.empty(), visits=Visits.empty(), places=places
    )
    assert route[0].place_id is None and route[0].confidence == 0.7


# -- contacts -----------------------------------------------------------------------

INDEX = 999


def stay(
    place: tuple[int, int],
    start: int,
    minutes: int,
    place_id: int | None,
    sources: frozenset[str] = frozenset({"gps"}),
) -> RouteStay:
    return RouteStay(start, start + minutes * 60, *place, place_id, sources, 0.8)


def candidates(*people: tuple[int, int, int, tuple[int, int], int]) -> Candidates:
    """(person, start, minutes, where, source) runs of 5-minute fixes."""
    cols: list[list[int]] = [[], [], [], [], []]
    for person, start, minutes, at, source in people:
        t, x, y = track(start, minutes, at)
        for col, values in zip(
            cols,
            (np.full(len(t), person), t, x, y, np.full(len(t), source)),
            strict=True,
        ):
            col.extend(values.tolist())
    a = [np.array(c, dtype=np.int64) for c in cols]
    return Candidates(a[0], a[1], a[2], a[3], a[4].astype(np.int8))


def test_co_location_rules_distance_and_duration() -> None:
    route = [stay(CAFE, T0, 120, 1)]
    rule = ContactRule(distance_m=20, gps_margin_m=10, min_minutes=15)
    c = candidates(
        (1, T0, 60, CAFE, GPS),  # same spot, an hour: high
        (2, T0, 60, (CAFE[0] + 250, CAFE[1]), GPS),  # 25 m: within margin, medium
        (3, T0, 60, (CAFE[0] + 400, CAFE[1]), GPS),  # 40 m: out
        (4, T0, 10, CAFE, GPS),  # 10 minutes only: out
        (5, T0 + 3 * 3600, 60, CAFE, GPS),  # after the case left: out
        (INDEX, T0, 60, CAFE, GPS),  # the case themself
    )
    found = find_contacts(
        route,
        index={INDEX},
        presences=presences(route, c, search_m=150),
        visits=PlaceVisits.empty(),
        household=set(),
        window=(T0, T0 + 86_400),
        places=PLACES,
        rule=rule,
    )
    got = {k.person: k for k in found}
    assert set(got) == {1, 2}
    assert got[1].risk == RiskLevel.HIGH and got[1].distance_m == 0
    assert got[2].risk == RiskLevel.MEDIUM and got[2].distance_m == pytest.approx(25)
    assert got[1].minutes == pytest.approx(60)  # 12 bins seen, 5 minutes each
    assert got[1].kind == ExposureKind.CO_LOCATION and got[1].place_id == 1
    shorter = find_contacts(
        route,
        index={INDEX},
        presences=presences(route, c, search_m=150),
        visits=PlaceVisits.empty(),
        household=set(),
        window=(T0, T0 + 86_400),
        places=PLACES,
        rule=ContactRule(min_minutes=5),
    )
    assert 4 in {k.person for k in shorter}


def test_a_person_at_several_stays_is_one_contact_whatever_the_row_order() -> None:
    # the case sits 20 min at café A, 60 at café C (300 m away), 30 at A again;
    # person 1 is with them at all three, at 25 m (medium) at the second
    route = [
        stay(CAFE, T0, 20, 1),
        stay((CAFE[0] + 3000, CAFE[1]), T0 + 3600, 60, 3),
        stay(CAFE, T0 + 3 * 3600, 30, 1),
    ]
    c = candidates(
        (1, T0, 20, CAFE, GPS),
        (1, T0 + 3600, 60, (CAFE[0] + 3250, CAFE[1]), GPS),
        (1, T0 + 3 * 3600, 30, (CAFE[0] + 50, CAFE[1]), GPS),
        (2, T0 + 3 * 3600, 30, CAFE, GPS),
    )
    p = presences(route, c, search_m=150)
    answers = []
    for order in (np.arange(len(p.person)), np.arange(len(p.person))[::-1]):
        shuffled = Presences(
            *(getattr(p, f)[order] for f in Presences.__dataclass_fields__)
        )
        answers.append(
            find_contacts(
                route,
                index={INDEX},
                presences=shuffled,
                visits=PlaceVisits.empty(),
                household=set(),
                window=(T0, T0 + 86_400),
                places=PLACES,
            )
        )
    assert answers[0] == answers[1]
    one = {k.person: k for k in answers[0]}[1]
    assert one.minutes == pytest.approx(20 + 60 + 30)
    # from the first stay's start to half a bin past the last fix at the third
    assert (one.t_start, one.t_end) == (T0, T0 + 3 * 3600 + 25 * 60 + 150)
    assert one.distance_m == 0  # the nearest of 0, 25 and 5 m
    assert one.risk == RiskLevel.HIGH  # the highest of the three
    assert one.place_id == 3  # where they were together longest
    assert one.sources == frozenset({"gps"})


def test_base_stations_give_low_risk_nearby_only() -> None:
    tower = (CAFE[0] + 1000, CAFE[1])
    route = [stay(tower, T0, 60, None, frozenset({"telecom"}))]
    c = candidates(
        (7, T0, 30, tower, TELECOM), (8, T0, 30, (tower[0] + 5000, tower[1]), TELECOM)
    )
    found = find_contacts(
        route,
        index={INDEX},
        presences=presences(route, c, search_m=150),
        visits=PlaceVisits.empty(),
        household=set(),
        window=(T0, T0 + 86_400),
        places=PLACES,
    )
    assert [(k.person, k.risk, k.distance_m) for k in found] == [
        (7, RiskLevel.LOW, None)
    ]


def test_venue_visits_use_a_buffer_and_kind_rules() -> None:
    route = [stay(CAFE, T0, 60, 1), stay(CLUB, T0 + 5 * 3600, 60, 2)]
    visits = PlaceVisits(
        np.array([11, 12, 13, 14]),
        np.array([1, 1, 2, 3]),
        np.array(
            [
                T0 + 60 * 60 + 10 * 60,  # checks in 10 min after the case left
                T0 + 4 * 3600,  # hours later
                T0 + 5 * 3600 + 55 * 60,  # club: 5 minutes of overlap
                T0,
            ]
        ),  # another café
        ("qr", "qr", "phone", "qr"),
    )
    found = find_contacts(
        route,
        index={INDEX},
        presences=Presences.empty(),
        visits=visits,
        household=set(),
        window=(T0, T0 + 86_400),
        places=PLACES,
    )
    got = {k.person: k for k in found}
    assert set(got) == {11, 13}  # buffer catches 11; the club counts any overlap
    assert got[11].risk == RiskLevel.MEDIUM and got[13].risk == RiskLevel.HIGH
    none = find_contacts(
        route,
        index={INDEX},
        presences=Presences.empty(),
        visits=visits,
        household=set(),
        window=(T0, T0 + 86_400),
        places=PLACES,
        rule=ContactRule(venue_buffer_min=0),
    )
    assert {k.person for k in none} == {13}


def test_household_members_are_high_risk_for_the_whole_window() -> None:
    found = find_contacts(
        [],
        index={INDEX},
        presences=Presences.empty(),
        visits=PlaceVisits.empty(),
        household={INDEX, 21, 22},
        window=(T0, T0 + 86_400),
        places=PLACES,
    )
    assert sorted(k.person for k in found) == [21, 22]
    assert all(
        k.kind == ExposureKind.HOUSEHOLD and k.risk == RiskLevel.HIGH for k in found
    )
    assert found[0].t_start == T0 and found[0].t_end == T0 + 86_400


def test_contact_rule_validates() -> None:
    with pytest.raises(InvalidInput) as e:
        ContactRule(distance_m=-1)
    assert e.value.field == "distance_m"
    with pytest.raises(InvalidInput):
        ContactRule(search_m=10)
    assert ContactRule(venue_min_minutes={"gym": 5}).minutes_for("gym") == 5
    assert ContactRule().minutes_for("cafe") == 15


def test_a_visit_touching_two_stays_counts_once() -> None:
    route = [stay(CAFE, T0, 40, 1), stay(CAFE, T0 + 90 * 60, 40, 1)]
    visits = PlaceVisits(
        np.array([31]), np.array([1]), np.array([T0 + 30 * 60]), ("qr",)
    )
    found = find_contacts(
        route,
        index={INDEX},
        presences=Presences.empty(),
        visits=visits,
        household=set(),
        window=(T0, T0 + 86_400),
        places=PLACES,
    )
    assert len(found) == 1 and found[0].minutes == pytest.approx(60)  # not 60 + 60


def test_a_base_station_stay_sits_at_its_most_used_tower() -> None:
    t = np.arange(T0, T0 + 3 * 3600, 300, dtype=np.int64)
    x = np.where(np.arange(len(t)) % 3 == 0, CAFE[0] + 4000, CAFE[0])  # 2 of 3 at A
    y = np.full(len(t), CAFE[1])
    route = build_route(
        gps=Track.empty(), telecom=Track(t, x, y), visits=Visits.empty(), places=PLACES
    )
    assert [(s.x_dm, s.y_dm) for s in route] == [CAFE]
