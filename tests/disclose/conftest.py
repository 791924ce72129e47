"""A small world for the disclosure tests: places, people, cases with routes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth import Principal
from outbreak.cases import create_case, register_person
from outbreak.geo.tm import to_5179_dm
from outbreak.ingest import MovementStore
from outbreak.privacy import Keys
from outbreak.store.tables import InvestigationRow, RouteStayRow
from outbreak.trace import service as inv
from outbreak.trace.places import Places
from outbreak.trace.registry import Households
from outbreak.trace.service import TraceContext
from outbreak.types import KST, IdentifierKind, InfectionSource, Role
from outbreak.web import public_site as site_module

GANGNAM = "11230"
# id, kind, name, address, lat, lon
PLACES = [
    (1, "restaurant", "행복식당", "서울특별시 강남구 테헤란로 1", 37.5001, 127.0301),
    (2, "cafe", "별다방 역삼점", "서울특별시 강남구 역삼로 2", 37.5002, 127.0302),
    (3, "workplace", "(주)가나다", "서울특별시 강남구 역삼동", 37.5003, 127.0303),
    (4, "home", "home-4", "서울특별시 강남구 역삼동 123-4", 37.5004, 127.0304),
    (5, "karaoke", "즐거운노래방", "서울특별시 강남구 논현로 5", 37.5005, 127.0305),
    (6, "pharmacy", "온누리약국", "서울특별시 강남구 선릉로 6", 37.5006, 127.0306),
]
CONFIRMED = date(2020, 5, 5)  # asymptomatic: window 2020-05-03 00:00 to 05-06 00:00
WINDOW_START = datetime(2020, 5, 3, tzinfo=KST)
WINDOW_END = datetime(2020, 5, 6, tzinfo=KST)
NOW = datetime(2020, 5, 6, 12, tzinfo=KST)


def kst(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in May 2020, KST."""
    return datetime(2020, 5, day, hour, minute, tzinfo=KST)


def make_places(rows: Sequence[tuple[int, str, str, str, float, float]]) -> Places:
    lat = np.array([r[4] for r in rows], float)
    lon = np.array([r[5] for r in rows], float)
    x, y = to_5179_dm(lon, lat)
    return Places(
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([r[1] for r in rows], dtype=str),
        np.array([r[2] for r in rows], dtype=str),
        np.array([GANGNAM] * len(rows), dtype=str),
        x,
        y,
        np.array([r[3] for r in rows], dtype=str),
    )


@pytest.fixture(scope="session")
def places() -> Places:
    return make_places(PLACES)


@dataclass
class World:
    """Users as Access objects, and a maker of investigations with routes."""

    kim: Access  # investigator, Seoul
    choi: Access  # communicator, Seoul
    park: Access  # communicator, Busan
    places: Places
    keys: Keys
    session: Session
    serial: int = 0

    def investigation(
        self,
        stays: Sequence[tuple[int | None, datetime, datetime]],
        *,
        confirmed: date = CONFIRMED,
    ) -> InvestigationRow:
        """A confirmed case (sampled the day it was confirmed, 2020-05-05 unless
        said, no symptoms) with a route: ``(place_id or None, start, end)`` per
        stay."""
        self.serial += 1
        person = register_person(
            self.kim,
            self.keys,
            identifier=f"DX{self.serial:07d}",
            identifier_kind=IdentifierKind.PASSPORT,
            district_code=GANGNAM,
        )
        case = create_case(
            self.kim,
            person_key=person.key,
            district_code=GANGNAM,
            confirmed_on=confirmed,
            sample_on=confirmed,
            onset_on=None,
            source=InfectionSource.LOCAL,
        )
        opened = datetime.combine(confirmed, time(12), KST) + timedelta(days=1)
        i = inv.open_investigation(self.kim, self.keys, case.id, now=opened)
        for place_id, start, end in stays:
            p = self.places.get(place_id) if place_id is not None else None
            self.session.add(
                RouteStayRow(
                    investigation_id=i.id,
                    t_start=start,
                    t_end=end,
                    x_dm=p.x_dm if p else 9_600_000 + self.serial,
                    y_dm=p.y_dm if p else 19_500_000,
                    place_id=place_id,
                    sources="gps",
                    confidence=0.8,
                )
            )
        self.session.commit()
        return i


@pytest.fixture
def world(
    session: Session,
    make_user: Callable[..., Principal],
    access_for: Callable[..., Access],
    keys: Keys,
    places: Places,
) -> World:
    return World(
        kim=access_for(make_user("kim", Role.INVESTIGATOR, scopes=("11",))),
        choi=access_for(make_user("choi", Role.COMMUNICATOR, scopes=("11",))),
        park=access_for(make_user("park", Role.COMMUNICATOR, scopes=("26",))),
        places=places,
        keys=keys,
        session=session,
    )


@pytest.fixture
def staff(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> TestClient:
    """The app at ``NOW`` with the world's places, seeing every publication at once."""
    monkeypatch.setattr(site_module, "STAT_EVERY_S", 0.0)
    app = client.app
    app.state.clock = lambda: NOW  # type: ignore[attr-defined]
    app.state.trace = TraceContext(  # type: ignore[attr-defined]
        store=MovementStore(app.state.settings.parquet_path / "movement"),  # type: ignore[attr-defined]
        places=world.places,
        households=Households.empty(),
        keys=world.keys,
    )
    return client
