"""Auth: users, roles, district jurisdiction, passwords, tokens and API keys."""

from outbreak.auth.roles import GRANTS, NATIONAL_SCOPE, Permission, Principal, authorize
from outbreak.auth.service import (
    authenticate,
    create_api_key,
    create_user,
    principal_for,
    principal_for_api_key,
)
from outbreak.auth.tokens import issue_token, read_token

__all__ = [
    "GRANTS",
    "NATIONAL_SCOPE",
    "Permission",
    "Principal",
    "authenticate",
    "authorize",
    "create_api_key",
    "create_user",
    "issue_token",
    "principal_for",
    "principal_for_api_key",
    "read_token",
]
