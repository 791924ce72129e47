"""Who may do what, where: roles, permissions and district jurisdiction (pure).

A user holds one or more roles and one or more *scopes*. A scope is a district-code
prefix: ``"11230"`` is Gangnam-gu only, ``"11"`` all of Seoul, ``"*"`` the whole
country. An action on a person or case is allowed when one of the user's roles grants
the permission *and* the record's district lies in one of the user's scopes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from outbreak.errors import InvalidInput, PermissionDenied
from outbreak.types import Role

NATIONAL_SCOPE = "*"


class Permission(StrEnum):
    """An action on a kind of record."""

    PERSON_READ = "person.read"
    PERSON_WRITE = "person.write"
    CASE_READ = "case.read"
    CASE_WRITE = "case.write"
    CLUSTER_READ = "cluster.read"
    CLUSTER_WRITE = "cluster.write"
    CONTACT_READ = "contact.read"
    CONTACT_WRITE = "contact.write"
    STATS_READ = "stats.read"
    MOVEMENT_INGEST = "movement.ingest"
    MOVEMENT_READ = "movement.read"
    INVESTIGATION_READ = "investigation.read"
    INVESTIGATION_WRITE = "investigation.write"
    DATA_APPROVE = "data.approve"  # decide requests to read an investigation's data
    ORDER_WRITE = "order.write"  # issue test and quarantine orders
    POPULATION_READ = "population.read"  # everyone's movement data at once (Q3)
    QUARANTINE_READ = "quarantine.read"  # orders, reports, alerts
    QUARANTINE_WRITE = "quarantine.write"  # issue, acknowledge, release, extend
    DISCLOSURE_READ = "disclosure.read"  # proposed exposure places and why withheld
    DISCLOSURE_WRITE = "disclosure.write"  # edit, hide, publish, withdraw
    EN_CODE_ISSUE = "en.code.issue"  # verification codes for exposure-key uploads
    MODEL_RUN = "model.run"  # submit agent-based model runs (aggregates only)
    USER_MANAGE = "user.manage"
    AUDIT_READ = "audit.read"


P = Permission
# fmt: off
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN:              frozenset(Permission),
    Role.INVESTIGATOR:       frozenset({P.PERSON_READ, P.PERSON_WRITE, P.CASE_READ,
                                        P.CASE_WRITE, P.CLUSTER_READ, P.CLUSTER_WRITE,
                                        P.CONTACT_READ, P.CONTACT_WRITE, P.STATS_READ,
                                        P.MOVEMENT_INGEST, P.MOVEMENT_READ,
                                        P.INVESTIGATION_READ, P.INVESTIGATION_WRITE,
                                        P.ORDER_WRITE, P.QUARANTINE_READ,
                                        P.DISCLOSURE_READ, P.EN_CODE_ISSUE}),
    Role.DATA_APPROVER:      frozenset({P.CASE_READ, P.STATS_READ,
                                        P.INVESTIGATION_READ, P.DATA_APPROVE}),
    Role.QUARANTINE_OFFICER: frozenset({P.PERSON_READ, P.CASE_READ, P.CONTACT_READ,
                                        P.STATS_READ, P.INVESTIGATION_READ,
                                        P.QUARANTINE_READ, P.QUARANTINE_WRITE}),
    Role.CLINIC_STAFF:       frozenset({P.PERSON_READ, P.PERSON_WRITE, P.CASE_READ,
                                        P.CASE_WRITE, P.STATS_READ, P.EN_CODE_ISSUE}),
    Role.BED_COORDINATOR:    frozenset({P.PERSON_READ, P.CASE_READ, P.CASE_WRITE,
                                        P.STATS_READ}),
    Role.PHARMACIST:         frozenset(),
    Role.COMMUNICATOR:       frozenset({P.CLUSTER_READ, P.STATS_READ,
                                        P.DISCLOSURE_READ, P.DISCLOSURE_WRITE}),
    Role.ANALYST:            frozenset({P.STATS_READ, P.CLUSTER_READ, P.MODEL_RUN}),
}
# fmt: on


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user (or a user's API key) with roles and scopes."""

    username: str
    roles: frozenset[Role]
    scopes: frozenset[str]

    def covers(self, district_code: str) -> bool:
        """Whether ``district_code`` lies in one of this principal's scopes."""
        return any(
            scope == NATIONAL_SCOPE or district_code.startswith(scope)
            for scope in self.scopes
        )

    def granting_role(self, permission: Permission) -> Role | None:
        """The first of the principal's roles that grants ``permission``, if any."""
        for role in sorted(self.roles):
            if permission in GRANTS[role]:
                return role
        return None

    @property
    def role_label(self) -> str:
        """All roles, comma-separated, for the audit log."""
        return ",".join(sorted(self.roles)) or "-"


def authorize(
    principal: Principal, permission: Permission, district_code: str | None = None
) -> Role:
    """Check ``permission`` (and jurisdiction over ``district_code``), naming the role.

    Returns the role that grants the action, for the audit entry.

    Raises
    ------
    PermissionDenied
        When no role grants the permission or the district is outside every scope.

    Examples
    --------
    >>> gangnam = Principal("kim", frozenset({Role.INVESTIGATOR}), frozenset({"11230"}))
    >>> authorize(gangnam, Permission.CASE_READ, "11230")
    <Role.INVESTIGATOR: 'investigator'>
    >>> authorize(gangnam, Permission.CASE_READ, "11240")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    outbreak.errors.PermissionDenied: User 'kim' has no jurisdiction over ...
    """
    role = principal.granting_role(permission)
    if role is None:
        raise PermissionDenied(
            f"User {principal.username!r} (roles: {principal.role_label}) may not "
            f"{permission.value}; ask an admin for a role that grants it"
        )
    if district_code is not None and not principal.covers(district_code):
        scopes = ", ".join(sorted(principal.scopes)) or "none"
        raise PermissionDenied(
            f"User {principal.username!r} has no jurisdiction over district "
            f"{district_code} (scopes: {scopes})"
        )
    return role


def validate_scope(scope: str) -> str:
    """Check a scope string: ``*`` or 2 to 5 digits of a district code."""
    if scope == NATIONAL_SCOPE or (scope.isdigit() and 2 <= len(scope) <= 5):
        return scope
    raise InvalidInput(
        f"Invalid scope {scope!r}; expected '*' (national), a province code such "
        "as '11', or a district code such as '11230'",
        field="scopes",
    )
