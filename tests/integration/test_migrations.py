"""Alembic migrations on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from ecoradar.bootstrap import Container
from ecoradar.core import migrate
from ecoradar.models import Base


def test_the_migrated_schema_matches_the_models(container: Container) -> None:
    with container.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_migrations_go_down_to_nothing_and_back_up(container: Container) -> None:
    engine = container.engine
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    assert {"regions", "enterprises", "monitoring_points"} <= set(inspect(engine).get_table_names())


def test_upgrading_twice_changes_nothing(container: Container) -> None:
    migrate.upgrade(container.engine)
    assert migrate.current_revision(container.engine) == migrate.head_revision(container.engine)
