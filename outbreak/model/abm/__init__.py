"""The agent-based model: the synthetic city's people under Korea's distancing
policies, fast (compiled kernels over struct-of-arrays agents) and with common
random numbers across scenarios (docs/abm.md)."""

from outbreak.model.abm.calibrate import calibrate
from outbreak.model.abm.city import city
from outbreak.model.abm.policy import DISTANCING, Closure, Distancing, Policy
from outbreak.model.abm.population import hybrid
from outbreak.model.abm.results import Results
from outbreak.model.abm.scenario import Study, korea_2020, load_study
from outbreak.model.abm.sim import Pars, Sim
from outbreak.model.abm.sweep import Sweep, dask_sweep, sweep

__all__ = [
    "DISTANCING",
    "Closure",
    "Distancing",
    "Pars",
    "Policy",
    "Results",
    "Sim",
    "Study",
    "Sweep",
    "calibrate",
    "city",
    "dask_sweep",
    "hybrid",
    "korea_2020",
    "load_study",
    "sweep",
]
