"""Scenarios as data: what a user writes in SCENARIO.yaml, posts to the API or
composes on the dashboard, validated into a :class:`Study` (one population, some
seeds, one or more scenarios of interventions on dates).

A file with ``interventions`` at the top is one scenario; one with ``scenarios`` a
comparison, the first (or ``baseline``) being what the others are measured
against. Dates may be calendar dates (with ``start``) or day numbers::

    name: Seoul, level 2.5 in December
    population: {kind: city, agents: 200000, seed: 1}
    start: 2020-11-01
    days: 120
    seeds: 10
    scenarios:
      - name: level 1.5
        interventions:
          - {type: distancing, level: "1.5"}
      - name: level 2.5 from 8 Dec
        interventions:
          - {type: distancing, level: "1.5", end: 2020-12-08}
          - {type: distancing, level: "2.5", start: 2020-12-08}

``timeline: korea_2020`` adds Korea's 2020 policies (:func:`korea_2020`) before a
scenario's own interventions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from outbreak.errors import InvalidInput, named_field
from outbreak.model.abm import policy as pol
from outbreak.model.abm.policy import DISTANCING, VENUE_KINDS, Policy

MAX_AGENTS = 20_000_000
Day = Union[int, date]  # noqa: UP007 - pydantic reads it at run time


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Window(_Spec):
    start: Day | None = Field(None, description="First day (a date or day number).")
    end: Day | None = Field(None, description="Day it stops (exclusive).")

    def window(self, day0: date | None) -> dict[str, int | None]:
        start = _day(self.start, day0, "start") if self.start is not None else 0
        end = _day(self.end, day0, "end") if self.end is not None else None
        return {"start": start, "end": end}

    def build(self, day0: date | None) -> pol.Intervention:
        fields = self.model_dump(exclude={"type", "start", "end"})
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
        return _KINDS[self.type](**self.window(day0), **fields)  # type: ignore[attr-defined, no-any-return]


class DistancingSpec(_Window):
    type: Literal["distancing"] = "distancing"
    level: Literal["1", "1.5", "2", "2.5", "3"] = "2"


class ChangeBetaSpec(_Window):
    type: Literal["change_beta"] = "change_beta"
    layers: str = Field("c", pattern="^[hswc]+$")
    # at most 1: a study's scenarios share one transmission bound (their common
    # random numbers); a factor above it would move that bound for one scenario
    factor: float = Field(0.5, ge=0, le=1)


class ClosureSpec(_Window):
    type: Literal["closure"] = "closure"
    kinds: list[Literal[VENUE_KINDS]] = Field(["bar_club"], min_length=1)  # type: ignore[valid-type]
    factor: float = Field(0.0, ge=0, le=1)


class SchoolClosureSpec(_Window):
    type: Literal["school_closure"] = "school_closure"
    attendance: float = Field(0.0, ge=0, le=1)


class MasksSpec(_Window):
    type: Literal["masks"] = "masks"
    coverage: float = Field(0.9, ge=0, le=1)
    efficacy: float = Field(0.5, ge=0, le=1)


class TestingSpec(_Window):
    type: Literal["testing"] = "testing"
    p_symptomatic: float = Field(0.2, ge=0, le=1, description="Per day.")
    p_quarantined: float = Field(0.9, ge=0, le=1)
    capacity: int = Field(0, ge=0, description="Tests a day; 0: no limit.")
    delay: int = Field(1, ge=0, le=30, description="Days to a result.")
    sensitivity: float = Field(0.95, ge=0, le=1)


class TracingSpec(_Window):
    type: Literal["tracing"] = "tracing"
    recall: tuple[float, float, float, float] = (1.0, 0.9, 0.9, 0.8)
    delay: int = Field(1, ge=0, le=30)

    @model_validator(mode="after")
    def _recall(self) -> TracingSpec:
        if not all(0 <= r <= 1 for r in self.recall):
            raise ValueError("recall: each layer's recall must be in [0, 1]")
        return self


class QuarantineSpec(_Window):
    type: Literal["quarantine"] = "quarantine"
    compliance: float = Field(0.9, ge=0, le=1)
    days: int = Field(14, ge=1, le=60)


class WristbandsSpec(_Window):
    type: Literal["wristbands"] = "wristbands"
    compliance: float = Field(0.98, ge=0, le=1)


class ArrivalsSpec(_Window):
    type: Literal["arrivals"] = "arrivals"
    per_day: float = Field(1.0, ge=0)
    quarantine: bool = True


InterventionSpec = Annotated[
    Union[  # noqa: UP007
        DistancingSpec, ChangeBetaSpec, ClosureSpec, SchoolClosureSpec, MasksSpec,
        TestingSpec, TracingSpec, QuarantineSpec, WristbandsSpec, ArrivalsSpec,
    ],
    Field(discriminator="type"),
]  # fmt: skip
_KINDS: dict[str, type] = {
    "distancing": pol.Distancing, "change_beta": pol.ChangeBeta,
    "closure": pol.Closure, "school_closure": pol.SchoolClosure,
    "masks": pol.Masks, "testing": pol.Testing, "tracing": pol.Tracing,
    "quarantine": pol.Quarantine, "wristbands": pol.Wristbands,
    "arrivals": pol.Arrivals,
}  # fmt: skip


class PopulationSpec(_Spec):
    kind: Literal["hybrid", "city"] = Field(
        "hybrid",
        description="city: the synthetic city's people, venues and districts; "
        "hybrid: Covasim's hybrid network (like-for-like with Covasim).",
    )
    agents: int = Field(100_000, ge=100, le=MAX_AGENTS)
    seed: int = Field(1, ge=0, description="The population's own seed.")


class ParsSpec(_Spec):
    beta: float | None = Field(None, ge=0, le=1, description="Per contact per day.")
    dispersion: float | None = Field(None, gt=0)
    asymp_factor: float | None = Field(None, ge=0, le=2)
    initial_infected: int | None = Field(None, ge=1)


class ScenarioSpec(_Spec):
    name: str = Field("scenario", min_length=1, max_length=80)
    timeline: Literal["korea_2020"] | None = None
    interventions: list[InterventionSpec] = Field(default_factory=list)


class Study(_Spec):
    """A population, seeds and scenarios to compare (the first, or ``baseline``,
    is the reference)."""

    name: str = Field("study", min_length=1, max_length=120)
    population: PopulationSpec = PopulationSpec()
    days: int = Field(180, ge=1, le=1_000)
    start: date | None = Field(None, description="The date of day 0.")
    seeds: int | list[int] = Field(
        5, description="How many seeds (1, 2, …) or which; the same in every scenario."
    )
    pars: ParsSpec = ParsSpec()
    baseline: str | None = None
    scenarios: list[ScenarioSpec] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _check(self) -> Study:
        names = [s.name for s in self.scenarios]
        if len(set(names)) != len(names):
            raise ValueError("scenarios: each scenario needs its own name")
        if self.baseline is not None and self.baseline not in names:
            raise ValueError(f"baseline: no scenario is named {self.baseline!r}")
        seeds = self.seed_list
        if not seeds or len(seeds) > 1_000 or len(set(seeds)) != len(seeds):
            raise ValueError("seeds: 1 to 1,000 distinct seeds")
        # dates before ``start``, bad windows: an error now, naming the item
        for i, s in enumerate(self.scenarios):
            for k, item in enumerate(s.interventions):
                try:
                    item.build(self.start)
                except InvalidInput as e:
                    where = f"scenarios.{i}.interventions.{k}.{e.field}"
                    raise ValueError(f"{where}: {e}") from None
        return self

    @property
    def seed_list(self) -> list[int]:
        return (
            list(range(1, self.seeds + 1))
            if isinstance(self.seeds, int)
            else self.seeds
        )

    @property
    def reference(self) -> str:
        return self.baseline or self.scenarios[0].name

    def scenario(self, name: str) -> ScenarioSpec:
        return next(s for s in self.scenarios if s.name == name)

    def policy(self, scenario: ScenarioSpec) -> Policy:
        """The scenario's interventions on day numbers."""
        items: list[pol.Intervention] = []
        if scenario.timeline == "korea_2020":
            items += korea_2020(self.start)
        items += [i.build(self.start) for i in scenario.interventions]
        return Policy(tuple(items))


