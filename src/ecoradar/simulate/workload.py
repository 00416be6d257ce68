"""A mixed workload against a running EcoRadar (``ecoradar serve``): devices streaming hourly data
into the HJ 212 gateway while people write through the API, the forms and Open311 and read the
pages — what the embedded default must hold without a single 5xx.

Every writer keeps what the server *accepted* (a 2xx answer, a 9014 from the gateway), tagged so
it can be found in the database afterwards: the load test and the fault test check that each is
stored exactly once, the benchmark (``bench/bench_concurrency.py``) reports requests/s and
latency per endpoint class. Nothing here reads the database: :mod:`tests` and the benchmark do,
with what :class:`Accepted` holds.

Endpoint classes: ``api`` (an officer's notes and clues with a bearer token), ``form`` (the
public report form with its form token, and the login form), ``open311`` (GeoReport v2 posts
with an API key), ``read`` (pages and lists, logged in), ``device`` (HJ 212 hourly uploads,
answered 9014 once committed).
"""

from __future__ import annotations

import asyncio
import io
import random
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from ecoradar.hj212.packet import make_qn
from ecoradar.simulate.traffic import PointProfile, upload

CLASSES = ("api", "form", "open311", "read", "device")
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class ClassFigures:
    """Answers of one endpoint class: status counts, latencies of the answered ones, and the
    errors that were not HTTP answers (a refused connection, a timeout)."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    transport_errors: Counter[str] = field(default_factory=Counter)

    def add(self, status: int, seconds: float) -> None:
        self.statuses[status] += 1
        self.latencies.append(seconds)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if 500 <= status < 600)

    def summary(self, seconds: float) -> dict[str, float | int | dict[str, int]]:
        done = sorted(self.latencies)
        count = len(done)
        return {
            "requests": count,
            "per_second": round(count / seconds, 1) if seconds else 0.0,
            "p50_ms": round(1000 * statistics.median(done), 1) if done else 0.0,
            "p99_ms": round(1000 * done[min(count - 1, int(count * 0.99))], 1) if done else 0.0,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "transport_errors": sum(self.transport_errors.values()),
        }


@dataclass
class Accepted:
    """What the server said it stored, to look for afterwards."""

    notes: list[tuple[int, str]] = field(default_factory=list)
    """(problem id, text) of notes answered 201."""
    clues: list[str] = field(default_factory=list)
    """Descriptions of clues answered 2xx (API, form and Open311; each unique)."""
    packets: set[tuple[str, datetime]] = field(default_factory=set)
    """(MN, data time) of hourly uploads answered 9014."""
    logins: int = 0


@dataclass
class Target:
    """Where the server is, and who may use it."""

    url: str
    gateway: tuple[str, int]
    officer_token: str
    """A bearer token of an officer (or admin) who may enter clues and note problems."""
    login: tuple[str, str]
    """A username and password for the login form."""
    open311_key: str
    places: Sequence[tuple[float, float]]
    """(lat, lon) inside the bureau's area, where reports are made."""
    problem_ids: Sequence[int]
    """Problems the officer may add notes to."""


