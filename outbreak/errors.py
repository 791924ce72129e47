"""The exception tree of outbreak.

Every error the system raises on purpose derives from :class:`OutbreakError` and carries
an HTTP ``status`` and a stable machine ``code``; the web layer maps them in one place
(``outbreak.web.errors``) and the CLI prints ``Error: <message>``::

    OutbreakError                      500  error
    ├── NotFound                       404  not_found
    ├── InvalidInput (ValueError)      422  invalid_input
    │   └── InvalidTransition          422  invalid_transition
    ├── Conflict                       409  conflict
    ├── NotAuthenticated               401  not_authenticated
    ├── PermissionDenied               403  permission_denied
    │   └── PrivacyViolation           403  privacy_violation
    ├── ConfigError                    500  config_error
    └── Unavailable                    503  unavailable

Messages say what went wrong, give the value, and say what to do.
"""

from __future__ import annotations

import re

_NAMED = re.compile(r"^Value error, ([\w.]+): (.*)$", re.S)


def named_field(message: str) -> tuple[str | None, str]:
    """(field, rest) of a pydantic message from a check across a model's fields,
    which names the field it faults first (``"Value error, baseline: no scenario
    …"``); (None, message) otherwise."""
    found = _NAMED.match(message)
    return (found.group(1), found.group(2)) if found else (None, message)


class OutbreakError(Exception):
    """Root of every deliberate outbreak error."""

    status: int = 500
    code: str = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(OutbreakError):
    """A record that was asked for does not exist (or is outside the caller's view)."""

    status = 404
    code = "not_found"


class InvalidInput(OutbreakError, ValueError):
    """A value is malformed or breaks a domain rule; ``field`` names it."""

    status = 422
    code = "invalid_input"


class InvalidTransition(InvalidInput):
    """A lifecycle change that the rules forbid (e.g. releasing a deceased case)."""

    code = "invalid_transition"


class Conflict(OutbreakError):
    """The request clashes with existing data (a duplicate, an active record)."""

    status = 409
    code = "conflict"


class NotAuthenticated(OutbreakError):
    """No valid credentials were presented."""

    status = 401
    code = "not_authenticated"


class PermissionDenied(OutbreakError):
    """The caller's role or jurisdiction does not allow the action."""

    status = 403
    code = "permission_denied"


class PrivacyViolation(PermissionDenied):
    """The action would expose personal data outside its allowlist."""

    code = "privacy_violation"


class ConfigError(OutbreakError):
    """A setting is missing or invalid; the message names the key."""

    code = "config_error"


class Unavailable(OutbreakError):
    """A dependency (database, file store) cannot be reached."""

    status = 503
    code = "unavailable"


ALL_ERRORS: tuple[type[OutbreakError], ...] = (
    OutbreakError,
    NotFound,
    InvalidInput,
    InvalidTransition,
    Conflict,
    NotAuthenticated,
    PermissionDenied,
    PrivacyViolation,
    ConfigError,
    Unavailable,
)


class DataQualityWarning(UserWarning):
    """Input was usable but suspicious (a correction, a gap, an outlier)."""


def errors_markdown() -> str:
    """The reference table of every error code, for docs/errors.md."""
    lines = [
        "# Error codes",
        "",
        "Generated from `outbreak.errors` by `scripts/gen-docs`. The API answers",
        "every error as RFC 9457 `application/problem+json` with `type`",
        "(`urn:outbreak:error:<code>`), `title`, `status`, `detail`, `instance` and",
        "`code`; input errors add `field` and `errors[]` (`field`, `message`,",
        "`value`). The CLI prints `Error: <detail>` and exits 1.",
        "",
        "| code | status | meaning |",
        "|---|---|---|",
    ]
    for cls in ALL_ERRORS:
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        lines.append(f"| `{cls.code}` | {cls.status} | {doc} |")
    extra = [
        ("internal_error", 500, "An unexpected failure; details go to the server log."),
        ("method_not_allowed", 405, "The path exists but not with this HTTP method."),
        ("http_error", 400, "Another HTTP-level error (malformed request)."),
    ]
    lines += [f"| `{code}` | {status} | {text} |" for code, status, text in extra]
    return "\n".join(lines) + "\n"
