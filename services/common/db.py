"""Relational state of a service (SQLite in its state directory unless DATABASE_URL says otherwise)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event


def make_engine(state_dir: Path, name: str, url: str = "") -> Engine:
    if not url:
        state_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{state_dir / name}.sqlite3"
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
