"""``ecoradar db``: schema migrations."""

from __future__ import annotations

import typer

from ecoradar.cli.common import container, out
from ecoradar.core import migrate

app = typer.Typer(help="Database schema: apply and inspect migrations.", no_args_is_help=True)


@app.command()
def upgrade(
    revision: str = typer.Argument("head", help="Target revision (default: the newest)."),
) -> None:
    """Apply the Alembic migrations up to REVISION on the configured database."""
    with container(require_schema=False) as box:
        migrate.upgrade(box.engine, revision)
        out.print(f"database at revision {migrate.current_revision(box.engine)}")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. base.")) -> None:
    """Undo migrations down to REVISION."""
    with container(require_schema=False) as box:
        migrate.downgrade(box.engine, revision)
        out.print(f"database at revision {migrate.current_revision(box.engine)}")


@app.command()
def current() -> None:
    """Print the database's revision and the newest one this EcoRadar knows."""
    with container(require_schema=False) as box:
        out.print(
            f"current: {migrate.current_revision(box.engine)}  "
            f"head: {migrate.head_revision(box.engine)}"
        )
