"""What the public sees: the allowlisted exposure-place schema, and the list.

Nothing leaves the system but :class:`PublicExposure` — place kind, name, address,
district and position, and the exposure window — built from published entries.
The list is a list of *places by district*, never an itinerary: entries carry no
case, person or investigation reference, their ids are random tokens, they are
ordered by district and time (not by case), exposures of several cases at one
place that overlap are merged into one entry, and no entry says when it was
published or changed (a day of publication shared by one case's places would link
them). Each published exposure disappears the moment it is ``retention_days`` old,
whatever the cache holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime

from outbreak.errors import PrivacyViolation
from outbreak.types import KST

RESIDENCE_KINDS = frozenset({"home"})


@dataclass(frozen=True)
class PublicExposure:
    """One exposure place as published (the allowlist: nothing else leaves)."""

    id: str  # random; of the merged entry that starts first
    district_code: str
    district: str
    district_en: str
    province: str
    province_en: str
    kind: str
    name: str
    address: str
    lat: float
    lon: float
    exposure_start: datetime  # KST
    exposure_end: datetime
    disinfected: bool

    def as_json(self) -> dict[str, object]:
        """JSON-ready fields (times in KST, ISO 8601)."""
        d = asdict(self)
        d["exposure_start"] = self.exposure_start.isoformat()
        d["exposure_end"] = self.exposure_end.isoformat()
        return d


PUBLIC_FIELDS = tuple(f.name for f in fields(PublicExposure))


@dataclass(frozen=True)
class PublishedItem:
    """A published entry as the public cache holds it: the public fields, plus a
    token of its place (to merge exposures there; random per snapshot) and when
    it must vanish (rounded down, so never late). Neither is shown."""

    exposure: PublicExposure
    place: str
    expires_at: datetime

    def as_json(self) -> dict[str, object]:
        """The snapshot form."""
        return {
            **self.exposure.as_json(),
            "place": self.place,
            "expires_at": self.expires_at.isoformat(),
        }

    @classmethod
    def from_json(cls, d: dict[str, object]) -> PublishedItem:
        """Read the snapshot form back (refusing fields outside the allowlist)."""
        extra = set(d) - set(PUBLIC_FIELDS) - {"place", "expires_at"}
        if extra:
            raise PrivacyViolation(
                f"Snapshot entry has fields outside the allowlist: {sorted(extra)}",
                field="snapshot",
            )
        values = {k: d[k] for k in PUBLIC_FIELDS}
        for k in ("exposure_start", "exposure_end"):
            values[k] = datetime.fromisoformat(str(values[k]))
        return cls(
            PublicExposure(**values),  # type: ignore[arg-type]
            str(d["place"]),
            datetime.fromisoformat(str(d["expires_at"])),
        )


def public_exposure(
    *,
    public_id: str,
    district_code: str,
    names: tuple[str, str, str, str],
    kind: str,
    name: str,
    address: str,
    lat: float,
    lon: float,
    start: datetime,
    end: datetime,
    disinfected: bool,
    residence_kinds: frozenset[str] = RESIDENCE_KINDS,
) -> PublicExposure:
    """Build the public form of one entry; refuses a residence outright (defence
    in depth: the residence rule already withholds it).

    ``names`` are the district's and province's names (ko, en, ko, en). Positions
    keep 5 decimals (about 1 m), times go to KST.
    """
    if kind in residence_kinds:
        raise PrivacyViolation("A residence can never be published", field="kind")
    district, district_en, province, province_en = names
    return PublicExposure(
        id=public_id,
        district_code=district_code,
        district=district,
        district_en=district_en,
        province=province,
        province_en=province_en,
        kind=kind,
        name=name,
        address=address,
        lat=round(lat, 5),
        lon=round(lon, 5),
        exposure_start=start.astimezone(KST),
        exposure_end=end.astimezone(KST),
        disinfected=disinfected,
    )


def visible(items: Iterable[PublishedItem], *, now: datetime) -> list[PublishedItem]:
    """The items still public at ``now`` (retention: gone the moment they expire)."""
    return [i for i in items if i.expires_at > now]


def public_list(
    items: Sequence[PublishedItem], *, now: datetime
) -> list[PublicExposure]:
    """The public list at ``now``: visible items, merged per place where their
    windows overlap or touch, ordered by district, then time, then name.

    Examples
    --------
    >>> from datetime import timedelta
    >>> t = datetime(2020, 5, 3, 12, tzinfo=KST)
    >>> def item(i, h0, h1):
    ...     e = public_exposure(public_id=i, district_code="11230",
    ...         names=("강남구", "Gangnam-gu", "서울특별시", "Seoul"), kind="cafe",
    ...         name="카페", address="서울특별시 강남구 역삼동", lat=37.5, lon=127.0,
    ...         start=t + timedelta(hours=h0), end=t + timedelta(hours=h1),
    ...         disinfected=False)
    ...     return PublishedItem(e, "p7", t + timedelta(days=14, hours=h1))
    >>> merged = public_list([item("b", 1, 3), item("a", 0, 2)], now=t)
    >>> [(m.id, m.exposure_start.hour, m.exposure_end.hour) for m in merged]
    [('a', 12, 15)]
    """
    live = sorted(
        visible(items, now=now),
        key=lambda i: (i.place, i.exposure.exposure_start),
    )
    merged: list[PublicExposure] = []
    last_place: str | None = None
    for item in live:
        e = item.exposure
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and last_place == item.place
            and e.exposure_start <= prev.exposure_end
        ):
            merged[-1] = replace(
                prev,
                exposure_end=max(prev.exposure_end, e.exposure_end),
                disinfected=prev.disinfected and e.disinfected,
            )
        else:
            merged.append(e)
        last_place = item.place
    return sorted(merged, key=order_key)


def order_key(e: PublicExposure) -> tuple[str, datetime, str, str]:
    """By district, then start, then name: an order that says nothing of cases."""
    return (e.district_code, e.exposure_start, e.name, e.id)


def filter_list(
    exposures: Sequence[PublicExposure],
    *,
    district: str | None = None,
    on: date | None = None,
) -> list[PublicExposure]:
    """Entries in a district (or province: a code prefix) and/or touching a day."""
    out = list(exposures)
    if district:
        out = [e for e in out if e.district_code.startswith(district)]
    if on is not None:
        out = [
            e for e in out if e.exposure_start.date() <= on <= last_day(e.exposure_end)
        ]
    return out


def last_day(end: datetime) -> date:
    """The last KST day an exposure touches (an end at midnight is the day before)."""
    if end.time() == datetime.min.time():
        return date.fromordinal(end.date().toordinal() - 1)
    return end.date()
