"""The peers of ``bench/abm.py``: Covasim 3.1.9, Covasim 4.0.1 and Starsim 3.7.2.

    python bench/peers.py params   # bench/peers_params.json from covasim 3.1.9
    python bench/peers.py check    # each engine at 20,000 agents x 60 days
    python bench/peers.py target   # Covasim 3.1.9 attack rate, 100,000 x 180, 3 seeds

Each peer lives in its own virtual environment (made once by ``ensure_venvs``)
and each simulation runs in a fresh subprocess (``run_peer``), set up and timed
as in ``shared/design/notes/modeling.md`` §2: time = construction + ``init`` +
``run``; import and a numba warm-up sim (in the same process, before the timed
one) are excluded. The matched runs switch off waning immunity in both Covasim
versions (``use_waning=False``; it is on by default in 3.1.9 and 4.0.1), since
our model has none in v1. See bench/PEERS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
DEFAULT_ROOT = Path.home() / ".cache" / "outbreak-bench" / "peers"
ENGINES = ("covasim3", "covasim4", "starsim")
# venv name -> exact pins (from PyPI); numba/numpy are whatever pip picks
VENVS: dict[str, tuple[str, ...]] = {
    "covasim3": ("covasim==3.1.9",),
    "covasim4": ("covasim==4.0.1", "starsim==3.7.2"),
}
ENGINE_VENV = {"covasim3": "covasim3", "covasim4": "covasim4", "starsim": "covasim4"}
MARKER = "outbreak-bench-installed.json"
RESULT = "PEER_RESULT "

# One run in the peer's venv: argv[1] is the JSON config; the result is printed on
# stdout as one line after RESULT (Covasim prints a banner on import).
WORKER = r"""
import json, resource, sys, time
cfg = json.loads(sys.argv[1])
engine, distancing = cfg["engine"], cfg["distancing"]
began = time.perf_counter()
import numpy as np
if engine == "starsim":
    import starsim as ss
    version = ss.__version__

    class Distancing(ss.Intervention):
        # c and w edge betas x0.5 from day 30 (Starsim has no change_beta)
        def step(self):
            if self.ti == 30:
                for key in ("c", "w"):
                    self.sim.networks[key].edges.beta[:] *= 0.5
else:
    import covasim as cv
    version = cv.__version__
import_s = time.perf_counter() - began


def make(n, days, seed, seed_frac):
    if engine == "starsim":
        seir = ss.SEIR(
            beta=ss.probperday(0.016),
            dur_exp=ss.lognorm_ex(mean=ss.days(4), std=ss.days(1.5)),
            dur_inf=ss.lognorm_ex(mean=ss.days(7), std=ss.days(2)),
            init_prev=ss.bernoulli(p=seed_frac),
            p_death=ss.bernoulli(p=0.005),
        )
        return ss.Sim(
            n_agents=n, dt=ss.days(1), start=ss.days(0), dur=ss.days(days),
            rand_seed=seed, diseases=seir, networks=ss.HybridNet(),
            interventions=[Distancing()] if distancing else [], verbose=0,
        )
    ivs = [cv.change_beta(days=30, changes=0.5, layers=["c", "w"])]
    return cv.Sim(
        pop_size=n, pop_type="hybrid", n_days=days, rand_seed=seed,
        pop_infected=int(n * seed_frac), use_waning=cfg["waning"],
        interventions=ivs if distancing else [], verbose=0,
    )


def run(n, days, seed, seed_frac):
    t0 = time.perf_counter()
    sim = make(n, days, seed, seed_frac)
    sim.initialize() if engine == "covasim3" else sim.init()
    t1 = time.perf_counter()
    sim.run()
    return sim, t1 - t0, time.perf_counter() - t1


# warm-up: numba compiles or loads its caches; 1 % seeded so every kernel runs
t0 = time.perf_counter()
run(cfg["warmup_agents"], min(cfg["days"], 40), cfg["seed"] + 10_000, 0.01)
warmup_s = time.perf_counter() - t0
n = cfg["agents"]
sim, build_s, run_s = run(n, cfg["days"], cfg["seed"], 1e-4)
if engine == "starsim":
    res, dis = sim.diseases.seir.results, sim.diseases.seir
