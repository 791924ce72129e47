"""Shared value types: the vocabulary of docs/glossary.md as enums."""

from __future__ import annotations

from datetime import timedelta, timezone
from enum import StrEnum

KST = timezone(timedelta(hours=9), "KST")  # Korea Standard Time: the day of record


class CaseState(StrEnum):
    """Where a confirmed case is in its course."""

    ISOLATED = "isolated"  # at home or in a residential treatment centre
    IN_HOSPITAL = "in_hospital"
    RELEASED = "released"  # released from isolation
    DECEASED = "deceased"


class InfectionSource(StrEnum):
    """Where a case most probably acquired the infection."""

    LOCAL = "local"
    IMPORTED = "imported"
    UNKNOWN = "unknown"


class ExposureKind(StrEnum):
    """How a contact was exposed to an index case."""

    HOUSEHOLD = "household"
    CO_LOCATION = "co_location"
    VENUE_VISIT = "venue_visit"
    INTERVIEW = "interview"


class RiskLevel(StrEnum):
    """Exposure risk of a contact, as rated by the investigator or engine."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class IdentifierKind(StrEnum):
    """Kinds of raw identifier a person key can be derived from."""

    NATIONAL_ID = "national_id"  # resident registration number (13 digits)
    PHONE = "phone"  # mobile number
    PASSPORT = "passport"  # for foreign nationals
    CARD = "card"  # payment card number: a card key, linked to people via the issuer
    QR_TOKEN = "qr_token"  # noqa: S105 - KI-Pass one-time visitor token, not a secret


class ClusterKind(StrEnum):
    """What kind of setting an outbreak cluster formed in."""

    VENUE = "venue"
    RELIGIOUS = "religious"
    WORKPLACE = "workplace"
    HEALTHCARE = "healthcare"
    HOUSEHOLD = "household"
    SCHOOL = "school"
    OTHER = "other"


class Role(StrEnum):
    """User roles; each grants the permissions listed in ``outbreak.auth.roles``."""

    ADMIN = "admin"
    INVESTIGATOR = "investigator"
    DATA_APPROVER = "data_approver"
    QUARANTINE_OFFICER = "quarantine_officer"
    CLINIC_STAFF = "clinic_staff"
    BED_COORDINATOR = "bed_coordinator"
    PHARMACIST = "pharmacist"
    COMMUNICATOR = "communicator"
    ANALYST = "analyst"


class InvestigationState(StrEnum):
    """Where an epidemiological investigation is."""

    OPEN = "open"
    CLOSED = "closed"


class DataSource(StrEnum):
    """What an investigation may ask to read; each read needs an approved request."""

    TELECOM = "telecom"  # the case's base-station records
    GPS = "gps"  # the case's GPS fixes (apps)
    CARD = "card"  # the case's card transactions
    CHECKINS = "checkins"  # the case's KI-Pass QR and 안심콜 check-ins
    PLACE_DEVICES = "place_devices"  # every device and check-in near the case's stays


class RequestState(StrEnum):
    """A data request's decision."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class OrderKind(StrEnum):
    """An order issued to a contact."""

    TEST = "test"
    QUARANTINE = "quarantine"


class QuarantineState(StrEnum):
    """Where a self-quarantine order is."""

    ISSUED = "issued"
    ACTIVE = "active"
    RELEASED = "released"
    BREACHED = "breached"
    CONVERTED = "converted"  # tested positive: now a case


class AlertRule(StrEnum):
    """Why a quarantine alert was raised."""

    MISSED_CHECKIN = "missed_checkin"
    SYMPTOMS = "symptoms"
    GEOFENCE = "geofence"
    NO_HEARTBEAT = "no_heartbeat"
    BAND_DISTANCE = "band_distance"
    BAND_TAMPER = "band_tamper"


class QuarantineSource(StrEnum):
    """Why someone was ordered into self-quarantine."""

    CONTACT = "contact"  # a close contact, from an investigation
    ARRIVAL = "arrival"  # an arrival from abroad (entry screening)


class ReportKind(StrEnum):
    """What the citizen app (or the wristband through it) reported."""

    CHECK = "check"  # symptom self-check
    LOCATION = "location"
    HEARTBEAT = "heartbeat"  # the phone moved (motion detection)
    BAND = "band"  # wristband: distance to the phone, tamper


class AlertState(StrEnum):
    """An alert's handling."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


class DisclosureState(StrEnum):
    """Where a proposed exposure place is in the communicator's review."""

    PROPOSED = "proposed"  # every rule allows it: awaiting review
    WITHHELD = "withheld"  # a disclosure rule withholds it (which one is recorded)
    PUBLISHED = "published"
    HIDDEN = "hidden"  # the communicator chose not to publish it
    WITHDRAWN = "withdrawn"  # was public, taken down (by hand or by a rule)


class RunState(StrEnum):
    """Where a submitted model run is."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # an error, or the server stopped while it ran
