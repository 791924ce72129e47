"""Rt equals EpiEstim 2.2-4 on EpiEstim's own data sets (references made by R).

The reference CSVs come from ``reference/epiestim/make_reference.R`` (Debian's
r-cran-epiestim); every column of every window must agree to 1e-6 relative.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from outbreak.model import (
    Incidence,
    RtEstimator,
    SerialInterval,
    TooEarlyWarning,
    discr_si,
)
from outbreak.model.rt import QUANTILE_NAMES

REF = Path(__file__).parent / "reference" / "epiestim"
DATASETS = {
    "Flu2009": (2.6, 1.5),
    "Flu1918": (2.6, 1.5),
    "SARS2003": (8.4, 3.8),
    "Measles1861": (14.9, 3.9),
    "Smallpox1972": (22.4, 6.1),
}
COLUMNS = ("mean", "std", *QUANTILE_NAMES)
RTOL = 1e-6


def read(name: str) -> dict[str, np.ndarray]:
    with (REF / f"{name}.csv").open() as f:
        rows = list(csv.DictReader(f))
    return {
        key: np.array(
            [float(r[key]) if r[key].strip() != "NA" else np.nan for r in rows]
        )
        for key in rows[0]
    }


def incidence(dataset: str) -> list[int]:
    return [int(float(v)) for v in read(f"{dataset}_incidence")["I"]]


def assert_matches(result_rt, ref: dict[str, np.ndarray]) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_array_equal(result_rt.t_start, ref["t_start"])
    np.testing.assert_array_equal(result_rt.t_end, ref["t_end"])
    for col in COLUMNS:
        ours = (
            result_rt.mean[0]
            if col == "mean"
            else (result_rt.std[0] if col == "std" else result_rt.quantiles[col][0])
        )
        np.testing.assert_allclose(ours, ref[col], rtol=RTOL, err_msg=col)


def fit(si: SerialInterval, counts: object, **kw: object) -> RtEstimator:
    with pytest.warns(TooEarlyWarning) if kw.pop("early", False) else _no_warning():
        return RtEstimator(si, **kw).fit(counts)  # type: ignore[arg-type]


class _no_warning:
    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", TooEarlyWarning)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


@pytest.mark.parametrize("dataset", DATASETS)
def test_discretised_si_equals_discr_si(dataset: str) -> None:
    ref = read(f"{dataset}_discr_si")
    np.testing.assert_allclose(
        discr_si(ref["k"], *DATASETS[dataset]), ref["w"], rtol=1e-9, atol=1e-15
    )


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("windows", ["weekly", "daily", "14day"])
def test_parametric_si(dataset: str, windows: str) -> None:
    name = f"{dataset}_parametric_{windows}"
    if not (REF / f"{name}.csv").exists():
        pytest.skip(f"{dataset} too short for {windows} windows")
    width = {"weekly": 7, "daily": 1, "14day": 14}[windows]
    est = fit(
        SerialInterval.parametric(*DATASETS[dataset]), incidence(dataset), window=width
    )
    assert_matches(est.rt_, read(name))


@pytest.mark.parametrize("dataset", DATASETS)
def test_non_parametric_si(dataset: str) -> None:
    si = SerialInterval.distribution(read(f"{dataset}_si_distr")["si"])
    est = fit(si, incidence(dataset))
    assert_matches(est.rt_, read(f"{dataset}_nonparametric_weekly"))


def test_non_overlapping_windows() -> None:
    n = len(incidence("Flu2009"))
    est = fit(
        SerialInterval.parametric(2.6, 1.5),
        incidence("Flu2009"),
        t_start=range(2, n - 5, 7),
        t_end=range(8, n + 1, 7),
    )
    assert_matches(est.rt_, read("Flu2009_parametric_nonoverlap"))


def test_imported_cases() -> None:
    split = read("Flu2009_local_imported_incidence")
    inc = Incidence.from_counts(split["local"], imported=split["imported"])
    est = fit(SerialInterval.parametric(2.6, 1.5), inc)
    assert_matches(est.rt_, read("Flu2009_imported_parametric_weekly"))
    plain = fit(SerialInterval.parametric(2.6, 1.5), incidence("Flu2009"))
    assert (est.rt_.mean[0] <= plain.rt_.mean[0] + 1e-12).all(), (
        "imported cases infect but are not infected locally: R can only go down"
    )


def test_uncertain_si_matches_within_epiestim_monte_carlo_error() -> None:
    moments = read("Flu2009_uncertain_si_moments")
    si = SerialInterval.from_moments(np.column_stack([moments["Mean"], moments["Std"]]))
    est = fit(si, incidence("Flu2009"))
    ref = read("Flu2009_uncertain_weekly")
    # EpiEstim summarises 50 × 20,000 gamma draws; we integrate the same mixture
    # exactly, so agreement is to EpiEstim's Monte Carlo error (≈ 0.1-0.3 %).
    np.testing.assert_allclose(est.rt_.mean[0], ref["mean"], rtol=3e-3)
    np.testing.assert_allclose(est.rt_.std[0], ref["std"], rtol=1e-2)
    for q in ("q0025", "median", "q0975"):
        np.testing.assert_allclose(
            est.rt_.quantiles[q][0], ref[q], rtol=1e-2, err_msg=q
        )


def test_uncertain_si_with_one_pair_is_parametric() -> None:
    counts = incidence("Flu1918")
    one = fit(SerialInterval.from_moments([[2.6, 1.5]]), counts)
    param = fit(SerialInterval.parametric(2.6, 1.5), counts)
    np.testing.assert_allclose(one.rt_.mean, param.rt_.mean, rtol=1e-12)
    np.testing.assert_allclose(
        one.rt_.quantiles["q0975"], param.rt_.quantiles["q0975"], rtol=1e-9
    )


def test_too_early_warning_as_epiestim() -> None:
    message = (REF / "warning_too_early.txt").read_text().strip()
    with pytest.warns(TooEarlyWarning, match=message.split(" to get")[0]):
        RtEstimator(SerialInterval.parametric(2.6, 1.5), t_start=[2], t_end=[3]).fit(
            incidence("Flu2009")
        )


def test_many_regions_equal_one_at_a_time() -> None:
    series = [incidence(d) for d in ("Flu1918", "SARS2003")]
    n = min(len(s) for s in series)
    stacked = np.array([s[:n] for s in series])
    both = fit(
        SerialInterval.parametric(5.0, 2.0),
        Incidence.from_counts(stacked, regions=("a", "b")),
    )
    for r, s in enumerate(series):
        single = fit(SerialInterval.parametric(5.0, 2.0), s[:n])
        np.testing.assert_allclose(both.rt_.mean[r], single.rt_.mean[0], rtol=1e-12)


def test_bad_serial_intervals_and_windows_are_named() -> None:
    from outbreak.errors import InvalidInput

    with pytest.raises(InvalidInput) as info:
        SerialInterval.parametric(4.0, 0.0)
    assert info.value.field == "si_sd"
    with pytest.raises(InvalidInput, match="both t_start and t_end"):
        RtEstimator(SerialInterval.parametric(2.6, 1.5), t_start=[2]).fit(
            incidence("Flu2009")
        )
