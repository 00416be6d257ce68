"""The documentation names only what exists: every ``ecoradar ...`` command in a code span or
block of docs/**/*.md and README.md resolves in the command line, every ``ECORADAR_...`` name is a
setting (or a documented variable read elsewhere), every image a guide shows is there, and the
generated configuration reference is current."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from ecoradar import config_docs
from ecoradar.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]

OTHER_VARIABLES = {
    "ECORADAR_PURE_CODEC": "ecoradar.hj212.native: force the pure-Python decoder",
    "ECORADAR_PURE_DETECTION": "ecoradar.detection.compiled: the fold's sources, not its build",
    "ECORADAR_TEST_BACKENDS": "tests/conftest.py: the databases the suite runs on",
    "ECORADAR_TEST_PG_URL": "tests/conftest.py: the PostgreSQL server of the suite",
    "ECORADAR_TEST_NATS_URL": "tests: the NATS server of the suite",
    "ECORADAR_DOCS_SCREENSHOTS": "tests/browser/test_guide_screenshots.py: write docs/images",
    "ECORADAR_BATCHES": "the JetStream stream's default name (not a variable)",
    "ECORADAR_BATCHES_WORKERS": "the workers' key-value bucket (not a variable)",
}
"""``ECORADAR_`` names that are not fields of a settings class nor options of a command."""

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
SPAN = re.compile(r"`([^`\n]+)`")
INVOCATION = re.compile(
    r"(?:^\s*(?:[A-Z_]+=\S*\s+)*|[;&|(]\s*)(?:\S*/bin/)?ecoradar((?:[ \t]+[a-z][a-z0-9-]*)+)",
    re.MULTILINE,
)
"""A command's start (a line's, after variables, or after ``;``, ``&&``, ``|``, ``(``), then
``ecoradar`` and its lower-case words."""
VARIABLE = re.compile(r"\bECORADAR_[A-Z][A-Z0-9_]*[A-Z0-9]")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def code_of(text: str) -> list[str]:
    """The fenced blocks and the code spans outside them."""
    blocks = FENCE.findall(text)
    return blocks + SPAN.findall(FENCE.sub("", text))


def invocations(text: str) -> list[list[str]]:
    """The words after ``ecoradar`` in each command named in code (options and upper-case
    placeholders end the words)."""
    found = []
    for code in code_of(text):
        for line in code.splitlines():
            if line.lstrip().startswith("#"):
                continue  # a shell comment
            line = line.split(" #", 1)[0]
            found.extend(match.group(1).split() for match in INVOCATION.finditer(line))
    return found


@functools.cache
def _root() -> Any:
    """The click command typer builds for ``ecoradar`` (built once)."""
    return typer.main.get_command(app)


def resolve(words: list[str]) -> str | None:
    """None when ``ecoradar WORDS`` names a command; else what is wrong."""
    command: Any = _root()
    path = ["ecoradar"]
    for word in words:
        if not _subcommands(command):
            return None  # the rest are the command's arguments
        sub = _subcommands(command).get(word)
        if sub is None:
            return f"{' '.join(path)} has no command {word!r}"
        command, path = sub, [*path, word]
    if _subcommands(command):
        return f"{' '.join(path)} is a group, not a command"
    return None


def _subcommands(command: Any) -> dict[str, Any]:
    """A group's commands by name ({} for a command; typer carries its own click)."""
    return dict(getattr(command, "commands", None) or {})


@functools.cache
def known_variables() -> frozenset[str]:
    names = set(OTHER_VARIABLES)
    for cls in config_docs.settings_classes():
        names.update(config_docs.env_names(cls))
    stack: list[Any] = [_root()]
    while stack:
        command = stack.pop()
        for param in command.params:
            envvar = getattr(param, "envvar", None)
            names.update([envvar] if isinstance(envvar, str) else envvar or [])
        stack.extend(_subcommands(command).values())
    return frozenset(names)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_the_docs_name_exists(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    wrong = sorted({problem for words in invocations(text) if (problem := resolve(words))})
    assert wrong == [], f"{path.relative_to(ROOT)}: {wrong}"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_variable_the_docs_name_is_a_setting(path: Path) -> None:
    known = {name.upper() for name in known_variables()}
    named = set(VARIABLE.findall(path.read_text(encoding="utf-8")))
    assert sorted(name for name in named if name.upper() not in known) == []


def test_the_docs_name_commands_in_code_and_the_checker_catches_a_wrong_one() -> None:
    sample = (
        "Run `ecoradar db upgrade`, then\n```sh\ncreatedb -O ecoradar ecoradar\n"
        "X=1 .venv/bin/ecoradar demo --speed 60\n```\n"
    )
    assert sorted(invocations(sample)) == [["db", "upgrade"], ["demo"]]
    assert resolve(["db", "upgrade"]) is None
    assert resolve(["users", "password", "NAME"]) is None
    assert resolve(["db", "upgrad"]) == "ecoradar db has no command 'upgrad'"
    assert resolve(["db"]) == "ecoradar db is a group, not a command"
    assert resolve(["nosuch"]) == "ecoradar has no command 'nosuch'"
    all_docs = "".join(p.read_text(encoding="utf-8") for p in DOCS)
    assert len(invocations(all_docs)) > 50


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_image_and_page_the_docs_link_to_is_there(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    links = IMAGE.findall(text) + re.findall(
        r"\]\(((?!https?:|#|/)[^)\s#]+\.md)(?:#[^)]*)?\)", text
    )
    missing = [link for link in links if not (path.parent / link).resolve().exists()]
    assert missing == []


def test_the_configuration_reference_is_generated_from_the_settings() -> None:
    committed = (ROOT / config_docs.OUTPUT).read_text(encoding="utf-8")
    assert committed == config_docs.render(), "run: .venv/bin/python scripts/config_docs.py"
    assert config_docs.undocumented() == []
    for name in (
        "ECORADAR_DATABASE_URL",
        "ECORADAR_TRUSTED_PROXIES",
        "ECORADAR_EXPOSURE_FOUR_EYES",
    ):
        assert f"| `{name}` |" in committed
