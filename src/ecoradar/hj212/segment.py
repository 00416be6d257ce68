"""The CP data area of HJ 212 (§6.3.3): items ``code-Suffix=value`` and other keys.

Pairs are joined by ``,`` within a factor and ``;`` between factors (§6.3.3.1); both separate
pairs alike here. Logs of ``xxxxxx-Info`` (table B.10) sit between ``//`` and may hold either
separator. Keys with a ``-`` are factor items ``code-Suffix`` (split at the first ``-``), except
``SBxxx-RS``/``SBxxx-RT`` (treatment facilities, table 4), which stay with the other keys.
"""

from __future__ import annotations

import re

from ecoradar.hj212.errors import HJ212Error, Reason

Items = dict[str, dict[str, str]]

_BLANKS_AROUND = re.compile(r"[ \t]*([;,=])[ \t]*")


def parse_cp(
    content: str, code_map: dict[str, str], strict: bool, spaced: bool
) -> tuple[Items, dict[str, str], dict[str, str] | None]:
    """Split the text between ``CP=&&`` and ``&&`` into items, other keys and mapped codes.

    ``code_map`` maps 2005 codes to 2017 codes; the third result maps each 2017 code used in
    place of a 2005 code to the code as sent (``None`` when nothing was mapped).
    """
    items: Items = {}
    cp: dict[str, str] = {}
    original: dict[str, str] | None = None
    if not content:
        return items, cp, original
    last = None  # code as sent of the previous item: the items of a factor come together
    values: dict[str, str] = {}
    for token in cp_tokens(content, strict, spaced):
        key, eq, value = token.partition("=")
        code, dash, suffix = key.partition("-")
        if code == last and eq and suffix and not (strict and suffix in values):
            values[suffix] = value
            continue
        if not eq:
            if not key and not strict:
                continue
            raise HJ212Error(Reason.BAD_FIELD, f"CP item {token!r} has no '='", "CP")
        if code and suffix and code[:2] != "SB":
            last = code
            new = code_map.get(code)
            if new is not None:
                if original is None:
                    original = {}
                original[new] = code
                code = new
            found = items.get(code)
            if found is None:
                values = items[code] = {}
            else:
                values = found
                if strict and suffix in values:
                    raise HJ212Error(Reason.BAD_FIELD, f"CP item {key} appears twice", key)
            values[suffix] = value
        elif key and (not dash or code[:2] == "SB"):
            if strict and key in cp:
                raise HJ212Error(Reason.BAD_FIELD, f"CP key {key} appears twice", key)
            cp[key] = value
        else:
            raise HJ212Error(Reason.BAD_FIELD, f"CP item {token!r} has no code or suffix", "CP")
    return items, cp, original


def cp_tokens(content: str, strict: bool, spaced: bool) -> list[str]:
    """The ``key=value`` tokens of a non-empty CP content, logs kept whole and, when ``spaced``,
    blanks around separators removed (the compiled decoder calls this for those two cases)."""
    if "=//" in content:
        tokens = _tokens_with_logs(content, strict)
        if spaced:
            tokens = [_strip_pair(token) for token in tokens]
        return tokens
    if spaced:
        content = _BLANKS_AROUND.sub(r"\1", content).strip()
    return content.replace(",", ";").split(";")


def _strip_pair(token: str) -> str:
    key, eq, value = token.partition("=")
    return f"{key.strip()}{eq}{value.strip()}"


def _tokens_with_logs(content: str, strict: bool) -> list[str]:
    """Split on ``;`` and ``,`` except inside values quoted ``=//...//`` (table B.10 logs)."""
    tokens: list[str] = []
    pos = 0
    size = len(content)
    while pos <= size:
        opening = content.find("=//", pos)
        if opening < 0:
            tokens.extend(content[pos:].replace(",", ";").split(";"))
            break
        closing = content.find("//", opening + 3)
        if closing < 0:
            if strict:
                raise HJ212Error(Reason.BAD_FIELD, "a // log in CP is not closed", "CP")
            tokens.extend(content[pos:].replace(",", ";").split(";"))
            break
        start = max(content.rfind(";", pos, opening), content.rfind(",", pos, opening)) + 1
        if start > pos:
            tokens.extend(content[pos : start - 1].replace(",", ";").split(";"))
        else:
            start = pos
        end = closing + 2
        ends = [i for i in (content.find(";", end), content.find(",", end)) if i >= 0]
        stop = min(ends) if ends else size
        tokens.append(content[start:stop])
        pos = stop + 1
    return tokens
