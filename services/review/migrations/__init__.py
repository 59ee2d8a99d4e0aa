"""Review's schema migrations (alembic), run by the service at start: `upgrade()` below."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

_HERE = Path(__file__).resolve().parent
SPINE_REVISION = "0001"
_LOCK_KEY = 0x5A4B5245  # any constant shared by every replica of review


def _config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Brings the schema to `revision`. A database made before migrations existed (its tables
    created directly, no version recorded) is first stamped as the spine revision it matches.
    On PostgreSQL, replicas starting together take turns (a transaction-scoped advisory lock)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        config = _config(connection)
        if _unversioned_spine(connection):
            command.stamp(config, SPINE_REVISION)
        command.upgrade(config, revision)


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _unversioned_spine(connection) -> bool:
    tables = set(inspect(connection).get_table_names())
    return "contracts" in tables and "alembic_version" not in tables
