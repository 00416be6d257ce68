"""Personal data in free text (pure): find it, and hide it behind ``PLACEHOLDER``.

What a reporter writes (a problem's title and description, a finding, a dispute) and what an
officer writes for the public (a reason, a note) may hold who wrote it or whom to call. Those who
do not handle the problem (the enterprise under it, the public, Open311 clients, a tracking
code's holder) read every such text through ``mask``; the officers handling it read the original.

Found, after NFKC normalisation (full-width ``１３８``, ``＠``, ``（at）`` read as their ASCII
forms; dashes of every width read as ``-``; zero-width characters ignored):

- mainland mobile numbers, plain or split by spaces, dashes, dots, slashes or underscores,
  with or without ``+86`` / ``0086`` / ``(+86)``;
- fixed-line numbers with an area code (``0573-82345678``, ``(0573)8234 5678``, ``+86 571 …``),
  and any number of seven or more digits introduced by 电话/手机/座机/tel/phone;
- e-mail addresses with ``@`` or ``＠``, spelled ``[at]``, ``(at)``, `` at ``, ``#``, ``艾特``, and
  dots spelled ``[dot]``, `` dot ``, ``。``, ``点``;
- resident identity card numbers: 18 digits (the last may be ``X``) or the old 15, also split
  into groups, whose birth date is a real date; an 18-character unified social credit code that
  is not also a valid identity number stays;
- WeChat and QQ ids after 微信, 威信, 薇信, v信, vx, wx, weixin, wechat, QQ, 扣扣, 企鹅;
- personal names after 姓名, 联系人, 举报人, 投诉人, 反映人, and after 我叫 and 本人 when
  the name starts with a common surname; English names after "my name is" and "contact:".

Each hit becomes ``PLACEHOLDER``; everything around it stays exactly as written (the original
characters, not their normalised forms). Dates, times, measurements with units, permit numbers,
credit codes, coordinates, hotline numbers such as 12369 and enterprise names are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ecoradar.registry.uscc import is_valid_uscc

PLACEHOLDER = "[已隐去]"
"""What stands in for each piece of personal data ("hidden")."""

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\u2043"), "-")
_IGNORED = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
"""Zero-width characters and the soft hyphen: invisible, so read as nothing."""

# --- the patterns (on the normalised text) ---------------------------------------------------

_S = r"(?:[ \t]{0,2}[-./·•_][ \t]{0,2}|[ \t]{1,2})?"
"""At most one separator between two digits: a dash, dot, slash, underscore or spaces."""


def _digits(count: int) -> str:
    return _S.join([r"\d"] * count)


_CC = r"\(?(?:\+|00)[ \t]?86\)?"
"""The country code: ``+86``, ``0086``, ``(+86)``."""

_INTERNATIONAL = re.compile(rf"{_CC}{_S}\d(?:{_S}\d){{8,11}}(?!\d)")
_MOBILE = re.compile(rf"(?<!\d)(?<!\d\.)1{_S}[3-9]{_S}{_digits(9)}(?!\d)")
_LANDLINE = re.compile(
    rf"(?<!\d)(?<!\d\.)(?:\(0\d{{2,3}}\)|0\d{{2,3}}){_S}[2-9]{_S}\d{_S}\d{_S}(?:\d{_S})?{_digits(4)}(?!\d)"
)
_PHONE_WORDS = re.compile(
    r"(?:电话|手机|座机|电联|致电|联系方式|(?<![a-z])(?:tel|phone|mobile|cell)(?![a-z]))"
    r"(?:号码|号)?[ \t]*(?:[:：=]|是|为)?[ \t]*"
    rf"(?P<hit>\+?\d(?:{_S}\d){{6,14}})(?!\d)",
    re.IGNORECASE,
)

_LOCAL = r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"


def _bracketed(word: str) -> str:
    """``word`` in brackets of any kind: ``[at]``, ``(at)``, ``{at}``, ``<at>``, ``【at】``."""
    return r"[\[({<【]\s*" + word + r"\s*[\])}>】]"


_AT_SPELLED = rf"(?:[ \t]*(?:{_bracketed('at')}|#|艾特)[ \t]*|[ \t]+at[ \t]+)"
_DOT = rf"(?:[ \t]*(?:\.|。|点|{_bracketed('dot')})[ \t]*|[ \t]+dot[ \t]+)"
_TLDS = (
    "com|cn|net|org|edu|gov|info|biz|top|xyz|vip|site|club|io|me|cc|co|tv|hk|mo|tw|uk|us|de|"
    "fr|jp|kr|sg|au|ca|ru|in"
)
_EMAIL = re.compile(
    rf"{_LOCAL}[ \t]*@[ \t]*{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}[A-Za-z]{{2,24}}(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_EMAIL_SPELLED = re.compile(
    rf"{_LOCAL}{_AT_SPELLED}{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}(?:{_TLDS})(?![A-Za-z0-9])",
    re.IGNORECASE,
)

_ID_18 = re.compile(rf"(?<![A-Za-z0-9]){_digits(17)}{_S}[0-9Xx](?![A-Za-z0-9])")
_ID_15 = re.compile(rf"(?<![A-Za-z0-9]){_digits(15)}(?![A-Za-z0-9])")

_IM = re.compile(
    r"(?P<key>微信|威信|薇信|扣扣|企鹅|(?<![a-z])(?:v信|vx|wx|weixin|wechat|qq)(?![a-z]))"
    r"(?:号码|号|账号|id)?[ \t]*(?P<link>[:：=]|是|为)?[ \t]*"
    r"(?P<hit>[A-Za-z0-9][A-Za-z0-9_\-]{4,39})(?![A-Za-z0-9_\-])",
    re.IGNORECASE,
)

_NAME_AFTER = re.compile(
    r"(?:(?P<strict>姓名|联系人|举报人|投诉人|反映人)[ \t]*(?:[:：]|是|叫|为)?"
    r"|(?P<soft>我叫|本人|我的名字叫|我的名字是))[ \t]*(?:[:：][ \t]*)?"
)
_ENGLISH_NAME = re.compile(
    r"(?i:\bmy\s+name\s+is|\bcontact(?:\s+person)?\s*:)"
    r"\s*(?P<hit>[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+){0,2})"
)

_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 独孤 "
    "南宫 西门 闻人 澹台 万俟".split()
)
_NOT_IN_NAMES = frozenset("的了在是住说昨今这那个们里边近围些么吗呢吧啊呀被把让给从往")
"""Characters that are no part of a personal name: a candidate holding one is no name."""
_AFTER_NAME = (
    "电话",
    "手机",
    "联系",
    "微信",
    "邮箱",
    "家住",
    "住在",
    "住",
    "在",
    "的",
    "是",
    "说",
    "反映",
    "举报",
    "投诉",
    "发现",
    "先生",
    "女士",
    "小姐",
    "师傅",
    "身份",
    "地址",
    "号码",
)
"""What may follow a name directly (besides anything that is not a Chinese character)."""


# --- normalising with a way back -------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """A piece of personal data in the original text: ``text[start:end]``."""

    start: int
    end: int
    kind: str
    """``phone``, ``email``, ``id_card``, ``im`` (WeChat, QQ) or ``name``."""


def _normalise(text: str) -> tuple[str, list[int]]:
    """``text`` NFKC-normalised (character by character) and the original index of every
    normalised character, so a match can be mapped back onto the text as written."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char in _IGNORED:
            continue
        if char.isascii():
            chars.append(char)
            origin.append(index)
            continue
        for out in unicodedata.normalize("NFKC", char).translate(_DASHES):
            chars.append(out)
            origin.append(index)
    return "".join(chars), origin


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


