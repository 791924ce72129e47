"""Self-quarantine monitoring: orders, self-checks, geofence, wristbands, release."""

from outbreak.quarantine.rules import (
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

__all__ = [
    "TRANSITIONS",
    "Geofence",
    "Monitoring",
    "Observed",
    "balanced_officer",
    "due_alerts",
    "escalation_level",
    "missed_checks",
    "release_refusal",
    "symptomatic",
    "transition",
]