def _day(value: Day, day0: date | None, name: str) -> int:
    if isinstance(value, int):
        if value < 0:
            raise InvalidInput("a day number must be >= 0", field=name)
        return value
    if day0 is None:
        raise InvalidInput("a calendar date needs the study's start date", field=name)
    if value < day0:
        raise InvalidInput(f"{value} is before the study starts ({day0})", field=name)
    return (value - day0).days


def study_of(data: Mapping[str, Any]) -> Study:
    """A study from a mapping (a YAML file, a JSON body); one scenario may be given
    at the top level (``interventions``, ``timeline``)."""
    data = dict(data)
    if "scenarios" not in data:
        one: dict[str, Any] = {
            k: data.pop(k) for k in ("interventions", "timeline") if k in data
        }
        one["name"] = data.get("name", "scenario")
        data["scenarios"] = [one]
    try:
        return Study.model_validate(data)
    except ValidationError as e:
        raise _invalid(e) from None
    except InvalidInput:
        raise


def load_study(path: Path) -> Study:
    """A study from a YAML (or JSON) file."""
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as e:
        raise InvalidInput(f"{path}: not valid YAML: {e}", field="file") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected a mapping at the top", field="file")
    return study_of(data)


def _invalid(e: ValidationError) -> InvalidInput:
    """The first error, its field as a dotted path (``scenarios.0.interventions.1
    .level``); a whole-study check names its field at the start of its message."""
    err = e.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    named, rest = named_field(str(err["msg"]))
    if named and not where:
        where, msg = named, rest
    else:
        msg = str(err["msg"]).removeprefix("Value error, ")
    return InvalidInput(f"{where or 'study'}: {msg}", field=where or None)


