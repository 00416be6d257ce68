"""What every command shares: the container, the consoles, and domain errors -> exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core import migrate
from ecoradar.core.errors import ConfigurationError, EcoRadarError, ImportRefused

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_REFUSED = 1
EXIT_CONFIG = 3


@contextmanager
def container(*, require_schema: bool = True) -> Iterator[Container]:
    """A bootstrapped container; configuration and domain errors end the command cleanly.

    With ``require_schema`` the database must be migrated to the newest revision.
    """
    try:
        settings = Settings()
    except ValidationError as exc:
        for problem in exc.errors():
            err.print(f"[red]configuration:[/] {escape(problem['msg'])}")
        raise typer.Exit(EXIT_CONFIG) from exc
    box = bootstrap(settings)
    try:
        with refusals():
            if require_schema:
                _check_schema(box)
            yield box
    finally:
        box.close()


@contextmanager
def refusals() -> Iterator[None]:
    """Print a domain error to stderr and exit non-zero instead of a traceback."""
    try:
        yield
    except ImportRefused as exc:
        for row_error in exc.errors:
            err.print(f"[red]error:[/] {escape(str(row_error))}")
        err.print(f"[red]refused:[/] {len(exc.errors)} error(s); nothing was changed")
        raise typer.Exit(EXIT_REFUSED) from exc
    except EcoRadarError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_REFUSED) from exc


def progress() -> Progress:
    """The progress display for anything that takes seconds (drawn on stderr)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _check_schema(box: Container) -> None:
    try:
        current = migrate.current_revision(box.engine)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        url = box.engine.url.render_as_string()
        raise ConfigurationError(f"cannot open the database {url}: {cause}") from exc
    head = migrate.head_revision(box.engine)
    if current != head:
        raise ConfigurationError(
            f"the database is at revision {current or 'none'}, this EcoRadar needs {head}: "
            "run `ecoradar db upgrade`"
        )
