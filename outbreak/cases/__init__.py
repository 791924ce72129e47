"""Cases: people, confirmed cases, clusters and contacts, with their lifecycle rules."""

from outbreak.cases.lifecycle import ALLOWED_MOVES, check_case_dates, check_transition
from outbreak.cases.links import (
    ExposureWindow,
    add_contact,
    create_cluster,
    link_case,
    purge_expired,
)
from outbreak.cases.service import (
    PersonDetails,
    create_case,
    get_case,
    get_person,
    register_person,
    transition_case,
)

__all__ = [
    "ALLOWED_MOVES",
    "ExposureWindow",
    "PersonDetails",
    "add_contact",
    "check_case_dates",
    "check_transition",
    "create_case",
    "create_cluster",
    "get_case",
    "get_person",
    "link_case",
    "purge_expired",
    "register_person",
    "transition_case",
]