else:
    res = sim.results
    dis = sim.people if engine == "covasim3" else sim.diseases.covid
new = [int(x) for x in np.asarray(res["new_infections"][:])]
if engine == "covasim3":  # n_infections counts reinfections too
    ever = int((dis.n_infections > 0).sum())
    seeds = int(sim["pop_infected"])
else:
    ti_exposed = np.asarray(dis.ti_exposed.raw[:n])
    ever = int(np.isfinite(ti_exposed).sum())
    seeds = int((ti_exposed == 0).sum()) - new[0]
out = dict(
    version=version, import_s=import_s, warmup_s=warmup_s, build_s=build_s,
    run_s=run_s, peak_rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    seeds=seeds, ever=ever, new=new,
    engine_cum=float(np.asarray(res["cum_infections"][:])[-1]),
)
print("PEER_RESULT " + json.dumps(out))
"""


# Covasim 3.1.9's defaults for the hybrid population, read from the installed
# package, with the comment (and so the source) covasim gives on each line.
PARAMS = r"""
import importlib.metadata, inspect, json, re
from pathlib import Path
import numpy as np
import covasim as cv
from covasim import defaults as cvd, parameters as cvpar, population as cvpop

root = Path(cv.__file__).parent
src = {f: (root / f).read_text().splitlines() for f in
       ("parameters.py", "defaults.py", "population.py")}


def note(file, pattern):
    # the comment on the first line of `file` matching `pattern`, with its refs
    for i, line in enumerate(src[file], 1):
        if re.search(pattern, line) and "#" in line:
            text = line.split("#", 1)[1].strip()
            refs = re.findall(r"https?://[^\s,;<>]+", text)
            return dict(where=f"covasim/{file}:{i}", comment=text,
                        refs=[r.rstrip(".)") for r in refs])
    return None


def r6(x):
    return float(f"{x:.6g}")


meta = importlib.metadata.metadata("covasim").get_payload() or ""
cite = next((ln.lstrip("> ") for ln in meta.splitlines() if "10.1371" in ln), None)
age_data = [[int(a), int(b), float(w)] for a, b, w in cvd.default_age_data]  # raw
sim = cv.Sim(pop_type="hybrid", pop_size=100_000, rand_seed=1, use_waning=False,
             verbose=0)
sim.initialize()
p, n = sim.pars, sim["pop_size"]
layers = {}
for key in p["contacts"]:
    layers[key] = {k: p[k][key] for k in ("contacts", "beta_layer", "dynam_layer",
                                          "iso_factor", "quar_factor")}
# what make_hybrid_contacts built at 100,000 agents (seed 1)
ages, built = sim.people.age, {}
for key, layer in sim.people.contacts.items():
    p1, p2 = np.asarray(layer["p1"]), np.asarray(layer["p2"])
    deg = np.bincount(p1, minlength=n) + np.bincount(p2, minlength=n)
    members = deg > 0 if key in ("s", "w") else np.ones(n, bool)
    built[key] = dict(edges=int(len(p1)), self_loops=int((p1 == p2).sum()),
                      edge_beta=float(np.unique(layer["beta"])[0]),
                      mean_degree_all=r6(deg.mean()),
                      mean_degree_members=r6(deg[members].mean()),
                      members=int(members.sum()))
hdeg = np.bincount(sim.people.contacts["h"]["p1"], minlength=n) + np.bincount(
    sim.people.contacts["h"]["p2"], minlength=n)
sizes = hdeg + 1  # households are cliques of consecutive uids
n_households = float((1.0 / sizes).sum())
built["households"] = dict(
    count=round(n_households), mean_size=r6(n / n_households),
    size_share={int(k): r6((sizes == k).sum() / k / n_households)
                for k in range(1, 9)},
)
built["ages"] = dict(mean=r6(ages.mean()),
                     share_school_ages=r6(((ages >= 6) & (ages < 22)).mean()),
                     share_work_ages=r6(((ages >= 22) & (ages < 65)).mean()))

