"""Rt, serial interval and outlook endpoints, and the Rt page."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from outbreak.auth import Principal
from outbreak.types import Role
from tests.web.helpers import assert_problem, login
from tests.web.test_api import new_person

REF = Path(__file__).parent.parent / "model" / "reference" / "epiestim"


def read_csv(name: str) -> list[dict[str, str]]:
    with (REF / name).open() as f:
        return list(csv.DictReader(f))


@pytest.fixture
def analyst(client: TestClient, make_user: Callable[..., Principal]) -> dict[str, str]:
    make_user("analyst", Role.ANALYST)
    return login(client, "analyst")


def test_posted_counts_match_epiestim(
    client: TestClient, analyst: dict[str, str]
) -> None:
    counts = [int(r["I"]) for r in read_csv("Flu2009_incidence.csv")]
    ref = read_csv("Flu2009_parametric_weekly.csv")
    r = client.post(
        "/api/v1/model/rt",
        headers=analyst,
        json={"incidence": {"I": counts}, "si": {"mean": 2.6, "sd": 1.5}},
    )
    assert r.status_code == 200, r.text
    rows = r.json()
    assert len(rows) == len(ref)
    for ours, theirs in zip(rows, ref, strict=True):
        assert ours["mean"] == pytest.approx(float(theirs["mean"]), rel=1e-6)
        assert ours["q0975"] == pytest.approx(float(theirs["q0975"]), rel=1e-6)


def test_bad_posted_counts_name_the_field(
    client: TestClient, analyst: dict[str, str]
) -> None:
    r = client.post(
        "/api/v1/model/rt",
        headers=analyst,
        json={"incidence": {"I": [1, 2, "x"]}, "si": {"mean": 2.6, "sd": 1.5}},
    )
    assert_problem(r, 422, "invalid_input", field="incidence.I.2")
    r = client.post(
        "/api/v1/model/rt",
        headers=analyst,
        json={"incidence": {"I": [1, 2, 3]}, "si": {"mean": 2.6}},
    )
    assert_problem(r, 422, "invalid_input", field="si")
    r = client.post(
        "/api/v1/model/rt",
        headers=analyst,
        json={"incidence": {"I": [1, -2, 3]}, "si": {"mean": 2.6, "sd": 1}},
    )
    assert_problem(r, 422, "invalid_input", field="counts")


def test_korea_rt_by_province(client: TestClient, analyst: dict[str, str]) -> None:
    rows = client.get(
        "/api/v1/model/rt", headers=analyst, params={"region": "22"}
    ).json()
    spring = [r for r in rows if "2020-02-24" <= r["date_end"] <= "2020-02-27"]
    assert spring and all(r["mean"] > 2 for r in spring), (
        "Daegu grew fast in late February"
    )
    april = [r for r in rows if r["date_end"] == "2020-04-15"]
    assert april[0]["mean"] < 1, "and was shrinking by mid-April"
    assert_problem(
        client.get("/api/v1/model/rt", headers=analyst, params={"region": "99"}),
        422,
        "invalid_input",
        field="region",
    )


def test_rt_from_database_cases(
    client: TestClient, make_user: Callable[..., Principal], analyst: dict[str, str]
) -> None:
    make_user("admin", Role.ADMIN)
    admin = login(client, "admin")
    for i in range(24):
        key = new_person(client, admin, f"010-6000-{i:04d}")
        day = f"2020-08-{1 + i // 2:02d}"
        r = client.post(
            "/api/v1/cases",
            headers=admin,
            json={
                "person_key": key,
                "district_code": "11230" if i % 3 else "11110",
                "confirmed_on": day,
                "sample_on": day,
            },
        )
        assert r.status_code == 201, r.text
    r = client.get(
        "/api/v1/model/rt",
        headers=analyst,
        params={"source": "cases", "level": "national", "window": 3},
    )
    rows = r.json()
    assert r.status_code == 200 and {row["region"] for row in rows} == {"national"}
    assert rows[-1]["date_end"] == "2020-08-12" and rows[-1]["mean"] > 0
    by_district = client.get(
        "/api/v1/model/rt",
        headers=analyst,
        params={"source": "cases", "level": "sigungu", "window": 3},
    ).json()
    assert {row["region"] for row in by_district} == {"11230", "11110"}
    assert_problem(
        client.get(
            "/api/v1/model/rt",
            headers=analyst,
            params={"source": "cases", "region": "26"},
        ),
        422,
        "invalid_input",
        field="district",
    )


def test_serial_interval_and_outlook(
    client: TestClient, analyst: dict[str, str]
) -> None:
    intervals = [2, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 7, 8, 3, 4, 5, 4, 6, 2, 5]
    fit = client.post(
        "/api/v1/model/serial-interval", headers=analyst, json={"intervals": intervals}
    ).json()
    assert (
        3.5 < fit["mean"] < 5.5 and fit["mean_ci"][0] < fit["mean"] < fit["mean_ci"][1]
    )
    out = client.get(
        "/api/v1/model/outlook", headers=analyst, params={"region": "11"}
    ).json()
    assert set(out["scenarios"]) == {"as_now", "stricter", "looser"}
    end = {k: v["median"][-1] for k, v in out["scenarios"].items()}
    assert end["stricter"] < end["as_now"] < end["looser"]
    assert len(out["dates"]) == 28 and out["dates"][0] == "2021-01-01"


def test_pharmacist_may_not_model(
    client: TestClient, make_user: Callable[..., Principal]
) -> None:
    make_user("pharm", Role.PHARMACIST)
    r = client.get("/api/v1/model/rt", headers=login(client, "pharm"))
    assert_problem(r, 403, "permission_denied")


def test_rt_page(client: TestClient, make_user: Callable[..., Principal]) -> None:
    make_user("analyst", Role.ANALYST)
    r = client.post(
        "/login",
        data={"username": "analyst", "password": "correct horse battery"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get("/rt?region=22&lang=en").text
    assert "Reproduction number" in page and 'id="rt-chart"' in page
    assert page.count('class="district"') == 17
    assert "/assets/plotly.min.js" in page and "cdn" not in page.lower()
    js = client.get("/assets/plotly.min.js")
    assert js.status_code == 200 and "plotly" in js.text[:2000].lower()
    assert "감염재생산지수" in client.get("/rt?lang=ko").text


def test_nowcast_on_database_cases(
    client: TestClient, make_user: Callable[..., Principal], analyst: dict[str, str]
) -> None:
    make_user("admin", Role.ADMIN)
    admin = login(client, "admin")
    for i in range(40):
        key = new_person(client, admin, f"010-7000-{i:04d}")
        onset = f"2020-08-{1 + i // 2:02d}"
        report = f"2020-08-{min(1 + i // 2 + 2 + i % 3, 31):02d}"
        r = client.post(
            "/api/v1/cases",
            headers=admin,
            json={
                "person_key": key,
                "district_code": "11230",
                "confirmed_on": report,
                "sample_on": report,
                "onset_on": onset,
            },
        )
        assert r.status_code == 201, r.text
    params = {
        "source": "cases",
        "by": "onset",
        "level": "national",
        "end": "2020-08-20",
    }
    naive = client.get("/api/v1/model/rt", headers=analyst, params=params).json()
    now = client.get(
        "/api/v1/model/rt", headers=analyst, params={**params, "nowcast": True}
    ).json()
    assert now[-1]["date_end"] == naive[-1]["date_end"] == "2020-08-20"
    assert now[-1]["mean"] > naive[-1]["mean"], "unreported recent onsets raise Rt"
    bad = client.get(
        "/api/v1/model/rt", headers=analyst, params={"source": "cases", "nowcast": True}
    )
    assert_problem(bad, 422, "invalid_input", field="nowcast")


def test_rt_page_on_database_cases(
    client: TestClient, make_user: Callable[..., Principal]
) -> None:
    make_user("admin", Role.ADMIN)
    admin = login(client, "admin")
    for i in range(30):
        key = new_person(client, admin, f"010-8000-{i:04d}")
        day = f"2020-08-{1 + i // 2:02d}"
        client.post(
            "/api/v1/cases",
            headers=admin,
            json={
                "person_key": key,
                "district_code": "11230",
                "confirmed_on": day,
                "sample_on": day,
            },
        )
    client.post(
        "/login", data={"username": "admin", "password": "correct horse battery"}
    )
    page = client.get("/rt?source=cases&lang=en").text
    assert "Latest Rt by district" in page
    assert page.count('class="district"') == 25  # Seoul's gu: the province with cases
    assert 'value="11230"' in page and "projection-chart" not in page
    empty = client.get("/rt?source=cases&region=11230&lang=en")
    assert empty.status_code == 200
