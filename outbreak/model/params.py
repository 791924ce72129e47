"""Epidemiological defaults, each with its unit and source (style rule 10)."""

from __future__ import annotations

# fmt: off
# Serial interval of COVID-19, days: mean 4.7 (95% CrI 3.7-6.0), sd 2.9 (1.9-4.9), from
# 28 infector-infectee pairs. Nishiura, Linton & Akhmetzhanov, Int J Infect Dis 93:284
# (2020), doi:10.1016/j.ijid.2020.02.060.
SI_MEAN_DAYS = 4.7
SI_SD_DAYS = 2.9
# Serial interval allowing presymptomatic transmission (12.6% of intervals negative),
# days, normal: mean 3.96 (95% CI 3.53-4.39), sd 4.75 (4.46-5.07), from 468 reports in
# 93 Chinese cities. Du et al., Emerg Infect Dis 26(6):1341 (2020),
# doi:10.3201/eid2606.200357. Used to weigh who infected whom in transmission chains.
SI_NORMAL_MEAN_DAYS = 3.96
SI_NORMAL_SD_DAYS = 4.75
# Cori et al. (2013) / EpiEstim defaults: Gamma prior on R with mean 5, sd 5; weekly
# windows; wanted posterior coefficient of variation 0.3. doi:10.1093/aje/kwt133
RT_PRIOR_MEAN = 5.0
RT_PRIOR_SD = 5.0
RT_WINDOW_DAYS = 7
RT_CV_POSTERIOR = 0.3
# SEIR stages for projections, days. With exponential stages the mean generation
# interval is latent + infectious (Wallinga & Lipsitch, Proc R Soc B 274:599 (2007),
# doi:10.1098/rspb.2006.3754); 2.5 + 2.5 = 5.0 days matches the serial interval above
# within its credible interval. Latent < incubation (5.2 d, Li et al., NEJM 382:1199
# (2020), doi:10.1056/NEJMoa2001316) because transmission starts before symptoms.
LATENT_DAYS = 2.5
INFECTIOUS_DAYS = 2.5
# Scenario multipliers on the current transmission rate for projections: "stricter"
# and "looser" by 20% (a step of Korea's distancing scale; Policy.csv, Nov 2020).
SCENARIO_FACTORS = {"as_now": 1.0, "stricter": 0.8, "looser": 1.2}
# Population of the Republic of Korea, 2020 census: 51,829,136 (KOSTAT, 2021-07-29).
KOREA_POPULATION = 51_829_136
# fmt: on
