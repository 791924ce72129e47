"""Settings: the one place that reads the environment.

``Settings`` reads ``OUTBREAK_*`` variables and a ``.env`` file. Get it through
:func:`get_settings` (cached) or build it with :func:`load_settings`; pass it into
``create_app(settings)`` and the CLI context. Nothing is read at import time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from outbreak.errors import ConfigError

PLACEHOLDER_SECRET = "changethis"  # noqa: S105 - refused outside dev
SECRET_KEYS = ("secret_key", "pseudonym_key", "data_key")
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Every setting of an outbreak deployment (see docs/settings.md)."""

    model_config = SettingsConfigDict(
        env_prefix="OUTBREAK_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        frozen=True,
    )

    env: Literal["dev", "test", "prod"] = Field(
        "dev",
        description="Deployment mode. Placeholder secrets are refused unless this is "
        "`dev`; `test` is for test suites.",
    )
    data_dir: Path = Field(
        Path("var"),
        description="Directory for the embedded database and local files; created "
        "on first use.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the operational database, e.g. "
        "`postgresql+psycopg://user@host/db`. Default: SQLite file "
        "`<data_dir>/outbreak.db`.",
    )
    db_pool_size: int = Field(
        20,
        gt=0,
        le=200,
        description="Database connections each server process keeps open (PostgreSQL; "
        "as many again may be opened under bursts). Opening a connection costs a "
        "backend process, so keep it near the requests a process serves at once.",
    )
    parquet_dir: Path | None = Field(
        None,
        description="Directory of the partitioned Parquet movement store. Default: "
        "`<data_dir>/parquet`.",
    )
    secret_key: SecretStr = Field(
        SecretStr(PLACEHOLDER_SECRET),
        description="Key that signs access tokens and dashboard sessions (at least "
        "32 characters outside dev).",
    )
    pseudonym_key: SecretStr = Field(
        SecretStr(PLACEHOLDER_SECRET),
        description="HMAC key that turns national IDs and phone numbers into person "
        "keys. Changing it orphans every existing key.",
    )
    data_key: SecretStr = Field(
        SecretStr(PLACEHOLDER_SECRET),
        description="Key material for encrypting contact details at rest "
        "(names, phone numbers, addresses).",
    )
    token_lifetime_min: int = Field(
        60, gt=0, le=7 * 24 * 60, description="Lifetime of a bearer token in minutes."
    )
    retention_checkin_days: int = Field(
        28,
        gt=0,
        description="Days a venue check-in (KI-Pass QR / phone) is kept before it is "
        "destroyed (KDCA: 4 weeks).",
    )
    retention_disclosure_days: int = Field(
        14,
        gt=0,
        le=14,
        description="Days a disclosed exposure place stays public after its last "
        "contact (KDCA guideline, Oct 2020: 14, the most allowed).",
    )
    retention_movement_days: int = Field(
        28,
        gt=0,
        description="Days GPS and base-station pings are kept (the investigation "
        "window of 14 days, twice over) before their partitions are deleted.",
    )
    quarantine_days: int = Field(
        14,
        gt=0,
        description="Days of quarantine after a contact's last exposure (Korea's "
        "Infectious Disease Control and Prevention Act practice: 14 days).",
    )
    registry_dir: Path | None = Field(
        None,
        description="Directory of the reference registries the investigation engine "
        "reads: `places.parquet` (venues, workplaces…) and `people/` (resident "
        "registry: phone, household). Default: the demo city's, "
        "`<data_dir>/city/city`.",
    )
    retention_contact_days: int = Field(
        42,
        gt=0,
        description="Days after the end of the exposure window that the record of a "
        "contact who never became a case is kept (14 days of quarantine plus 4 "
        "weeks for review).",
    )
    page_size_max: int = Field(
        500, gt=0, le=10_000, description="Largest page a list endpoint returns."
    )
    serve_host: str = Field("127.0.0.1", description="Address `outbreak serve` binds.")
    serve_port: int = Field(
        8000, gt=0, lt=65536, description="Port `outbreak serve` listens on."
    )
    serve_threads: int = Field(
        4,
        gt=0,
        le=256,
        description="Threads a server process runs blocking requests on (database "
        "work). Few beat many on a small machine: more threads only fight over the "
        "interpreter lock while requests wait their turn anyway (measured: 2-4 per "
        "process gave 1.5x the reports/s of 40).",
    )
    cookie_secure: bool = Field(
        False,
        description="Mark dashboard cookies Secure (set true behind HTTPS).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Logging level of the server and CLI."
    )
    public_dir: Path | None = Field(
        None,
        description="Directory of what the public site serves without touching the "
        "database: the published exposure places (a snapshot rewritten on every "
        "publication) and the signed exposure-key exports. Default: "
        "`<data_dir>/public`.",
    )
    # --- exposure notification key server (outbreak.disclose.keyserver) ---
    en_region: str = Field(
        "KR",
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166 alpha-2 region of the exposure-notification key "
        "server: uploads must name it and exports carry it.",
    )
    en_code_lifetime_min: int = Field(
        24 * 60,
        gt=0,
        le=14 * 24 * 60,
        description="Minutes an exposure-notification verification code stays "
        "valid after it is issued (single use).",
    )
    en_signing_key_file: Path | None = Field(
        None,
        description="PEM file of the ECDSA P-256 private key that signs "
        "exposure-key exports; created at first use unless env=prod. Default: "
        "`<data_dir>/en-signing-key.pem`.",
    )
    en_key_id: str = Field(
        "450",
        min_length=1,
        max_length=32,
        description="Verification key id in export signatures, agreed with Apple "
        "and Google (Korea's mobile country code, as Google used MCCs).",
    )
    en_key_version: str = Field(
        "v1",
        min_length=1,
        max_length=32,
        description="Verification key version in export signatures; change it "
        "when the signing key is rotated.",
    )
    # --- agent-based model runs (outbreak.scenarios) ---
    model_max_agent_days: int = Field(
        2_000_000_000,
        gt=0,
        description="Most agent-days (agents x days x scenarios x seeds) one model "
        "run submitted through the API or dashboard may ask for (about a minute "
        "on 2 cores; larger studies: `outbreak model sweep`).",
    )
    dask_scheduler: str | None = Field(
        None,
        description="Address of a Dask scheduler (`tcp://host:8786`) that runs "
        "submitted model studies, one task per scenario and seed. Default: in the "
        "server process.",
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.env == "dev":
            return self
        for name in SECRET_KEYS:
            value = getattr(self, name).get_secret_value()
            if value == PLACEHOLDER_SECRET or len(value) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"OUTBREAK_{name.upper()} must be set to a random value of at "
                    f"least {MIN_SECRET_LENGTH} characters when env={self.env!r} "
                    f"(generate one with `python -c 'import secrets; "
                    f"print(secrets.token_urlsafe(48))'`)"
                )
        return self

    @property
    def db_url(self) -> str:
        """The database URL in force (the SQLite default when none is set)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'outbreak.db').resolve()}"

    @property
    def registry_path(self) -> Path:
        """The registry directory in force."""
        return self.registry_dir or self.data_dir / "city" / "city"

    @property
    def public_path(self) -> Path:
        """The public directory in force."""
        return self.public_dir or self.data_dir / "public"

    @property
    def en_signing_key_path(self) -> Path:
        """The export signing key file in force."""
        return self.en_signing_key_file or self.data_dir / "en-signing-key.pem"

    @property
    def parquet_path(self) -> Path:
        """The Parquet store directory in force."""
        return self.parquet_dir or self.data_dir / "parquet"


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment plus ``overrides``, failing fast.

    Raises
    ------
    ConfigError
        Naming the first bad key, as its environment variable, and what was expected.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"])
        key = f"OUTBREAK_{loc.upper()}" if loc else "settings"
        raise ConfigError(f"Invalid setting {key}: {first['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, built once per process."""
    return load_settings()


def settings_markdown() -> str:
    """The reference table of every setting, for docs/settings.md."""
    lines = [
        "# Settings",
        "",
        "Generated from `outbreak.config.Settings` by `scripts/gen-docs`; a test",
        "fails when this file and the code disagree. Set each as an environment",
        "variable or in a `.env` file in the working directory.",
        "",
        "| variable | default | description |",
        "|---|---|---|",
    ]
    for name, info in Settings.model_fields.items():
        default = info.default
        if isinstance(default, SecretStr):
            shown = f"`{PLACEHOLDER_SECRET}` (dev only)"
        elif default is None:
            shown = "—"
        else:
            shown = f"`{default}`"
        lines.append(f"| `OUTBREAK_{name.upper()}` | {shown} | {info.description} |")
    return "\n".join(lines) + "\n"