prog = cvpar.absolute_prognoses(p["prognoses"])
prognoses = {k: [r6(x) for x in v] for k, v in prog.items()}
durs = {}
for k, d in p["dur"].items():
    durs[k] = dict(dist=d["dist"], mean_days=d["par1"], sd_days=d["par2"],
                   source=note("parameters.py", f"pars\\['dur'\\]\\['{k}'\\]"))
school = re.search(r"school_ages = \[(\d+), (\d+)\]", inspect.getsource(
    cvpop.make_hybrid_contacts))
work = re.search(r"work_ages   = \[(\d+), (\d+)\]", inspect.getsource(
    cvpop.make_hybrid_contacts))
out = dict(
    covasim_version=cv.__version__, covasim_citation=cite,
    population=dict(
        pop_type="hybrid",
        built_by="covasim/population.py: make_people -> make_randpop("
                 "microstructure='hybrid') -> make_hybrid_contacts",
        age_bins=age_data,
        age_source=note("defaults.py", "Default age data"),
        school_ages=[int(school[1]), int(school[2])],
        work_ages=[int(work[1]), int(work[2])],
        layers=layers,
        layer_sources={k: note("parameters.py", f"{k} *= dict\\(h=")
                       for k in ("beta_layer", "contacts", "dynam_layer")},
        built_at_100k_seed1=built,
    ),
    disease=dict(
        beta=p["beta"], beta_source=note("parameters.py", "pars\\['beta'\\] "),
        asymp_factor=p["asymp_factor"],
        asymp_factor_source=note("parameters.py", "pars\\['asymp_factor'\\]"),
        beta_dist=p["beta_dist"],
        beta_dist_source=note("parameters.py", "pars\\['beta_dist'\\]"),
        viral_dist=p["viral_dist"],
        viral_dist_source=note("parameters.py", "pars\\['viral_dist'\\]"),
        durations=durs,
        prognoses=prognoses,
        prognoses_conditional={k: [r6(x) for x in v]
                               for k, v in p["prognoses"].items()},
        prognoses_sources={k: note("parameters.py", f"^ *{k} *= np.array")
                           for k in prognoses},
        use_waning_default=cvpar.make_pars()["use_waning"], n_imports=p["n_imports"],
        pop_infected_default=cvpar.make_pars()["pop_infected"],
    ),
)
print("PEER_RESULT " + json.dumps(out))
"""


@dataclass(frozen=True)
class PeerRun:
    """One timed peer simulation (``seconds`` = construction + init + run)."""

    engine: str
    version: str
    agents: int
    days: int
    seed: int
    distancing: bool
    waning: bool
    seconds: float
    build_seconds: float
    agent_days_per_s: float
    peak_rss_mib: float
    seed_infections: int
    cumulative_infections: int  # seeds + every new infection, reinfections too
    attack_rate: float  # agents ever infected / agents
    new_infections: list[int]  # per day, days 0..days (seeds not included)
    import_seconds: float
    warmup_seconds: float

    def line(self) -> str:
        """One line for a report."""
        return (
            f"{self.engine} {self.version}: {self.seconds:.2f} s "
            f"({self.agent_days_per_s / 1e6:.2f} M agent-days/s, "
            f"{self.peak_rss_mib:,.0f} MiB), attack rate {self.attack_rate:.1%}"
        )


def _progress(message: str) -> None:
    print(f"[peers] {message}", file=sys.stderr, flush=True)


def _run(cmd: list[str], *, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-30:])
        raise RuntimeError(f"{cmd[0]} exited {done.returncode}:\n{tail}")
    return done.stdout


def _peer_env() -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    return env | {"MPLBACKEND": "Agg", "STARSIM_INSTALL_FONTS": "0"}


def ensure_venvs(root: Path = DEFAULT_ROOT) -> dict[str, Path]:
    """Create (once) the peers' venvs under ``root``; the python of each engine.

    A venv counts as installed when its marker file names the same pins; the
    marker also records every version pip picked (see ``installed_versions``).
    Progress goes to stderr; a failed pip raises ``RuntimeError`` with its log.
    """
    pythons: dict[str, Path] = {}
    for name, pins in VENVS.items():
        venv = root / name
        python = venv / "bin" / "python"
        marker = venv / MARKER
        pythons[name] = python
        installed = marker.exists() and python.exists()
        if installed and json.loads(marker.read_text()).get("pins") == list(pins):
            continue
        _progress(f"creating {venv} with {' '.join(pins)} (about a minute)")
        began = time.perf_counter()
        venv.parent.mkdir(parents=True, exist_ok=True)
        base = getattr(sys, "_base_executable", sys.executable)
        _run([base, "-m", "venv", "--clear", str(venv)])
        _run([str(python), "-m", "pip", "install", "--quiet", *pins])
        listed = _run([str(python), "-m", "pip", "list", "--format=json"])
        versions = {p["name"].lower(): p["version"] for p in json.loads(listed)}
        marker.write_text(json.dumps({"pins": list(pins), "versions": versions}))
        picked = ", ".join(
            f"{k} {versions[k]}"
            for k in ("covasim", "starsim", "numba", "numpy")
            if k in versions
        )
        _progress(f"{name} ready in {time.perf_counter() - began:.0f} s: {picked}")
    return {engine: pythons[venv] for engine, venv in ENGINE_VENV.items()}


def installed_versions(python: Path) -> dict[str, str]:
    """The package versions pip installed in the venv of ``python``."""
    marker = python.parent.parent / MARKER
    versions: dict[str, str] = json.loads(marker.read_text())["versions"]
    return versions


def run_peer(
    engine: str,
    *,
    agents: int,
    days: int,
    seed: int,
    distancing: bool,
    python: Path,
    waning: bool = False,
    warmup_agents: int = 10_000,
) -> PeerRun:
    """Run one ``engine`` simulation in a fresh ``python`` subprocess.

    Covasim (3 and 4): ``pop_type='hybrid'``, ``pop_infected=agents/10000``,
    ``use_waning=waning``, distancing ``cv.change_beta(days=30, changes=0.5,
    layers=['c','w'])``. Starsim: ``ss.SEIR`` (β 0.016/day, latent lognormal
    4 ± 1.5 d, infectious 7 ± 2 d, init_prev 1e-4, p_death 0.005) on
    ``ss.HybridNet()``, distancing = c and w edge betas x0.5 from day 30.
    """
    if engine not in ENGINES:
        raise ValueError(f"Unknown engine {engine!r}; expected one of {ENGINES}")
    cfg = {
        "engine": engine,
        "agents": agents,
        "days": days,
        "seed": seed,
        "distancing": distancing,
        "waning": waning,
        "warmup_agents": min(agents, warmup_agents),
    }
    out = _run([str(python), "-c", WORKER, json.dumps(cfg)], env=_peer_env())
    lines = [ln for ln in out.splitlines() if ln.startswith(RESULT)]
    if not lines:
        raise RuntimeError(f"{engine}: no result line in its output:\n{out[-2000:]}")
    r = json.loads(lines[-1][len(RESULT) :])
    seconds = r["build_s"] + r["run_s"]
    cumulative = r["seeds"] + sum(r["new"])
    # Covasim's cum_infections counts the seeds, Starsim's does not
    reported = r["engine_cum"] + (r["seeds"] if engine == "starsim" else 0)
    if abs(cumulative - reported) > 0.5:
        _progress(f"{engine}: cumulative {cumulative} != its own {reported:.0f}")
    return PeerRun(
        engine=engine,
        version=r["version"],
        agents=agents,
        days=days,
        seed=seed,
        distancing=distancing,
        waning=waning and engine != "starsim",
        seconds=seconds,
        build_seconds=r["build_s"],
        agent_days_per_s=agents * days / seconds,
        peak_rss_mib=r["peak_rss_kib"] / 1024,
        seed_infections=r["seeds"],
        cumulative_infections=cumulative,
        attack_rate=r["ever"] / agents,
        new_infections=r["new"],
        import_seconds=r["import_s"],
        warmup_seconds=r["warmup_s"],
    )


def matched_parameters(python: Path | None = None) -> dict[str, Any]:
    """Covasim 3.1.9's disease and hybrid-network defaults, with their sources.

    Read from the installed package (``python``: its venv; default: made by
    ``ensure_venvs``); ``built_at_100k_seed1`` is what ``make_hybrid_contacts``
    built for 100,000 agents. ``main`` saves it as bench/peers_params.json.
    """
    python = python or ensure_venvs()["covasim3"]
    out = _run([str(python), "-c", PARAMS], env=_peer_env())
    line = next(ln for ln in out.splitlines() if ln.startswith(RESULT))
    params: dict[str, Any] = json.loads(line[len(RESULT) :])
    return params


def _table(runs: list[PeerRun]) -> None:
    print(
        f"{'engine':<9} {'version':<7} {'distancing':<10} {'seconds':>7} "
        f"{'M agent-days/s':>14} {'MiB':>6} {'seeds':>5} {'attack rate':>11}"
    )
    for r in runs:
        print(
            f"{r.engine:<9} {r.version:<7} {'yes' if r.distancing else 'no':<10} "
            f"{r.seconds:>7.2f} {r.agent_days_per_s / 1e6:>14.2f} "
            f"{r.peak_rss_mib:>6.0f} {r.seed_infections:>5} {r.attack_rate:>11.1%}"
        )


def _spread(values: list[float], fmt: str) -> str:
    return (
        f"{statistics.median(values):{fmt}} [{min(values):{fmt}}–{max(values):{fmt}}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("params", "check", "target"))
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--agents", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--seed", type=int, default=1, help="check: the seed")
    parser.add_argument("--seeds", type=int, default=3, help="target: seeds 1..N")
    parser.add_argument("--out", type=Path, help="append every run as JSON lines")
    args = parser.parse_args()
    pythons = ensure_venvs(args.root)
    for python in {*pythons.values()}:
        versions = installed_versions(python)
        print(
            f"{python}: "
            + ", ".join(
                f"{k} {versions[k]}"
                for k in ("covasim", "starsim", "numba", "numpy")
                if k in versions
            )
        )
    if args.what == "params":
        path = BENCH / "peers_params.json"
        params = matched_parameters(pythons["covasim3"])
        path.write_text(json.dumps(params, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {path}")
        return
    runs: list[PeerRun] = []
    if args.what == "check":  # every engine, one seed, without then with distancing
        agents, days = args.agents or 20_000, args.days or 60
        for distancing in (False, True):
            for engine in ENGINES:
                runs.append(
                    run_peer(
                        engine,
                        agents=agents,
                        days=days,
                        seed=args.seed,
                        distancing=distancing,
                        python=pythons[engine],
                    )
                )
                _progress(runs[-1].line())
        print(f"{agents:,} agents x {days} days, seed {args.seed}, Covasim waning off")
        _table(runs)
    else:  # Covasim 3.1.9's attack rate: matched, with distancing, with waning
        agents, days = args.agents or 100_000, args.days or 180
        configs = {"matched": (False, False), "distancing": (True, False)}
        configs["waning on"] = (False, True)
        for seed in range(1, args.seeds + 1):  # interleaved
            for distancing, waning in configs.values():
                runs.append(
                    run_peer(
                        "covasim3",
                        agents=agents,
                        days=days,
                        seed=seed,
                        distancing=distancing,
                        waning=waning,
                        python=pythons["covasim3"],
                    )
                )
                _progress(runs[-1].line())
        print(f"Covasim 3.1.9, {agents:,} agents x {days} days, seeds 1..{args.seeds}")
        for name, (distancing, waning) in configs.items():
            some = [r for r in runs if (r.distancing, r.waning) == (distancing, waning)]
            print(
                f"{name:<11} attack rate "
                f"{_spread([r.attack_rate for r in some], '.2%')}, cumulative "
                f"infections {_spread([r.cumulative_infections for r in some], ',.0f')}"
                f", seconds {_spread([r.seconds for r in some], '.1f')}, "
                f"peak RSS {_spread([r.peak_rss_mib for r in some], ',.0f')} MiB"
            )
    if args.out:
        with args.out.open("a") as f:
            for r in runs:
                f.write(json.dumps(asdict(r)) + "\n")


if __name__ == "__main__":
    main()
