"""Readings as meter gateways send them (pure): the MQTT topic and payload, and the items of
an HTTP batch. Every refusal is an ``InputError`` naming the place (topic, item, field).

Topic: ``{prefix}/{enterprise USCC}/{meter id}`` (prefix ``ecoradar/power`` by default).
Payload: UTF-8 JSON, one object or a list of at most ``MAX_ITEMS`` objects::

    {"ts": "2026-11-02T09:00:00+08:00", "kw": 12.3, "kwh": 45678.9}

``ts`` ISO 8601 with an offset (``Z`` or ``+08:00``), at most ``MAX_FUTURE`` ahead of the
server's clock and ``MAX_AGE`` behind; ``kw`` a number >= 0; ``kwh`` (optional) a number >= 0
or null. Other keys are ignored. A message with any bad item is refused whole.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ecoradar.core.errors import InputError

DEFAULT_PREFIX = "ecoradar/power"
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_ITEMS = 1000
"""Items in one MQTT message (and, in ``views``, ``MAX_HTTP_ITEMS`` in one HTTP batch)."""
MAX_HTTP_ITEMS = 5000
MAX_FUTURE = timedelta(minutes=5)
MAX_AGE = timedelta(days=90)
MAX_OVER_RATED = 5.0
"""A reading above this many times the meter's rated power is refused as impossible."""
METER_ID = re.compile(r"^[0-9A-Za-z_.\-]{1,64}$")
USCC_SHAPE = re.compile(r"^[0-9A-Z]{18}$")


@dataclass(frozen=True)
class ReadingIn:
    meter: str
    at: datetime
    kw: float
    kwh: float | None


def parse_topic(topic: str, prefix: str) -> tuple[str, str]:
    """``(enterprise code, meter id)`` of a topic under ``prefix``."""
    head = prefix.rstrip("/") + "/"
    if not topic.startswith(head):
        raise InputError(f"topic {topic!r}: not under {head}")
    parts = topic[len(head) :].split("/")
    if len(parts) != 2:
        raise InputError(f"topic {topic!r}: expected {head}<enterprise USCC>/<meter id>")
    code, meter = parts[0].upper(), parts[1]
    if not USCC_SHAPE.match(code):
        raise InputError(f"topic {topic!r}: {parts[0]!r} is not a unified social credit code")
    if not METER_ID.match(meter):
        raise InputError(f"topic {topic!r}: {meter!r} is not a meter id (1-64 letters, digits)")
    return code, meter


def _number(value: Any, where: str, name: str, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: {name}: {value!r} is not a number")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise InputError(f"{where}: {name}: {value!r} is not a finite number >= 0")
    return number


def parse_time(value: Any, where: str, now: datetime) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise InputError(f"{where}: ts: {value!r} is not an ISO 8601 time")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{where}: ts: {value!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise InputError(f"{where}: ts: {value!r} has no offset (say +08:00 or Z)")
    try:
        at = at.astimezone(UTC)
    except OverflowError:
        raise InputError(f"{where}: ts: {value!r} is out of range") from None
    if at > now + MAX_FUTURE:
        raise InputError(f"{where}: ts: {value} lies in the future (server time {now:%H:%M:%S}Z)")
    if at < now - MAX_AGE:
        raise InputError(f"{where}: ts: {value} is older than {MAX_AGE.days} days")
    return at


def parse_item(item: Any, *, where: str, meter: str, now: datetime) -> ReadingIn:
    """One reading object of meter ``meter``."""
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected an object with ts, kw and kwh")
    if "ts" not in item:
        raise InputError(f"{where}: ts: missing")
    if "kw" not in item:
        raise InputError(f"{where}: kw: missing")
    at = parse_time(item["ts"], where, now)
    kw = _number(item["kw"], where, "kw")
    assert kw is not None
    kwh = _number(item.get("kwh"), where, "kwh", optional=True)
    return ReadingIn(meter, at, kw, kwh)


def parse_payload(raw: bytes, *, topic: str, meter: str, now: datetime) -> list[ReadingIn]:
    """The readings of one MQTT message on ``topic`` (of meter ``meter``)."""
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise InputError(f"topic {topic}: payload of {len(raw)} bytes over {MAX_PAYLOAD_BYTES}")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"topic {topic}: payload: not UTF-8 ({exc.reason})") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deep"
        raise InputError(f"topic {topic}: payload: not JSON ({reason})") from None
    items = body if isinstance(body, list) else [body]
    if not items:
        raise InputError(f"topic {topic}: payload: an empty list")
    if len(items) > MAX_ITEMS:
        raise InputError(f"topic {topic}: payload: {len(items)} items over {MAX_ITEMS}")
    many = isinstance(body, list)
    where = f"topic {topic}"
    return [
        parse_item(item, where=f"{where} item {i}" if many else where, meter=meter, now=now)
        for i, item in enumerate(items)
    ]
