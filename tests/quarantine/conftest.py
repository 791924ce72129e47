"""The synthetic city of the investigation tests, for the demo-based browser test."""

from tests.trace.conftest import city, ctx

__all__ = ["city", "ctx"]
