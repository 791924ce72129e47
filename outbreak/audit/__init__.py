"""Audit: the append-only, hash-chained log of every access to personal data."""

from outbreak.audit.chain import (
    GENESIS_HASH,
    AuditFields,
    ChainedEntry,
    ChainProblem,
    entry_hash,
    verify_chain,
)
from outbreak.audit.service import Access, VerifyReport, verify

__all__ = [
    "GENESIS_HASH",
    "Access",
    "AuditFields",
    "ChainProblem",
    "ChainedEntry",
    "VerifyReport",
    "entry_hash",
    "verify",
    "verify_chain",
]
