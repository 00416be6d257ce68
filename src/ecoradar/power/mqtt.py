"""The MQTT subscriber: readings from meter gateways on ``{prefix}/+/+`` (QoS 1), stored and
judged in batches, each message acknowledged only after its batch is committed (so a crash
means a redelivery, which the store takes once). A bad message is refused with a logged reason
naming its topic and field, and never stops the subscriber; a lost connection is retried with
a growing pause (1 s doubling to ``MAX_BACKOFF``). Runs inside ``ecoradar serve`` when
``ECORADAR_MQTT_URL`` is set, and as ``ecoradar power subscribe``.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import aiomqtt

from ecoradar.bootstrap import Container
from ecoradar.core.errors import ConfigurationError, InputError
from ecoradar.power.ingest import Batch, Ingested, ingest
from ecoradar.power.payload import parse_payload, parse_topic

log = logging.getLogger("ecoradar.power.mqtt")

MAX_BACKOFF = 60.0
BATCH_WAIT = 0.2
"""Seconds a batch waits for more messages after its first."""
MAX_BATCH = 200
"""Messages in one batch (one unit of work)."""
PAUSE = 0.02
"""A batch ends early when no message comes for this long: the broker sends only so many
unacknowledged QoS 1 messages (Mosquitto: ``max_inflight_messages``, 20) before it waits."""


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


def parse_url(url: str) -> Broker:
    """``mqtt://[user:password@]host[:port]`` (``mqtts://``: TLS, port 8883)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ConfigurationError(f"ECORADAR_MQTT_URL: {url!r} is not mqtt://host[:port]")
    try:
        port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    except ValueError:
        raise ConfigurationError(f"ECORADAR_MQTT_URL: bad port in {url!r}") from None
    return Broker(
        parts.hostname,
        port,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
        parts.scheme == "mqtts",
    )


@dataclass
class Counters:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    findings: int = 0
    connects: int = 0
    last_error: str | None = None
    refusals: list[str] = field(default_factory=list)
    """The latest refusal reasons (at most 20), for tests and the log."""


class PowerSubscriber:
    def __init__(
        self,
        box: Container,
        *,
        url: str | None = None,
        prefix: str | None = None,
        client_id: str | None = None,
    ) -> None:
        settings = box.settings
        target = url or settings.mqtt_url
        if not target:
            raise ConfigurationError("ECORADAR_MQTT_URL is not set: no broker to subscribe to")
        self.box = box
        self.broker = parse_url(target)
        self.prefix = (prefix or settings.power_topic_prefix).rstrip("/")
        self.client_id = client_id or settings.mqtt_client_id
        self.counters = Counters()
        self.connected = asyncio.Event()

    def handle(self, messages: list[tuple[str, bytes]]) -> Ingested:
        """Check, store and judge one batch of ``(topic, payload)`` (in one unit of work)."""
        now = self.box.clock.now()
        batches: list[Batch] = []
        refused: list[str] = []
        for topic, payload in messages:
            try:
                enterprise, meter = parse_topic(topic, self.prefix)
                items = parse_payload(payload, topic=topic, meter=meter, now=now)
            except InputError as exc:
                refused.append(str(exc))
                continue
            batches.append(Batch(f"topic {topic}", items, enterprise))
        result = Ingested()
        if batches:
            result = self.box.write(
                lambda session: ingest(
                    session=session,
                    settings=self.box.settings,
                    regions=self.box.regions,
                    batches=batches,
                    source="mqtt",
                    now=now,
                ),
                what="power readings",
            )
        result.refused = refused + result.refused
        c = self.counters
        c.messages += len(messages)
        c.stored += result.stored
        c.duplicates += result.duplicates
        c.refused += len(result.refused)
        c.findings += result.report.findings
        for reason in result.refused:
            log.warning("power reading refused: %s", reason)
        c.refusals = (c.refusals + result.refused)[-20:]
        return result

    def _client(self) -> aiomqtt.Client:
        b = self.broker
        client = aiomqtt.Client(
            b.host,
            b.port,
            username=b.username,
            password=b.password,
            identifier=self.client_id,
            clean_session=False,
            keepalive=30,
            tls_context=ssl.create_default_context() if b.tls else None,
        )
        # acknowledge after the commit, not on arrival (paho's manual acks; aiomqtt has none)
        client._client.manual_ack_set(True)  # noqa: SLF001
        return client

    async def _batches(self, client: aiomqtt.Client) -> None:
        messages = client.messages
        loop = asyncio.get_running_loop()
        # The next message is awaited by a task that a pause never cancels: cancelling one that
        # has just taken a message off the queue would lose it unacknowledged, and the broker
        # sends nothing more once enough are unacknowledged.
        pending: asyncio.Task[aiomqtt.Message] | None = None
        try:
            while True:
                pending = pending or asyncio.ensure_future(anext(messages))
                batch = [await pending]
                pending = None
                deadline = loop.time() + BATCH_WAIT
                while len(batch) < MAX_BATCH and (left := deadline - loop.time()) > 0:
                    pending = asyncio.ensure_future(anext(messages))
                    done, _ = await asyncio.wait({pending}, timeout=min(left, PAUSE))
                    if not done:
                        break  # a pause: the broker may be waiting for our acks
                    batch.append(pending.result())
                    pending = None
                await self._handle_and_ack(client, batch)
        finally:
            if pending is not None:
                pending.cancel()  # unacknowledged: the broker sends it again

    async def _handle_and_ack(self, client: aiomqtt.Client, batch: list[aiomqtt.Message]) -> None:
        pairs = [(m.topic.value, _bytes(m.payload)) for m in batch]
        try:
            await asyncio.to_thread(self.handle, pairs)
        except Exception:
            # not acknowledged: the broker sends the batch again after a reconnect
            log.exception("power readings: a batch of %d messages failed", len(batch))
            raise
        for m in batch:
            if m.qos > 0:
                client._client.ack(m.mid, m.qos)  # noqa: SLF001

    async def run(self) -> None:
        """Subscribe and handle messages until cancelled, reconnecting after any failure."""
        delay = 1.0
        topic = f"{self.prefix}/+/+"
        while True:
            try:
                async with self._client() as client:
                    await client.subscribe(topic, qos=1)
                    self.counters.connects += 1
                    self.connected.set()
                    log.info("power readings: subscribed to %s on %s", topic, self.broker.host)
                    delay = 1.0
                    await self._batches(client)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # MqttError, or a batch that failed: retry whole
                self.connected.clear()
                self.counters.last_error = str(exc)
                log.warning(
                    "power readings: broker %s:%s: %s; again in %.0f s",
                    self.broker.host,
                    self.broker.port,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)


def _bytes(payload: object) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return str(payload).encode("utf-8")
