"""The quarantine rules on their own: states, release, fence, alerts, escalation."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from outbreak.errors import Conflict, InvalidInput, InvalidTransition
from outbreak.quarantine import (
    TRANSITIONS,
    Geofence,
    Monitoring,
    Observed,
    balanced_officer,
    due_alerts,
    escalation_level,
    missed_checks,
    release_refusal,
    symptomatic,
    transition,
)
from outbreak.types import KST, AlertRule, QuarantineState

S = QuarantineState
HOME = Geofence(37.5665, 126.9780, radius_m=100)  # Seoul City Hall


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_every_transition_is_allowed_or_refused_by_name(
    current: QuarantineState, target: QuarantineState
) -> None:
    if target in TRANSITIONS[current]:
        assert transition(current, target) == target
    else:
        with pytest.raises(InvalidTransition) as refused:
            transition(current, target)
        assert refused.value.field == "state"
        assert current.value in str(refused.value) and target.value in str(
            refused.value
        )


def test_released_and_converted_orders_are_final() -> None:
    assert TRANSITIONS[S.RELEASED] == TRANSITIONS[S.CONVERTED] == frozenset()
    assert S.ACTIVE in TRANSITIONS[S.BREACHED]  # resumed, e.g. with a wristband


def test_release_needs_the_period_over_and_a_negative_test_when_required() -> None:
    end = date(2020, 5, 18)
    assert release_refusal(
        end_on=end, today=end, test_required=False, negative_test_on=None
    )
    assert (
        release_refusal(
            end_on=end,
            today=end + timedelta(1),
            test_required=False,
            negative_test_on=None,
        )
        is None
    )
    too_early = release_refusal(
        end_on=end,
        today=end + timedelta(1),
        test_required=True,
        negative_test_on=end - timedelta(3),
    )
    assert too_early and "negative test" in too_early
    assert (
        release_refusal(
            end_on=end,
            today=end + timedelta(1),
            test_required=True,
            negative_test_on=end,
        )
        is None
    )


def test_the_fence_boundary() -> None:
    # 1e-3 degrees of latitude is 111.2 m: just outside a 100 m fence
    north = HOME.lat + 100 / 111_195
    assert HOME.distance_m(north, HOME.lon) == pytest.approx(100, abs=0.5)
    assert HOME.contains(HOME.lat + 99 / 111_195, HOME.lon)
    assert not HOME.contains(HOME.lat + 101 / 111_195, HOME.lon)
    # a vague fix gets the benefit of its accuracy, never more than the radius
    assert HOME.contains(HOME.lat + 150 / 111_195, HOME.lon, accuracy_m=60)
    assert not HOME.contains(HOME.lat + 250 / 111_195, HOME.lon, accuracy_m=5_000)
    with pytest.raises(InvalidInput) as bad:
        Geofence(0.0, 0.0)
    assert bad.value.field == "lat"
    with pytest.raises(InvalidInput):
        Geofence(37.5, 127.0, radius_m=1)


def test_symptoms_and_fever() -> None:
    assert symptomatic(37.5, frozenset())
    assert not symptomatic(37.4, frozenset())
    assert symptomatic(None, frozenset({"cough"}))
    with pytest.raises(InvalidInput) as bad:
        symptomatic(36.5, frozenset({"sneezing_fits"}))
    assert bad.value.field == "symptoms"


def _at(hour: int, minute: int = 0, day: int = 5) -> datetime:
    return datetime(2020, 5, day, hour, minute, tzinfo=KST)


def test_missed_self_checks_count_the_slots_that_have_passed() -> None:
    started = _at(8, day=4)
    assert missed_checks(Observed(started, _at(10, 59), 0, _at(10))) == 0
    assert missed_checks(Observed(started, _at(11, 0), 0, _at(10))) == 1
    assert missed_checks(Observed(started, _at(16, 0), 1, _at(16))) == 1
    assert missed_checks(Observed(started, _at(21, 0), 2, _at(21))) == 0  # 2 a day
    # an order that began at 16:00 today owes only the 20:00 check
    late = _at(16)
    assert missed_checks(Observed(late, _at(21, 0), 0, _at(21))) == 1


def test_each_alert_rule() -> None:
    quiet = Observed(_at(8, day=4), _at(12), 1, _at(11, 30))
    assert due_alerts(quiet) == set()
    cases = {
        AlertRule.SYMPTOMS: {"symptomatic_check": True},
        AlertRule.GEOFENCE: {"outside_fence": True},
        AlertRule.BAND_DISTANCE: {"band_paired": True, "band_far": True},
        AlertRule.BAND_TAMPER: {"band_paired": True, "band_tampered": True},
        AlertRule.NO_HEARTBEAT: {"last_heartbeat": _at(9, 59)},
        AlertRule.MISSED_CHECKIN: {"checks_today": 0},
    }
    for rule, change in cases.items():
        assert due_alerts(Observed(**{**quiet.__dict__, **change})) == {rule}, rule
    # band reports of an order without a band are ignored
    assert due_alerts(Observed(**{**quiet.__dict__, "band_far": True})) == set()


def test_escalation_every_half_hour_up_to_dispatch() -> None:
    rules = Monitoring(escalate_after_min=30)
    raised = _at(12)
    assert escalation_level(raised, _at(12, 29), rules) == 0
    assert escalation_level(raised, _at(12, 30), rules) == 1
    assert escalation_level(raised, _at(13, 0), rules) == 2
    assert escalation_level(raised, _at(18, 0), rules) == 2


def test_orders_go_to_the_officer_with_the_fewest() -> None:
    assert balanced_officer({"park": 3, "choi": 1, "kang": 1}) == "choi"
    with pytest.raises(Conflict) as none:
        balanced_officer({})
    assert none.value.field == "district_code"
