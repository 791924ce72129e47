"""The public site: exposure places (page, JSON, Atom, RSS) and the self-check.

No login and no database: every route reads the published snapshot through
:class:`~outbreak.web.public_site.PublicSite`, so the pages stay up however many
people look, and a crash of the investigation side does not take them down.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from outbreak.disclose import selfcheck
from outbreak.disclose.public import PublicExposure, filter_list
from outbreak.disclose.snapshot import Snapshot
from outbreak.web.dashboard.i18n import pick_language
from outbreak.web.dashboard.public_pages import exposures_page, feed, selfcheck_page
from outbreak.web.public_site import PublicSite
from outbreak.web.schemas.disclose import (
    ClinicPublic,
    ExposurePublic,
    ExposuresPage,
    SelfCheckIn,
    SelfCheckOut,
)

router = APIRouter(tags=["public"])
DistrictQ = Annotated[
    str | None,
    Query(
        pattern=r"^\d{2}(\d{3})?$",
        description="A province (2 digits, e.g. 11) or district (5, e.g. 11230).",
    ),
]
DateQ = Annotated[
    date | None, Query(alias="date", description="Exposures touching this KST day.")
]
LIMIT_MAX = 20_000


def site_of(request: Request) -> PublicSite:
    site: PublicSite = request.app.state.public_site
    return site


def _json(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _base(request: Request) -> str:
    """The site's address as the client used it (feeds need absolute links)."""
    return str(request.base_url).rstrip("/")


def _lang(request: Request) -> str:
    return pick_language(
        request.query_params.get("lang"), None, request.headers.get("accept-language")
    )


@router.get(
    "/public/api/v1/exposures",
    response_model=ExposuresPage,
    summary="Published exposure places",
)
async def exposures(
    request: Request,
    district: DistrictQ = None,
    on: DateQ = None,
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Places where a confirmed case stayed and not every contact is identified,
    by district and time; no field refers to a case or a person. Served from the
    published snapshot (ETag, gzip, ``Cache-Control: max-age=60``)."""

    site = site_of(request)

    def render(shot: Snapshot, items: list[PublicExposure]) -> tuple[bytes, str]:
        encoded = site.memo(
            "encoded", lambda: {e.id: _json(e.as_json()) for e in items}
        )
        hits = filter_list(items, district=district, on=on)
        data = b",".join(encoded[e.id] for e in hits[offset : offset + limit])
        tail = {
            "count": len(hits),
            "limit": limit,
            "offset": offset,
            "generated_at": shot.generated_at.isoformat(),
        }
        return b'{"data":[' + data + b"]," + _json(tail)[1:], "application/json"

    # pages that start on a page boundary are kept; any other offset is rendered
    # from the pre-encoded entries for its request alone (no cache to flood)
    key = ("exposures", district, on, limit, offset)
    return site.respond(request, key, render, cache=offset % limit == 0)


@router.get("/public/api/v1/exposures/withdrawn", response_model=list[str])
async def withdrawn(request: Request) -> Response:
    """Ids that were published and are no more: apps and mirrors remove them."""

    def render(shot: Snapshot, _: list[PublicExposure]) -> tuple[bytes, str]:
        return _json(list(shot.withdrawn)), "application/json"

    return site_of(request).respond(request, ("withdrawn",), render)


@router.get("/public/api/v1/clinics", response_model=list[ClinicPublic])
async def clinics(request: Request) -> Response:
    """Screening clinics (where to get tested)."""

    def render(shot: Snapshot, _: list[PublicExposure]) -> tuple[bytes, str]:
        return _json(list(shot.clinics)), "application/json"

    return site_of(request).respond(request, ("clinics",), render)


@router.get("/public/api/v1/self-check/buckets", response_model=dict[str, list[str]])
async def buckets(request: Request) -> Response:
    """Every published exposure as hashed space-time buckets (hash → ids), so an
    app can check its own history entirely on the device."""

    def render(_: Snapshot, items: list[PublicExposure]) -> tuple[bytes, str]:
        index = selfcheck.exposure_buckets([e.as_json() for e in items])
        return _json(index), "application/json"

    return site_of(request).respond(request, ("buckets",), render)


@router.post("/public/api/v1/self-check", response_model=SelfCheckOut)
async def self_check(body: SelfCheckIn, request: Request) -> SelfCheckOut:
    """Match coarse hashed space-time buckets of the app's locations against the
    published places. Nothing is stored or logged; only hashes are sent."""
    site = site_of(request)
    _, items = site.current()
    index = site.memo(
        "buckets", lambda: selfcheck.exposure_buckets([e.as_json() for e in items])
    )
    ids = set(selfcheck.match_buckets(body.buckets, index))
    matched = sum(1 for b in set(body.buckets) if b in index)
    return SelfCheckOut(
        matches=[ExposurePublic(**e.as_json()) for e in items if e.id in ids],
        buckets_matched=matched,
    )


@router.get("/public/exposures.atom", summary="Exposure places as an Atom feed")
async def atom(request: Request, district: DistrictQ = None) -> Response:
    """New, corrected and withdrawn (RFC 6721 tombstones) exposure places."""
    lang, base = _lang(request), _base(request)
    return site_of(request).respond(
        request,
        ("atom", district, lang, base),
        lambda shot, items: feed(
            shot, items, "atom", district=district, lang=lang, base=base
        ),
    )


@router.get("/public/exposures.rss", summary="Exposure places as an RSS 2.0 feed")
async def rss(request: Request, district: DistrictQ = None) -> Response:
    """The same entries as the Atom feed, for RSS readers."""
    lang, base = _lang(request), _base(request)
    return site_of(request).respond(
        request,
        ("rss", district, lang, base),
        lambda shot, items: feed(
            shot, items, "rss", district=district, lang=lang, base=base
        ),
    )


@router.get("/public", include_in_schema=False)
async def public_home() -> RedirectResponse:
    return RedirectResponse("/public/exposures")


@router.get("/public/exposures", include_in_schema=False)
async def exposures_html(
    request: Request, district: DistrictQ = None, on: DateQ = None
) -> Response:
    lang = _lang(request)
    return site_of(request).respond(
        request,
        ("page", lang, district, on),
        lambda shot, items: exposures_page(
            shot, items, lang=lang, district=district, on=on
        ),
    )


@router.get("/public/self-check", include_in_schema=False)
async def selfcheck_html(request: Request) -> Response:
    lang = _lang(request)
    return site_of(request).respond(
        request, ("selfcheck", lang), lambda shot, _: selfcheck_page(shot, lang=lang)
    )
