"""The agent-based model's defaults, each with its unit and source (style rule 10).

Natural history and age-specific prognoses are Covasim 3.1.9's defaults (Kerr et
al., PLOS Comput Biol 17:e1009149 (2021), doi:10.1371/journal.pcbi.1009149), which
cite their sources line by line; we keep them so that a run is comparable with
Covasim's like for like (bench/abm.py; the numbers were read from the installed
package, bench/peers_params.json). Korea-specific values (households, ages, the
distancing scheme) carry their own sources.
"""

from __future__ import annotations

import numpy as np

# fmt: off
# --- transmission --------------------------------------------------------------------
# Probability of infection per contact per day before layer weights; Covasim's default,
# calibrated to a doubling time of ~3-4 days in an unmitigated epidemic.
BETA = 0.016
# Relative transmissibility per contact, by layer: household, school, work, community.
# Covasim hybrid defaults (household contacts are closer and longer).
LAYER_BETA = {"h": 3.0, "s": 0.6, "w": 0.6, "c": 0.3}
# Contacts per agent per layer in the hybrid population (Covasim hybrid defaults):
# household Poisson mean 2 (clusters), school 20, work 16, community 20.
HYBRID_CONTACTS = {"h": 2.0, "s": 20.0, "w": 16.0, "c": 20.0}
SCHOOL_AGES = (6, 22)  # years, [start, end): Covasim hybrid
WORK_AGES = (22, 65)
# An asymptomatic infection transmits this much relative to a symptomatic one
# (Covasim: 1.0 by default; the evidence for less is mixed, Buitrago-Garcia et al.,
# PLOS Med 17:e1003346 (2020), doi:10.1371/journal.pmed.1003346).
ASYMP_FACTOR = 1.0
# Viral load: infectiousness is LOAD_RATIO times higher over the first HIGH_FRACTION
# of the infectious period, capped at HIGH_CAP_DAYS (Covasim's viral_dist, after He
# et al., Nat Med 26:672 (2020), doi:10.1038/s41591-020-0869-5).
LOAD_RATIO = 2.0
HIGH_FRACTION = 0.3
HIGH_CAP_DAYS = 4.0

# --- natural history, days: (mean, sd) of lognormal durations, rounded to days ------
# Covasim 3.1.9 pars['dur'] (sources in Kerr et al. 2021, Table 1: Lauer et al., Ann
# Intern Med 2020, doi:10.7326/M20-0504; Linton et al. J Clin Med 2020,
# doi:10.3390/jcm9020538; Wölfel et al. Nature 2020, doi:10.1038/s41586-020-2196-x;
# Verity et al. Lancet Infect Dis 2020, doi:10.1016/S1473-3099(20)30243-7).
DUR = {
    "exp2inf":  (4.5, 1.5),   # exposed -> infectious (latent)
    "inf2sym":  (1.1, 0.9),   # infectious -> symptoms (presymptomatic)
    "sym2sev":  (6.6, 4.9),   # symptoms -> severe (hospital)
    "sev2crit": (1.5, 2.0),   # severe -> critical (ICU)
    "asym2rec": (8.0, 2.0),   # asymptomatic -> recovered
    "mild2rec": (8.0, 2.0),   # mild -> recovered
    "sev2rec":  (18.1, 6.3),  # severe -> recovered
    "crit2rec": (18.1, 6.3),  # critical -> recovered
    "crit2die": (10.7, 4.8),  # critical -> death
}

# --- prognoses by age (Covasim 3.1.9 defaults): lower bounds of the age bands -------
AGE_CUTOFFS = np.array([0, 10, 20, 30, 40, 50, 60, 70, 80, 90])
# P(symptomatic | infected) (Verity et al. 2020; Ferguson et al., Imperial report 9,
# doi:10.25561/77482)
SYMP_PROBS = np.array([0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.90])
# P(severe | infected), P(critical | infected), P(death | infected) (Verity et al.;
# Ferguson et al.); made conditional on the stage before in disease.py, as Covasim does
SEVERE_PROBS = np.array([0.00050, 0.00165, 0.00720, 0.02080, 0.03430, 0.07650,
                         0.13280, 0.20655, 0.24570, 0.24570])
CRIT_PROBS = np.array([0.00003, 0.00008, 0.00036, 0.00104, 0.00216, 0.00933,
                       0.03639, 0.08923, 0.17420, 0.17420])
DEATH_PROBS = np.array([0.00002, 0.00002, 0.00010, 0.00032, 0.00098, 0.00265,
                        0.00766, 0.02439, 0.08292, 0.16190])
# Relative susceptibility by age band (odds ratios, Zhang et al., Science 368:1481
# (2020), doi:10.1126/science.abb8001)
SUS_ORS = np.array([0.34, 0.67, 1.00, 1.00, 1.00, 1.00, 1.24, 1.47, 1.47, 1.47])

# --- isolation and quarantine: transmission multipliers by layer -------------------
# A confirmed case in Korea was isolated in hospital or a residential treatment centre
# (생활치료센터), not at home: no household contact (KDCA guidance, Mar 2020). A
# quarantined contact stays home: household contacts go on (Covasim quar_factor h 0.6,
# others 0.2 for imperfect compliance is replaced by the compliance draw below).
ISO_FACTOR = {"h": 0.0, "s": 0.0, "w": 0.0, "c": 0.0}
QUAR_FACTOR = {"h": 1.0, "s": 0.0, "w": 0.0, "c": 0.0}
QUARANTINE_DAYS = 14  # Korea: 14 days from the last exposure (IDCPA practice)

# --- Korea's population (the city mode and the hybrid population's ages) -------------
# Households by size, Korea 2020: 1 person 31.7 %, 2: 28.0 %, 3: 20.1 %, 4: 15.6 %,
# 5+: 4.6 % (KOSTAT, 2020 Population and Housing Census, released 2021-07-29).
HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5])
HOUSEHOLD_SHARES = np.array([0.317, 0.280, 0.201, 0.156, 0.046])
# Covasim's default ages (Seattle, 2018 census; covasim/defaults.py:222, read from
# the package: bench/peers_params.json): lower bounds of 5-year bands and shares —
# for runs like-for-like with Covasim (bench/abm.py, tests).
COVASIM_AGES = (
    np.arange(0, 95, 5),
    np.array([0.0605, 0.0607, 0.0566, 0.0557, 0.0612, 0.0843, 0.0848, 0.0764, 0.0697,
              0.0701, 0.0681, 0.0653, 0.0591, 0.0453, 0.0312, 0.02016, 0.01344,
              0.01008, 0.00672]),
)
# fmt: on
