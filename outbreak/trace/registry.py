"""Who lives with whom: a resident registry, held only as pseudonymous keys.

Korea's investigators knew a case's household from the resident registration
(주민등록). Here the registry is a Parquet file with ``phone`` and ``household``
columns (a synthetic city's ``people``); phones are pseudonymised as it loads and
only the keys are kept.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from outbreak.errors import InvalidInput
from outbreak.privacy import Pseudonymiser, key64
from outbreak.types import IdentifierKind


@dataclass(frozen=True)
class Households:
    """Household of each phone key, and the members of each household."""

    household_of: dict[int, int]
    members: dict[int, tuple[int, ...]]

    @classmethod
    def from_parquet(cls, path: Path, pseudo: Pseudonymiser) -> Households:
        """Load ``phone``, ``household`` from a registry file."""
        table = pq.read_table(path)
        missing = {"phone", "household"} - set(table.column_names)
        if missing:
            raise InvalidInput(f"{path.name} lacks {sorted(missing)}", field="registry")
        phones = table["phone"].to_pylist()
        keys = pseudo.person_keys([str(p) for p in phones], IdentifierKind.PHONE)
        of: dict[int, int] = {}
        members: dict[int, list[int]] = defaultdict(list)
        for k, h in zip(keys, table["household"].to_pylist(), strict=True):
            if k is not None:
                of[key64(k)] = int(h)
                members[int(h)].append(key64(k))
        return cls(of, {h: tuple(m) for h, m in members.items()})

    @classmethod
    def empty(cls) -> Households:
        return cls({}, {})

    def of(self, keys: set[int]) -> set[int]:
        """Everyone sharing a household with any of ``keys`` (themselves included)."""
        out: set[int] = set()
        for k in keys:
            h = self.household_of.get(k)
            if h is not None:
                out.update(self.members[h])
        return out
