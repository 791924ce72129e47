from __future__ import annotations

from pathlib import Path

import pytest

from outbreak.config import Settings, load_settings
from outbreak.errors import ConfigError


def test_defaults_are_embedded_sqlite_in_dev(tmp_path: Path) -> None:
    s = load_settings(_env_file=None, data_dir=tmp_path)
    assert s.env == "dev"
    assert s.db_url == f"sqlite:///{(tmp_path / 'outbreak.db').resolve()}"
    assert s.parquet_path == tmp_path / "parquet"
    assert s.retention_checkin_days == 28
    assert s.retention_disclosure_days == 14


@pytest.mark.parametrize("env", ["prod", "test"])
def test_placeholder_secret_refused_outside_dev(env: str) -> None:
    with pytest.raises(ConfigError, match="OUTBREAK_SECRET_KEY"):
        load_settings(_env_file=None, env=env)


def test_short_secret_refused_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTBREAK_ENV", "prod")
    monkeypatch.setenv("OUTBREAK_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("OUTBREAK_PSEUDONYM_KEY", "short")
    with pytest.raises(ConfigError, match="OUTBREAK_PSEUDONYM_KEY"):
        load_settings(_env_file=None)


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTBREAK_TOKEN_LIFETIME_MIN", "soon")
    with pytest.raises(ConfigError, match="OUTBREAK_TOKEN_LIFETIME_MIN"):
        load_settings(_env_file=None)


def test_unknown_keyword_is_refused() -> None:
    with pytest.raises(ConfigError, match="OUTBREAK_DATABSE_URL"):
        load_settings(_env_file=None, databse_url="sqlite://")


def test_env_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("OUTBREAK_SERVE_PORT=9123\nOUTBREAK_DATABASE_URL=sqlite:///x.db\n")
    s = load_settings(_env_file=env)
    assert s.serve_port == 9123
    assert s.db_url == "sqlite:///x.db"


def test_secrets_do_not_print() -> None:
    s = Settings(_env_file=None, secret_key="supersecret" * 4)  # type: ignore[call-arg]
    assert "supersecret" not in repr(s)
