"""Scenario files: validation with the field named, dates, Korea's 2020 timeline."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from outbreak.errors import InvalidInput
from outbreak.model.abm import policy as pol
from outbreak.model.abm.scenario import korea_2020, load_study, study_of

POLICY_CSV = Path(__file__).parents[1] / "reference" / "ds4c" / "Policy.csv"


def test_one_scenario_at_the_top_and_dates_become_days() -> None:
    study = study_of(
        {
            "name": "one",
            "start": "2020-11-01",
            "days": 60,
            "seeds": [3, 5],
            "interventions": [
                {"type": "distancing", "level": "2.5", "start": "2020-11-24"},
                {"type": "closure", "kinds": ["karaoke"], "start": 3, "end": 10},
            ],
        }
    )
    assert [s.name for s in study.scenarios] == ["one"] and study.seed_list == [3, 5]
    policy = study.policy(study.scenarios[0])
    assert policy.interventions == (
        pol.Distancing(23, None, level="2.5"),
        pol.Closure(3, 10, kinds=("karaoke",)),
    )


def test_a_comparison_from_yaml(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(
        """
name: December
population: {kind: city, agents: 5000, seed: 2}
days: 30
seeds: 2
baseline: none
scenarios:
  - name: level 2
    interventions: [{type: distancing, level: "2"}]
  - name: none
""",
        "utf-8",
    )
    study = load_study(f)
    assert study.reference == "none" and study.population.kind == "city"
    assert study.seed_list == [1, 2]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"interventions": [{"type": "distancing", "level": "4"}]},
         "scenarios.0.interventions.0.distancing.level", "'1'"),
        ({"interventions": [{"type": "lockdown"}]}, "scenarios.0.interventions.0",
         "lockdown"),
        ({"population": {"agents": 10}}, "population.agents", "100"),
        ({"interventions": [{"type": "masks", "start": "2020-01-01"}]},
         "scenarios.0.interventions.0.start", "start date"),
        ({"start": "2020-03-01",
          "interventions": [{"type": "masks", "start": "2020-02-01"}]},
         "scenarios.0.interventions.0.start", "before the study starts"),
        ({"scenarios": [{"name": "a"}, {"name": "a"}]}, "scenarios", "own name"),
        ({"scenarios": [{"name": "a"}], "baseline": "b"}, "baseline", "'b'"),
        ({"seeds": 0}, "seeds", "1 to 1,000"),
        ({"days": 0, "interventions": []}, "days", "greater than"),
        ({"interventions": [{"type": "closure", "kinds": ["casino"]}]},
         "scenarios.0.interventions.0.closure.kinds.0", "bar_club"),
        ({"interventions": [{"type": "masks", "start": 10, "end": 5}]},
         "scenarios.0.interventions.0.start", "start < end"),
        ({"interventions": [], "colour": "red"}, "colour", "not permitted"),
    ],
)  # fmt: skip
def test_bad_scenarios_name_the_field(data: dict, field: str, words: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidInput) as e:
        study_of(data)
    assert e.value.field is not None and e.value.field.startswith(field), e.value.field
    assert words in str(e.value)


def test_bad_yaml_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("name: [unclosed", "utf-8")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_study(f)
    f.write_text("- a list", "utf-8")
    with pytest.raises(InvalidInput, match="mapping"):
        load_study(f)


def _rows() -> dict[int, dict[str, str]]:
    with POLICY_CSV.open(encoding="utf-8") as f:
        return {int(r["policy_id"]): r for r in csv.DictReader(f)}


def test_korea_2020_has_the_policy_table_dates() -> None:
    rows = _rows()
    day0 = date(2020, 2, 1)

    def day(iso: str) -> int:
        return (date.fromisoformat(iso) - day0).days

    timeline = korea_2020(day0, arrivals=2.0)
    distancing = [i for i in timeline if isinstance(i, pol.Distancing)]
    assert distancing[0].start == day(rows[29]["start_date"])  # strong campaign
    assert distancing[1].start == day(rows[31]["start_date"])  # weak
    assert distancing[2].start == day(rows[32]["start_date"])  # weak (1st)
    schools = [i for i in timeline if isinstance(i, pol.SchoolClosure)]
    assert schools[0].start == day(rows[38]["start_date"])  # opening delayed
    last_online = max(day(rows[k]["end_date"]) for k in range(39, 49))
    assert schools[-1].end == last_online
    closures = {i.kinds: i for i in timeline if isinstance(i, pol.Closure)}
    assert closures["bar_club",].start == day(rows[54]["start_date"])
    assert closures["bar_club",].end == day(rows[54]["end_date"])
    assert closures["karaoke",].start == day(rows[56]["start_date"])
    (bands,) = [i for i in timeline if isinstance(i, pol.Wristbands)]
    assert bands.start == day(rows[53]["start_date"])
    arrivals = [i for i in timeline if isinstance(i, pol.Arrivals)]
    assert arrivals[1].start == day(rows[18]["start_date"]) and arrivals[1].quarantine
    assert not arrivals[0].quarantine
    drive = [i for i in timeline if isinstance(i, pol.Testing)][1]
    assert drive.start == day(rows[25]["start_date"])


def test_korea_2020_leaves_out_what_ended_before_day_0() -> None:
    late = korea_2020(date(2020, 7, 1))
    assert not [i for i in late if isinstance(i, pol.Closure | pol.SchoolClosure)]
    assert all(i.start == 0 for i in late)
    assert [i.level for i in late if isinstance(i, pol.Distancing)] == ["1"]
