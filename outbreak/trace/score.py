"""Scoring the engine on a synthetic city, where the truth is known (evaluation only).

For seeded index cases, recall is the share of true contacts (true stays within the
contact distance for ``min_minutes``) the engine reports; precision the share of
reported contacts that are true — per *source mix*, i.e. with only some feeds read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from outbreak.ingest import MovementStore
from outbreak.privacy import Pseudonymiser, key64
from outbreak.synth.truth import Truth, identifiers
from outbreak.trace.contacts import (
    GPS,
    TELECOM,
    ContactRule,
    PlaceVisits,
    Presences,
    find_contacts,
)
from outbreak.trace.engine import MovementReader
from outbreak.trace.places import Places
from outbreak.trace.registry import Households
from outbreak.trace.route import RouteRule, Track, Visits, build_route
from outbreak.types import IdentifierKind

MIXES: dict[str, tuple[str, ...]] = {
    "gps": ("gps",),
    "telecom": ("telecom",),
    "cards_checkins": ("card", "qr", "phone"),
    "gps_checkins": ("gps", "qr", "phone"),
    "all": ("gps", "telecom", "card", "qr", "phone"),
}


@dataclass(frozen=True)
class Score:
    """How the engine did on one source mix, pooled over the index cases."""

    mix: str
    index_cases: int
    true: int
    reported: int
    hits: int

    @property
    def recall(self) -> float:
        return self.hits / self.true if self.true else 1.0

    @property
    def precision(self) -> float:
        return self.hits / self.reported if self.reported else 1.0


class CityScorer:
    """A synthetic city, its ingested store, and the keys of its people."""

    def __init__(self, city_dir: Path, store: MovementStore, pseudo: Pseudonymiser):
        self.city_dir, self.store, self.pseudo = city_dir, store, pseudo
        pids = pq.read_table(city_dir / "city" / "people", columns=["pid"])["pid"]
        self.pids = pids.to_numpy().astype(np.int64)
        phones, cards = identifiers(self.pids)
        self.phone_key = self._keys(phones, IdentifierKind.PHONE)
        self.card_key = self._keys(cards, IdentifierKind.CARD)
        self.pid_of = {
            k: int(p) for k, p in zip(self.phone_key, self.pids, strict=True)
        }
        self.pid_of.update(zip(self.card_key, (int(p) for p in self.pids), strict=True))
        self.reader = MovementReader(store)
        self.places = Places.from_parquet(city_dir / "city" / "places.parquet")
        self.households = Households.from_parquet(
            city_dir / "city" / "people" / "part-00000.parquet", pseudo
        )

    def _keys(self, raws: np.ndarray, kind: IdentifierKind) -> list[int]:
        return [key64(k or "0" * 32) for k in self.pseudo.person_keys(list(raws), kind)]

    def contacts_of(
        self,
        pid: int,
        window: tuple[int, int],
        mix: tuple[str, ...],
        rule: ContactRule,
        route_rule: RouteRule,
    ) -> set[int]:
        """The engine's contacts of ``pid`` reading only the feeds in ``mix``."""
        return self.contacts_many([pid], window, mix, rule, route_rule)[pid]

    def contacts_many(
        self,
        pids: list[int],
        window: tuple[int, int],
        mix: tuple[str, ...],
        rule: ContactRule,
        route_rule: RouteRule,
    ) -> dict[int, set[int]]:
        """Contacts of many index cases, their neighbours read in one scan."""
        tracks = self.reader.own_pings_many(
            {p: [self.phone_key[p]] for p in pids}, window
        )
        visits = self.reader.own_visits_many(
            {p: ([self.phone_key[p]], [self.card_key[p]]) for p in pids},
            window=window,
            sources=set(mix),
        )
        routes = {}
        for pid in pids:
            gps, tel = tracks.get(pid, (Track.empty(), Track.empty()))
            routes[pid] = build_route(
                gps=gps if "gps" in mix else Track.empty(),
                telecom=tel if "telecom" in mix else Track.empty(),
                visits=visits.get(pid, Visits.empty()),
                places=self.places,
                rule=route_rule,
            )
        own = {p: {self.phone_key[p], self.card_key[p]} for p in pids}
        near = self.reader.presences_many(routes, search_m=rule.search_m)
        at = self.reader.place_visits_many(
            {
                p: sorted({s.place_id for s in r if s.place_id is not None})
                for p, r in routes.items()
            },
            window,
            exclude={p: sorted(own[p]) for p in pids},
        )
        out = {}
        for pid, route in routes.items():
            pres = near.get(pid, Presences.empty())
            if "gps" not in mix:
                pres = _drop(pres, GPS)
            if "telecom" not in mix:
                pres = _drop(pres, TELECOM)
            pv = at.get(pid, PlaceVisits.empty())
            pv = pv.of_sources(mix)
            found = find_contacts(
                route,
                index=own[pid],
                presences=pres,
                visits=pv,
                household=self.households.of({self.phone_key[pid]}),
                window=window,
                places=self.places,
                rule=rule,
                route_rule=route_rule,
            )
            out[pid] = {self.pid_of[c.person] for c in found if c.person in self.pid_of}
        return out

    def score(
        self,
        index: list[int],
        window: tuple[int, int],
        *,
        mixes: dict[str, tuple[str, ...]] | None = None,
        rule: ContactRule | None = None,
        route_rule: RouteRule | None = None,
    ) -> list[Score]:
        """Pooled recall and precision for each source mix."""
        rule, route_rule = rule or ContactRule(), route_rule or RouteRule()
        truth = Truth.load(self.city_dir, window)
        true = {
            p: set(
                truth.contacts(
                    p, window, distance_m=rule.distance_m, min_minutes=rule.min_minutes
                )
            )
            for p in index
        }
        out = []
        for name, mix in (mixes or MIXES).items():
            hits = reported = 0
            for p in index:
                found = self.contacts_of(p, window, mix, rule, route_rule)
                hits += len(found & true[p])
                reported += len(found)
            out.append(
                Score(
                    name, len(index), sum(len(t) for t in true.values()), reported, hits
                )
            )
        return out


def _drop(p: Presences, source: int) -> Presences:
    keep = p.source != source
    return Presences(
        p.stay[keep],
        p.person[keep],
        p.x_dm[keep],
        p.y_dm[keep],
        p.bins[keep],
        p.first[keep],
        p.last[keep],
        p.source[keep],
    )
