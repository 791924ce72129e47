"""The disclosure workflow on a real database (SQLite and PostgreSQL): derived
entries, the communicator's review, withdrawals, retention, the snapshot."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from outbreak.disclose import service as dis
from outbreak.disclose import snapshot as snap
from outbreak.disclose.rules import DisclosurePolicy
from outbreak.errors import Conflict, InvalidInput, PermissionDenied, PrivacyViolation
from outbreak.store.tables import AuditRow, DisclosureRow, RouteStayRow
from outbreak.types import DisclosureState
from tests.disclose.conftest import NOW, World, kst

POLICY = DisclosurePolicy()
S = DisclosureState


def by_place(world: World, **filters: object) -> dict[int, DisclosureRow]:
    return {r.place_id: r for r in dis.list_entries(world.choi, **filters)}  # type: ignore[arg-type]


def route(world: World) -> int:
    """A case's route: a restaurant, work, an unregistered spot, home, a cafe the
    day before the window, karaoke at night."""
    i = world.investigation(
        [
            (1, kst(4, 12, 3), kst(4, 13, 7)),
            (3, kst(4, 9), kst(4, 18)),
            (None, kst(4, 19), kst(4, 20)),
            (4, kst(4, 21), kst(5, 8)),
            (2, kst(2, 10), kst(2, 11)),
            (5, kst(5, 20), kst(5, 22, 30)),
        ]
    )
    return i.id


def publish_proposed(world: World, now: object = NOW) -> list[DisclosureRow]:
    ids = [r.id for r in dis.list_entries(world.choi, state=S.PROPOSED)]
    rows = dis.publish(world.choi, ids, now=now, policy=POLICY)  # type: ignore[arg-type]
    world.session.commit()
    return rows


def test_derive_proposes_public_places_and_records_what_each_rule_withholds(
    world: World,
) -> None:
    route(world)
    report = dis.derive(world.choi, world.places, now=NOW)
    world.session.commit()
    assert report.investigations == 1 and report.created == 6
    rows = by_place(world)
    assert {p: r.state for p, r in rows.items()} == {
        1: S.PROPOSED,
        5: S.PROPOSED,
        3: S.WITHHELD,
        -1: S.WITHHELD,
        4: S.WITHHELD,
        2: S.WITHHELD,
    }
    assert {p: r.withheld_by for p, r in rows.items() if r.withheld_by} == {
        3: "workplace",
        -1: "unnamed_place",
        4: "residence",
        2: "outside_window",
    }
    assert report.withheld == {
        "workplace": 1,
        "unnamed_place": 1,
        "residence": 1,
        "outside_window": 1,
    }
    # an unregistered spot (perhaps a home) keeps no precise position
    assert rows[-1].lat == round(rows[-1].lat, 2)
    # the restaurant's entry: registered name and address, its own window
    r = rows[1]
    assert (r.name, r.address) == ("행복식당", "서울특별시 강남구 테헤란로 1")
    assert (r.t_start, r.t_end) == (kst(4, 12, 3), kst(4, 13, 7))
    assert r.expires_at == kst(4, 13, 7) + timedelta(days=14)
    assert len(r.public_id) == 16


def test_deriving_again_changes_nothing_and_keeps_public_ids(world: World) -> None:
    route(world)
    dis.derive(world.choi, world.places, now=NOW)
    world.session.commit()
    before = {r.id: r.public_id for r in dis.list_entries(world.choi)}
    again = dis.derive(world.choi, world.places, now=NOW)
    world.session.commit()
    assert again.created == 0 and again.removed == 0 and not again.withdrawn
    assert {r.id: r.public_id for r in dis.list_entries(world.choi)} == before


def test_derivation_and_review_are_for_communicators_in_their_districts(
    world: World,
) -> None:
    route(world)
    with pytest.raises(PermissionDenied):
        dis.derive(world.kim, world.places, now=NOW)  # an investigator does not
    busan = dis.derive(world.park, world.places, now=NOW)  # nothing in Busan
    assert busan.investigations == 0
    dis.derive(world.choi, world.places, now=NOW)
    world.session.commit()
    entry = by_place(world)[1]
    with pytest.raises(PermissionDenied):
        dis.publish(world.park, [entry.id], now=NOW, policy=POLICY)
    denied = world.session.scalars(
        sa.select(AuditRow).where(AuditRow.outcome == "denied")
    ).all()
    assert {d.actor for d in denied} == {"kim", "park"}
    allowed = world.session.scalars(
        sa.select(AuditRow).where(
            AuditRow.actor == "choi", AuditRow.subject_type == "investigation"
        )
    ).all()
    assert allowed and "derive" in allowed[0].detail


def test_publishing_is_all_or_nothing_and_refuses_what_a_rule_withholds(
    world: World,
) -> None:
    route(world)
    dis.derive(world.choi, world.places, now=NOW)
    world.session.commit()
    rows = by_place(world)
    with pytest.raises(PrivacyViolation) as refused:
        dis.publish(world.choi, [rows[1].id, rows[4].id], now=NOW, policy=POLICY)
    assert "residence" in refused.value.message and refused.value.field == "entry_ids"
    world.session.rollback()
    assert by_place(world)[1].state == S.PROPOSED  # nothing was published
    with pytest.raises(InvalidInput):
        dis.publish(world.choi, [], now=NOW, policy=POLICY)
    published = publish_proposed(world)
    assert {r.place_id for r in published} == {1, 5}
    assert all(r.published_by == "choi" and r.published_at == NOW for r in published)
    # publishing again is a no-op
    assert dis.publish(world.choi, [rows[1].id], now=NOW, policy=POLICY) == []


def test_a_place_becomes_fully_traced_and_is_withdrawn_never_republished_alone(
    world: World,
) -> None:
    route(world)
    dis.derive(world.choi, world.places, now=NOW)
    publish_proposed(world)
    karaoke = by_place(world)[5]
    with pytest.raises(PermissionDenied):  # the investigation's finding, not PR's
        dis.mark_contacts_identified(
            world.choi, karaoke.id, identified=True, now=NOW, policy=POLICY
        )
    row = dis.mark_contacts_identified(
        world.kim, karaoke.id, identified=True, now=NOW, policy=POLICY
    )
    world.session.commit()
    assert (row.state, row.withheld_by) == (S.WITHDRAWN, "contacts_identified")
    # it turns out someone is still unknown: back to review, not to the public
    row = dis.mark_contacts_identified(
        world.kim, karaoke.id, identified=False, now=NOW, policy=POLICY
    )
    assert (row.state, row.withheld_by) == (S.PROPOSED, "")


def test_the_workplace_exception_needs_a_reason_and_is_audited(world: World) -> None:
    route(world)
    dis.derive(world.choi, world.places, now=NOW)
    rows = by_place(world)
    with pytest.raises(InvalidInput) as short:
        dis.invoke_public_risk(
            world.choi, rows[3].id, reason="many", now=NOW, policy=POLICY
        )
    assert short.value.field == "reason"
    with pytest.raises(InvalidInput):  # a restaurant is not a workplace
        dis.invoke_public_risk(
            world.choi, rows[1].id, reason="call centre floor", now=NOW, policy=POLICY
        )
    reason = "Open-plan floor of 200 staff, visitors unregistered"
    row = dis.invoke_public_risk(
        world.choi, rows[3].id, reason=reason, now=NOW, policy=POLICY
    )
    assert row.state == S.PROPOSED and row.public_risk
    world.session.commit()
    audit = world.session.scalars(
        sa.select(AuditRow).where(AuditRow.subject_id == str(rows[3].id))
    ).all()
    assert any(reason in a.detail for a in audit)


def test_wording_is_checked_and_a_correction_reaches_the_snapshot(
    world: World, tmp_path: Path
) -> None:
    route(world)
    dis.derive(world.choi, world.places, now=NOW)
    publish_proposed(world)
    entry = by_place(world)[1]
    with pytest.raises(PrivacyViolation) as refused:
        dis.edit(world.choi, entry.id, name="행복식당 (확진자 3번 방문)")
    assert refused.value.field == "name"
    world.session.rollback()
    dis.edit(world.choi, entry.id, name="행복식당 2층", disinfected=True)
    snap.refresh(world.session, _settings(tmp_path), now=NOW)
    items = json.loads((tmp_path / "public" / snap.FILENAME).read_text())["items"]
    mine = next(i for i in items if i["id"] == entry.public_id)
    assert mine["name"] == "행복식당 2층" and mine["disinfected"] is True
    dis.edit(world.choi, entry.id, name="")  # back to the registered name
    assert entry.name_public is None


def test_hide_unhide_and_withdraw_follow_their_rules(world: World) -> None:
    route(world)
    dis.derive(world.choi, world.places, now=NOW)
    rows = by_place(world)
    with pytest.raises(Conflict):
        dis.withdraw(world.choi, rows[1].id, reason="not published yet at all")
    dis.hide(world.choi, rows[1].id, reason="owner asked; contacts being called")
    with pytest.raises(Conflict):
        dis.hide(world.choi, rows[1].id, reason="owner asked; contacts being called")
    with pytest.raises(Conflict):
        dis.publish(world.choi, [rows[1].id], now=NOW, policy=POLICY)
    assert dis.unhide(world.choi, rows[1].id, now=NOW, policy=POLICY).state == (
        S.PROPOSED
    )
    dis.hide(world.choi, rows[4].id, reason="a home: never, whatever happens")
    back = dis.unhide(world.choi, rows[4].id, now=NOW, policy=POLICY)
    assert (back.state, back.withheld_by) == (S.WITHHELD, "residence")
    publish_proposed(world)
    w = dis.withdraw(world.choi, rows[1].id, reason="wrong branch of the chain")
    assert w.state == S.WITHDRAWN and w.hidden_reason
    # a hand withdrawal is not undone by deriving again
    dis.derive(world.choi, world.places, now=NOW)
    assert by_place(world)[1].state == S.WITHDRAWN


def test_a_stay_that_leaves_the_route_takes_its_entry_with_it(world: World) -> None:
    inv_id = route(world)
    dis.derive(world.choi, world.places, now=NOW)
    publish_proposed(world)
    world.session.execute(
        sa.delete(RouteStayRow).where(
            RouteStayRow.investigation_id == inv_id,
            RouteStayRow.place_id.in_([1, 3]),
        )
    )
    report = dis.derive(world.choi, world.places, now=NOW)
    world.session.commit()
    rows = by_place(world)
    assert 3 not in rows and report.removed == 1  # never public: deleted
    assert (rows[1].state, rows[1].withheld_by) == (S.WITHDRAWN, "route_changed")
    assert report.withdrawn == [rows[1].id]


def test_entries_are_deleted_14_days_after_the_last_exposure(world: World) -> None:
    route(world)
    dis.derive(world.choi, world.places, now=NOW)
    publish_proposed(world)
    restaurant = by_place(world)[1]
    at = restaurant.expires_at
    dis.purge(world.session, now=at - timedelta(seconds=1))
    assert 1 in by_place(world)
    assert dis.purge(world.session, now=at) == 1
    world.session.commit()
    assert 1 not in by_place(world)
    # derivation no longer looks at an investigation whose window is that old
    late = dis.derive(world.choi, world.places, now=NOW + timedelta(days=30))
    assert late.investigations == 0


def _settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from outbreak.testing import test_settings

    return test_settings(tmp_path, public_dir=tmp_path / "public")


def test_the_snapshot_holds_only_published_live_entries_in_the_allowlist(
    world: World, tmp_path: Path
) -> None:
    route(world)
    dis.derive(world.choi, world.places, now=NOW)
    publish_proposed(world)
    karaoke = by_place(world)[5]
    dis.withdraw(world.choi, karaoke.id, reason="all guests reached by phone")
    path = snap.refresh(world.session, _settings(tmp_path), now=NOW)
    doc = json.loads(path.read_text())
    restaurant = by_place(world)[1]
    assert [i["id"] for i in doc["items"]] == [restaurant.public_id]
    assert doc["items"][0]["place"] != "1"  # a token, not the registry's id
    assert doc["withdrawn"] == [karaoke.public_id]
    shot = snap.parse(path.read_bytes())
    assert shot.items[0].exposure.exposure_start == kst(4, 12)
    # the expiry says no more than the window: 13:07 + 14 days, rounded down
    assert shot.items[0].expires_at == kst(4, 13) + timedelta(days=14)
    text = path.read_text()
    for secret in ("investigation", "case", "person", "kim", "choi"):
        assert secret not in text


def test_a_crash_while_writing_leaves_the_old_snapshot_whole(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    route(world)
    dis.derive(world.choi, world.places, now=NOW)
    publish_proposed(world)
    settings = _settings(tmp_path)
    path = snap.refresh(world.session, settings, now=NOW)
    before = path.read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError("disk pulled out")

    monkeypatch.setattr(os, "replace", crash)
    dis.edit(world.choi, by_place(world)[1].id, name="바뀐 이름")
    with pytest.raises(OSError):
        snap.refresh(world.session, settings, now=NOW)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [snap.FILENAME]


def test_a_published_entry_whose_stay_changed_goes_back_to_review(
    world: World, tmp_path: Path
) -> None:
    inv_id = route(world)
    dis.derive(world.choi, world.places, now=NOW)
    publish_proposed(world)
    settings = _settings(tmp_path)
    snap.refresh(world.session, settings, now=NOW)
    world.session.execute(  # the route is rebuilt: the restaurant visit ran longer
        sa.update(RouteStayRow)
        .where(RouteStayRow.investigation_id == inv_id, RouteStayRow.place_id == 1)
        .values(t_end=kst(4, 20))
    )
    report = dis.derive(world.choi, world.places, now=NOW)
    path = snap.refresh(world.session, settings, now=NOW)
    food = by_place(world)[1]
    assert report.changed == [food.id] and food.state == S.PROPOSED
    assert food.t_end == kst(4, 20)
    public = [i["name"] for i in json.loads(path.read_text())["items"]]
    assert "행복식당" not in public and "즐거운노래방" in public


def test_a_stay_of_no_length_counts_as_a_minute(world: World) -> None:
    world.investigation([(2, kst(4, 15), kst(4, 15))])  # a payment, a note
    report = dis.derive(world.choi, world.places, now=NOW)
    cafe = by_place(world)[2]
    assert report.created == 1 and cafe.state == S.PROPOSED
    assert cafe.t_end - cafe.t_start == timedelta(minutes=1)


def test_a_place_of_no_district_is_withheld_not_filed_under_the_case(
    world: World,
) -> None:
    world.places.districts[world.places._row[5]] = ""  # the registry lacks it
    try:
        world.investigation([(5, kst(4, 20), kst(4, 22))])
        dis.derive(world.choi, world.places, now=NOW)
        karaoke = by_place(world)[5]
        assert (karaoke.state, karaoke.withheld_by) == (S.WITHHELD, "no_district")
        assert not karaoke.district_known
    finally:
        world.places.districts[world.places._row[5]] = "11230"
