"""A small city holding data of every kind, and a crawler that reads the visible text of its
pages: for the check that no page shows a raw code (``time_anomaly``, ``public:anonymous``,
``reported``) instead of its label."""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from fastapi.testclient import TestClient

from ecoradar.auth import service as accounts
from ecoradar.bootstrap import Container
from ecoradar.clues.models import CLUE_CHANNELS
from ecoradar.detection.models import KINDS
from ecoradar.greencode.service import recompute_all
from ecoradar.problems.models import CATEGORIES, CHANNELS, SEVERITIES, STATES, VIOLATIONS
from ecoradar.problems.scheduler import run_once
from ecoradar.stations import service as stations
from ecoradar.stations.importer import STATION_COLUMNS
from tests.conftest import USER_PASSWORD, Login
from tests.factories import GAS_MN, PASSWORD, WATER_MN, write_csv
from tests.integration import clue_support, power_support
from tests.integration import reminders_support as reminders
from tests.integration import selfcheck_support as selfcheck
from tests.integration.problem_support import (
    Driver,
    People,
    add_alert,
    create_app_for,
    enterprise_id,
    jpeg,
    make_people,
    public_report,
)

SKIP_PREFIXES = ("/api", "/static", "/lang/", "/logout", "/login", "/vendor")
SKIP_SUFFIXES = (".pdf", ".csv", ".xlsx", ".png", ".svg", ".json", ".atom", ".jsonl", "/qr")
PER_PATTERN = 3
"""Pages visited per address pattern (digits folded): detail pages of several states."""
MAX_PAGES = 60

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
COLON_KIND = re.compile(r"\b(?!https?:|mailto:)[a-z][a-z_]*:[a-z][a-z0-9_-]*\b")
ASCII_WORD = re.compile(r"(?<![\w-])[a-z]{3,}(?![\w-])")
ENGLISH_PHRASE = re.compile(r"\b[A-Z]?[a-z]{2,}(?: [a-z]{2,})+\b")
"""Two or more English words in a row: untranslated text on a Chinese page."""
CODES = frozenset(
    (*STATES, *CHANNELS, *CLUE_CHANNELS, *CATEGORIES, *SEVERITIES, *VIOLATIONS, *KINDS)
) | {"admin", "officer", "grid_worker", "enterprise", "supervisor", "open", "resolved"}
"""Code values that must never show as such on a Chinese page."""


@dataclass(frozen=True)
class City:
    people: People
    supervisor: Login
    problems: dict[str, int]


# --- the city -------------------------------------------------------------------------------


def build_city(box: Container, tmp_path: Path) -> City:
    """The small city with power metering, self-inspection, a station, alerts of several
    kinds, clues from several channels, problems in every state, codes and reminders."""
    power_support.load_power(box, tmp_path)  # the small registry too
    people = make_people(box)
    selfcheck.load_points(
        box,
        tmp_path,
        [selfcheck.point_row(1, "CP01"), selfcheck.point_row(1, "CP02", "outfall", "weekly")],
    )
    selfcheck.generate(box, box.clock.now().date() + timedelta(days=2))
    _station(box, tmp_path)
    for kind, factor in (
        ("exceedance", "a21026"),
        ("time_anomaly", None),
        ("offline", None),
        ("flatline", "a21002"),
        ("near_limit_pinning", "a21026"),
    ):
        add_alert(box, GAS_MN, kind=kind, factor=factor)
    add_alert(box, WATER_MN, kind="zero_value", factor="w01018", severity="medium")
    run_once(box)  # the alerts become findings and problems
    for channel in ("public", "hotline", "media", "department"):
        clue_support.submit(box, clue_support.clue(channel=channel), clue_support.PUBLIC_ACTOR)
    problems = _problems_in_every_state(box, people)
    recompute_all(box)
    reminders.set_permit(box, 1, box.clock.now().date() + timedelta(days=20))
    reminders.run(box, as_of=box.clock.now())
    return City(people, _supervisor(box), problems)


def _supervisor(box: Container) -> Login:
    """A people's deputy of county A (raises problems, asks questions)."""
    with box.transaction() as session:
        user = accounts.create_user(
            session=session,
            username="deputy-a",
            role="supervisor",
            password=USER_PASSWORD,
            now=box.clock.now(),
            region="A",
            display_name="王代表",
            supervisor_kind="deputy",
            organisation="人大常委会",
        )
        return Login(user.id, user.username, "supervisor", USER_PASSWORD, "")


