"""A small synthetic city, generated and ingested once for the investigation tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth import Principal
from outbreak.cases import create_case, register_person
from outbreak.ingest import MovementStore, ingest_city
from outbreak.privacy import Keys
from outbreak.store import make_engine, make_sessionmaker, upgrade
from outbreak.synth.city import phone_of
from outbreak.synth.generate import generate
from outbreak.testing import test_settings
from outbreak.trace.places import Places
from outbreak.trace.registry import Households
from outbreak.trace.service import TraceContext
from outbreak.types import IdentifierKind, InfectionSource, Role

DAY = date(2020, 5, 4)  # the city's first day
GANGNAM = "11230"


@dataclass(frozen=True)
class City:
    root: Path
    store: MovementStore
    keys: Keys


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    root = tmp_path_factory.mktemp("trace-city")
    generate(root / "city", people=600, days=2, seed=11)
    settings = test_settings(root)
    keys = Keys(
        pseudonym_key=settings.pseudonym_key.get_secret_value(),
        data_key=settings.data_key.get_secret_value(),
    )
    engine = make_engine(f"sqlite:///{root / 'ingest.sqlite'}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        access = Access(
            session,
            Principal("loader", frozenset({Role.ADMIN}), frozenset({"*"})),
            "test city load",
        )
        store = MovementStore(root / "movement")
        ingest_city(access, keys, store, root / "city")
    engine.dispose()
    return City(root / "city", store, keys)


@pytest.fixture
def ctx(city: City) -> TraceContext:
    registry = city.root / "city"
    return TraceContext(
        store=city.store,
        places=Places.from_parquet(registry / "places.parquet"),
        households=Households.from_parquet(
            registry / "people" / "part-00000.parquet", city.keys.pseudonymiser
        ),
        keys=city.keys,
    )


@pytest.fixture
def case_of(city: City) -> Callable[[Access, int], int]:
    """Register city person ``pid`` as a confirmed case; returns the case id."""

    def make(access: Access, pid: int) -> int:
        phone = str(phone_of(np.array([pid]))[0])
        person = register_person(
            access,
            city.keys,
            identifier=phone,
            identifier_kind=IdentifierKind.PHONE,
            district_code=GANGNAM,
            phone=phone,
        )
        return create_case(
            access,
            person_key=person.key,
            district_code=GANGNAM,
            confirmed_on=date(2020, 5, 5),
            sample_on=date(2020, 5, 5),
            onset_on=None,  # asymptomatic: the window runs from 2020-05-03
            source=InfectionSource.LOCAL,
        ).id

    return make


MakeAccess = Callable[..., Access]


@pytest.fixture
def people(
    session: Session,
    make_user: Callable[..., Principal],
    access_for: MakeAccess,
) -> dict[str, Access]:
    """An investigator, a data approver and a Busan investigator, as Access objects."""
    return {
        "kim": access_for(make_user("kim", Role.INVESTIGATOR, scopes=("11",))),
        "lee": access_for(make_user("lee", Role.DATA_APPROVER, scopes=("11",))),
        "park": access_for(make_user("park", Role.INVESTIGATOR, scopes=("26",))),
    }
