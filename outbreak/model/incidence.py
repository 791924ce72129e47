"""Daily incidence: the input of every Rt estimate (pure, NumPy).

An :class:`Incidence` holds daily *local* and *imported* case counts for one or more
regions over one contiguous run of days. It is built from counts, from a cumulative
series (differenced, with corrections and missing days handled explicitly), or from
case records (dates of onset or report).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from outbreak.errors import DataQualityWarning, InvalidInput

Days = NDArray[np.datetime64]
Counts = NDArray[np.int64]


@dataclass(frozen=True)
class Incidence:
    """Daily local and imported counts: ``local[r, t]`` for region ``r``, day ``t``.

    Day ``t = 0`` is ``dates[0]``; EpiEstim's 1-based day index is ``t + 1``.
    """

    dates: Days
    regions: tuple[str, ...]
    local: Counts
    imported: Counts
    notes: tuple[str, ...] = field(default=())
    has_dates: bool = True  # False: days are only numbered (dates start 1970-01-01)

    def __post_init__(self) -> None:
        shape = (len(self.regions), len(self.dates))
        for name in ("local", "imported"):
            arr = getattr(self, name)
            if arr.shape != shape:
                raise InvalidInput(
                    f"{name} has shape {arr.shape}, expected {shape} (regions × days)",
                    field=name,
                )
            if (arr < 0).any():
                raise InvalidInput(
                    f"{name} has negative counts; incidence must be ≥ 0", field=name
                )

    @property
    def total(self) -> Counts:
        """Local plus imported cases."""
        return self.local + self.imported

    @property
    def n_days(self) -> int:
        """Number of days."""
        return len(self.dates)

    @classmethod
    def from_counts(
        cls,
        counts: ArrayLike,
        *,
        imported: ArrayLike | None = None,
        start: date | str | None = None,
        dates: Sequence[date | str] | None = None,
        regions: Sequence[str] = ("all",),
    ) -> Incidence:
        """Incidence from daily counts (1-D for one region, 2-D regions × days).

        Without ``imported``, EpiEstim's convention applies: every case of the first
        day is taken as imported (nothing before it could have infected them).

        Examples
        --------
        >>> inc = Incidence.from_counts([3, 1, 4, 1, 5], start="2020-02-18")
        >>> inc.local.tolist(), inc.imported.tolist()
        ([[0, 1, 4, 1, 5]], [[3, 0, 0, 0, 0]])
        """
        local = _as_counts(counts, "counts")
        if imported is None:
            imp = np.zeros_like(local)
            imp[:, 0] = local[:, 0]
            local = local.copy()
            local[:, 0] = 0
        else:
            imp = _as_counts(imported, "imported")
            first = local[:, 0] > 0
            if first.any():
                # EpiEstim moves first-day local cases to imported, with a warning.
                imp, local = imp.copy(), local.copy()
                imp[:, 0] += local[:, 0]
                local[:, 0] = 0
        days = _days(len(local[0]), start=start, dates=dates)
        dated = start is not None or dates is not None
        return cls(days, tuple(regions), local, imp, has_dates=dated)

    @classmethod
    def from_cumulative(
        cls,
        cumulative: ArrayLike,
        dates: Sequence[date | str],
        *,
        region: str = "all",
        corrections: Literal["backfill", "clip", "error"] = "backfill",
        missing: Literal["spread", "last"] = "spread",
    ) -> Incidence:
        """Daily incidence from a cumulative series, such as Korea's daily reports.

        Parameters
        ----------
        cumulative
            Cumulative confirmed counts, one per entry of ``dates`` (sorted).
        corrections
            What to do where the cumulative count falls (a revision): ``backfill``
            removes the excess from the preceding days, latest first, so the total is
            kept and no day goes negative; ``clip`` sets that day to 0 (the total
            then overstates); ``error`` refuses the series.
        missing
            Days absent from ``dates``: ``spread`` shares the increase over the gap
            evenly; ``last`` books it on the first day after the gap.

        Every correction and gap is reported as a :class:`DataQualityWarning` and
        kept in ``notes``.

        Examples
        --------
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     days = ["2020-03-01", "2020-03-02", "2020-03-03", "2020-03-05"]
        ...     inc = Incidence.from_cumulative([1, 3, 2, 6], days)
        >>> inc.total.tolist()[0], inc.dates[-1]
        ([1, 1, 0, 2, 2], np.datetime64('2020-03-05'))
        """
        values = np.asarray(cumulative, dtype=np.int64)
        days = np.array([np.datetime64(str(d), "D") for d in dates])
        if len(values) != len(days) or len(days) == 0:
            raise InvalidInput(
                "cumulative and dates must have the same, non-zero length"
            )
        if (np.diff(days) <= np.timedelta64(0, "D")).any():
            raise InvalidInput("dates must be strictly increasing", field="dates")
        notes: list[str] = []
        full = np.arange(days[0], days[-1] + np.timedelta64(1, "D"))
        daily = np.zeros(len(full), dtype=np.int64)
        daily[0] = values[0]
        index = ((days - days[0]) // np.timedelta64(1, "D")).astype(np.int64)
        for i in range(1, len(values)):
            gap = int(index[i] - index[i - 1])
            rise = int(values[i] - values[i - 1])
            if gap > 1:
                notes.append(f"{gap - 1} missing day(s) before {days[i]}")
                if missing == "spread" and rise > 0:
                    share = np.full(gap, rise // gap, dtype=np.int64)
                    share[: rise % gap] += 1  # earliest days take the remainder
                    daily[index[i - 1] + 1 : index[i] + 1] = share
                    continue
            daily[index[i]] = rise
        negative = np.flatnonzero(daily < 0)
        if negative.size:
            if corrections == "error":
                raise InvalidInput(
                    f"cumulative count falls on {full[negative[0]]}; pass "
                    "corrections='backfill' or 'clip'",
                    field="cumulative",
                )
            for t in negative:
                notes.append(f"correction of {daily[t]} on {full[t]} ({corrections})")
                excess, daily[t] = -daily[t], 0
                if corrections == "backfill":
                    for s in range(t - 1, -1, -1):
                        take = min(excess, daily[s])
                        daily[s] -= take
                        excess -= take
                        if excess == 0:
                            break
        for note in notes:
            warnings.warn(f"{region}: {note}", DataQualityWarning, stacklevel=2)
        inc = cls.from_counts(daily, dates=[str(d) for d in full], regions=(region,))
        return Incidence(
            inc.dates, inc.regions, inc.local, inc.imported, tuple(notes), True
        )

    @classmethod
    def from_events(
        cls,
        days: Sequence[date],
        *,
        regions: Sequence[str] | None = None,
        imported: Sequence[bool] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> Incidence:
        """Incidence from one record per case: its date (of onset or report).

        ``regions`` (one per case) splits the counts by region; ``imported`` flags
        cases acquired abroad. Days without cases are zeros; ``start``/``end``
        widen the range.
        """
        if not days:
            raise InvalidInput("No cases to count", field="days")
        day_arr = np.array([np.datetime64(d, "D") for d in days])
        first = np.datetime64(start, "D") if start else day_arr.min()
        last = np.datetime64(end, "D") if end else day_arr.max()
        full = np.arange(first, last + np.timedelta64(1, "D"))
        region_of = list(regions) if regions is not None else ["all"] * len(days)
        names = tuple(sorted(set(region_of)))
        row = {name: i for i, name in enumerate(names)}
        col = ((day_arr - first) // np.timedelta64(1, "D")).astype(np.int64)
        keep = (col >= 0) & (col < len(full))
        rows = np.array([row[r] for r in region_of], dtype=np.int64)
        flags = np.asarray(imported if imported is not None else [False] * len(days))
        local = np.zeros((len(names), len(full)), dtype=np.int64)
        imp = np.zeros_like(local)
        np.add.at(local, (rows[keep & ~flags], col[keep & ~flags]), 1)
        np.add.at(imp, (rows[keep & flags], col[keep & flags]), 1)
        return cls.from_counts(
            local, imported=imp, dates=[str(d) for d in full], regions=names
        )


def _as_counts(values: ArrayLike, name: str) -> Counts:
    arr = np.asarray(values)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise InvalidInput(
            f"{name} must be 1-D (days) or 2-D (regions × days)", field=name
        )
    if np.isnan(arr.astype(float)).any():
        raise InvalidInput(f"{name} has missing values; fill or drop them", field=name)
    if (arr != np.round(arr)).any() or (arr < 0).any():
        raise InvalidInput(f"{name} must be non-negative whole numbers", field=name)
    return arr.astype(np.int64)


def _days(
    n: int, *, start: date | str | None, dates: Sequence[date | str] | None
) -> Days:
    if dates is not None:
        days = np.array([np.datetime64(str(d), "D") for d in dates])
        if len(days) != n:
            raise InvalidInput(
                f"{len(days)} dates for {n} days of counts", field="dates"
            )
        if n > 1 and (np.diff(days) != np.timedelta64(1, "D")).any():
            raise InvalidInput("dates must be consecutive days", field="dates")
        return days
    first = np.datetime64(str(start) if start else "1970-01-01", "D")
    return first + np.arange(n).astype("timedelta64[D]")
