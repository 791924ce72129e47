"""Rt, serial intervals and projections (aggregates: no personal data)."""

from __future__ import annotations

import math
import warnings
from datetime import date
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query

from outbreak.auth import Permission, authorize
from outbreak.cases.incidence import case_incidence, onset_report_pairs
from outbreak.errors import DataQualityWarning, InvalidInput
from outbreak.model import Incidence, RtEstimator, RtResult, SerialInterval
from outbreak.model.nowcast import Nowcaster, delay_distribution
from outbreak.model.params import SI_MEAN_DAYS, SI_SD_DAYS
from outbreak.model.serial import SerialIntervalEstimator
from outbreak.model.surveillance import korea_outlook, korea_rt
from outbreak.web.deps import PrincipalDep, SessionDep
from outbreak.web.schemas.model import (
    OutlookPublic,
    RtRequest,
    RtWindowPublic,
    ScenarioPublic,
    SerialIntervalPublic,
    SerialIntervalRequest,
)

router = APIRouter(prefix="/api/v1/model", tags=["model"])
KOREA_START, KOREA_END = date(2020, 2, 17), date(2020, 12, 31)


def _rows(result: RtResult, region: str | None = None) -> list[dict[str, Any]]:
    rows = result.rows()
    if region is not None:
        rows = [r for r in rows if r["region"] == region]
    return [
        {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in r.items()
        }
        for r in rows
    ]


@router.get("/rt", response_model=list[RtWindowPublic])
def rt(
    session: SessionDep,
    principal: PrincipalDep,
    source: Literal["korea", "cases"] = "korea",
    region: Annotated[
        str | None,
        Query(
            description="korea: KR or a province code; cases: a district-code prefix"
        ),
    ] = None,
    level: Literal["national", "sido", "sigungu"] = "sido",
    by: Literal["onset", "report"] = "report",
    start: date | None = None,
    end: date | None = None,
    si_mean: Annotated[float, Query(gt=1)] = SI_MEAN_DAYS,
    si_sd: Annotated[float, Query(gt=0)] = SI_SD_DAYS,
    window: Annotated[int, Query(ge=1, le=60)] = 7,
    nowcast: Annotated[
        bool,
        Query(
            description="cases by onset, national: correct "
            "the last days for reporting delay"
        ),
    ] = False,
) -> object:
    """Rt per window: Korea's real 2020-2023 counts, or the cases in this database."""
    authorize(principal, Permission.STATS_READ)
    if source == "korea":
        result = korea_rt(
            start or KOREA_START, end or KOREA_END, si_mean, si_sd, window
        )
        if region is not None and region not in result.regions:
            raise InvalidInput(
                f"Unknown region {region!r}; expected KR or a province code",
                field="region",
            )
        return _rows(result, region)
    if nowcast and (by != "onset" or level != "national"):
        raise InvalidInput("nowcast needs by=onset and level=national", field="nowcast")
    as_of = end or (date.today() if nowcast else None)
    inc = case_incidence(
        session,
        principal,
        by=by,
        level=level,
        district_prefix=region,
        start=start,
        end=as_of,
        reported_by=as_of if nowcast else None,
    )
    est = RtEstimator(SerialInterval.parametric(si_mean, si_sd), window=window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        if nowcast:
            day = as_of or date.today()
            onset, report = onset_report_pairs(
                session, principal, district_prefix=region, reported_by=day
            )
            pmf = delay_distribution(
                np.array(onset, dtype="datetime64[D]"),
                np.array(report, dtype="datetime64[D]"),
                as_of=day,
            )
            return _rows(Nowcaster(pmf).fit(inc).rt(est))
        return _rows(est.fit(inc).rt_)


@router.post("/rt", response_model=list[RtWindowPublic])
def rt_from_counts(body: RtRequest, principal: PrincipalDep) -> object:
    """Rt from posted daily counts (EpiEstim's layout), for any region."""
    authorize(principal, Permission.STATS_READ)
    inc_in = body.incidence
    if inc_in.I is not None:
        inc = Incidence.from_counts(inc_in.I, dates=inc_in.dates)
    elif inc_in.local is not None and inc_in.imported is not None:
        inc = Incidence.from_counts(
            inc_in.local, imported=inc_in.imported, dates=inc_in.dates
        )
    else:
        raise InvalidInput(
            "Give incidence.I, or incidence.local and incidence.imported",
            field="incidence",
        )
    si = (
        SerialInterval.distribution(body.si.distr)
        if body.si.distr is not None
        else SerialInterval.parametric(body.si.mean or 0, body.si.sd or 0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return _rows(RtEstimator(si, window=body.window).fit(inc).rt_)


@router.post("/serial-interval", response_model=SerialIntervalPublic)
def serial_interval(body: SerialIntervalRequest, principal: PrincipalDep) -> object:
    """Fit a gamma serial interval to observed intervals (infectee − infector onset)."""
    authorize(principal, Permission.STATS_READ)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return SerialIntervalEstimator().fit(body.intervals).si_


@router.get("/outlook", response_model=OutlookPublic)
def outlook(
    principal: PrincipalDep,
    region: str = "KR",
    end: date | None = None,
    days: Annotated[int, Query(ge=7, le=56)] = 28,
) -> object:
    """Growth rate, doubling time and SEIR projections for Korea or a province."""
    authorize(principal, Permission.STATS_READ)
    out = korea_outlook(region, KOREA_START, end or KOREA_END, days)
    p = out.projection
    return OutlookPublic(
        region=out.region,
        growth_rate=out.growth.rate,
        growth_rate_ci=out.growth.rate_ci,
        doubling_days=out.growth.doubling_days,
        current_r0=out.current_r0,
        dates=[str(d) for d in p.dates],
        scenarios={
            name: ScenarioPublic(
                factor=p.factors[name],
                median=p.median[name].tolist(),
                lower=p.lower[name].tolist(),
                upper=p.upper[name].tolist(),
            )
            for name in p.median
        },
    )
