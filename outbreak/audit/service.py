"""The one place where access to personal data is authorised and logged.

Every service that reads or writes personal data asks :meth:`Access.check` first. It
checks the caller's role and jurisdiction and appends an audit entry — "allowed" in
the caller's transaction, or "denied" in a transaction of its own (after rolling back
whatever the request had done) before raising :class:`PermissionDenied`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NoReturn

from sqlalchemy.orm import Session

from outbreak.audit.chain import AuditFields, ChainedEntry, ChainProblem, verify_chain
from outbreak.auth.roles import Permission, Principal, authorize
from outbreak.errors import InvalidInput, PermissionDenied
from outbreak.store.queries import audit as queries
from outbreak.types import KST

MIN_PURPOSE_LENGTH = 3


@dataclass(frozen=True)
class Access:
    """A caller acting for a stated purpose, within one database session."""

    session: Session
    principal: Principal
    purpose: str
    today: date = field(default_factory=lambda: datetime.now(KST).date())  # Korea's day

    def __post_init__(self) -> None:
        if len(self.purpose.strip()) < MIN_PURPOSE_LENGTH:
            raise InvalidInput(
                f"A purpose of at least {MIN_PURPOSE_LENGTH} characters is required "
                "to access personal data (e.g. 'case investigation')",
                field="purpose",
            )

    def check(
        self,
        permission: Permission,
        *,
        subject_type: str,
        subject_id: str,
        district_code: str | None = None,
        detail: str = "",
    ) -> None:
        """Authorise ``permission`` on a subject and write the audit entry."""
        fields = self._fields(permission, subject_type, subject_id, detail)
        try:
            authorize(self.principal, permission, district_code)
        except PermissionDenied as exc:
            self._deny(fields, exc)
        queries.append_entry(session=self.session, fields=fields)

    def refuse(
        self,
        permission: Permission,
        *,
        subject_type: str,
        subject_id: str,
        reason: str,
        field: str | None = None,
    ) -> NoReturn:
        """Record a denied attempt that the role allows but a rule does not — e.g.
        reading a source no approved data request covers — and raise."""
        fields = self._fields(permission, subject_type, subject_id, reason)
        self._deny(fields, PermissionDenied(reason, field=field))

    def _fields(
        self, permission: Permission, subject_type: str, subject_id: str, detail: str
    ) -> AuditFields:
        return AuditFields(
            actor=self.principal.username,
            role=self.principal.role_label,
            action=permission.value,
            subject_type=subject_type,
            subject_id=subject_id,
            purpose=self.purpose,
            outcome="allowed",
            detail=detail,
        )

    def _deny(self, fields: AuditFields, exc: PermissionDenied) -> NoReturn:
        self.session.rollback()
        denied = AuditFields(**{**fields.__dict__, "outcome": "denied"})
        queries.append_entry(session=self.session, fields=denied)
        self.session.commit()
        raise exc from None


@dataclass(frozen=True)
class VerifyReport:
    """The result of checking the whole audit chain."""

    count: int
    head_hash: str | None
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        """True when no entry was edited, deleted or inserted."""
        return not self.problems


def verify(session: Session) -> VerifyReport:
    """Walk the whole chain and report every break."""
    seen: list[ChainedEntry] = []
    count = 0

    def counted() -> Iterator[ChainedEntry]:
        nonlocal count
        for entry in queries.iter_entries(session=session):
            count += 1
            seen[:] = [entry]  # keep only the newest: the log can be large
            yield entry

    problems = verify_chain(counted())
    head_hash = seen[0].hash if seen else None
    return VerifyReport(count=count, head_hash=head_hash, problems=problems)
