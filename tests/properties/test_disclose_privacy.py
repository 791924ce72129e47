"""Privacy of the public exposure list, over random investigations (Hypothesis).

Random cases with random routes go through the real pipeline — derive, publish
everything the rules allow, an investigator marks random places fully traced,
derive again, snapshot, the public site at a random later moment — and whatever
comes out must satisfy the disclosure guideline:

1. no published field outside the allowlist;
2. no two published entries linkable to one case (the list does not change when
   the same routes belong to other case numbers, and ids are random tokens);
3. no entry outside its case's infectious window;
4. nothing shown 14 days after its last exposure;
5. a fully-traced place never published (nor a home, an unregistered spot, or a
   workplace without the exception).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import hypothesis.strategies as st
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings

from outbreak.audit import Access
from outbreak.auth import create_user, principal_for
from outbreak.disclose import service as dis
from outbreak.disclose import snapshot as snap
from outbreak.disclose.public import PUBLIC_FIELDS, PublicExposure
from outbreak.disclose.rules import DisclosurePolicy
from outbreak.privacy import Keys
from outbreak.store import make_engine, make_sessionmaker
from outbreak.store.tables import DisclosureRow, InvestigationRow
from outbreak.testing import TemplateDatabases, test_settings
from outbreak.types import DisclosureState, Role
from outbreak.web.public_site import PublicSite
from tests.disclose.conftest import (
    CONFIRMED,
    NOW,
    PLACES,
    WINDOW_START,
    World,
    make_places,
)

POLICY = DisclosurePolicy()
DAY = timedelta(days=1)
PLACE_IDS = [p[0] for p in PLACES]
RESIDENCE, WORKPLACE = 4, 3


@dataclass(frozen=True)
class Stay:
    place: int | None
    start_min: int  # from the window's start (negative: before it)
    minutes: int


stays = st.lists(
    st.builds(
        Stay,
        st.sampled_from([*PLACE_IDS, None]),
        st.integers(-1 * 24 * 60, 4 * 24 * 60),
        st.integers(5, 600),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda s: (s.place, s.start_min),
)
# each case confirmed on its own day: windows differ from case to case
routes = st.lists(st.tuples(st.integers(0, 3), stays), min_size=1, max_size=4)


@dataclass
class Outcome:
    exposures: list[PublicExposure]
    json: list[dict[str, object]]
    rows: list[DisclosureRow]
    windows: dict[int, tuple[datetime, datetime]]  # investigation → window
    snapshot_text: str
    secrets: list[str]


def run(
    databases: TemplateDatabases,
    tmp: Path,
    cases: Sequence[tuple[int, Sequence[Stay]]],
    traced: set[int],
    risky: bool,
    later: timedelta,
) -> Outcome:
    """The pipeline, on a fresh SQLite database."""
    engine = make_engine(databases.sqlite_url())
    try:
        with make_sessionmaker(engine)() as session:
            return _pipeline(session, tmp, cases, traced, risky, later)
    finally:
        engine.dispose()


def _pipeline(
    session: sa.orm.Session,
    tmp: Path,
    cases: Sequence[tuple[int, Sequence[Stay]]],
    traced: set[int],
    risky: bool,
    later: timedelta,
) -> Outcome:
    config = test_settings(tmp, public_dir=tmp / "public")
    keys = Keys(
        pseudonym_key=config.pseudonym_key.get_secret_value(),
        data_key=config.data_key.get_secret_value(),
    )
    for name, role in (("kim", Role.INVESTIGATOR), ("choi", Role.COMMUNICATOR)):
        create_user(
            session, username=name, password="x" * 12, roles={role}, scopes={"11"}
        )
    session.commit()
    kim = Access(session, principal_for(session, "kim"), "test investigation")
    choi = Access(session, principal_for(session, "choi"), "test disclosure")
    world = World(kim, choi, choi, make_places(PLACES), keys, session)
    for shift, route in cases:
        start = WINDOW_START + timedelta(days=shift)
        world.investigation(
            [
                (
                    s.place,
                    start + timedelta(minutes=s.start_min),
                    start + timedelta(minutes=s.start_min + s.minutes),
                )
                for s in route
            ],
            confirmed=CONFIRMED + timedelta(days=shift),
        )
    dis.derive(choi, world.places, now=NOW, policy=POLICY)
    if risky:
        for r in dis.list_entries(choi, state=DisclosureState.WITHHELD):
            if r.withheld_by == "workplace":
                dis.invoke_public_risk(
                    choi,
                    r.id,
                    reason="open floor, many visitors",
                    now=NOW,
                    policy=POLICY,
                )
    proposed = dis.list_entries(choi, state=DisclosureState.PROPOSED)
    if proposed:  # published a day later than derived
        dis.publish(choi, [r.id for r in proposed], now=NOW + DAY, policy=POLICY)
    for r in dis.list_entries(choi):
        if r.place_id in traced and r.kind != "home":
            dis.mark_contacts_identified(
                kim, r.id, identified=True, now=NOW + DAY, policy=POLICY
            )
    dis.derive(choi, world.places, now=NOW + 2 * DAY, policy=POLICY)
    path = snap.refresh(session, config, now=NOW + 2 * DAY)
    site = PublicSite(path.parent, clock=lambda: NOW + later)
    _, exposures = site.current()
    invs = session.scalars(sa.select(InvestigationRow)).all()
    secrets = [f"{i.case_id}" for i in invs] + [f"{i.id}" for i in invs] + ["kim"]
    return Outcome(
        exposures=exposures,
        json=[e.as_json() for e in exposures],
        rows=list(session.scalars(sa.select(DisclosureRow))),
        windows={i.id: (i.window_start, i.window_end) for i in invs},
        snapshot_text=path.read_text(),
        secrets=secrets,
    )


def _shape(e: PublicExposure) -> tuple[object, ...]:
    """An entry without its random id and its day of change."""
    return tuple(v for k, v in e.as_json().items() if k != "id")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cases=routes,
    traced=st.sets(st.sampled_from(PLACE_IDS), max_size=3),
    risky=st.booleans(),
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=15)),
)
def test_the_public_list_keeps_every_disclosure_rule(
    databases: TemplateDatabases,
    tmp_path_factory: object,
    cases: list[tuple[int, list[Stay]]],
    traced: set[int],
    risky: bool,
    later: timedelta,
) -> None:
    tmp = tmp_path_factory.mktemp("prop")  # type: ignore[attr-defined]
    out = run(databases, tmp, cases, traced, risky, later)
    event(f"public entries: {min(len(out.exposures), 3)}")
    now = NOW + later
    published = [r for r in out.rows if r.state == DisclosureState.PUBLISHED]
    by_place: dict[int, list[DisclosureRow]] = {}
    for r in published:
        by_place.setdefault(r.place_id, []).append(r)

    # 1. the allowlist, in the API form and in the snapshot
    for d in out.json:
        assert tuple(d) == PUBLIC_FIELDS
    for key in set(re.findall(r'"([a-z_]+)":', out.snapshot_text)):
        assert key in {
            *PUBLIC_FIELDS,
            "place",
            "expires_at",
            "format",
            "generated_at",
            "items",
            "withdrawn",
            "on",
            "clinics",
        }, key

    # 2. nothing refers to a case; ids are random tokens; same routes under other
    # case numbers (the cases created in the reverse order) give the same list
    for e in out.exposures:
        assert re.fullmatch(r"[0-9a-f]{16}", e.id)
        values = {str(v) for k, v in e.as_json().items() if k not in ("lat", "lon")}
        assert not values & set(out.secrets)
    again = run(databases, tmp / "again", cases[::-1], traced, risky, later)
    assert sorted(map(_shape, again.exposures)) == sorted(map(_shape, out.exposures))

    for e in out.exposures:
        place = next(p for p in PLACES if p[1] == e.kind and p[2] == e.name)[0]
        members = [
            r
            for r in by_place.get(place, [])
            if r.expires_at > now
            and r.t_start < e.exposure_end
            and r.t_end > e.exposure_start
        ]
        # an entry comes only from live published rows of that place...
        assert members, e
        # 3. ...inside their cases' windows...
        assert e.exposure_start >= min(
            out.windows[r.investigation_id][0] for r in members
        )
        assert e.exposure_end <= max(
            out.windows[r.investigation_id][1] for r in members
        )
        # 4. ...whose last exposure is less than 14 days ago
        assert all(r.t_end + timedelta(days=14) > now for r in members)
        # 5. never a home, an unregistered spot, a fully-traced place, or a workplace
        # without the exception
        assert e.kind != "home" and place >= 0
        assert all(not r.contacts_identified for r in members)
        if place == WORKPLACE:
            assert all(r.public_risk for r in members)
    for r in published:
        assert r.t_start >= out.windows[r.investigation_id][0]
        assert r.t_end <= out.windows[r.investigation_id][1]
    shown = {e.id for e in out.exposures}
    assert not shown & {r.public_id for r in out.rows if r.contacts_identified}