def _station(box: Container, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "stations.csv",
        [*STATION_COLUMNS, "password"],
        [["ST01", "城南站", "air", "ST00000000000000000000A1", 120.3, 30.52, PASSWORD]],
    )
    with box.transaction() as session:
        stations.import_stations(
            session=session, path=path, regions=box.regions, now=box.clock.now()
        )


def _problems_in_every_state(box: Container, people: People) -> dict[str, int]:
    client = TestClient(create_app_for(box))
    drive = Driver(client, box, people.officer_a.headers, people.worker_g1.headers)
    worker = people.worker_g1.user_id
    company = enterprise_id(box, 1)

    def report(channel: str, category: str = "water") -> int:
        return public_report(
            box,
            reporter_user_id=people.reporter.user_id if channel == "public" else None,
            enterprise=company,
            channel=channel,
            category=category,
        )

    made = {"reported": report("public", "odour")}
    made["rejected"] = report("media", "noise")
    drive.act(made["rejected"], "reject", reason="重复举报")
    made["accepted"] = report("hotline", "air")
    drive.act(made["accepted"], "accept")
    made["assigned"] = report("grid_worker", "solid_waste")
    drive.act(made["assigned"], "accept")
    drive.act(made["assigned"], "assign", assignee_id=worker)
    made["verifying"] = report("drone", "hazardous_waste")
    drive.to_verifying(made["verifying"], worker)
    made["confirmed"] = report("department", "soil")
    drive.to_confirmed(made["confirmed"], worker, jpeg(3))
    made["unfounded"] = report("ngo", "ecological")
    drive.to_verifying(made["unfounded"], worker)
    photo = drive.upload(made["unfounded"], jpeg(4), purpose="onsite")
    drive.act(made["unfounded"], "mark_unfounded", onsite=drive.onsite(photo))
    made["rectifying"] = report("public", "water")
    drive.to_confirmed(made["rectifying"], worker, jpeg(5))
    drive.order(made["rectifying"])
    made["closed"] = report("public", "other")
    drive.to_closed(made["closed"], worker, jpeg(6))
    made["reopened"] = report("referral", "water")
    drive.to_closed(made["reopened"], worker, jpeg(7))
    drive.act(made["reopened"], "reopen", reason="群众反映仍有排放")
    made["transferred"] = report("inspection", "air")
    drive.act(made["transferred"], "accept")
    drive.act(
        made["transferred"],
        "transfer",
        transfer={"kind": "department", "name": "水利局"},
        reason="属水利部门职责",
    )
    return made


# --- reading pages --------------------------------------------------------------------------


class _Text(HTMLParser):
    """The visible text of a page (and the words a screen reader says: aria-label, title,
    placeholder, alt), and its links."""

    HIDDEN = frozenset({"script", "style", "template", "noscript"})
    SPOKEN = ("aria-label", "title", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        self.parts.extend(v for k, v in attrs if k in self.SPOKEN and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def read_page(html: str) -> tuple[list[str], list[str]]:
    parser = _Text()
    parser.feed(html)
    return parser.parts, parser.links


URL = re.compile(r"\bhttps?://\S+")


def raw_codes(texts: list[str], *, chinese: bool, names: frozenset[str] = frozenset()) -> list[str]:
    """The raw codes among a page's texts (``names``: user names, shown as they are)."""
    found: list[str] = []
    for text in (URL.sub("", t) for t in texts if t not in names):
        codes = SNAKE.findall(text) + COLON_KIND.findall(text)
        if chinese:
            codes += [w for w in ASCII_WORD.findall(text) if w in CODES]
            codes += ENGLISH_PHRASE.findall(text)
        found += [f"{code!r} in {text[:90]!r}" for code in codes]
    return found


def pattern(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def crawl(client: TestClient, starts: list[str]) -> Iterator[tuple[str, list[str]]]:
    """(address, visible texts) of every page reached from ``starts`` by links, the same
    pattern at most ``PER_PATTERN`` times."""
    seen: set[str] = set()
    per_pattern: Counter[str] = Counter()
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        address = queue.popleft()
        if address in seen or per_pattern[pattern(urlsplit(address).path)] >= PER_PATTERN:
            continue
        seen.add(address)
        per_pattern[pattern(urlsplit(address).path)] += 1
        response = client.get(address)
        if response.status_code != 200 or "text/html" not in response.headers["content-type"]:
            continue
        texts, links = read_page(response.text)
        yield address, texts
        for link in links:
            target = urldefrag(link)[0]
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if parts.path.startswith(SKIP_PREFIXES) or parts.path.endswith(SKIP_SUFFIXES):
                continue
            queue.append(target)
