"""Alembic migrations on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from ecoradar.bootstrap import Container
from ecoradar.core import migrate
from ecoradar.core.errors import ConflictError
from ecoradar.media.inspect import MediaLimits
from ecoradar.media.service import store_upload
from ecoradar.models import Base
from ecoradar.monitoring.partitions import include_name
from ecoradar.problems.models import ProblemAttachment
from tests.factories import load_small_registry
from tests.integration.problem_support import jpeg, public_report


def test_the_migrated_schema_matches_the_models(container: Container) -> None:
    with container.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        differences = compare_metadata(context, Base.metadata)
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


def test_migration_0012_keeps_uploads_and_their_attachments_down_and_up(
    container: Container, tmp_path: Path
) -> None:
    load_small_registry(container, tmp_path)
    pid = public_report(container, reporter_user_id=None)
    now = container.clock.now()
    with container.transaction() as session:
        for n, owner in enumerate(("user:1:officer", "user:2:company")):
            media = store_upload(
                session=session,
                home=container.settings.home,
                data=jpeg(60 + n),
                filename=f"{n}.jpg",
                now=now,
                uploaded_by=owner,
                limits=MediaLimits(),
            )
            session.add(
                ProblemAttachment(
                    problem_id=pid,
                    media_id=media.id,
                    purpose="evidence",
                    public=False,
                    added_at=now,
                    added_by=owner,
                )
            )
    kept = _uploads(container)
    engine = container.engine
    migrate.downgrade(engine, "0011")
    assert _uploads(container) == kept
    migrate.upgrade(engine)
    assert _uploads(container) == kept
    assert "uq_media_files_sha256" not in {
        c["name"] for c in inspect(engine).get_unique_constraints("media_files")
    }


def test_going_below_0012_is_refused_while_a_content_has_several_uploads(
    container: Container,
) -> None:
    with container.transaction() as session:
        for owner in ("user:1:officer", "user:2:company"):
            store_upload(
                session=session,
                home=container.settings.home,
                data=jpeg(70),
                filename="same.jpg",
                now=container.clock.now(),
                uploaded_by=owner,
                limits=MediaLimits(),
            )
    with pytest.raises(ConflictError, match="1 stored contents have several uploads"):
        migrate.downgrade(container.engine, "0011")
    assert migrate.current_revision(container.engine) == migrate.head_revision(container.engine)
    assert len(_uploads(container)) == 2


def _uploads(box: Container) -> list[tuple[object, ...]]:
    with box.engine.connect() as conn:
        media = conn.execute(
            text(
                "SELECT m.id, m.sha256, m.uploaded_by, m.original_name, a.problem_id, a.purpose "
                "FROM media_files m LEFT JOIN problem_attachments a ON a.media_id = m.id "
                "ORDER BY m.id"
            )
        )
        return [tuple(row) for row in media]
