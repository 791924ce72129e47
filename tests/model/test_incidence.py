"""Incidence from counts, cumulative series (corrections, gaps) and case records."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from outbreak.errors import DataQualityWarning, InvalidInput
from outbreak.model import Incidence
from outbreak.model.korea import korea_national, korea_regional


def test_first_day_is_imported_as_in_epiestim() -> None:
    inc = Incidence.from_counts([4, 2, 3], start="2020-02-18")
    assert inc.local.tolist() == [[0, 2, 3]] and inc.imported.tolist() == [[4, 0, 0]]
    assert str(inc.dates[0]) == "2020-02-18" and inc.n_days == 3


def test_local_first_day_moves_to_imported() -> None:
    inc = Incidence.from_counts([2, 5], imported=[1, 1])
    assert inc.local.tolist() == [[0, 5]] and inc.imported.tolist() == [[3, 1]]


@pytest.mark.parametrize("bad", [[1, -1, 2], [1.5, 2], [1, float("nan")], []])
def test_bad_counts_are_refused(bad: list[float]) -> None:
    with pytest.raises(InvalidInput):
        Incidence.from_counts(bad)


def test_cumulative_correction_backfills_and_keeps_the_total() -> None:
    days = [f"2020-03-0{i}" for i in range(1, 6)]
    with pytest.warns(DataQualityWarning, match="correction of -3 on 2020-03-04"):
        inc = Incidence.from_cumulative([10, 14, 20, 17, 19], days)
    daily = inc.total[0]
    assert daily.tolist() == [10, 4, 3, 0, 2]
    assert daily.sum() == 19 and (daily >= 0).all()
    assert inc.notes == ("correction of -3 on 2020-03-04 (backfill)",)


def test_cumulative_correction_other_policies() -> None:
    days = ["2020-03-01", "2020-03-02", "2020-03-03"]
    with pytest.warns(DataQualityWarning):
        clipped = Incidence.from_cumulative([10, 8, 12], days, corrections="clip")
    assert clipped.total[0].tolist() == [10, 0, 4]
    with pytest.raises(InvalidInput, match="2020-03-02"):
        Incidence.from_cumulative([10, 8, 12], days, corrections="error")


def test_missing_days_are_spread_or_booked_last() -> None:
    days = ["2020-03-01", "2020-03-02", "2020-03-05"]
    with pytest.warns(DataQualityWarning, match="2 missing day"):
        spread = Incidence.from_cumulative([1, 2, 9], days)
    assert spread.total[0].tolist() == [1, 1, 3, 2, 2]
    with pytest.warns(DataQualityWarning):
        last = Incidence.from_cumulative([1, 2, 9], days, missing="last")
    assert last.total[0].tolist() == [1, 1, 0, 0, 7]


def test_from_events_by_region_and_imported() -> None:
    d = date
    inc = Incidence.from_events(
        [d(2020, 3, 1), d(2020, 3, 1), d(2020, 3, 3), d(2020, 3, 3)],
        regions=["11230", "11240", "11230", "11230"],
        imported=[False, False, True, False],
        end=d(2020, 3, 4),
    )
    assert inc.regions == ("11230", "11240")
    assert inc.total.tolist() == [[1, 0, 2, 0], [1, 0, 0, 0]]
    assert inc.imported[0, 2] == 1


def test_korea_national_2020() -> None:
    inc = korea_national(end=date(2020, 12, 31))
    assert str(inc.dates[0]) == "2020-01-21" and str(inc.dates[-1]) == "2020-12-31"
    assert (
        inc.total.sum() == 60_722
    )  # the file's cumulative on 2020-12-31: nothing lost
    assert 0 < inc.imported.sum() < inc.total.sum()
    peak = inc.dates[np.argmax(inc.total[0, :100])]
    assert str(peak) == "2020-02-29"  # the Daegu peak: 909 new cases in that report


def test_korea_regional_has_17_provinces() -> None:
    inc = korea_regional(start=date(2020, 2, 17), end=date(2020, 12, 31))
    assert len(inc.regions) == 17 and "22" in inc.regions  # 22 = Daegu
    daegu = inc.total[inc.regions.index("22")]
    seoul = inc.total[inc.regions.index("11")]
    assert daegu[:45].sum() > 5 * seoul[:45].sum()  # spring 2020 was Daegu's wave
    assert seoul[180:].sum() > daegu[180:].sum()  # autumn-winter was Seoul's
