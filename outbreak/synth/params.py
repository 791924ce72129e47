"""Parameters of the synthetic city, each with its unit and source."""

from __future__ import annotations

# fmt: off
# Registered residents per gu, thousands, end of 2020 (Seoul Open Data Plaza,
# "Population by district", https://data.seoul.go.kr/dataList/419/S/2/datasetView.do),
# rounded. Sampling weights for homes.
SEOUL_POPULATION_K = {
    "11010": 149, "11020": 126, "11030": 230, "11040": 295, "11050": 349,
    "11060": 343, "11070": 394, "11080": 437, "11090": 306, "11100": 326,
    "11110": 523, "11120": 479, "11130": 310, "11140": 372, "11150": 454,
    "11160": 580, "11170": 404, "11180": 232, "11190": 379, "11200": 392,
    "11210": 495, "11220": 425, "11230": 539, "11240": 667, "11250": 459,
}
# Household sizes 1, 2, 3, 4, 5+ (share of households), Korea 2020 Population and
# Housing Census (KOSTAT, 2021-07-29): 31.7%, 28.0%, 20.1%, 15.6%, 4.6%.
HOUSEHOLD_SIZE_SHARE = (0.317, 0.280, 0.201, 0.156, 0.046)
# Employment rate of people aged 15-64, Korea 2020: 65.9% (KOSTAT Economically Active
# Population Survey, annual 2020).
EMPLOYMENT_RATE = 0.659
# Jobs are concentrated in business districts: Jung-gu, Jongno-gu (CBD), Gangnam-gu and
# Seocho-gu (GBD), Yeongdeungpo-gu (YBD), Guro/Geumcheon (digital complex), Mapo-gu;
# relative job density (dimensionless; Seoul's 2020 business census ranks these gu
# highest in workers per resident).
JOB_WEIGHT = {
    "11020": 6.0, "11010": 4.0, "11230": 5.0, "11220": 3.0, "11190": 3.5,
    "11170": 2.0, "11180": 2.5, "11140": 1.8, "11240": 1.5,
}
COMMUTE_SCALE_KM = 8.0      # gravity model: job attraction × exp(-distance / 8 km)
SPEED_KMH = 20.0            # door-to-door travel speed in Seoul traffic
# Venues per 1,000 residents by kind (order of magnitude from Seoul's 2020 business
# registry; pharmacies and screening clinics are the real ones).
VENUES_PER_1000 = {
    "restaurant": 8.0, "cafe": 3.0, "bar_club": 0.8, "karaoke": 0.6, "church": 0.6,
    "gym": 0.4, "pc_room": 0.4, "call_centre": 0.05, "hospital": 0.1,
}
SCHOOLS_PER_1000 = 0.14     # Seoul: ~1,350 schools for 9.7 M people
WORKPLACES_PER_WORKER = 1 / 12
# Workplace sizes (workers per site) are lognormal: median 5, mean 12 (= 1 /
# WORKPLACES_PER_WORKER), so sigma = sqrt(2 ln(12 / 5)) = 1.32. Most Korean businesses
# are small (KOSTAT 2020 Census on Establishments: ~80% have fewer than 5 workers) with
# a long tail; the largest site in a 1 M city has ~1,000. (A Zipf law, as for venues,
# has an infinite mean: one site would employ most of the city.)
WORKPLACE_SIZE_MEDIAN = 5.0
WORKPLACE_SIZE_SIGMA = 1.32
# Typical card amounts, KRW (median of a lognormal with sigma 0.5).
CARD_AMOUNT_KRW = {
    "restaurant": 12_000, "cafe": 5_500, "bar_club": 40_000, "karaoke": 20_000,
    "gym": 10_000, "pc_room": 3_000, "pharmacy": 8_000, "hospital": 15_000,
}
# KI-Pass QR check-ins were mandatory from 10 June 2020 at high-risk venues (clubs,
# karaoke, gyms, PC rooms…), later restaurants and cafés (KDCA); 안심콜 phone check-in
# was the alternative at restaurants and cafés.
QR_KINDS = ("bar_club", "karaoke", "gym", "pc_room", "church", "restaurant", "cafe")
QR_SHARE = 0.6
PHONE_KINDS = ("restaurant", "cafe", "karaoke")
PHONE_SHARE = 0.3
CARD_SHARE = 0.7
# Where people sit at work and school (metres): a desk or classroom seat, the same
# every day. Floor area per occupant, planning
# figures (order of magnitude, not a survey): offices ~10 m² per worker including
# shared space, schools ~4 m² per pupil (classroom plus corridors). A place's floor is
# sized for its expected occupancy, so a 1,000-person employer spreads over ~100 m.
SEAT_AREA_M2 = {"workplace": 10.0, "school": 4.0}
SCHOOL_AGE_SHARE = 0.11     # residents aged 7-18, ~11% in 2020 (KOSTAT); sizes schools
BIN_S = 300                 # 5-minute ping bins
GPS_DROP = 0.05             # share of 5-minute GPS pings missing
TELECOM_KEEP = 0.5          # share of bins with a base-station record
TOWER_NEIGHBOUR = 0.2       # share of records attached to the 2nd-nearest tower
PEOPLE_PER_TOWER = 700      # towers placed by density (homes and jobs)
# fmt: on
