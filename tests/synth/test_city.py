"""The synthetic city: reproducible, plausible, consistent with its ground truth."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from outbreak.geo.metric import fast_degrees, seoul_gu, to_degrees, to_metres
from outbreak.synth.city import KIND, build_city, residents
from outbreak.synth.generate import FEEDS, generate
from outbreak.synth.itinerary import DAY_S, day_stays


def digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.parquet")):
        h.update(str(path.relative_to(root)).encode())
        h.update(pq.read_table(path).to_string(preview_cols=0).encode())
        h.update(str(pq.read_table(path).to_pydict()).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    generate(out, people=2000, days=2, seed=3, start=date(2020, 5, 8))  # Fri, Sat
    return out


def test_same_seed_same_city(tmp_path: Path, small: Path) -> None:
    again = tmp_path / "again"
    generate(again, people=2000, days=2, seed=3, start=date(2020, 5, 8))
    assert digest(again) == digest(small)
    other = tmp_path / "other"
    generate(other, people=2000, days=2, seed=4, start=date(2020, 5, 8))
    assert digest(other) != digest(small)


def test_every_feed_is_written_per_day(small: Path) -> None:
    for feed in FEEDS:
        days = sorted(p.name for p in (small / "feeds" / feed).iterdir())
        assert days == ["date=2020-05-08", "date=2020-05-09"], feed
    assert not list(small.rglob("*.tmp")), "no temporary files left behind"


def test_people_on_real_districts_in_proportion(tmp_path: Path) -> None:
    city = build_city(50_000, 1)
    res = residents(city, 0)
    codes = np.array([seoul_gu()[g].code for g in res.gu])
    songpa, jung = (codes == "11240").mean(), (codes == "11020").mean()
    assert songpa > 3 * jung, "Songpa-gu has ~5x Jung-gu's residents (2020)"
    sizes = np.bincount(np.unique(res.household, return_counts=True)[1])
    assert sizes[1] / sizes[1:].sum() == pytest.approx(0.317, abs=0.03)
    inside = [
        seoul_gu()[g].contains(res.home_x[i : i + 1], res.home_y[i : i + 1])[0]
        for i, g in enumerate(res.gu[:200])
    ]
    assert all(inside), "every home lies inside its gu"


def test_pharmacies_are_the_real_ones() -> None:
    city = build_city(1000, 1)
    pharm = city.places.kind == KIND["pharmacy"]
    assert pharm.sum() > 5000  # Seoul's public-mask pharmacies (March 2020)
    assert "가로수길약국" in [
        n for n, p in zip(city.places.name, pharm, strict=True) if p
    ]


def test_itineraries_are_contiguous_and_differ_at_weekends() -> None:
    city = build_city(5000, 2)
    res = residents(city, 0)
    weekday, sunday = day_stays(city, res, 0, 2), day_stays(city, res, 1, 6)
    for stays in (weekday, sunday):
        same = stays.pid[1:] == stays.pid[:-1]
        assert (stays.start[1:][same] >= stays.end[:-1][same]).all(), (
            "no overlapping stays"
        )
        assert (stays.end > stays.start).all() and stays.end.max() <= DAY_S
        assert set(np.unique(stays.pid)) == set(res.pid), "everyone has a day"
    workers = np.isin(weekday.kind, [KIND["workplace"]]).sum()
    assert workers > 0 and np.isin(sunday.kind, [KIND["workplace"]]).sum() == 0
    assert np.isin(sunday.kind, [KIND["church"]]).sum() > 0


def test_gps_follows_the_true_stays(small: Path) -> None:
    truth = (
        ds.dataset(small / "truth" / "stays", partitioning="hive")
        .to_table()
        .to_pydict()
    )
    people = pq.read_table(small / "city" / "people").to_pydict()
    phone_of = dict(zip(people["phone"], people["pid"], strict=True))
    gps = ds.dataset(small / "feeds" / "gps", partitioning="hive").to_table()
    sample = gps.slice(0, 20_000).to_pydict()
    x, y = to_metres(np.array(sample["lon"]), np.array(sample["lat"]))
    pid = np.array([phone_of[str(d)] for d in sample["device_id"]])
    t = np.array(sample["timestamp"])
    starts, ends = np.array(truth["t_start"]), np.array(truth["t_end"])
    tp = np.array(truth["pid"])
    errors = []
    for k in range(0, len(pid), 50):
        hit = np.flatnonzero((tp == pid[k]) & (starts <= t[k]) & (t[k] < ends))
        if len(hit):
            i = hit[0]
            errors.append(
                np.hypot(x[k] - truth["x_dm"][i] / 10, y[k] - truth["y_dm"][i] / 10)
            )
    errors_m = np.array(errors)
    assert len(errors_m) > 100
    assert np.median(errors_m) < 40 and np.percentile(errors_m, 95) < 150
    assert np.array(sample["accuracy_m"]).min() >= 5


def test_qr_identity_is_a_separate_feed(small: Path) -> None:
    qr = ds.dataset(small / "feeds" / "qr", partitioning="hive").to_table()
    ident = ds.dataset(small / "feeds" / "qr_identity", partitioning="hive").to_table()
    assert "phone" not in qr.column_names and "visitor_token" in qr.column_names
    assert set(qr["visitor_token"].to_pylist()) == set(
        ident["visitor_token"].to_pylist()
    )
    assert qr.num_rows == len(set(qr["visitor_token"].to_pylist())), "one-time tokens"


def test_fast_projection_matches_proj() -> None:
    boxes = np.array([g.bbox for g in seoul_gu()])
    rng = np.random.default_rng(0)
    x = rng.uniform(boxes[:, 0].min(), boxes[:, 2].max(), 10_000)
    y = rng.uniform(boxes[:, 1].min(), boxes[:, 3].max(), 10_000)
    lon, lat = to_degrees(x, y)
    flon, flat = fast_degrees()(x, y)
    assert np.abs(flon - lon).max() * 88_000 < 0.05  # metres per degree of longitude
    assert np.abs(flat - lat).max() * 111_000 < 0.05