@dataclass
class Workload:
    """Runs the writers, readers and devices for ``seconds`` at the given paces, then stops."""

    target: Target
    seconds: float
    api_writers: int = 1
    form_writers: int = 1
    open311_writers: int = 1
    readers: int = 1
    pause: float = 0.05
    """Seconds each HTTP client waits between two requests (0: as fast as answered)."""
    devices: Sequence[PointProfile] = ()
    device_rate: float = 50.0
    """Hourly uploads per second, all devices together."""
    first_hour: datetime | None = None
    """Data time of each device's first upload (default: 30 days ago, on the hour)."""
    tag: str = ""
    """Marks this run's texts (default: a random one)."""
    timeout: float = 30.0
    figures: dict[str, ClassFigures] = field(default_factory=dict)
    accepted: Accepted = field(default_factory=Accepted)

    def __post_init__(self) -> None:
        self.figures = {name: ClassFigures() for name in CLASSES}
        self.tag = self.tag or f"{random.getrandbits(40):010x}"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._serial = 0

    # -- running ---------------------------------------------------------------------------

    def run(self) -> float:
        """Run everything until ``seconds`` have passed; returns the seconds it took."""
        started = time.monotonic()
        jobs: list[Callable[[], None]] = [
            *[self._api] * self.api_writers,
            *[self._forms] * self.form_writers,
            *[self._open311] * self.open311_writers,
            *[self._reads] * self.readers,
        ]
        threads = [threading.Thread(target=job, daemon=True) for job in jobs]
        if self.devices:
            threads.append(threading.Thread(target=self._stream, daemon=True))
        for thread in threads:
            thread.start()
        self._stop.wait(self.seconds)
        self._stop.set()
        for thread in threads:
            thread.join(self.timeout + 10)
        return time.monotonic() - started

    def stop(self) -> None:
        self._stop.set()

    def _next(self) -> int:
        with self._lock:
            self._serial += 1
            return self._serial

    def _text(self, what: str) -> str:
        return f"{what} {self.tag}-{self._next()}：排口附近有异味，请核查"

    def _place(self) -> tuple[float, float]:
        lat, lon = random.choice(self.target.places)  # noqa: S311 - a test workload
        return lat + random.uniform(-2e-4, 2e-4), lon + random.uniform(-2e-4, 2e-4)  # noqa: S311

    def _timed(
        self, kind: str, call: Callable[..., httpx.Response], *args: object, **kwargs: object
    ) -> httpx.Response | None:
        """``call(*args, **kwargs)``, counted and timed under ``kind``."""
        begin = time.perf_counter()
        try:
            answer = call(*args, **kwargs)
        except httpx.HTTPError as exc:
            with self._lock:
                self.figures[kind].transport_errors[type(exc).__name__] += 1
            return None
        with self._lock:
            self.figures[kind].add(answer.status_code, time.perf_counter() - begin)
        return answer

    def _client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.target.url, timeout=self.timeout, headers=headers)

    # -- the writers and readers -----------------------------------------------------------

    def _api(self) -> None:
        auth = {"Authorization": f"Bearer {self.target.officer_token}"}
        with self._client(**auth) as client:
            while not self._stop.is_set():
                if self.target.problem_ids and random.random() < 0.5:  # noqa: S311
                    problem = random.choice(self.target.problem_ids)  # noqa: S311
                    text = self._text("note")
                    answer = self._timed(
                        "api", client.post, f"/api/problems/{problem}/notes", json={"text": text}
                    )
                    if answer is not None and answer.status_code == 201:
                        with self._lock:
                            self.accepted.notes.append((problem, text))
                else:
                    lat, lon = self._place()
                    text = self._text("hotline")
                    body = {
                        "channel": "hotline",
                        "category": "odour",
                        "attributes": {"intensity": "3"},
                        "lat": lat,
                        "long": lon,
                        "observed_at": _now_iso(),
                        "description": text,
                    }
                    answer = self._timed("api", client.post, "/api/clues/officer", json=body)
                    self._keep_clue(answer, text)
                self._stop.wait(self.pause)

    def _forms(self) -> None:
        with self._client(Accept="text/html") as client:
            while not self._stop.is_set():
                if random.random() < 0.2:  # noqa: S311 - the login form, as people log in
                    self._log_in(client)
                else:
                    self._report(client)
                self._stop.wait(self.pause)

    def _log_in(self, client: httpx.Client) -> None:
        username, password = self.target.login
        client.cookies.clear()
        answer = self._timed(
            "form",
            client.post,
            "/login",
            data={"username": username, "password": password, "next": "/"},
            headers={"Origin": self.target.url},
        )
        if answer is not None and answer.status_code == 303:
            with self._lock:
                self.accepted.logins += 1

    def _report(self, client: httpx.Client) -> None:
        client.cookies.clear()
        page = self._timed("form", client.get, "/report")
        found = _FORM_TOKEN.search(page.text) if page is not None else None
        if found is None:
            return
        lat, lon = self._place()
        text = self._text("report")
        data = {
            "form_token": found.group(1),
            "category": "odour",
            "attribute[odour][intensity]": "3",
            "description": text,
            "lat": f"{lat:.6f}",
            "long": f"{lon:.6f}",
            "observed_at": (datetime.now().astimezone() - timedelta(minutes=5)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "identity": "anonymous",
        }
        photo = ("", b"", "application/octet-stream")  # an empty file input
        if random.random() < 1 / 3:  # noqa: S311 - a third of the reports carry a photo
            photo = ("scene.jpg", _photo(self._next()), "image/jpeg")
        answer = self._timed(
            "form",
            client.post,
            "/report",
            data=data,
            files=[("photos", photo)],
            headers={"Origin": self.target.url},
        )
        self._keep_clue(answer, text)

    def _open311(self) -> None:
        with self._client() as client:
            while not self._stop.is_set():
                lat, lon = self._place()
                text = self._text("open311")
                data = {
                    "api_key": self.target.open311_key,
                    "service_code": "odour",
                    "attribute[intensity]": "2",
                    "lat": f"{lat:.6f}",
                    "long": f"{lon:.6f}",
                    "description": text,
                }
                answer = self._timed("open311", client.post, "/open311/v2/requests.json", data=data)
                self._keep_clue(answer, text)
                self._stop.wait(self.pause)

    def _reads(self) -> None:
        auth = {"Authorization": f"Bearer {self.target.officer_token}"}
        paths = ["/api/problems", "/api/alerts", "/api/monitoring/devices", "/api/auth/me"]
        with self._client(**auth) as client:
            while not self._stop.is_set():
                path = random.choice(paths)  # noqa: S311
                self._timed("read", client.get, path)
                self._stop.wait(self.pause)

    def _keep_clue(self, answer: httpx.Response | None, text: str) -> None:
        if answer is not None and 200 <= answer.status_code < 300:
            with self._lock:
                self.accepted.clues.append(text)

    # -- the devices -----------------------------------------------------------------------

    def _stream(self) -> None:
        asyncio.run(self._devices())

    async def _devices(self) -> None:
        start = self.first_hour or _hour(datetime.now().astimezone() - timedelta(days=30))
        interval = len(self.devices) / self.device_rate
        await asyncio.gather(
            *(
                self._device(profile, start, interval, random.uniform(0, interval))  # noqa: S311
                for profile in self.devices
            )
        )

    async def _device(
        self, profile: PointProfile, start: datetime, interval: float, phase: float
    ) -> None:
        host, port = self.target.gateway
        figures = self.figures["device"]
        await asyncio.sleep(phase)
        hour = 0
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as exc:
            figures.transport_errors[type(exc).__name__] += 1
            return
        try:
            latest = _hour(datetime.now().astimezone()) - timedelta(hours=1)
            while not self._stop.is_set() and start + timedelta(hours=hour) <= latest:
                when = start + timedelta(hours=hour)
                frame = upload(profile, "2061", when, needs_answer=True, sent_at=when)
                qn = make_qn(when).encode()
                begin = time.perf_counter()
                writer.write(frame)
                await writer.drain()
                answered = await self._answer(reader, qn)
                if answered is None:
                    figures.transport_errors["no answer"] += 1
                    return
                figures.add(9014 if answered else 400, time.perf_counter() - begin)
                if answered:
                    self.accepted.packets.add((profile.mn, when))
                hour += 1
                await asyncio.sleep(interval)
        except (OSError, asyncio.IncompleteReadError) as exc:
            figures.transport_errors[type(exc).__name__] += 1
        finally:
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader, qn: bytes) -> bool | None:
        """True once a 9014 for ``qn`` comes; False for an answer that refuses it; None when
        none comes in time."""
        deadline = time.monotonic() + self.timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = await asyncio.wait_for(reader.readuntil(b"\r\n"), left)
            except TimeoutError:
                return None
            if b"QN=" + qn not in line:
                continue  # a request of the gateway's (recovery, time): not ours to answer
            return b"CN=9014" in line
        return None


def _photo(seed: int) -> bytes:
    """A small JPEG of its own (a phone's photo, shrunk)."""
    from PIL import Image  # only the form writers need it

    rng = random.Random(seed)
    image = Image.new("RGB", (320, 240), tuple(rng.randrange(256) for _ in range(3)))
    for _ in range(20):
        x, y = rng.randrange(300), rng.randrange(220)
        image.paste(tuple(rng.randrange(256) for _ in range(3)), (x, y, x + 20, y + 20))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _hour(when: datetime) -> datetime:
    return when.replace(minute=0, second=0, microsecond=0)


def _now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


__all__ = ["CLASSES", "Accepted", "ClassFigures", "Target", "Workload"]
