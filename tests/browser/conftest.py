"""Browser tests: the real app under uvicorn on a free local port, driven by Debian chromium.

The server runs in a background thread against a fresh SQLite database holding the sample city
and an administrator, ``admin``. Pages open logged in as that administrator (a session made
through the service, its cookie given to the browser) unless a test asks for
``open_page(login=None)`` or another user's ``Login``. Every page is confined to that server: a
request to any other host fails the test, and so does a JavaScript error. Screenshots go to
``test-artifacts/screenshots/<test>/<NN>-<step>.png``.
"""

from __future__ import annotations

import itertools
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    Route,
    ViewportSize,
    sync_playwright,
)

from ecoradar.auth import sessions
from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core import migrate
from ecoradar.core.db import make_engine
from ecoradar.simulate.load import load_sample_city
from ecoradar.web.app import create_app
from tests.conftest import TEST_SECRET, Login, create_login, start_browser_session

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 860}
PHONE: ViewportSize = {"width": 390, "height": 844}
STARTUP_SECONDS = 20.0


@dataclass
class LiveServer:
    url: str
    container: Container
    enterprises: int
    regions: int
    admin: Login


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("browser")
    settings = Settings(
        environment="test",
        secret_key=TEST_SECRET,
        home=home,
        database_url=f"sqlite:///{home / 'ecoradar.db'}",
    )
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    engine.dispose()
    box = bootstrap(settings)
    city = load_sample_city(box, home / "sample")
    enterprises, region_count = city.enterprises, city.regions
    admin = create_login(box, "admin", username="admin", display_name="王管理")

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(box), log_level="warning", access_log=False, lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start under uvicorn")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", box, enterprises, region_count, admin)
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_SECONDS)
        sock.close()
        box.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Guard:
    """What a page did that it must not: reach another host, throw in JavaScript, or fail to
    load a script, style sheet, image or API call (a page itself may answer 404 on purpose)."""

    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        # A failed load is also reported, with its address, by ``response``.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def response(self, response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} {response.url}")


@pytest.fixture
def open_page(browser: Browser, live_server: LiveServer) -> Iterator[Callable[..., Page]]:
    """``open_page(viewport=..., login=..., **context options)``: a page confined to the live
    server, logged in as the administrator (``login=None``: not logged in; a ``Login``: as that
    user)."""
    contexts: list[tuple[BrowserContext, Guard]] = []
    default = object()

    def opener(
        viewport: ViewportSize | None = None, login: Login | None | object = default, **options: Any
    ) -> Page:
        options.setdefault("locale", "zh-CN")
        context = browser.new_context(viewport=viewport or DESKTOP, **options)
        user = live_server.admin if login is default else login
        if isinstance(user, Login):
            started = start_browser_session(live_server.container, user)
            context.add_cookies(
                [{"name": sessions.COOKIE, "value": started.secret, "url": live_server.url}]
            )
        guard = Guard()

        def only_local(route: Route) -> None:
            if route.request.url.startswith(live_server.url + "/"):
                route.continue_()
            else:
                guard.outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_local)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: guard.errors.append(str(exc)))
        page.on("console", lambda message: guard.console(message))
        page.on("response", lambda response: guard.response(response))
        contexts.append((context, guard))
        return page

    yield opener
    for context, guard in contexts:
        context.close()
        assert guard.outside == [], f"pages reached outside hosts: {guard.outside}"
        assert guard.errors == [], f"JavaScript errors: {guard.errors}"


@pytest.fixture
def page(open_page: Callable[..., Page]) -> Page:
    return open_page()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``shot(page, "step")`` saves the next numbered screenshot of this test."""
    directory = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    numbers = itertools.count(1)

    def take(page: Page, step: str, *, full_page: bool = False) -> Path:
        page.wait_for_load_state("networkidle")
        path = directory / f"{next(numbers):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
