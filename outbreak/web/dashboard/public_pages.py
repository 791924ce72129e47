"""The public pages and feeds, rendered from the published snapshot (no database).

Each function returns the body and its media type; the public site caches it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import date, datetime, time
from functools import lru_cache
from itertools import groupby
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from outbreak.disclose.public import PublicExposure, filter_list, last_day
from outbreak.disclose.snapshot import Snapshot
from outbreak.geo import SEOUL_CODE, District, draw_map, load_districts
from outbreak.geo.svgmap import frame_for
from outbreak.types import KST
from outbreak.web.dashboard.i18n import translator

HTML = "text/html; charset=utf-8"
WEEKDAYS = {
    "ko": "월화수목금토일",
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
ATOM = "http://www.w3.org/2005/Atom"
TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"  # RFC 6721

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(),
)


def when(e: PublicExposure, lang: str) -> str:
    """The exposure window as people read it: ``05-03 (일) 12:10–13:30``."""
    s, t = e.exposure_start.astimezone(KST), e.exposure_end.astimezone(KST)
    day = WEEKDAYS[lang][s.weekday()]
    head = f"{s:%m-%d} ({day}) {s:%H:%M}" if lang == "ko" else f"{day} {s:%d %b %H:%M}"
    if t.date() == s.date() or (t.time() == time(0) and (t - s).days < 1):
        return f"{head}–{t:%H:%M}" if t.time() != time(0) else f"{head}–24:00"
    return f"{head} – {t:%m-%d %H:%M}"


@lru_cache(maxsize=2)
def _map_districts(seoul: bool) -> tuple[District, ...]:
    return tuple(
        d
        for d in load_districts()
        if (d.parent_code == SEOUL_CODE if seoul else d.level == "sido")
    )


def _map(items: Sequence[PublicExposure], lang: str) -> dict[str, object]:
    seoul = all(e.district_code.startswith(SEOUL_CODE) for e in items)
    districts = _map_districts(seoul)
    shapes, height, _ = draw_map(districts, {}, lang=lang, width=560)
    frame = frame_for(districts, width=560)
    points = []
    if frame is not None:
        for e in items:
            x, y = frame.xy(e.lon, e.lat)
            points.append({"x": round(x, 1), "y": round(y, 1), "e": e})
    return {"shapes": shapes, "height": height, "width": 560, "points": points}


def _district_options(
    items: Sequence[PublicExposure], lang: str
) -> list[tuple[str, str]]:
    seen = {}
    for e in items:
        seen[e.district_code] = (
            f"{e.province} {e.district}"
            if lang == "ko"
            else f"{e.district_en}, {e.province_en}"
        )
    return sorted(seen.items())


def _dates(items: Sequence[PublicExposure]) -> list[date]:
    days = set()
    for e in items:
        d = e.exposure_start.date()
        while d <= last_day(e.exposure_end):
            days.add(d)
            d = date.fromordinal(d.toordinal() + 1)
    return sorted(days, reverse=True)


def exposures_page(
    shot: Snapshot,
    items: list[PublicExposure],
    *,
    lang: str,
    district: str | None,
    on: date | None,
) -> tuple[bytes, str]:
    """The public list and map, filtered by district and day."""
    shown = filter_list(items, district=district, on=on)
    groups = [
        (code, list(entries))
        for code, entries in groupby(shown, key=lambda e: e.district_code)
    ]
    html = _env.get_template("public_exposures.html").render(
        lang=lang,
        t=translator(lang),
        path="/public/exposures",
        groups=groups,
        count=len(shown),
        districts=_district_options(items, lang),
        dates=_dates(items),
        district=district or "",
        on=on.isoformat() if on else "",
        map=_map(shown, lang),
        when=when,
        generated_at=shot.generated_at.astimezone(KST),
    )
    return html.encode(), HTML


def selfcheck_page(shot: Snapshot, *, lang: str) -> tuple[bytes, str]:
    """The citizen self-check: the matching runs in the browser (selfcheck.js)."""
    html = _env.get_template("public_selfcheck.html").render(
        lang=lang,
        t=translator(lang),
        path="/public/self-check",
        generated_at=shot.generated_at.astimezone(KST),
    )
    return html.encode(), HTML


def _title(e: PublicExposure, lang: str) -> str:
    t = translator(lang)
    district = e.district if lang == "ko" else e.district_en
    return f"[{district}] {e.name} ({t.get('kind_' + e.kind, e.kind)}) {when(e, lang)}"


def _summary(e: PublicExposure, lang: str) -> str:
    t = translator(lang)
    done = f" · {t['pub_disinfected']}" if e.disinfected else ""
    return f"{e.address} · {t['pub_when']}: {when(e, lang)}{done}"


def feed(
    shot: Snapshot,
    items: list[PublicExposure],
    kind: str,
    *,
    district: str | None,
    lang: str,
    base: str,
) -> tuple[bytes, str]:
    """Atom (with RFC 6721 tombstones for withdrawn entries) or RSS 2.0, links
    absolute under ``base``. Every entry carries the snapshot's time as its
    update: a time of its own would tell which entries changed together."""
    t = translator(lang)
    shown = filter_list(items, district=district)
    page = f"{base}/public/exposures"
    link = page + (f"?district={district}" if district else "")
    stamp = shot.generated_at.isoformat()
    if kind == "rss":
        rss = ET.Element("rss", version="2.0")
        ch = ET.SubElement(rss, "channel")
        for tag, text in (
            ("title", t["pub_feed_title"]),
            ("link", link),
            ("description", t["pub_intro"]),
            ("language", lang),
        ):
            ET.SubElement(ch, tag).text = text
        for e in shown:
            it = ET.SubElement(ch, "item")
            ET.SubElement(it, "title").text = _title(e, lang)
            ET.SubElement(it, "description").text = _summary(e, lang)
            ET.SubElement(it, "link").text = f"{page}#e-{e.id}"
            ET.SubElement(it, "guid", isPermaLink="false").text = _urn(e.id)
            ET.SubElement(it, "pubDate").text = _rfc822(shot.generated_at)
        return _xml(rss), "application/rss+xml; charset=utf-8"
    ET.register_namespace("", ATOM)
    ET.register_namespace("at", TOMBSTONES)
    root = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": lang})
    ET.SubElement(root, f"{{{ATOM}}}title").text = t["pub_feed_title"]
    ET.SubElement(root, f"{{{ATOM}}}id").text = "urn:outbreak:exposures" + (
        f":{district}" if district else ""
    )
    ET.SubElement(root, f"{{{ATOM}}}updated").text = shot.generated_at.isoformat()
    ET.SubElement(root, f"{{{ATOM}}}link", href=link)
    for e in shown:
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = _urn(e.id)
        ET.SubElement(entry, f"{{{ATOM}}}title").text = _title(e, lang)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = stamp
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = _summary(e, lang)
        ET.SubElement(entry, f"{{{ATOM}}}link", href=f"{page}#e-{e.id}")
    for pid in shot.withdrawn:
        ET.SubElement(
            root, f"{{{TOMBSTONES}}}deleted-entry", {"ref": _urn(pid), "when": stamp}
        )
    return _xml(root), "application/atom+xml; charset=utf-8"


def _urn(public_id: str) -> str:
    return f"urn:outbreak:exposure:{public_id}"


def _rfc822(t: datetime) -> str:
    return t.astimezone(KST).strftime("%a, %d %b %Y %H:%M:%S +0900")


def _xml(root: ET.Element) -> bytes:
    out: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return out
