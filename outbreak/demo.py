"""A small, reproducible demo data set: users, Seoul cases, clusters and contacts.

The epidemic curve has the shape of Seoul's August 2020 wave (the Sarang Jeil church
and Gwanghwamun rally clusters) moved to end today, so that the map shows active
cases. People are fictitious: names are drawn from common Korean syllables and
identifiers are ``DM``-prefixed passport-style numbers that no real document has.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from outbreak import auth, cases
from outbreak.audit import Access
from outbreak.cases.links import ExposureWindow
from outbreak.errors import ConfigError
from outbreak.privacy import Keys
from outbreak.store.queries import users as user_queries
from outbreak.synth.params import SEOUL_POPULATION_K
from outbreak.types import (
    CaseState,
    ClusterKind,
    ExposureKind,
    IdentifierKind,
    InfectionSource,
    RiskLevel,
    Role,
)

# fmt: off
# Seoul's daily confirmed cases, 2020-07-27 .. 2020-09-24 (Seoul Metropolitan
# Government daily briefings via Coronaboard): the shape of the demo curve.
SEOUL_WAVE = [
    2, 5, 3, 7, 4, 7, 3, 7, 6, 7, 6, 5, 7, 10, 4, 7, 9, 15, 14, 59, 146, 72, 90,
    120, 154, 138, 105, 134, 124, 98, 113, 103, 102, 80, 81, 101, 80, 72, 43, 54,
    63, 45, 49, 50, 40, 38, 39, 54, 37, 34, 32, 46, 26, 35, 23, 31, 28, 35, 38, 16,
]
# fmt: on
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = "민서지현준우도윤하은수영예진성호재원연주아채"

DEMO_PASSWORD = "outbreak-demo"  # noqa: S105 - printed by `outbreak demo`, dev only
DEMO_USERS = {
    "admin": ({Role.ADMIN}, {"*"}),
    "seoul": ({Role.INVESTIGATOR}, {"11"}),
    "gangnam": ({Role.INVESTIGATOR}, {"11230"}),
    "beds": ({Role.BED_COORDINATOR}, {"11"}),
    "approver": ({Role.DATA_APPROVER}, {"11"}),
    "analyst": ({Role.ANALYST}, {"*"}),
}
CLUSTERS = [
    ("Sarang Jeil Church", ClusterKind.RELIGIOUS, "11080", 0.22),
    ("Gwanghwamun rally", ClusterKind.OTHER, "11010", 0.08),
    ("Itaewon clubs", ClusterKind.VENUE, "11030", 0.03),
    ("Guro call centre", ClusterKind.WORKPLACE, "11170", 0.03),
]


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`load_demo` created."""

    users: int
    cases: int
    contacts: int
    clusters: int


def ensure_user(
    session: Session, username: str, roles: set[Role], scopes: set[str], label: str
) -> None:
    """Create a demo user (password ``DEMO_PASSWORD``) unless it exists."""
    if user_queries.get_user(session=session, username=username) is None:
        auth.create_user(
            session,
            username=username,
            password=DEMO_PASSWORD,
            roles=roles,
            scopes=scopes,
            display_name=f"Demo {label}",
        )


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def _state(rng: random.Random, confirmed: date, today: date) -> tuple[CaseState, date]:
    """Isolation lasts ~10-20 days; a few severe cases are in hospital or die."""
    age = (today - confirmed).days
    ends = confirmed + timedelta(days=rng.randint(10, 20))
    if rng.random() < 0.015 and age > 7:
        return CaseState.DECEASED, min(
            today, confirmed + timedelta(days=rng.randint(5, 20))
        )
    if ends <= today:
        return CaseState.RELEASED, ends
    if rng.random() < 0.12:
        return CaseState.IN_HOSPITAL, min(
            today, confirmed + timedelta(days=rng.randint(0, 3))
        )
    return CaseState.ISOLATED, confirmed


def load_demo(
    session: Session,
    keys: Keys,
    *,
    today: date,
    scale: float = 0.2,
    seed: int = 2020,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Create the demo users and a Seoul epidemic of about ``3000 * scale`` cases.

    Refuses to run twice (the ``admin`` user marks a loaded demo). ``progress`` is
    called with (days done, days in all) after each day of the curve.
    """
    if user_queries.get_user(session=session, username="admin") is not None:
        raise ConfigError("Demo data is already loaded (user 'admin' exists)")
    for username, (roles, scopes) in DEMO_USERS.items():
        ensure_user(session, username, roles, scopes, username)
    admin = auth.principal_for(session, "admin")
    access = Access(session, admin, "demo data load", today=today)
    rng = random.Random(seed)  # noqa: S311 - demo data, not cryptography
    codes, weights = zip(*SEOUL_POPULATION_K.items(), strict=True)
    clusters = [
        cases.create_cluster(access, name=n, kind=k, district_code=c)
        for n, k, c, _ in CLUSTERS
    ]
    first_day = today - timedelta(days=len(SEOUL_WAVE) - 1)
    n_cases = n_contacts = serial = 0
    for offset, daily in enumerate(SEOUL_WAVE):
        if progress is not None:
            progress(offset, len(SEOUL_WAVE))
        confirmed = first_day + timedelta(days=offset)
        for _ in range(round(daily * scale)):
            serial += 1
            district = rng.choices(codes, weights)[0]
            cluster_pick = rng.random()
            cluster = None
            for candidate, (_, _, home, share) in zip(clusters, CLUSTERS, strict=True):
                if cluster_pick < share:
                    cluster = candidate
                    district = home if rng.random() < 0.5 else district
                    break
                cluster_pick -= share
            person = cases.register_person(
                access,
                keys,
                identifier=f"DM{serial:07d}",
                identifier_kind=IdentifierKind.PASSPORT,
                district_code=district,
                name=_name(rng),
                birth_year=rng.randint(1935, 2015),
                sex=rng.choice("FM"),
            )
            onset = confirmed - timedelta(days=rng.randint(1, 5))
            case = cases.create_case(
                access,
                person_key=person.key,
                district_code=district,
                confirmed_on=confirmed,
                sample_on=confirmed - timedelta(days=1),
                onset_on=onset if rng.random() < 0.7 else None,
                source=InfectionSource.IMPORTED
                if rng.random() < 0.04
                else InfectionSource.LOCAL,
            )
            state, on = _state(rng, confirmed, today)
            if state is CaseState.RELEASED and rng.random() < 0.1:
                cases.transition_case(
                    access, case.id, state=CaseState.IN_HOSPITAL, on=confirmed
                )
            if state is not CaseState.ISOLATED:
                cases.transition_case(access, case.id, state=state, on=on)
            if cluster is not None:
                cases.link_case(access, cluster.id, case.id)
            n_cases += 1
            for h in range(rng.choice((0, 1, 1, 2, 3))):
                member = cases.register_person(
                    access,
                    keys,
                    identifier=f"DH{serial:06d}{h}",
                    identifier_kind=IdentifierKind.PASSPORT,
                    district_code=district,
                    name=_name(rng),
                )
                start = datetime.combine(onset - timedelta(days=2), time(19), UTC)
                cases.add_contact(
                    access,
                    index_case_id=case.id,
                    person_key=member.key,
                    kind=ExposureKind.HOUSEHOLD,
                    window=ExposureWindow(
                        start, datetime.combine(confirmed, time(9), UTC)
                    ),
                    risk=RiskLevel.HIGH,
                    retention_days=42,
                )
                n_contacts += 1
    return DemoSummary(len(DEMO_USERS), n_cases, n_contacts, len(clusters))
