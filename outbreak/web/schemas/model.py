"""API schemas for Rt, serial intervals and projections."""

from __future__ import annotations

from pydantic import Field, model_validator

from outbreak.web.schemas.common import Public, Strict


class RtWindowPublic(Public):
    """Posterior of R over one window of one region."""

    region: str
    t_start: int = Field(description="First day of the window, 1-based (EpiEstim).")
    t_end: int
    date_start: str | None = None
    date_end: str | None = None
    mean: float | None
    std: float | None
    q0025: float | None
    q005: float | None
    q025: float | None
    median: float | None
    q075: float | None
    q095: float | None
    q0975: float | None


class SiSpec(Strict):
    """A serial interval: parametric (``mean``, ``sd``) or ``distr`` (w0 = 0)."""

    mean: float | None = Field(None, gt=1, description="Days.")
    sd: float | None = Field(None, gt=0, description="Days.")
    distr: list[float] | None = Field(None, min_length=2)

    @model_validator(mode="after")
    def _one_form(self) -> SiSpec:
        if (self.distr is None) == (self.mean is None or self.sd is None):
            raise ValueError("give either mean and sd, or distr")
        return self


class IncidenceIn(Strict):
    """Daily counts: ``I``, or ``local`` and ``imported``; optional ISO ``dates``."""

    I: list[int] | None = Field(None, min_length=2)  # noqa: E741 - EpiEstim's name
    local: list[int] | None = None
    imported: list[int] | None = None
    dates: list[str] | None = None


class RtRequest(Strict):
    """Estimate Rt from posted incidence."""

    incidence: IncidenceIn
    si: SiSpec
    window: int = Field(7, ge=1, le=60)


class SerialIntervalRequest(Strict):
    """Observed serial intervals, whole days."""

    intervals: list[int] = Field(min_length=10)


class SerialIntervalPublic(Public):
    """A fitted gamma serial interval with 95% confidence intervals."""

    mean: float
    sd: float
    mean_ci: tuple[float, float]
    sd_ci: tuple[float, float]
    n_pairs: int
    n_excluded: int


class ScenarioPublic(Public):
    """One projection scenario."""

    factor: float
    median: list[float]
    lower: list[float]
    upper: list[float]


class OutlookPublic(Public):
    """Growth, doubling time and 4-week projections for a region."""

    region: str
    growth_rate: float
    growth_rate_ci: tuple[float, float]
    doubling_days: float
    current_r0: float
    dates: list[str]
    scenarios: dict[str, ScenarioPublic]
