"""The MQTT subscriber end to end through the real broker (Mosquitto at 127.0.0.1:1883, started
by scripts/services.sh): readings published with QoS 1 are stored once and raise the finding;
hostile messages are refused with a logged reason naming topic and field while the subscriber
goes on; messages sent while it is away arrive when it comes back (its session is kept); a
broker that is not there is retried. Each test has a topic prefix and client id of its own."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from ecoradar.bootstrap import Container
from ecoradar.power.mqtt import PowerSubscriber, parse_url
from tests.integration.power_support import E1, E2, MIN, power_findings, readings

BROKER = "mqtt://127.0.0.1:1883"
WAIT = 15.0
"""Seconds to wait for the broker and the subscriber before a test fails (never reached when
things work: the waits end as soon as the condition holds)."""


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    from tests.integration.power_support import load_power

    load_power(container, tmp_path)
    return container


@pytest.fixture
def prefix() -> str:
    return f"test/{uuid.uuid4().hex[:12]}/power"


def subscriber(box: Container, prefix: str, client_id: str | None = None) -> PowerSubscriber:
    return PowerSubscriber(
        box, url=BROKER, prefix=prefix, client_id=client_id or f"t-{uuid.uuid4().hex[:12]}"
    )


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.05)


def minutes(box: Container, start_minutes_ago: int, kws: list[float]) -> bytes:
    start = box.clock.now() - start_minutes_ago * MIN
    return json.dumps(
        [
            {"ts": (start + i * MIN).isoformat(), "kw": kw, "kwh": 10.0 + i}
            for i, kw in enumerate(kws)
        ]
    ).encode()


async def publish(messages: list[tuple[str, bytes]]) -> None:
    async with aiomqtt.Client("127.0.0.1", 1883, identifier=f"pub-{uuid.uuid4().hex[:8]}") as pub:
        for topic, payload in messages:
            await pub.publish(topic, payload, qos=1)


def test_published_readings_are_stored_and_raise_the_finding(
    box: Container, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ecoradar.power.mqtt")
    sub = subscriber(box, prefix)
    hostile: list[tuple[str, bytes]] = [
        (f"{prefix}/{E1}/T1", b"{not json"),
        (f"{prefix}/{E1}/T1", json.dumps({"ts": "2026-11-02T01:00:00", "kw": 1}).encode()),
        (f"{prefix}/{E1}/T1", json.dumps({"ts": "2099-01-01T00:00:00Z", "kw": 1}).encode()),
        (f"{prefix}/{E1}/T1", json.dumps({"ts": "2026-11-02T00:30:00Z", "kw": "high"}).encode()),
        (f"{prefix}/{E1}/NOPE", minutes(box, 60, [1.0])),
        (f"{prefix}/{E2}/T1", minutes(box, 60, [1.0])),
        (f"{prefix}/not-a-uscc/T1", minutes(box, 60, [1.0])),
    ]
    good = [
        (f"{prefix}/{E1}/P1", minutes(box, 70, [150.0] * 60)),
        (f"{prefix}/{E1}/T1", minutes(box, 70, [50.0] * 10 + [0.0] * 40 + [50.0] * 10)),
    ]

    async def scenario() -> None:
        task = asyncio.create_task(sub.run())
        try:
            await until(sub.connected.is_set)
            await publish(hostile + good + good)  # the good ones twice: stored once
            await until(lambda: sub.counters.messages >= len(hostile) + 2 * len(good))
            assert not task.done()
        finally:
            task.cancel()

    asyncio.run(scenario())
    assert readings(box) == 120
    assert sub.counters.refused == len(hostile) and sub.counters.duplicates == 120
    (finding,) = power_findings(box)
    assert finding.data["rule"] == "treatment_idle" and finding.data["state"] == "off"
    assert finding.data["minutes"] == 40 and finding.severity == "high"
    assert {c["meter"] for c in finding.data["curves"]} == {"P1", "T1"}
    logged = [r.getMessage() for r in caplog.records]
    topic = f"topic {prefix}/{E1}/T1"
    for expected in (
        f"{topic}: payload: not JSON",
        f"{topic}: ts: '2026-11-02T01:00:00' has no offset",
        f"{topic}: ts: 2099-01-01T00:00:00Z lies in the future",
        f"{topic}: kw: 'high' is not a number",
        f"topic {prefix}/{E1}/NOPE: meter: unknown meter 'NOPE'",
        f"topic {prefix}/{E2}/T1: meter T1 belongs to another enterprise",
        f"topic '{prefix}/not-a-uscc/T1': 'not-a-uscc' is not a unified social credit code",
    ):
        assert any(expected in line for line in logged), (expected, logged)


def test_messages_sent_while_the_subscriber_is_away_arrive_when_it_returns(
    box: Container, prefix: str
) -> None:
    client_id = f"t-{uuid.uuid4().hex[:12]}"

    async def scenario() -> None:
        first = subscriber(box, prefix, client_id)
        task = asyncio.create_task(first.run())
        await until(first.connected.is_set)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await publish([(f"{prefix}/{E2}/P2", minutes(box, 30, [100.0] * 5))])
        again = subscriber(box, prefix, client_id)
        task = asyncio.create_task(again.run())
        try:
            await until(lambda: again.counters.stored >= 5)
        finally:
            task.cancel()

    asyncio.run(scenario())
    assert readings(box) == 5


def test_a_broker_that_is_not_there_is_retried_without_crashing(box: Container) -> None:
    sub = PowerSubscriber(box, url="mqtt://127.0.0.1:9", prefix="x/power", client_id="t-absent")

    async def scenario() -> Any:
        task = asyncio.create_task(sub.run())
        await until(lambda: sub.counters.last_error is not None)
        done = task.done()
        task.cancel()
        return done

    assert asyncio.run(scenario()) is False
    assert sub.counters.connects == 0


def test_the_broker_address_is_read_from_the_url() -> None:
    broker = parse_url("mqtts://meter%40gw:s3cret@broker.example:8884")
    assert (broker.host, broker.port, broker.username, broker.password, broker.tls) == (
        "broker.example",
        8884,
        "meter@gw",
        "s3cret",
        True,
    )
    assert parse_url("mqtt://localhost").port == 1883
