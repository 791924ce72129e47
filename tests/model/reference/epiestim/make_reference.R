# Reference outputs of EpiEstim (Cori et al. 2013) for tests/model/test_rt_epiestim.py.
# Run from this directory:  Rscript make_reference.R
# Needs Debian's r-cran-epiestim (2.2-4). Writes the CSV files next to this script.
suppressPackageStartupMessages(library(EpiEstim))
set.seed(20200220)

cols <- c("t_start", "t_end", "mean", "std", "q0025", "q005", "q025", "median",
          "q075", "q095", "q0975")
save_r <- function(res, name) {
  out <- res$R
  names(out) <- cols
  write.csv(format(out, digits = 17), paste0(name, ".csv"), row.names = FALSE,
            quote = FALSE)
}
weekly <- function(T) list(t_start = seq(2, T - 6), t_end = seq(8, T))
run <- function(incid, method, cfg, name) {
  res <- suppressWarnings(estimate_R(incid, method = method, config = make_config(cfg)))
  save_r(res, name)
  invisible(res)
}

# EpiEstim's own serial intervals for each data set (vignettes and Cori et al. 2013).
param_si <- list(Flu2009 = c(2.6, 1.5), Flu1918 = c(2.6, 1.5), SARS2003 = c(8.4, 3.8),
                 Measles1861 = c(14.9, 3.9), Smallpox1972 = c(22.4, 6.1))

for (d in names(param_si)) {
  data(list = d)
  x <- get(d)
  incid <- if (is.data.frame(x$incidence)) x$incidence$I else x$incidence
  T <- length(incid)
  write.csv(data.frame(I = incid), paste0(d, "_incidence.csv"), row.names = FALSE)
  write.csv(data.frame(si = format(x$si_distr, digits = 17)), paste0(d, "_si_distr.csv"),
            row.names = FALSE, quote = FALSE)
  m <- param_si[[d]][1]; s <- param_si[[d]][2]
  w <- weekly(T)
  run(incid, "parametric_si", c(w, list(mean_si = m, std_si = s)),
      paste0(d, "_parametric_weekly"))
  run(incid, "non_parametric_si", c(w, list(si_distr = x$si_distr)),
      paste0(d, "_nonparametric_weekly"))
  # other window widths: daily, and 14 days
  run(incid, "parametric_si",
      list(t_start = seq(2, T), t_end = seq(2, T), mean_si = m, std_si = s),
      paste0(d, "_parametric_daily"))
  if (T > 20) {
    run(incid, "parametric_si",
        list(t_start = seq(2, T - 13), t_end = seq(15, T), mean_si = m, std_si = s),
        paste0(d, "_parametric_14day"))
  }
  write.csv(data.frame(k = seq(0, T - 1), w = format(discr_si(seq(0, T - 1), m, s),
            digits = 17)), paste0(d, "_discr_si.csv"), row.names = FALSE, quote = FALSE)
}

# Non-overlapping weeks and imported cases, on Flu2009.
data(Flu2009)
I <- Flu2009$incidence$I
T <- length(I)
run(I, "parametric_si", list(t_start = seq(2, T - 6, 7), t_end = seq(8, T, 7),
    mean_si = 2.6, std_si = 1.5), "Flu2009_parametric_nonoverlap")
imported <- rep(0, T); imported[c(1, 4, 6, 10, 15)] <- c(1, 1, 2, 1, 3)
local <- pmax(I - imported, 0); local[1] <- 0
incid_li <- data.frame(local = local, imported = imported)
write.csv(incid_li, "Flu2009_local_imported_incidence.csv", row.names = FALSE)
run(incid_li, "parametric_si", c(weekly(T), list(mean_si = 2.6, std_si = 1.5)),
    "Flu2009_imported_parametric_weekly")

# Uncertain serial interval (EpiEstim vignette settings; large n2 so that
# EpiEstim's Monte Carlo error is small). The sampled SI moments are saved too.
res <- run(I, "uncertain_si",
           c(weekly(T), list(mean_si = 2.6, std_mean_si = 1, min_mean_si = 1,
             max_mean_si = 4.2, std_si = 1.5, std_std_si = 0.5, min_std_si = 0.5,
             max_std_si = 2.5, n1 = 50, n2 = 20000)),
           "Flu2009_uncertain_weekly")
write.csv(format(res$SI.Moments, digits = 17), "Flu2009_uncertain_si_moments.csv",
          row.names = FALSE, quote = FALSE)

# The "too early" warning for the first window.
w <- tryCatch(estimate_R(I, method = "parametric_si",
                         config = make_config(list(t_start = 2, t_end = 3,
                                                   mean_si = 2.6, std_si = 1.5))),
              warning = function(w) conditionMessage(w))
writeLines(gsub("\\s+", " ", w), "warning_too_early.txt")

writeLines(c(R.version.string, paste("EpiEstim", packageVersion("EpiEstim"))),
           "VERSIONS.txt")
