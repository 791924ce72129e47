"""Benchmark: Rt for many regions × days, against EpiEstim (R) and a per-window loop.

    python bench/rt.py                 # 250 regions × 1,000 days (the issue's size)
    python bench/rt.py --smoke         # tiny sizes, for CI

Weekly sliding windows, parametric serial interval (mean 4.7, sd 2.9). Baselines,
measured in the same run on the same data:

* EpiEstim 2.2-4 in R (``Rscript``), ``estimate_R(method="parametric_si")`` per
  region, timed inside R (R start-up and CSV reading excluded), over
  ``--r-regions`` regions and scaled linearly to all regions;
* a straightforward per-window SciPy loop (``np.convolve`` per region,
  ``scipy.stats.gamma`` per window), over ``--loop-regions`` regions, scaled the
  same way.

Both baselines take the same time for every region (same length, same windows), so
the linear scaling is exact up to timer noise; the printed figures say which were
scaled.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

from outbreak.model import Incidence, RtEstimator, SerialInterval
from outbreak.model.rt import QUANTILES, discr_si

SI_MEAN, SI_SD = 4.7, 2.9
R_SCRIPT = r"""
suppressPackageStartupMessages(library(EpiEstim))
args <- commandArgs(trailingOnly = TRUE)
incid <- read.csv(args[1])
T <- nrow(incid)
cfg <- make_config(list(t_start = seq(2, T - 6), t_end = seq(8, T), mean_si = 4.7,
                        std_si = 2.9))
out <- NULL
elapsed <- system.time(for (j in seq_len(ncol(incid))) {
  res <- suppressWarnings(
    estimate_R(incid[[j]], method = "parametric_si", config = cfg))
  out <- rbind(out, res$R[, "Mean(R)"])
})[["elapsed"]]
write.csv(out, args[2], row.names = FALSE)
cat(elapsed, "\n")
"""


def synthetic(regions: int, days: int, seed: int = 2020) -> np.ndarray:
    """Waves of different timing and size per region, Poisson noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    phase = rng.uniform(0, 2 * np.pi, size=(regions, 1))
    size = rng.uniform(5, 200, size=(regions, 1))
    return rng.poisson(size * np.exp(1.5 * np.sin(t / 45 + phase)))


def ours(counts: np.ndarray) -> tuple[float, np.ndarray]:
    inc = Incidence.from_counts(counts, regions=[str(i) for i in range(len(counts))])
    est = RtEstimator(SerialInterval.parametric(SI_MEAN, SI_SD), cv_posterior=1.0)
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        est.fit(inc)
        best = min(best, time.perf_counter() - start)
    return best, est.rt_.mean


def loop(counts: np.ndarray) -> tuple[float, np.ndarray]:
    """The obvious implementation: one region, one window at a time."""
    start = time.perf_counter()
    n = counts.shape[1]
    w = discr_si(np.arange(n), SI_MEAN, SI_SD)
    means = []
    for series in counts:
        series = series.astype(float)
        lam = np.convolve(series, w)[:n]
        row = []
        for ts in range(2, n - 5):
            te = ts + 6
            shape = 1 + series[ts - 1 : te].sum()
            scale = 1 / (1 / 5 + lam[ts - 1 : te].sum())
            dist = stats.gamma(shape, scale=scale)
            row.append(dist.mean())
            _ = [dist.ppf(q) for q in QUANTILES]
        means.append(row)
    return time.perf_counter() - start, np.array(means)


def epiestim(counts: np.ndarray) -> tuple[float, np.ndarray] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data, out, script = Path(tmp, "in.csv"), Path(tmp, "out.csv"), Path(tmp, "b.R")
        header = ",".join(f"r{i}" for i in range(len(counts)))
        np.savetxt(data, counts.T, fmt="%d", delimiter=",", header=header, comments="")
        script.write_text(R_SCRIPT)
        done = subprocess.run(
            ["Rscript", str(script), str(data), str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(f"EpiEstim failed: {done.stderr.strip()[-300:]}", file=sys.stderr)
            return None
        elapsed = float(done.stdout.split()[-1])
        means = np.loadtxt(out, delimiter=",", skiprows=1, ndmin=2)
    return elapsed, means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", type=int, default=250)
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--r-regions", type=int, default=10)
    parser.add_argument("--loop-regions", type=int, default=10)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for CI")
    args = parser.parse_args()
    if args.smoke:
        args.regions, args.days, args.r_regions, args.loop_regions = 6, 120, 2, 2
    counts = synthetic(args.regions, args.days)
    windows = args.days - 7
    print(
        f"Rt, {args.regions} regions × {args.days} days ({args.regions * windows:,} "
        "weekly windows), parametric SI 4.7/2.9"
    )
    t_ours, mean = ours(counts)
    print(f"outbreak RtEstimator     {t_ours:8.3f} s   (all regions, best of 3)")

    t_loop, loop_mean = loop(counts[: args.loop_regions])
    scale = args.regions / args.loop_regions
    print(
        f"per-window SciPy loop    {t_loop * scale:8.3f} s   (measured on "
        f"{args.loop_regions} regions: {t_loop:.3f} s, ×{scale:g})"
    )
    assert np.allclose(loop_mean, mean[: args.loop_regions], rtol=1e-9, equal_nan=True)

    r = epiestim(counts[: args.r_regions])
    if r is None:
        print(
            "EpiEstim (R)                  –     (Rscript or r-cran-epiestim missing)"
        )
    else:
        t_r, r_mean = r
        r_scale = args.regions / args.r_regions
        print(
            f"EpiEstim 2.2-4 (R)       {t_r * r_scale:8.3f} s   (measured on "
            f"{args.r_regions} regions: {t_r:.3f} s, ×{r_scale:g})"
        )
        diff = np.nanmax(np.abs(r_mean - mean[: args.r_regions]) / r_mean)
        print(f"max relative difference from EpiEstim: {diff:.1e}")
        print(f"ratio: {t_r * r_scale / t_ours:,.0f}× faster than EpiEstim")
    print(f"ratio: {t_loop * scale / t_ours:,.0f}× faster than the per-window loop")


if __name__ == "__main__":
    main()
