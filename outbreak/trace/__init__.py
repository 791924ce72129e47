"""Epidemiological investigation: routes, close contacts, clusters and chains."""

from outbreak.trace.contacts import ContactRule, find_contacts
from outbreak.trace.investigate import issue_orders, rebuild_route, trace_contacts
from outbreak.trace.network import Network, network
from outbreak.trace.route import RouteRule, build_route
from outbreak.trace.service import (
    TraceContext,
    decide_request,
    open_investigation,
    request_data,
)
from outbreak.trace.stays import StayRule, detect_stays
from outbreak.trace.window import infectious_window

__all__ = [
    "ContactRule",
    "Network",
    "RouteRule",
    "StayRule",
    "TraceContext",
    "build_route",
    "decide_request",
    "detect_stays",
    "find_contacts",
    "infectious_window",
    "issue_orders",
    "network",
    "open_investigation",
    "rebuild_route",
    "request_data",
    "trace_contacts",
]
