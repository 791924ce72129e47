"""Model: incidence, Rt (Cori / EpiEstim), serial intervals, nowcasts, projections."""

from outbreak.model.incidence import Incidence
from outbreak.model.rt import (
    NotFittedError,
    RtEstimator,
    RtResult,
    SerialInterval,
    TooEarlyWarning,
    discr_si,
)

__all__ = [
    "Incidence",
    "NotFittedError",
    "RtEstimator",
    "RtResult",
    "SerialInterval",
    "TooEarlyWarning",
    "discr_si",
]
