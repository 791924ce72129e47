"""Benchmark: our agent-based model against Covasim and Starsim, in one script.

    python bench/abm.py                     # 1M agents x 180 days, 3 seeds, all peers
    python bench/abm.py --agents 10000000 --only-ours --seeds 1   # Seoul-sized
    python bench/abm.py --smoke             # ours only, tiny (CI)

Every run is a fresh process (peak memory is the run's own). Like for like: the
hybrid network (Covasim's mean contacts per layer: household 2, school 20, work 16,
community 20; Covasim's Seattle ages), Covasim 3.1.9's disease parameters
(bench/peers_params.json), 1 agent in 10,000 infected on day 0, waning off; with
distancing, contacts in the community and work layers halved from day 30
(``cv.change_beta(30, 0.5, layers=['c', 'w'])``). Timing = building the population
and contacts + running, after a warm-up run in the same process (compiled kernels
loaded); imports not counted, as for the peers (bench/PEERS.md).

Prints agent-days per second, ratios against the fastest peer, peak memory and
whether the epidemics agree: our median final attack rate against each peer's
range across seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULT = "ABM-RESULT "


def worker(
    agents: int, days: int, seed: int, distancing: bool, threads: int | None
) -> None:
    """One of our runs, in this process; prints one JSON line."""
    from outbreak.model.abm.params import COVASIM_AGES
    from outbreak.model.abm.policy import ChangeBeta, Policy
    from outbreak.model.abm.population import hybrid
    from outbreak.model.abm.sim import Pars, Sim

    policy = Policy((ChangeBeta(30, layers="cw", factor=0.5),) if distancing else ())
    pars = Pars(initial_infected=max(1, agents // 10_000))
    warm = hybrid(10_000, seed=seed, ages=COVASIM_AGES)
    Sim(warm, days=40, seed=seed, policy=policy, pars=Pars(initial_infected=100)).run()
    t0 = time.perf_counter()
    pop = hybrid(agents, seed=seed, ages=COVASIM_AGES)
    t1 = time.perf_counter()
    r = Sim(pop, days=days, seed=seed, policy=policy, pars=pars, threads=threads).run()
    t2 = time.perf_counter()
    res = r.results
    print(
        RESULT
        + json.dumps(
            {
                "build_s": t1 - t0,
                "run_s": t2 - t1,
                "attack_rate": res.attack_rate,
                "peak_day": int(res.new_infections.argmax()),
                "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "contacts": pop.contacts(),
            }
        ),
        flush=True,
    )


def ours(
    agents: int, days: int, seed: int, distancing: bool, threads: int | None
) -> dict:  # type: ignore[type-arg]
    cmd = [sys.executable, __file__, "--worker", "--agents", str(agents),
           "--days", str(days), "--seed", str(seed)]  # fmt: skip
    if distancing:
        cmd.append("--distancing")
    if threads:
        cmd += ["--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(ln for ln in out.splitlines() if ln.startswith(RESULT))
    r = json.loads(line[len(RESULT) :])
    r["seconds"] = r["build_s"] + r["run_s"]
    r["agent_days_per_s"] = agents * days / r["seconds"]
    r["peak_rss_mib"] = r["peak_rss_kib"] / 1024
    return r  # type: ignore[no-any-return]


def _med(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agents", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--distancing", action="store_true")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--only-ours", action="store_true", help="skip the peers")
    ap.add_argument("--peers", default="covasim3,starsim,covasim4")
    ap.add_argument("--smoke", action="store_true", help="ours only, 20k x 60 days")
    args = ap.parse_args()
    if args.worker:
        worker(args.agents, args.days, args.seed, args.distancing, args.threads)
        return
    if args.smoke:
        args.agents, args.days, args.seeds, args.only_ours = 20_000, 60, 1, True
    agents, days = args.agents, args.days
    seeds = list(range(1, args.seeds + 1))
    print(f"{agents:,} agents x {days} days, seeds {seeds}, {os.cpu_count()} cores; "
          f"times: population + contacts + run (median)")  # fmt: skip
    pythons = {}
    peers = [] if args.only_ours else args.peers.split(",")
    if peers:
        sys.path.insert(0, str(HERE))
        from peers import ensure_venvs, run_peer

        pythons = ensure_venvs()
    rows = []
    for distancing in (False, True):
        runs: dict[str, list[dict]] = {"ours": []}  # type: ignore[type-arg]
        for seed in seeds:  # interleaved: drift on the machine hits every engine
            runs["ours"].append(ours(agents, days, seed, distancing, args.threads))
            for engine in peers:
                py = pythons["covasim3" if engine == "covasim3" else "covasim4"]
                p = run_peer(engine, agents=agents, days=days, seed=seed,
                             distancing=distancing, python=py)  # fmt: skip
                runs.setdefault(engine, []).append(
                    {
                        "seconds": p.seconds,
                        "attack_rate": p.attack_rate,
                        "peak_rss_mib": p.peak_rss_mib,
                        "version": p.version,
                        "agent_days_per_s": p.agent_days_per_s,
                    }  # fmt: skip
                )
        label = (
            "with distancing (c, w x 0.5 from day 30)"
            if distancing
            else "no distancing"
        )
        print(f"\n## {label}\n")
        print("| engine | seconds | agent-days/s | attack rate (range) | peak RSS |")
        print("|---|---|---|---|---|")
        summary = {}
        for engine, rs in runs.items():
            secs = _med([r["seconds"] for r in rs])
            ar = [r["attack_rate"] for r in rs]
            rss = max(r["peak_rss_mib"] for r in rs)
            name = engine if engine == "ours" else f"{engine} {rs[0]['version']}"
            summary[engine] = (secs, ar)
            rate = agents * days / secs / 1e6
            spread = f"{_med(ar):.2%} ({min(ar):.2%}-{max(ar):.2%})"
            print(f"| {name} | {secs:.2f} | {rate:.1f} M | {spread} | {rss:,.0f} MiB |")
        mine = runs["ours"]
        build, run = (
            _med([r["build_s"] for r in mine]),
            _med([r["run_s"] for r in mine]),
        )
        contacts = ", ".join(f"{k} {v:.1f}" for k, v in mine[0]["contacts"].items())
        print(
            f"\nours: population {build:.2f} s + run {run:.2f} s; contacts {contacts}"
        )
        ours_s, ours_ar = summary["ours"]
        for engine in peers:
            secs, ar = summary[engine]
            inside = min(ar) - 0.01 <= _med(ours_ar) <= max(ar) + 0.01
            verdict = "agrees" if inside else "DIFFERS"
            print(f"ratio vs {engine}: {secs / ours_s:.1f}x faster; attack rate "
                  f"{_med(ours_ar):.2%} vs {min(ar):.2%}-{max(ar):.2%}: {verdict} "
                  "(within 1 point of the range)")  # fmt: skip
        if peers:
            fastest = min(peers, key=lambda e: summary[e][0])
            print(f"ratio vs the fastest peer ({fastest}): "
                  f"{summary[fastest][0] / ours_s:.1f}x")  # fmt: skip
        rows.append(summary)
    print(f"\nagent-days per second, ours: "
          f"{agents * days / rows[0]['ours'][0] / 1e6:.1f} M (no distancing), "
          f"{agents * days / rows[1]['ours'][0] / 1e6:.1f} M (distancing)")  # fmt: skip


if __name__ == "__main__":
    main()
