"""What every command shares: the container, the consoles, and domain errors -> exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core.errors import EcoRadarError, ImportRefused

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_REFUSED = 1
EXIT_CONFIG = 3


@contextmanager
def container() -> Iterator[Container]:
    """A bootstrapped container; configuration and domain errors end the command cleanly."""
    try:
        settings = Settings()
    except ValidationError as exc:
        for problem in exc.errors():
            err.print(f"[red]configuration:[/] {escape(problem['msg'])}")
        raise typer.Exit(EXIT_CONFIG) from exc
    box = bootstrap(settings)
    try:
        with refusals():
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
