"""The benchmarks run (at smoke size) and print their ratios; timing is not judged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import _require_backend

ROOT = Path(__file__).resolve().parent.parent


def test_rt_benchmark_smoke() -> None:
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "bench" / "rt.py"), "--smoke"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "faster than the per-window loop" in done.stdout
    assert "EpiEstim" in done.stdout


def test_ingest_benchmark_smoke() -> None:
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "bench" / "ingest.py"), "--smoke"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "bytes/ping" in done.stdout and "the pandas baseline" in done.stdout


def test_trace_benchmark_smoke() -> None:
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "bench" / "trace.py"), "--smoke"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "| gps_checkins |" in done.stdout and "ratio: Q1" in done.stdout
    assert "identical: True" in done.stdout


def test_quarantine_benchmark_smoke() -> None:
    _require_backend("postgresql")  # the benchmark is on PostgreSQL, as in production
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "bench" / "quarantine.py"), "--smoke"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "reports/s" in done.stdout and "the naive path" in done.stdout


def test_disclose_benchmark_smoke() -> None:
    _require_backend("postgresql")  # the baseline reads PostgreSQL, as in production
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "bench" / "disclose.py"), "--smoke"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "answers identical on" in done.stdout and "True" in done.stdout
    assert "requests/s" in done.stdout and "ratio:" in done.stdout


def test_abm_benchmark_smoke() -> None:
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "bench" / "abm.py"), "--smoke"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "| ours |" in done.stdout and "agent-days per second, ours" in done.stdout
