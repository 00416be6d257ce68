"""One policy for JSON request bodies, before any route sees them.

Python's ``json`` reads more than JSON: ``NaN``, ``Infinity`` and ``-Infinity``, numbers such as
``1e400`` that become infinite, and ``"\\ud800"`` (half a surrogate pair, no character at
all). A route would store such a value, or fail while answering with it (the validation error
echoes the input, and neither infinity nor half a character can be written back out). So every
request with a JSON body (``application/json`` or ``*+json``, as FastAPI decides) is read
whole and checked first; one that breaks a rule is answered ``422`` with ``{"detail":
"<place>: <what is wrong>"}`` and reaches no route, so nothing changes. The place is the JSON
path (``body.items[2].value``) or, for text that is not JSON, the line and column. The rules:

* UTF-8 text that parses as JSON (RFC 8259);
* numbers are finite: no ``NaN``/``Infinity``, nothing beyond the range of a double (``1e400``,
  an integer of more than ``MAX_DIGITS`` digits);
* strings (and keys) are whole Unicode characters (no lone surrogate) without NUL (which
  PostgreSQL can neither store nor compare);
* at most ``MAX_DEPTH`` levels of nesting.

``loads`` applies the same rules to JSON inside a form field. ``validation_error`` answers
FastAPI's validation errors in a way that cannot fail on any input a request may carry.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecoradar.core.errors import InputError

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects a body may have."""
MAX_DIGITS = 308
"""Longest integer, in digits: anything longer is beyond the range of a double."""
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Bad:
    """Stands in for a number the policy refuses, until the walk finds where it is."""

    def __init__(self, literal: str, problem: str) -> None:
        self.literal = literal
        self.problem = problem


def _constant(literal: str) -> _Bad:
    return _Bad(literal, f"{literal} is not a number JSON allows; send a finite number")


def _float(literal: str) -> float | _Bad:
    value = float(literal)
    if math.isfinite(value):
        return value
    return _Bad(literal, f"{_short(literal)} is beyond the range of a number")


def _int(literal: str) -> int | _Bad:
    if len(literal.lstrip("-")) > MAX_DIGITS:
        return _Bad(literal, f"{_short(literal)} is beyond the range of a number")
    return int(literal)


def _short(literal: str) -> str:
    return literal if len(literal) <= 24 else literal[:20] + "..."


def readable(text: str) -> str:
    """``text`` as it can always be written out: a lone surrogate or a control character as
    its escape (``\\ud800``)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _key(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(readable(key), ensure_ascii=False)}]"


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"holds half a surrogate pair (\\u{ord(text[exc.start]):04x}), not a character"
    return None


def _walk(value: Any, place: str) -> Iterator[tuple[str, Any, int]]:
    """Every value inside ``value`` with its place and depth (iteratively: no recursion)."""
    stack: list[tuple[str, Any, int]] = [(place, value, 0)]
    while stack:
        path, item, depth = stack.pop()
        yield path, item, depth
        if isinstance(item, dict):
            for key, inner in reversed(list(item.items())):
                stack.append((_key(path, key), inner, depth + 1))
        elif isinstance(item, list):
            for index in range(len(item) - 1, -1, -1):
                stack.append((_key(path, index), item[index], depth + 1))


def problem(document: Any, place: str = "body") -> str | None:
    """``"<place>: <what is wrong>"`` for the first value of a parsed document the policy
    refuses, or ``None``."""
    for path, item, depth in _walk(document, place):
        if depth > MAX_DEPTH:
            return f"{path}: nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, _Bad):
            return f"{path}: {item.problem}"
        if isinstance(item, str) and (wrong := _text_problem(item)):
            return f"{path}: {wrong}"
        if isinstance(item, dict):
            for key in item:
                if wrong := _text_problem(key):
                    return f"{_key(path, key)} (the key): {wrong}"
    return None


def parse(text: str | bytes, place: str = "body") -> Any:
    """The JSON document in ``text``, or ``InputError`` naming the place of what the policy
    refuses (bytes must be UTF-8)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{place}: not UTF-8 text (byte {exc.start + 1})") from None
    try:
        document = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{place}: not JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InputError(f"{place}: nested more than {MAX_DEPTH} levels deep") from None
    wrong = problem(document, place)
    if wrong is not None:
        raise InputError(wrong)
    return document


loads = parse
"""``parse`` for JSON inside a form field: ``loads(text, "attributes")``."""


def is_json(content_type: str | None) -> bool:
    """Whether FastAPI reads a body of this type as JSON (``application/json``, ``*+json``)."""
    if not content_type:
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    main, _, sub = kind.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


class JsonPolicy:
    """Pure ASGI middleware: a request with a JSON body is read whole and checked (``parse``);
    refused with 422, or passed on with the same body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if not is_json(headers.get(b"content-type", b"").decode("latin-1")):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            try:
                parse(body)
            except InputError as refused:
                response = JSONResponse({"detail": str(refused)}, status_code=422)
                await response(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def plain(value: Any) -> Any:
    """``value`` (already through ``jsonable_encoder``) as JSON can always hold it: a
    non-finite number as its text, a string with half a surrogate pair escaped."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return readable(value) if _text_problem(value) else value
    if isinstance(value, dict):
        return {plain(str(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 for a request that fails validation, written so that no input it echoes
    (from a form, the query, a header) can make the answer itself fail."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse({"detail": plain(jsonable_encoder(errors))}, status_code=422)


def install(app: FastAPI) -> None:
    """The policy for ``app``: the middleware and the validation-error handler."""
    app.add_middleware(JsonPolicy)
    app.add_exception_handler(RequestValidationError, validation_error)
