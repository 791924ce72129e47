"""User, role, scope and API-key queries."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.store.tables import ApiKeyRow, UserRoleRow, UserRow, UserScopeRow

__all__ = [
    "UserRow",
    "add_api_key",
    "add_user",
    "api_key_by_prefix",
    "get_user",
    "list_users",
    "roles_and_scopes",
]
from outbreak.types import Role


def get_user(*, session: Session, username: str) -> UserRow | None:
    """The user named ``username``, or None."""
    return session.scalar(sa.select(UserRow).where(UserRow.username == username))


def roles_and_scopes(*, session: Session, user_id: int) -> tuple[set[Role], set[str]]:
    """The roles and scopes held by a user."""
    roles = session.scalars(
        sa.select(UserRoleRow.role).where(UserRoleRow.user_id == user_id)
    ).all()
    scopes = session.scalars(
        sa.select(UserScopeRow.scope).where(UserScopeRow.user_id == user_id)
    ).all()
    return set(roles), set(scopes)


def add_user(
    *,
    session: Session,
    username: str,
    display_name: str,
    password_hash: str,
    roles: set[Role],
    scopes: set[str],
) -> UserRow:
    """Insert a user with roles and scopes."""
    user = UserRow(
        username=username, display_name=display_name, password_hash=password_hash
    )
    session.add(user)
    session.flush()
    session.add_all(UserRoleRow(user_id=user.id, role=role) for role in roles)
    session.add_all(UserScopeRow(user_id=user.id, scope=scope) for scope in scopes)
    session.flush()
    return user


def list_users(
    *, session: Session, limit: int, offset: int
) -> tuple[list[UserRow], int]:
    """A page of users by username, with the total."""
    total = session.scalar(sa.select(sa.func.count()).select_from(UserRow)) or 0
    rows = session.scalars(
        sa.select(UserRow).order_by(UserRow.username).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def add_api_key(
    *, session: Session, user_id: int, name: str, prefix: str, key_hash: str
) -> ApiKeyRow:
    """Store a new API key's hash."""
    row = ApiKeyRow(user_id=user_id, name=name, prefix=prefix, key_hash=key_hash)
    session.add(row)
    session.flush()
    return row


def api_key_by_prefix(*, session: Session, prefix: str) -> ApiKeyRow | None:
    """The unrevoked API key with ``prefix``, or None."""
    return session.scalar(
        sa.select(ApiKeyRow).where(
            ApiKeyRow.prefix == prefix, ApiKeyRow.revoked_at.is_(None)
        )
    )
