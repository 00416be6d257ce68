"""Alembic migrations, run from code (``ecoradar db upgrade``) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from ecoradar.core.errors import ConflictError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest)."""
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    cfg = alembic_config(engine)
    with _migrating(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config(engine)
    with _migrating(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for the migrations.

    On SQLite, foreign keys are off meanwhile and checked before the commit, as SQLite's own
    procedure for schema changes has it: Alembic's batch mode rebuilds a table (new table, copy,
    drop, rename), and SQLite refuses to drop a table other tables' rows refer to while foreign
    keys are on. The pragma must be set outside a transaction, hence on the driver's connection
    before the transaction begins."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            _pragma(conn, "PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                if sqlite:
                    _check_foreign_keys(conn)
        finally:
            if sqlite:
                _pragma(conn, "PRAGMA foreign_keys=ON")


def _pragma(conn: Connection, statement: str) -> None:
    cursor = conn.connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _check_foreign_keys(conn: Connection) -> None:
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        named = ", ".join(
            f"{table} row {rowid} -> {parent}" for table, rowid, parent, _ in broken[:5]
        )
        raise ConflictError(
            f"migration left {len(broken)} rows referring to missing rows ({named}); "
            "nothing was changed"
        )


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
