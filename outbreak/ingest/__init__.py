"""Ingest: raw movement feeds → canonical, partitioned, queryable movement store."""

from outbreak.ingest.access import person_pings, resolve_qr_visitors
from outbreak.ingest.adapters import ADAPTERS, Reference
from outbreak.ingest.compact import compact
from outbreak.ingest.reference import city_reference, load_reference
from outbreak.ingest.retention import apply_retention
from outbreak.ingest.schema import PINGS, Reason
from outbreak.ingest.service import BatchSummary, ingest_city, ingest_file, recover
from outbreak.ingest.store import MovementStore

__all__ = [
    "ADAPTERS",
    "PINGS",
    "BatchSummary",
    "MovementStore",
    "Reason",
    "Reference",
    "apply_retention",
    "city_reference",
    "compact",
    "ingest_city",
    "ingest_file",
    "load_reference",
    "person_pings",
    "recover",
    "resolve_qr_visitors",
]
