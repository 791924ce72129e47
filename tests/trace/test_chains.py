"""Chains, clusters and hot spots: reference values, directions, invariants."""

from __future__ import annotations

import math
from datetime import date

import pytest

from outbreak.trace.chains import (
    COMMUNITY_WEIGHT,
    CaseNode,
    Exposure,
    clusters,
    hotspots,
    infer_links,
    same_place_pairs,
    si_density,
)

DAY = 86_400
T = 1_588_518_000  # 2020-05-04 00:00 KST


def node(case_id: int, onset: date, days: tuple[int, int]) -> CaseNode:
    base = T + (onset - date(2020, 5, 4)).days * DAY
    return CaseNode(case_id, onset, (base + days[0] * DAY, base + days[1] * DAY))


def test_serial_interval_density_matches_du_et_al() -> None:
    # normal(3.96, 4.75): the peak and a value one sd away
    assert si_density(3.96) == pytest.approx(1 / (4.75 * math.sqrt(2 * math.pi)))
    assert si_density(3.96 + 4.75) == pytest.approx(si_density(3.96) * math.exp(-0.5))
    assert si_density(-2) > 0  # presymptomatic transmission: negative intervals allowed


def test_the_earlier_case_is_the_likelier_infector() -> None:
    a = node(1, date(2020, 5, 4), (-2, 3))
    b = node(2, date(2020, 5, 8), (-2, 3))
    e = Exposure(1, 2, T + DAY, "co_location")  # 2020-05-05, inside a's window
    links = infer_links([a, b], [e])
    assert [(k.infector, k.infectee) for k in links] == [(1, 2)]
    p = si_density(4) / (si_density(4) + COMMUNITY_WEIGHT)
    assert links[0].probability == pytest.approx(p, abs=1e-4)


def test_an_exposure_outside_the_window_or_after_onset_links_nothing() -> None:
    a = node(1, date(2020, 5, 4), (-2, 1))
    b = node(2, date(2020, 5, 8), (-2, 1))
    late = Exposure(1, 2, T + 3 * DAY, "venue_visit")  # a was isolated by then
    assert infer_links([a, b], [late]) == []
    after = Exposure(1, 2, T + 5 * DAY, "venue_visit")  # after b's onset too
    assert infer_links([node(1, date(2020, 5, 4), (-2, 9)), b], [after]) == []


def test_candidate_infectors_share_probability() -> None:
    a = node(1, date(2020, 5, 4), (-2, 5))
    c = node(3, date(2020, 5, 5), (-2, 5))
    b = node(2, date(2020, 5, 8), (-2, 5))
    links = infer_links(
        [a, b, c],
        [Exposure(1, 2, T + DAY, "co_location"), Exposure(3, 2, T + DAY, "household")],
    )
    to_b = [k for k in links if k.infectee == 2]
    assert {k.infector for k in to_b} == {1, 3}
    assert sum(k.probability for k in to_b) < 1  # the community keeps a share
    best = max(to_b, key=lambda k: k.probability)
    assert best.infector == 1  # 4 days is closer to the SI mean than 3 days


def test_clusters_and_hot_spots() -> None:
    pairs = same_place_pairs(
        [
            (1, 50, T, T + 3600),
            (2, 50, T + 7200, T + 9000),
            (3, 50, T + 5 * DAY, T + 5 * DAY + 60),
            (4, 60, T, T + 60),
        ]
    )
    assert pairs == {(1, 2): 50}  # case 3 came 5 days later: not the same event
    groups = clusters([1, 2, 3, 4, 5], [*pairs, (4, 5)])
    assert groups == [{1, 2}, {4, 5}]
    ranked = hotspots([(1, 50), (2, 50), (2, 50), (4, 60)])
    assert ranked == [(50, 2), (60, 1)]
