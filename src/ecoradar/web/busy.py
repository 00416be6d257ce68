"""A request whose unit of work met other writes is run again, whole; when the bounded wait runs
out, the client gets 503 with ``Retry-After`` — never 500, never a half-done change.

:class:`RetryBusy` is a pure ASGI middleware. It reads the request body first (up to
:data:`REPLAY_LIMIT` bytes; a larger one is passed through once), then runs the app; when the
app raises an error that says only that other work was in the way
(``ecoradar.core.writes.is_retryable``: SQLite busy, a PostgreSQL serialization failure or
deadlock, no free pooled connection) before any byte of the response was sent, the unit of work
was rolled back, and the request runs again from the start with the same body, after a short
jittered pause, until ``ECORADAR_WRITE_WAIT`` has passed. Each unit of work ends before its
response starts (``web.deps.get_session``), so a failure can still be answered.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from html import escape
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecoradar.core.writes import FIRST_PAUSE, LONGEST_PAUSE, RETRY_AFTER, WriteBusy, is_retryable
from ecoradar.web.i18n import LOCALE_COOKIE, negotiate, translations

log = logging.getLogger(__name__)

REPLAY_LIMIT = 64 * 1024 * 1024
"""Largest request body kept to run a request again (a report with nine large photos fits)."""
BUSY_DETAIL = "the database is busy with other changes: nothing was changed, try again shortly"


TITLE = "Busy, please try again"
EXPLANATION = (
    "Many changes are being saved right now, and yours could not wait any longer. Nothing was "
    "changed: go back and send it again in a few seconds."
)
BACK = "Back to the start"


class RetryBusy:
    def __init__(
        self,
        app: ASGIApp,
        *,
        wait: float,
        default_locale: str = "zh_CN",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.app = app
        self.wait = wait
        self.default_locale = default_locale
        self.headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        """Sent with every 503 of its own (the security headers the app's answers carry)."""
        self.retried = 0
        """Requests run again so far (for the benchmark and the tests)."""
        self.refused = 0
        """Requests answered 503 after the wait ran out."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, whole = await _read_body(receive)
        # a body too large to keep runs once, the rest of it as it comes: no time to run again
        deadline = time.monotonic() + (self.wait if whole else 0.0)
        pause = FIRST_PAUSE
        while True:
            started = False

            async def sending(message: Message) -> None:
                nonlocal started
                started = True
                await send(message)

            try:
                await self.app(_fresh(scope), _replay(body, receive), sending)
                return
            except Exception as exc:
                if started or not is_retryable(exc):
                    raise
                left = deadline - time.monotonic()
                if left <= 0:
                    log.warning(
                        "%s %s: busy for %.1f s: %s", scope["method"], scope["path"], self.wait, exc
                    )
                    self.refused += 1
                    await self._busy(scope, send)
                    return
            self.retried += 1
            await asyncio.sleep(min(left, pause * (0.5 + random.random())))  # noqa: S311
            pause = min(pause * 2, LONGEST_PAUSE)

    async def _busy(self, scope: Scope, send: Send) -> None:
        """503 with ``Retry-After``: JSON, or a page in the visitor's language for a browser."""
        headers = Headers(scope=scope)
        if "text/html" in headers.get("accept", "") and not scope["path"].startswith("/api/"):
            cookie = next(
                (
                    part.split("=", 1)[1].strip()
                    for part in headers.get("cookie", "").split(";")
                    if part.strip().startswith(LOCALE_COOKIE + "=")
                ),
                None,
            )
            locale = negotiate(headers.get("accept-language"), cookie, self.default_locale)
            await self._answer(send, busy_page(locale), b"text/html; charset=utf-8")
            return
        body = ('{"detail": "' + BUSY_DETAIL + '"}').encode()
        await self._answer(send, body, b"application/json")

    async def _answer(self, send: Send, body: bytes, content_type: bytes) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(RETRY_AFTER).encode()),
                    (b"cache-control", b"no-store"),
                    *self.headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> tuple[list[Message], bool]:
    """The request's body messages, and whether that is all of them (False once they pass
    :data:`REPLAY_LIMIT`: the rest is still to be received)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, True  # a disconnect: the app will see it
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, True
        if size > REPLAY_LIMIT:
            return messages, False


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives ``messages`` again, then waits on the real one (a
    disconnect)."""
    queue = list(messages)

    async def replaying() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return replaying


def _fresh(scope: Scope) -> Scope:
    """The scope as it came in: what an earlier run added (route, state) is dropped."""
    copy: dict[str, Any] = dict(scope)
    copy["state"] = dict(scope.get("state") or {})
    return copy


def busy_page(locale: str) -> bytes:
    """The page a browser gets when its change could not wait: standalone (no session, no
    header), in the visitor's language."""
    _ = translations(locale).gettext
    lang = "zh-CN" if locale == "zh_CN" else "en"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(_(TITLE))}</title>"
        '<link rel="stylesheet" href="/static/css/app.css"></head><body><main>'
        '<section class="card notfound" id="busy"><p class="notfound-code">503</p>'
        f"<h1>{escape(_(TITLE))}</h1><p>{escape(_(EXPLANATION))}</p>"
        f'<p class="actions"><a class="button button-quiet" href="/">{escape(_(BACK))}</a></p>'
        "</section></main></body></html>"
    ).encode()


__all__ = ["BUSY_DETAIL", "RetryBusy", "WriteBusy"]
