"""Users: creation, login, and resolving credentials to a :class:`Principal`."""

from __future__ import annotations

import hmac
import re

from sqlalchemy.orm import Session

from outbreak.auth.passwords import hash_password, verify_password
from outbreak.auth.roles import Principal, validate_scope
from outbreak.auth.tokens import api_key_prefix, hash_api_key, new_api_key
from outbreak.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from outbreak.store.queries import users as queries
from outbreak.types import Role

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    roles: set[Role],
    scopes: set[str],
    display_name: str = "",
) -> Principal:
    """Create a user with ``roles`` over ``scopes`` (district-code prefixes, ``*``)."""
    if not _USERNAME.match(username):
        raise InvalidInput(
            f"Invalid username {username!r}: use 2-64 lowercase letters, digits, "
            "'.', '_' or '-'",
            field="username",
        )
    if not roles:
        raise InvalidInput("A user needs at least one role", field="roles")
    if not scopes:
        raise InvalidInput(
            "A user needs at least one scope ('*' for national)", field="scopes"
        )
    scopes = {validate_scope(scope) for scope in scopes}
    if queries.get_user(session=session, username=username):
        raise Conflict(f"User {username!r} already exists", field="username")
    queries.add_user(
        session=session,
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        roles=roles,
        scopes=scopes,
    )
    return Principal(username, frozenset(roles), frozenset(scopes))


def principal_for(session: Session, username: str) -> Principal:
    """The active user ``username`` as a principal."""
    user = queries.get_user(session=session, username=username)
    if user is None or not user.is_active:
        raise NotAuthenticated(f"User {username!r} is unknown or disabled")
    roles, scopes = queries.roles_and_scopes(session=session, user_id=user.id)
    return Principal(user.username, frozenset(roles), frozenset(scopes))


def authenticate(session: Session, username: str, password: str) -> Principal:
    """Check a username and password; one message for every failure."""
    user = queries.get_user(session=session, username=username)
    if user is None or not user.is_active:
        hash_password("x" * 16)  # same work as a real check: no user enumeration
        raise NotAuthenticated("Incorrect username or password")
    if not verify_password(user.password_hash, password):
        raise NotAuthenticated("Incorrect username or password")
    return principal_for(session, username)


def create_api_key(session: Session, *, username: str, name: str) -> str:
    """A new API key acting as ``username``; shown once, only its hash is kept."""
    user = queries.get_user(session=session, username=username)
    if user is None:
        raise NotFound(f"No user {username!r}", field="username")
    key, prefix, key_hash = new_api_key()
    queries.add_api_key(
        session=session, user_id=user.id, name=name, prefix=prefix, key_hash=key_hash
    )
    return key


def principal_for_api_key(session: Session, key: str) -> Principal:
    """The principal an API key acts as."""
    row = queries.api_key_by_prefix(session=session, prefix=api_key_prefix(key))
    if row is None or not hmac.compare_digest(row.key_hash, hash_api_key(key)):
        raise NotAuthenticated("API key is unknown or revoked")
    user = session.get(queries.UserRow, row.user_id)
    if user is None:  # pragma: no cover - cascade deletes keys with the user
        raise NotAuthenticated("API key is unknown or revoked")
    return principal_for(session, user.username)