# --- checks beyond the patterns --------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1880, 1, 1) <= born <= date(2100, 12, 31)


def _identity_number(digits: str) -> bool:
    """Whether ``digits`` (separators removed) looks like an identity card number: a real
    birth date where it belongs; an 18-character one that is a valid credit code but fails the
    identity check character is taken for the credit code."""
    if len(digits) == 15:
        return _real_date(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))
    if not _real_date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14])):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    checks = _ID_CHECK[total % 11] == digits[17].upper()
    return checks or not is_valid_uscc(digits.upper())


_COUNTRY = re.compile(r"^\(?(?:\+|00)[ \t]?86\)?|[()]")
_BETWEEN = re.compile(r"[^0-9Xx]+")


def _grouped(number: str) -> bool:
    """Whether the separators of ``number`` (country code and parentheses removed) group it
    as people write numbers: a handful of groups, or every digit apart; never decimals among
    spaces (``13.5 14.2 15.8 16.1`` is a series of values, not a phone number)."""
    between = [s.strip() or " " for s in _BETWEEN.findall(number.strip())]
    if "." in between and " " in between:
        return False
    groups = [g for g in _BETWEEN.split(number.strip()) if g]
    return len(groups) <= 5 or all(len(g) == 1 for g in groups)


def _name_length(text: str, start: int, *, surname_needed: bool) -> int:
    """How many characters of ``text`` from ``start`` are a personal name (0: none)."""
    run = ""
    for char in text[start : start + 12]:
        if not _is_han(char):
            break
        run += char
    compound = run[:2] in _COMPOUND_SURNAMES
    if run.startswith(_AFTER_NAME):
        return 0
    if surname_needed and not (compound or run[:1] in _SURNAMES):
        return 0
    for length in (4, 3, 2) if compound else (3, 2):
        candidate = run[:length]
        if len(candidate) < length or _NOT_IN_NAMES.intersection(candidate[1:]):
            continue
        rest = text[start + length :]
        if not rest or not _is_han(rest[0]) or rest.startswith(_AFTER_NAME):
            return length
    return 0


