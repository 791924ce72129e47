"""Recall and precision against the city's truth, for the issue's source mixes."""

from __future__ import annotations

import numpy as np

from outbreak.trace.score import MIXES, CityScorer, Score
from outbreak.trace.window import kst_midnight
from tests.trace.conftest import DAY, City


def _scores(city: City, **kw: object) -> dict[str, Score]:
    scorer = CityScorer(city.root, city.store, city.keys.pseudonymiser)
    t0 = int(kst_midnight(DAY).timestamp())
    window = (t0, t0 + 2 * 86_400)
    index = sorted(np.random.default_rng(3).choice(len(scorer.pids), 25, replace=False))
    return {s.mix: s for s in scorer.score([int(p) for p in index], window, **kw)}


def test_gps_and_check_ins_find_nearly_every_true_contact(city: City) -> None:
    scores = _scores(city)
    assert scores["gps_checkins"].true > 100  # enough truth to mean something
    assert scores["gps_checkins"].recall >= 0.95
    assert scores["all"].recall >= 0.95
    # GPS cannot place two desks 20 m apart: precision is bounded by the phones'
    # error, yet far above what base stations give
    assert scores["gps_checkins"].precision > 0.75
    # what base stations alone can do: find most, but drown them in neighbours
    assert scores["telecom"].precision < 0.5 < scores["telecom"].recall
    assert scores["telecom"].precision < scores["gps_checkins"].precision - 0.3
    # cards and check-ins alone miss homes and workplaces
    assert scores["cards_checkins"].recall < 0.5
    assert set(scores) == set(MIXES)
