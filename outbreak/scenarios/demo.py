"""Demo scenarios: a small distancing comparison on the synthetic Seoul, submitted
by the ``analyst`` and run once, so the Scenarios page has bands to show.

Seoul in late 2020: level 1.5, against level 2 from the third week, and level 2.5
with karaoke rooms and churches closed — each with testing, tracing and
self-quarantine — on a 20,000-person city, 5 seeds (about half a minute).
beta 0.08 (per contact-day) makes level 1.5 with testing and tracing hold a
plateau, as Seoul's did in November 2020; at lower betas the demo epidemic dies
out under tracing alone and the three curves cannot be told apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.auth import principal_for
from outbreak.config import Settings
from outbreak.demo import ensure_user
from outbreak.scenarios import service as runs
from outbreak.store.tables import ScenarioRunRow
from outbreak.types import Role

ANALYST = "analyst"
TTI: list[dict[str, Any]] = [
    {"type": "testing", "p_symptomatic": 0.3},
    {"type": "tracing"},
    {"type": "quarantine", "compliance": 0.9},
]
STUDY: dict[str, Any] = {
    "name": "서울 2020년 12월: 거리두기 단계 비교 (demo)",
    "population": {"kind": "city", "agents": 20_000, "seed": 1},
    "start": "2020-11-16",
    "days": 90,
    "seeds": 5,
    "pars": {"beta": 0.08, "initial_infected": 20},
    "baseline": "level 1.5",
    "scenarios": [
        {"name": "level 1.5",
         "interventions": [{"type": "distancing", "level": "1.5"}, *TTI]},
        {"name": "level 2 from 30 Nov",
         "interventions": [
             {"type": "distancing", "level": "1.5", "end": "2020-11-30"},
             {"type": "distancing", "level": "2", "start": "2020-11-30"}, *TTI]},
        {"name": "2.5, karaoke and churches closed",
         "interventions": [
             {"type": "distancing", "level": "1.5", "end": "2020-11-30"},
             {"type": "distancing", "level": "2.5", "start": "2020-11-30"},
             {"type": "closure", "kinds": ["karaoke", "church"],
              "start": "2020-11-30"}, *TTI]},
    ],
}  # fmt: skip


def load_scenarios(sessions: Callable[[], Session], settings: Settings) -> int | None:
    """Submit and run the demo study unless a run exists; its id (None: skipped)."""
    with sessions() as session:
        if session.scalar(sa.select(sa.func.count()).select_from(ScenarioRunRow)):
            return None
        ensure_user(session, ANALYST, {Role.ANALYST}, {"*"}, "analyst")
        session.commit()
        row = runs.submit(session, principal_for(session, ANALYST), STUDY)
        run_id = row.id
    runs.execute(sessions, run_id, settings.data_dir)
    return run_id