# --- finding and hiding ----------------------------------------------------------------------


def _matches(normal: str) -> Iterable[tuple[int, int, str]]:
    """Spans of personal data in the normalised text."""
    for pattern in (_ID_18, _ID_15):
        for found in pattern.finditer(normal):
            number = found.group()
            if _grouped(number) and _identity_number(re.sub(r"[^0-9Xx]", "", number)):
                yield found.start(), found.end(), "id_card"
    for pattern in (_INTERNATIONAL, _MOBILE, _LANDLINE):
        for found in pattern.finditer(normal):
            if _grouped(_COUNTRY.sub("", found.group())):
                yield found.start(), found.end(), "phone"
    for found in _PHONE_WORDS.finditer(normal):
        if _grouped(found.group("hit")):
            yield found.start("hit"), found.end("hit"), "phone"
    for pattern in (_EMAIL, _EMAIL_SPELLED):
        for found in pattern.finditer(normal):
            yield found.start(), found.end(), "email"
    for found in _IM.finditer(normal):
        hit = found.group("hit")
        spoken = found.group("key").isascii() and not found.group("link")
        if spoken and not re.search(r"\d", hit):
            continue  # "wechat group": an English word, not an id
        yield found.start("hit"), found.end("hit"), "im"
    for found in _NAME_AFTER.finditer(normal):
        length = _name_length(normal, found.end(), surname_needed=bool(found.group("soft")))
        if length:
            yield found.end(), found.end() + length, "name"
    for found in _ENGLISH_NAME.finditer(normal):
        yield found.start("hit"), found.end("hit"), "name"


def find(text: str) -> list[Hit]:
    """The personal data in ``text``, in order, overlapping hits merged."""
    if not text:
        return []
    normal, origin = _normalise(text)
    spans = sorted(
        (origin[start], origin[end - 1] + 1, kind)
        for start, end, kind in _matches(normal)
        if end > start
    )
    merged: list[Hit] = []
    for start, end, kind in spans:
        if merged and start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Hit(last.start, max(last.end, end), last.kind)
        else:
            merged.append(Hit(start, end, kind))
    return merged


def mask(text: str) -> str:
    """``text`` with every piece of personal data replaced by ``PLACEHOLDER``."""
    hits = find(text)
    if not hits:
        return text
    parts: list[str] = []
    at = 0
    for hit in hits:
        parts.append(text[at : hit.start])
        parts.append(PLACEHOLDER)
        at = hit.end
    parts.append(text[at:])
    return "".join(parts)


def mask_optional(text: str | None) -> str | None:
    return None if text is None else mask(text)


def mask_data(value: Any) -> Any:
    """Every string in a JSON-like value (mappings, lists) masked; other values as they are."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Mapping):
        return {key: mask_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_data(item) for item in value]
    return value
