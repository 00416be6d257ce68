"""``X-Forwarded-For`` is believed only from ``ECORADAR_TRUSTED_PROXIES`` (none by default):
the app is served as ``ecoradar serve`` configures uvicorn, through uvicorn's own proxy-header
middleware, and the address a login attempt is recorded under shows whom it believed."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

from ecoradar.auth.models import LoginAttempt
from ecoradar.bootstrap import Container
from ecoradar.cli import app as cli
from ecoradar.cli import serve as serve_cli
from ecoradar.config import Settings
from ecoradar.web.proxies import parse_trusted_proxies, uvicorn_options

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CLIENT = "198.51.100.7"
PROXY = "10.0.0.5"


@contextmanager
def served_config(monkeypatch: pytest.MonkeyPatch, trusted: str | None) -> Iterator[uvicorn.Config]:
    """The uvicorn configuration ``ecoradar serve --no-gateway`` runs with (not run)."""
    if trusted is not None:
        monkeypatch.setenv("ECORADAR_TRUSTED_PROXIES", trusted)
    seen: list[uvicorn.Config] = []

    async def capture(server: uvicorn.Server, *args: Any, **kwargs: Any) -> None:
        seen.append(server.config)

    monkeypatch.setattr(serve_cli, "serve_all", capture)
    result = CliRunner().invoke(cli, ["serve", "--no-gateway"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (config,) = seen
    config.load()
    try:
        yield config
    finally:
        config.app.state.container.close()  # the connections the requests opened


def recorded_address(box: Container, config: uvicorn.Config, peer: str) -> str:
    """Send a wrong login from ``peer`` naming ``CLIENT`` in X-Forwarded-For; the address
    the attempt was recorded under."""
    with TestClient(config.loaded_app, client=(peer, 40000)) as client:
        response = client.post(
            "/api/auth/token",
            json={"username": "nobody", "password": "wrong-password"},
            headers={"X-Forwarded-For": CLIENT},
        )
        assert response.status_code == 401
    with box.reading() as session:
        return session.scalars(select(LoginAttempt.ip).order_by(LoginAttempt.id.desc())).first()


def test_by_default_x_forwarded_for_is_ignored_even_from_this_machine(
    container: Container, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with served_config(monkeypatch, None) as config:
        assert recorded_address(container, config, "127.0.0.1") == "127.0.0.1"
        assert recorded_address(container, config, PROXY) == PROXY


def test_x_forwarded_for_is_believed_only_from_a_listed_proxy(
    container: Container, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with served_config(monkeypatch, f"{PROXY}, 192.168.8.0/24") as config:
        assert recorded_address(container, config, PROXY) == CLIENT
        assert recorded_address(container, config, "192.168.8.77") == CLIENT
        assert recorded_address(container, config, "127.0.0.1") == "127.0.0.1"
        assert recorded_address(container, config, "203.0.113.50") == "203.0.113.50"


def test_trusted_proxies_are_addresses_or_networks_and_never_everyone() -> None:
    assert parse_trusted_proxies(" 10.0.0.5, 10.1.2.3/16,,::1 ,10.0.0.5") == (
        "10.0.0.5",
        "10.1.0.0/16",
        "::1",
    )
    assert parse_trusted_proxies("") == ()
    assert uvicorn_options("") == {"proxy_headers": False, "forwarded_allow_ips": []}
    assert uvicorn_options("10.0.0.5")["forwarded_allow_ips"] == ["10.0.0.5"]
    for wrong, words in (("proxy.local", "'proxy.local' is not an IP"), ("*", "every client")):
        with pytest.raises(ValidationError, match=words):
            Settings(trusted_proxies=wrong)
