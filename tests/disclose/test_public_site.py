"""The public site on its own: no database, served from the snapshot file, cached,
and never showing an exposure past its 14 days."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import fields
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from outbreak.disclose import selfcheck
from outbreak.disclose import snapshot as snap
from outbreak.disclose.history import Presence
from outbreak.disclose.public import (
    PUBLIC_FIELDS,
    PublicExposure,
    PublishedItem,
    public_exposure,
)
from outbreak.testing import test_settings
from outbreak.web import create_public_app
from outbreak.web import public_site as site_module
from outbreak.web.public_site import PublicSite
from outbreak.web.schemas.disclose import ExposurePublic
from tests.disclose.conftest import kst

NAMES = {
    "11230": ("강남구", "Gangnam-gu", "서울특별시", "Seoul"),
    "11110": ("종로구", "Jongno-gu", "서울특별시", "Seoul"),
    "26350": ("해운대구", "Haeundae-gu", "부산광역시", "Busan"),
}


def item(
    pid: str,
    place: int,
    start: datetime,
    end: datetime,
    *,
    district: str = "11230",
    name: str = "행복식당",
    lat: float = 37.5,
    lon: float = 127.03,
) -> PublishedItem:
    e = public_exposure(
        public_id=pid,
        district_code=district,
        names=NAMES[district],
        kind="restaurant",
        name=name,
        address="서울특별시 강남구 테헤란로 1",
        lat=lat,
        lon=lon,
        start=start,
        end=end,
        disinfected=False,
    )
    return PublishedItem(e, f"p{place}", end + timedelta(days=14))


ITEMS = [
    item("a1", 1, kst(4, 12), kst(4, 13)),
    item("b2", 1, kst(4, 12, 30), kst(4, 14)),  # overlaps a1: one entry
    item("c3", 2, kst(5, 9), kst(5, 10), district="11110", name="종로카페"),
    item("d4", 3, kst(3, 20), kst(3, 22), district="26350", name="해운대노래방"),
]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def public(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[TestClient, Clock]:
    monkeypatch.setattr(site_module, "STAT_EVERY_S", 0.0)
    settings = test_settings(
        tmp_path,
        public_dir=tmp_path / "public",
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
    )
    write(tmp_path / "public", ITEMS, withdrawn=["zz9"])
    app = create_public_app(settings)
    clock = Clock(kst(6, 12))
    app.state.public_site = PublicSite(settings.public_path, clock=clock)
    return TestClient(app), clock


def write(
    directory: Path,
    items: list[PublishedItem],
    *,
    withdrawn: list[str] | None = None,
) -> None:
    clinic = {
        "name": "강남구보건소",
        "address": "서울특별시 강남구 선릉로 668",
        "phone": "02-3423-5555",
        "district_code": "11230",
        "lat": 37.51,
        "lon": 127.04,
    }
    data = snap.build(items, withdrawn or [], [clinic], now=kst(6, 12))
    snap.write(directory, data)


def test_the_public_app_has_no_database_and_still_serves(
    public: tuple[TestClient, Clock],
) -> None:
    client, _ = public
    assert not hasattr(client.app.state, "engine")  # type: ignore[attr-defined]
    r = client.get("/public/api/v1/exposures")
    assert r.status_code == 200
    assert r.json()["count"] == 3  # a1 and b2 merged


def test_the_list_is_by_district_and_time_merged_per_place(
    public: tuple[TestClient, Clock],
) -> None:
    client, _ = public
    data = client.get("/public/api/v1/exposures").json()["data"]
    assert [d["district_code"] for d in data] == ["11110", "11230", "26350"]
    gangnam = data[1]
    assert gangnam["id"] == "a1"
    assert (gangnam["exposure_start"], gangnam["exposure_end"]) == (
        "2020-05-04T12:00:00+09:00",
        "2020-05-04T14:00:00+09:00",
    )


def test_every_entry_carries_exactly_the_allowlist(
    public: tuple[TestClient, Clock],
) -> None:
    client, _ = public
    for d in client.get("/public/api/v1/exposures").json()["data"]:
        assert tuple(d) == PUBLIC_FIELDS
    assert set(ExposurePublic.model_fields) == set(PUBLIC_FIELDS)
    assert tuple(f.name for f in fields(PublicExposure)) == PUBLIC_FIELDS


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("district=11", ["c3", "a1"]),
        ("district=11230", ["a1"]),
        ("district=26", ["d4"]),
        ("date=2020-05-05", ["c3"]),
        ("date=2020-05-03&district=26350", ["d4"]),
        ("limit=1&offset=1", ["a1"]),
    ],
)
def test_filters_and_pages(
    public: tuple[TestClient, Clock], query: str, ids: list[str]
) -> None:
    client, _ = public
    body = client.get(f"/public/api/v1/exposures?{query}").json()
    assert [d["id"] for d in body["data"]] == ids


def test_bad_filters_are_problems_naming_the_field(
    public: tuple[TestClient, Clock],
) -> None:
    client, _ = public
    for query, field in [
        ("district=1", "district"),
        ("date=yesterday", "date"),
        ("limit=0", "limit"),
        ("limit=20001", "limit"),
    ]:
        r = client.get(f"/public/api/v1/exposures?{query}")
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == field


def test_etag_and_gzip(public: tuple[TestClient, Clock]) -> None:
    client, _ = public
    r = client.get("/public/api/v1/exposures", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["cache-control"] == "public, max-age=60"
    etag = r.headers["etag"]
    again = client.get("/public/api/v1/exposures", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    raw = client.get(
        "/public/api/v1/exposures", headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in raw.headers
    assert r.json() == raw.json()  # the client inflated the gzip body


def test_a_new_snapshot_is_served_at_once(
    public: tuple[TestClient, Clock], tmp_path: Path
) -> None:
    client, _ = public
    before = client.get("/public/api/v1/exposures").headers["etag"]
    write(tmp_path / "public", ITEMS[2:])
    r = client.get("/public/api/v1/exposures")
    assert r.headers["etag"] != before
    assert [d["id"] for d in r.json()["data"]] == ["c3", "d4"]


def test_an_exposure_vanishes_14_days_after_it_ends_without_a_new_snapshot(
    public: tuple[TestClient, Clock],
) -> None:
    client, clock = public
    d4_gone = kst(3, 22) + timedelta(days=14)
    clock.now = d4_gone - timedelta(seconds=1)
    assert "d4" in [
        d["id"] for d in client.get("/public/api/v1/exposures").json()["data"]
    ]
    clock.now = d4_gone
    ids = [d["id"] for d in client.get("/public/api/v1/exposures").json()["data"]]
    assert ids == ["c3", "a1"]
    # a merged entry shrinks when its first part expires
    clock.now = kst(4, 13) + timedelta(days=14)
    left = client.get("/public/api/v1/exposures?district=11230").json()["data"]
    assert [(d["id"], d["exposure_start"]) for d in left] == [
        ("b2", "2020-05-04T12:30:00+09:00")
    ]


def test_feeds_are_valid_xml_with_tombstones(public: tuple[TestClient, Clock]) -> None:
    client, _ = public
    atom = ET.fromstring(client.get("/public/exposures.atom?lang=en").content)  # noqa: S314 - our own feed
    ns = {
        "a": "http://www.w3.org/2005/Atom",
        "at": "http://purl.org/atompub/tombstones/1.0",
    }
    ids = [e.findtext("a:id", namespaces=ns) for e in atom.findall("a:entry", ns)]
    assert ids == [f"urn:outbreak:exposure:{i}" for i in ("c3", "a1", "d4")]
    dead = atom.findall("at:deleted-entry", ns)
    assert [d.get("ref") for d in dead] == ["urn:outbreak:exposure:zz9"]
    title = atom.find("a:entry", ns).findtext("a:title", namespaces=ns)  # type: ignore[union-attr]
    assert title is not None and "Jongno-gu" in title and "Café" not in title
    rss = ET.fromstring(client.get("/public/exposures.rss?district=26").content)  # noqa: S314
    assert [i.findtext("guid") for i in rss.iter("item")] == [
        "urn:outbreak:exposure:d4"
    ]


def test_the_page_in_korean_and_english(public: tuple[TestClient, Clock]) -> None:
    client, _ = public
    ko = client.get("/public/exposures").text
    assert "확진자 방문 장소" in ko and "서울특별시 강남구" in ko and "행복식당" in ko
    assert ko.count('class="exposure"') == 3 + 3  # three rows, three map points
    en = client.get("/public/exposures?lang=en&district=26350").text
    assert "Haeundae-gu, Busan" in en and "행복식당" not in en
    assert "Exposure places" in en


def test_self_check_with_hashed_buckets_stores_nothing(
    public: tuple[TestClient, Clock], tmp_path: Path
) -> None:
    client, _ = public
    here = Presence(37.5, 127.03, kst(4, 12, 40), kst(4, 12, 40))
    elsewhere = Presence(37.6, 127.1, kst(4, 12, 40), kst(4, 12, 40))
    mine = sorted(selfcheck.bucket_hashes([here, elsewhere]))
    before = sorted(p.name for p in (tmp_path / "public").iterdir())
    r = client.post("/public/api/v1/self-check", json={"buckets": mine})
    assert r.status_code == 200
    assert [m["id"] for m in r.json()["matches"]] == ["a1"]
    assert r.json()["buckets_matched"] == 1
    later = Presence(37.5, 127.03, kst(4, 18), kst(4, 18))
    none = client.post(
        "/public/api/v1/self-check",
        json={"buckets": sorted(selfcheck.bucket_hashes([later]))},
    )
    assert none.json() == {"matches": [], "buckets_matched": 0}
    bad = client.post("/public/api/v1/self-check", json={"buckets": ["nothex"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "buckets.0"
    assert sorted(p.name for p in (tmp_path / "public").iterdir()) == before
    index = client.get("/public/api/v1/self-check/buckets").json()
    assert set(mine) & set(index) and all(isinstance(v, list) for v in index.values())


def test_clinics_and_withdrawn_lists(public: tuple[TestClient, Clock]) -> None:
    client, _ = public
    assert client.get("/public/api/v1/clinics").json()[0]["name"] == "강남구보건소"
    assert client.get("/public/api/v1/exposures/withdrawn").json() == ["zz9"]


def test_a_snapshot_with_a_field_outside_the_allowlist_is_refused(
    tmp_path: Path,
) -> None:
    doc = json.loads(snap.build(ITEMS[:1], [], [], now=kst(6, 12)))
    doc["items"][0]["age"] = 34
    with pytest.raises(Exception, match="allowlist"):
        snap.parse(json.dumps(doc).encode())
    assert snap.parse(snap.build([], [], [], now=kst(6, 12))).items == ()


def test_a_bad_snapshot_keeps_the_last_good_one_served(
    public: tuple[TestClient, Clock], tmp_path: Path
) -> None:
    client, _ = public
    assert client.get("/public/api/v1/exposures").json()["count"] == 3
    (tmp_path / "public" / snap.FILENAME).write_text('{"format": "half a fi')
    r = client.get("/public/api/v1/exposures")
    assert r.status_code == 200 and r.json()["count"] == 3


def test_no_good_snapshot_at_all_is_a_503(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / snap.FILENAME).write_text("not json")
    app = create_public_app(test_settings(tmp_path, public_dir=tmp_path / "public"))
    r = TestClient(app).get("/public/api/v1/exposures")
    assert r.status_code == 503 and r.json()["code"] == "unavailable"


def test_only_pages_on_page_boundaries_are_kept(
    public: tuple[TestClient, Clock],
) -> None:
    client, _ = public
    site = client.app.state.public_site  # type: ignore[attr-defined]
    client.get("/public/api/v1/exposures?limit=2&offset=2")
    kept = len(site._cache)
    for offset in (1, 3, 5, 7):  # anyone can ask for any offset: none is kept
        r = client.get(f"/public/api/v1/exposures?limit=2&offset={offset}")
        assert r.status_code == 200 and "etag" not in r.headers
    assert len(site._cache) == kept
    assert [d["id"] for d in r.json()["data"]] == []
    one = client.get("/public/api/v1/exposures?limit=2&offset=1").json()["data"]
    assert [d["id"] for d in one] == ["a1", "d4"]


def test_feeds_link_absolutely(public: tuple[TestClient, Clock]) -> None:
    client, _ = public
    rss = client.get("/public/exposures.rss").text
    assert "<link>http://testserver/public/exposures#e-" in rss
