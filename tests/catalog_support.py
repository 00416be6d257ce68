"""The catalog check the page tests share: every gettext message of some templates has a
translation in a locale's messages.po, and in zh_CN that translation reads in Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from babel.messages.extract import extract
from babel.messages.pofile import read_po

from ecoradar.web.i18n import LOCALE_DIR

Message = tuple[str | None, str]  # (context, msgid); a plural is named by its singular
CHINESE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f]")  # words, or CJK punctuation


def template_messages(paths: Iterable[Path]) -> set[Message]:
    """The messages the Jinja2 templates at `paths` ask gettext for."""
    found: set[Message] = set()
    for path in paths:
        with path.open("rb") as handle:
            for _line, message, _comments, context in extract(
                "jinja2", handle, options={"extensions": "jinja2.ext.i18n"}
            ):
                found.add((context, message if isinstance(message, str) else message[0]))
    return found


def translated(locale: str) -> dict[Message, str]:
    """The translated messages of a locale's catalog: not fuzzy, every plural form filled in;
    the value is the (first form of the) translation."""
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    found: dict[Message, str] = {}
    for entry in catalog:
        if not entry.id or entry.fuzzy:
            continue
        forms = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        if forms and all(forms):
            msgid = entry.id if isinstance(entry.id, str) else entry.id[0]
            found[(entry.context, msgid)] = str(forms[0])
    return found


def _listed(messages: Iterable[Message]) -> str:
    ordered = sorted(messages, key=lambda m: (m[0] or "", m[1]))
    return "\n".join(f"  {m[1]!r}" + (f" (context {m[0]!r})" if m[0] else "") for m in ordered)


def check_catalogs(
    locale: str, paths: Iterable[Path], *, at_least: int, also: Iterable[Message] = ()
) -> None:
    """Assert that the templates at `paths` (plus the messages `also`, which views or code
    translate) ask for at least `at_least` messages, that `locale` translates every one, and,
    for zh_CN, that each translation holds Chinese."""
    paths = list(paths)
    needed = template_messages(paths) | set(also)
    assert len(needed) >= at_least, (
        f"only {len(needed)} messages in {[p.name for p in paths]}, expected at least {at_least}"
    )
    known = translated(locale)
    missing = needed - known.keys()
    assert not missing, f"{len(missing)} messages not translated in {locale}:\n{_listed(missing)}"
    if locale == "zh_CN":
        english = {m for m in needed if not CHINESE.search(known[m])}
        assert not english, f"{len(english)} translations without Chinese:\n{_listed(english)}"
