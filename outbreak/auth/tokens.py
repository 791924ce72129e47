"""Bearer tokens (signed JWT) and API keys for machine clients."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import jwt

from outbreak.errors import NotAuthenticated

ALGORITHM = "HS256"
API_KEY_PREFIX = "obk"


def issue_token(username: str, *, secret: str, lifetime_min: int) -> str:
    """A signed token naming ``username``, valid for ``lifetime_min`` minutes."""
    now = datetime.now(UTC)
    claims = {
        "sub": username,
        "iat": now,
        "exp": now + timedelta(minutes=lifetime_min),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, *, secret: str) -> str:
    """The username in a valid token; expired or forged tokens raise."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM])
    except jwt.ExpiredSignatureError:
        raise NotAuthenticated("Token has expired; log in again") from None
    except jwt.PyJWTError:
        raise NotAuthenticated("Token is invalid") from None
    return str(claims["sub"])


def new_api_key() -> tuple[str, str, str]:
    """A fresh API key as ``(key, prefix, key_hash)``; only the hash is stored.

    The key looks like ``obk_<prefix>_<secret>``; the prefix finds the record, the
    SHA-256 of the whole key checks it (the key has 256 bits of entropy, so a fast
    hash is safe here, unlike for passwords).
    """
    prefix = secrets.token_hex(4)
    key = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_api_key(key)


def hash_api_key(key: str) -> str:
    """SHA-256 hex digest of an API key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_key_prefix(key: str) -> str:
    """The lookup prefix of an API key, or raise when it is not one of ours."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        raise NotAuthenticated("API key is malformed")
    return parts[1]
