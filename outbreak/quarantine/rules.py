"""Self-quarantine rules as code: the order's life, the geofence, the alerts.

Pure functions over plain values (no database): the service applies them to stored
orders and reports, and tests exercise them directly.

* **States** (``QuarantineState``): issued → active → released | breached |
  converted (to a case, on a positive test); a breached order can be resumed
  (active again, e.g. with a wristband) or converted. Anything else is refused.
* **Release** needs the period over (the day after ``end_on``, KST) and, where the
  order requires it, a negative test taken on or after the last day.
* **Alerts** (``AlertRule``): a missed self-check slot (the app asks at 10:00, 15:00
  and 20:00 KST; at least two a day are required — MOIS's app, 2020), symptoms
  reported (fever ≥ 37.5 °C or any listed symptom), a location report outside the
  fence, no motion heartbeat for ``heartbeat_timeout_min``, and, with a wristband,
  band farther than 20 m from the phone or tampered with (MOIS safety band, April
  2020). An unacknowledged alert escalates after ``escalate_after_min``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from outbreak.errors import Conflict, InvalidInput, InvalidTransition
from outbreak.types import KST, AlertRule, QuarantineState

S = QuarantineState
TRANSITIONS: dict[QuarantineState, frozenset[QuarantineState]] = {
    S.ISSUED: frozenset({S.ACTIVE, S.RELEASED, S.CONVERTED}),
    S.ACTIVE: frozenset({S.RELEASED, S.BREACHED, S.CONVERTED}),
    S.BREACHED: frozenset({S.ACTIVE, S.CONVERTED}),
    S.RELEASED: frozenset(),
    S.CONVERTED: frozenset(),
}
FEVER_C = 37.5  # KDCA case definition: fever of 37.5 °C or more
SYMPTOMS = frozenset(
    {"cough", "sore_throat", "shortness_of_breath", "chills", "muscle_pain",
     "headache", "loss_of_taste_or_smell", "fever_feeling"}
)  # fmt: skip
CHECK_SLOTS = (time(10), time(15), time(20))  # KST: when the app asks
CHECKS_PER_DAY = 2  # a day with fewer completed slots raises an alert
BAND_MAX_M = 20.0  # band farther than this from the phone: alarm


def transition(current: QuarantineState, target: QuarantineState) -> QuarantineState:
    """The new state, or a clear refusal naming the field."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none"
        raise InvalidTransition(
            f"An order that is {current.value} cannot become {target.value} "
            f"(allowed: {allowed})",
            field="state",
        )
    return target


def release_refusal(
    *,
    end_on: date,
    today: date,
    test_required: bool,
    negative_test_on: date | None,
) -> str | None:
    """Why an order may not be released today (None: it may)."""
    if today <= end_on:
        return f"The quarantine runs until {end_on.isoformat()} (KST)"
    if test_required and (negative_test_on is None or negative_test_on < end_on):
        return "Release needs a negative test taken on or after the last day"
    return None


@dataclass(frozen=True)
class Geofence:
    """A circle around the quarantine address (metres)."""

    lat: float
    lon: float
    radius_m: float = 100.0

    def __post_init__(self) -> None:
        if not (33.0 <= self.lat <= 39.0 and 124.0 <= self.lon <= 132.0):
            raise InvalidInput("The geofence centre must be in Korea", field="lat")
        if not 10 <= self.radius_m <= 5_000:
            raise InvalidInput(
                "The geofence radius must be 10-5,000 m", field="radius_m"
            )

    def distance_m(self, lat: float, lon: float) -> float:
        """Great-circle distance from the centre (haversine, mean Earth radius)."""
        p1, p2 = math.radians(self.lat), math.radians(lat)
        dp, dl = p2 - p1, math.radians(lon - self.lon)
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * 6_371_008.8 * math.asin(math.sqrt(a))

    def contains(self, lat: float, lon: float, accuracy_m: float = 0.0) -> bool:
        """Inside, giving the fix the benefit of its stated accuracy (capped at the
        radius, so a vague fix cannot hide a departure)."""
        return self.distance_m(lat, lon) <= self.radius_m + min(
            accuracy_m, self.radius_m
        )


def symptomatic(temperature_c: float | None, symptoms: frozenset[str]) -> bool:
    """A self-check that should alert the officer."""
    unknown = symptoms - SYMPTOMS
    if unknown:
        known = ", ".join(sorted(SYMPTOMS))
        raise InvalidInput(
            f"Unknown symptom {sorted(unknown)[0]!r}; known: {known}",
            field="symptoms",
        )
    return (temperature_c is not None and temperature_c >= FEVER_C) or bool(symptoms)


@dataclass(frozen=True)
class Monitoring:
    """Timers of the alert rules (minutes)."""

    heartbeat_timeout_min: int = 120
    escalate_after_min: int = 30
    checks_per_day: int = CHECKS_PER_DAY
    slot_grace_min: int = 60  # a slot counts as missed this long after it opened
    snooze_min: int = 120  # an acknowledged periodic alert is not raised again sooner


@dataclass(frozen=True)
class Observed:
    """What the reports of one order say, as of ``now``."""

    started: datetime  # the order became active
    now: datetime
    checks_today: int  # completed self-checks today (KST)
    last_heartbeat: datetime | None
    symptomatic_check: bool = False  # an unreviewed check with symptoms
    outside_fence: bool = False  # the latest location report
    band_far: bool = False  # the latest band report
    band_tampered: bool = False
    band_paired: bool = False
    rules: Monitoring = field(default_factory=Monitoring)


def due_alerts(o: Observed) -> set[AlertRule]:
    """The alert rules an order breaks now."""
    out = set()
    if o.symptomatic_check:
        out.add(AlertRule.SYMPTOMS)
    if o.outside_fence:
        out.add(AlertRule.GEOFENCE)
    if o.band_paired and o.band_far:
        out.add(AlertRule.BAND_DISTANCE)
    if o.band_paired and o.band_tampered:
        out.add(AlertRule.BAND_TAMPER)
    silent_since = o.last_heartbeat or o.started
    if o.now - silent_since > timedelta(minutes=o.rules.heartbeat_timeout_min):
        out.add(AlertRule.NO_HEARTBEAT)
    if missed_checks(o) > 0:
        out.add(AlertRule.MISSED_CHECKIN)
    return out


def missed_checks(o: Observed) -> int:
    """How many of today's required self-checks are overdue: a slot is due once it
    has been open ``slot_grace_min``; the order's first day counts only slots after
    it started."""
    local = o.now.astimezone(KST)
    start = o.started.astimezone(KST)
    grace = timedelta(minutes=o.rules.slot_grace_min)
    due = 0
    for slot in CHECK_SLOTS:
        opened = datetime.combine(local.date(), slot, KST)
        if opened >= start and opened + grace <= local:
            due += 1
    required = min(due, o.rules.checks_per_day)
    return max(0, required - o.checks_today)


def escalation_level(raised_at: datetime, now: datetime, rules: Monitoring) -> int:
    """0 at first; +1 for every ``escalate_after_min`` unacknowledged, up to 2
    (1: the district's supervisor; 2: dispatch someone to the address)."""
    waited = (now - raised_at) / timedelta(minutes=rules.escalate_after_min)
    return min(2, max(0, int(waited)))


def balanced_officer(caseload: dict[str, int]) -> str:
    """The officer with the fewest active orders (ties: the first by name)."""
    if not caseload:
        raise Conflict(
            "No quarantine officer covers this district", field="district_code"
        )
    return min(sorted(caseload), key=lambda name: caseload[name])
