"""Synth: a reproducible synthetic Seoul whose people move, with raw movement feeds."""

from outbreak.synth.city import KINDS, build_city, residents
from outbreak.synth.generate import FEEDS, Manifest, generate
from outbreak.synth.itinerary import day_stays

__all__ = [
    "FEEDS",
    "KINDS",
    "Manifest",
    "build_city",
    "day_stays",
    "generate",
    "residents",
]
