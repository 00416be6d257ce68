"""Request dependencies: the container, a database session, the locale."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container


def get_container(request: Request) -> Container:
    box: Container = request.app.state.container
    return box


ContainerDep = Annotated[Container, Depends(get_container)]


def get_session(box: ContainerDep) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    with box.transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_locale(request: Request) -> str:
    locale: str = request.state.locale
    return locale


LocaleDep = Annotated[str, Depends(get_locale)]
