"""Reading incidence files and writing Rt tables (the model package's only file I/O)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from outbreak.errors import InvalidInput
from outbreak.model.incidence import Incidence


def read_incidence_csv(path: Path) -> Incidence:
    """A CSV of daily incidence in EpiEstim's layout.

    Columns: ``I`` (all cases), or ``local`` and ``imported``; optional ``dates``
    (ISO dates, consecutive). Bad values are refused naming the line.
    """
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        fields = set(reader.fieldnames or ())
        rows = list(reader)
    if not rows:
        raise InvalidInput(f"{path} has no rows", field="file")
    if "I" in fields:
        columns = ["I"]
    elif {"local", "imported"} <= fields:
        columns = ["local", "imported"]
    else:
        raise InvalidInput(
            f"{path} needs a column 'I', or columns 'local' and 'imported' "
            f"(found: {', '.join(sorted(fields)) or 'none'})",
            field="file",
        )
    values: dict[str, list[int]] = {c: [] for c in columns}
    for line, row in enumerate(rows, start=2):
        for c in columns:
            raw = (row.get(c) or "").strip()
            try:
                number = float(raw)
            except ValueError:
                raise InvalidInput(
                    f"{path}:{line}: column {c} is {raw!r}, expected a count ≥ 0",
                    field=c,
                ) from None
            if number < 0 or number != int(number):
                raise InvalidInput(
                    f"{path}:{line}: column {c} is {raw}, expected a whole number ≥ 0",
                    field=c,
                )
            values[c].append(int(number))
    dates = [r["dates"] for r in rows] if "dates" in fields else None
    if columns == ["I"]:
        return Incidence.from_counts(values["I"], dates=dates)
    return Incidence.from_counts(
        values["local"], imported=values["imported"], dates=dates
    )


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    """Write result rows as CSV or Parquet (by the file's suffix), atomically."""
    if path.suffix not in (".csv", ".parquet"):
        raise InvalidInput(
            f"Output must end in .csv or .parquet, got {path.name}", field="out"
        )
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), tmp)
    else:
        with tmp.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(
                f, fieldnames=list(rows[0]) if rows else ["t_start"]
            )
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {
                        k: ("NA" if isinstance(v, float) and np.isnan(v) else v)
                        for k, v in row.items()
                    }
                )
    tmp.replace(path)


def read_si_distr(path: Path) -> list[float]:
    """A one-column CSV (header optional) of serial-interval probabilities w0, w1, …"""
    out = []
    for line, raw in enumerate(path.read_text(encoding="utf-8-sig").split(), start=1):
        try:
            out.append(float(raw.split(",")[-1]))
        except ValueError:
            if line == 1:
                continue  # a header
            raise InvalidInput(
                f"{path}:{line}: {raw!r} is not a number", field="si_distr"
            ) from None
    return out