# --- Korea's 2020 timeline ------------------------------------------------------------
KOREA_2020_SOURCE = (
    "Korea's 2020 policies with their dates, compiled in DS4C's Policy.csv (Data "
    "Science for COVID-19 in South Korea, CC BY-NC-SA 4.0); row ids in comments."
)


def korea_2020(day0: date | None, arrivals: float = 0.0) -> list[pol.Intervention]:
    """Korea's policies of the first wave and after, as interventions.

    Each line names its Policy.csv row(s); the translation of each into contact
    reductions is in docs/abm.md. What ended before ``day0`` (default 2020-02-01)
    is left out. ``arrivals``: infected arrivals a day, quarantined from 1 April.
    """
    day0 = day0 or date(2020, 2, 1)
    out: list[pol.Intervention] = []

    def add(kind: type, start: date, end: date | None = None, **kw: Any) -> None:
        if end is not None and end <= day0:
            return
        s = max(0, (start - day0).days)
        out.append(kind(start=s, end=None if end is None else (end - day0).days, **kw))

    # 20-26: testing from the first case; drive-through clinics from 26 Feb
    add(pol.Testing, date(2020, 1, 20), date(2020, 2, 26), p_symptomatic=0.1)
    add(pol.Testing, date(2020, 2, 26), p_symptomatic=0.35)
    # epidemiological investigation and 14-day self-quarantine of contacts
    add(pol.Tracing, date(2020, 1, 20))
    add(pol.Quarantine, date(2020, 1, 20), compliance=0.9)
    # 53: electronic wristbands for violators from 27 Apr
    add(pol.Wristbands, date(2020, 4, 27))
    # 29-32: the distancing campaign, strong then weak (what the Nov 2020 scheme
    # calls level 2, then 1.5, then 1)
    add(pol.Distancing, date(2020, 2, 29), date(2020, 4, 20), level="2")
    add(pol.Distancing, date(2020, 4, 20), date(2020, 5, 6), level="1.5")
    add(pol.Distancing, date(2020, 5, 6), level="1")
    # 35-38: school opening delayed 2 Mar - 6 Apr; 39-48: online classes until
    # late May - early June, grade by grade (a third back from 20 May)
    add(pol.SchoolClosure, date(2020, 3, 2), date(2020, 5, 20))
    add(pol.SchoolClosure, date(2020, 5, 20), date(2020, 6, 8), attendance=0.33)
    # 27-28: public-sale masks, then the 5-day rotation: masks worn widely
    add(pol.Masks, date(2020, 3, 9), coverage=0.8, efficacy=0.5)
    # 54, 56: bars and clubs closed 8 May - 7 Jun; karaoke 21 May - 3 Jun
    add(pol.Closure, date(2020, 5, 8), date(2020, 6, 7), kinds=("bar_club",))
    add(pol.Closure, date(2020, 5, 21), date(2020, 6, 3), kinds=("karaoke",))
    if arrivals > 0:  # 18: 14-day quarantine of every arrival from 1 Apr
        add(pol.Arrivals, date(2020, 1, 20), date(2020, 4, 1), per_day=arrivals,
            quarantine=False)  # fmt: skip
        add(pol.Arrivals, date(2020, 4, 1), per_day=arrivals, quarantine=True)
    return out


DISTANCING_LEVELS = tuple(DISTANCING)
