from __future__ import annotations

import pytest

from outbreak.auth.roles import GRANTS, Permission, Principal, authorize, validate_scope
from outbreak.errors import InvalidInput, PermissionDenied
from outbreak.testing import make_principal
from outbreak.types import Role


def test_every_role_has_a_grant_entry() -> None:
    assert set(GRANTS) == set(Role)


def test_admin_has_every_permission() -> None:
    assert GRANTS[Role.ADMIN] == frozenset(Permission)


@pytest.mark.parametrize("role", [Role.ANALYST, Role.COMMUNICATOR, Role.PHARMACIST])
def test_aggregate_roles_never_read_people(role: Role) -> None:
    assert Permission.PERSON_READ not in GRANTS[role]
    assert Permission.CASE_READ not in GRANTS[role]
    with pytest.raises(PermissionDenied, match="may not person.read"):
        authorize(make_principal(role), Permission.PERSON_READ, "11230")


def test_only_admin_manages_users_and_reads_audit() -> None:
    for role in Role:
        if role is not Role.ADMIN:
            assert Permission.USER_MANAGE not in GRANTS[role]
            assert Permission.AUDIT_READ not in GRANTS[role]


@pytest.mark.parametrize(
    ("scopes", "district", "allowed"),
    [
        (("11230",), "11230", True),
        (("11230",), "11240", False),
        (("11",), "11240", True),
        (("11",), "26010", False),
        (("*",), "39010", True),
        (("11230", "26"), "26010", True),
        ((), "11230", False),
    ],
)
def test_jurisdiction_by_scope_prefix(
    scopes: tuple[str, ...], district: str, allowed: bool
) -> None:
    p = make_principal(Role.INVESTIGATOR, scopes=scopes)
    assert p.covers(district) is allowed
    if allowed:
        assert authorize(p, Permission.CASE_READ, district) is Role.INVESTIGATOR
    else:
        with pytest.raises(PermissionDenied, match="no jurisdiction"):
            authorize(p, Permission.CASE_READ, district)


def test_granting_role_is_reported() -> None:
    p = Principal(
        "kim", frozenset({Role.ANALYST, Role.BED_COORDINATOR}), frozenset({"*"})
    )
    assert authorize(p, Permission.CASE_WRITE, "11230") is Role.BED_COORDINATOR


@pytest.mark.parametrize("scope", ["*", "11", "112", "11230"])
def test_valid_scopes(scope: str) -> None:
    assert validate_scope(scope) == scope


@pytest.mark.parametrize("scope", ["", "1", "112301", "seoul", "1a"])
def test_invalid_scopes(scope: str) -> None:
    with pytest.raises(InvalidInput, match="Invalid scope"):
        validate_scope(scope)
