"""The service catalogue (pure): the problem categories as services a reporter chooses from.

One source for the intake's validation and for Open311 GeoReport v2 (``services``, service
definitions): a service's ``code`` is the problem category and the Open311 ``service_code``.
Each service has Chinese and English names and descriptions, Open311 ``keywords`` and
``group``, and attribute definitions with an Open311 ``datatype`` (``string``, ``number``,
``datetime``, ``text``, ``singlevaluelist``, ``multivaluelist``), a ``required`` flag, an
``order`` and, for lists, the allowed values (``key`` and names).

``validate_attributes(category, attributes)`` checks what a reporter sent against the
definitions and returns the normalised attributes; each refusal is an ``AttributeRefused``
naming the attribute as Open311 does (``attribute[intensity]``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
DATATYPES: tuple[Datatype, ...] = (
    "string",
    "number",
    "datetime",
    "text",
    "singlevaluelist",
    "multivaluelist",
)
Locale = Literal["zh_CN", "en"]

STRING_MAX = 200
"""Longest ``string`` attribute value, in characters."""
TEXT_MAX = 4000
"""Longest ``text`` attribute value (Open311's description limit)."""
MAX_ATTRIBUTES = 50
"""More attributes than this in one report are refused outright."""


class AttributeRefused(InputError):
    """An attribute value was refused; ``code`` names the attribute (``None``: the whole set)."""

    def __init__(self, code: str | None, message: str) -> None:
        self.code = code
        super().__init__(f"attribute[{code}]: {message}" if code else f"attributes: {message}")


@dataclass(frozen=True)
class Value:
    """One allowed value of a list attribute."""

    key: str
    name_zh: str
    name_en: str

    def name(self, locale: str = "zh_CN") -> str:
        return self.name_en if locale == "en" else self.name_zh


@dataclass(frozen=True)
class Attribute:
    """An attribute definition (Open311 service definition ``attributes``)."""

    code: str
    datatype: Datatype
    description_zh: str
    """The question the reporter answers (Open311 ``description``)."""
    description_en: str
    required: bool = False
    order: int = 1
    values: tuple[Value, ...] = ()
    datatype_description_zh: str = ""
    datatype_description_en: str = ""
    minimum: float | None = None
    maximum: float | None = None
    variable: bool = True
    """False: informational only, no value expected (Open311 ``variable``)."""

    def description(self, locale: str = "zh_CN") -> str:
        return self.description_en if locale == "en" else self.description_zh

    def datatype_description(self, locale: str = "zh_CN") -> str:
        return self.datatype_description_en if locale == "en" else self.datatype_description_zh

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(v.key for v in self.values)


@dataclass(frozen=True)
class Service:
    """One category as a service (Open311 ``services``)."""

    code: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    group_zh: str
    group_en: str
    keywords: tuple[str, ...]
    attributes: tuple[Attribute, ...] = ()

    def name(self, locale: str = "zh_CN") -> str:
        return self.name_en if locale == "en" else self.name_zh

    def description(self, locale: str = "zh_CN") -> str:
        return self.description_en if locale == "en" else self.description_zh

    def group(self, locale: str = "zh_CN") -> str:
        return self.group_en if locale == "en" else self.group_zh

    @property
    def metadata(self) -> bool:
        """Whether the service has attributes (Open311 ``metadata``)."""
        return bool(self.attributes)

    def attribute(self, code: str) -> Attribute | None:
        for attribute in self.attributes:
            if attribute.code == code:
                return attribute
        return None


def _values(*items: tuple[str, str, str]) -> tuple[Value, ...]:
    return tuple(Value(key, zh, en) for key, zh, en in items)


YES_NO = _values(("yes", "是", "Yes"), ("no", "否", "No"))
AMOUNT = _values(
    ("small", "少量（不足1吨）", "Small (under 1 tonne)"),
    ("medium", "较多（1至10吨）", "Medium (1 to 10 tonnes)"),
    ("large", "大量（超过10吨）", "Large (over 10 tonnes)"),
    ("unknown", "无法估计", "Cannot tell"),
)
HAPPENING_NOW = Attribute(
    "happening_now",
    "singlevaluelist",
    "现在还在发生吗？",
    "Is it happening now?",
    order=9,
    values=YES_NO,
)

SERVICES: tuple[Service, ...] = (
    Service(
        "air",
        "大气污染",
        "Air pollution",
        "烟尘、黑烟、露天焚烧、扬尘、废气直排等。",
        "Smoke, black fumes, open burning, dust, untreated exhaust gas.",
        "大气",
        "Air",
        ("烟", "黑烟", "焚烧", "扬尘", "废气", "smoke", "dust", "burning", "fumes"),
        (
            Attribute(
                "smoke_colour",
                "singlevaluelist",
                "烟的颜色",
                "Colour of the smoke",
                order=1,
                values=_values(
                    ("black", "黑色", "Black"),
                    ("grey", "灰色", "Grey"),
                    ("white", "白色", "White"),
                    ("yellow", "黄色", "Yellow"),
                    ("none", "看不到烟", "No visible smoke"),
                ),
            ),
            Attribute(
                "source_description",
                "string",
                "排放源（烟囱、工地、车辆……）",
                "The source (chimney, building site, vehicle...)",
                order=2,
                datatype_description_zh=f"不超过{STRING_MAX}字",
                datatype_description_en=f"At most {STRING_MAX} characters",
            ),
            HAPPENING_NOW,
        ),
    ),
    Service(
        "water",
        "水污染",
        "Water pollution",
        "河道、湖泊异常颜色，偷排、漏排污水，死鱼，漂浮物等。",
        "Discoloured rivers or lakes, illegal or leaking discharges, dead fish, floating matter.",
        "水",
        "Water",
        ("污水", "偷排", "黑臭", "死鱼", "排污口", "sewage", "discharge", "dead fish", "river"),
        (
            Attribute(
                "colour",
                "singlevaluelist",
                "水的颜色",
                "Colour of the water",
                order=1,
                values=_values(
                    ("black", "黑色", "Black"),
                    ("yellow", "黄色", "Yellow"),
                    ("red", "红色", "Red"),
                    ("white", "乳白色", "Milky white"),
                    ("green", "绿色", "Green"),
                    ("normal", "正常", "Normal"),
                    ("other", "其他", "Other"),
                ),
            ),
            Attribute(
                "dead_fish",
                "singlevaluelist",
                "有死鱼吗？",
                "Are there dead fish?",
                order=2,
                values=YES_NO,
            ),
            Attribute(
                "floating_matter",
                "multivaluelist",
                "水面漂浮物（可多选）",
                "Floating matter (choose any)",
                order=3,
                values=_values(
                    ("oil", "油污", "Oil"),
                    ("foam", "泡沫", "Foam"),
                    ("garbage", "垃圾", "Garbage"),
                    ("algae", "藻类", "Algae"),
                ),
            ),
            HAPPENING_NOW,
        ),
    ),
    Service(
        "solid_waste",
        "固体废物",
        "Solid waste",
        "倾倒、堆放建筑垃圾、工业固废、生活垃圾等。",
        "Dumped or piled construction, industrial or household waste.",
        "固体废物",
        "Waste",
        ("倾倒", "垃圾", "固废", "堆放", "dumping", "waste", "rubbish", "fly-tipping"),
        (
            Attribute(
                "amount",
                "singlevaluelist",
                "大约有多少？",
                "About how much is there?",
                order=1,
                values=AMOUNT,
            ),
            Attribute(
                "area_m2",
                "number",
                "大约占地多少平方米？",
                "About how many square metres does it cover?",
                order=2,
                minimum=0,
                maximum=10_000_000,
                datatype_description_zh="平方米，数字",
                datatype_description_en="Square metres, a number",
            ),
        ),
    ),
    Service(
        "hazardous_waste",
        "危险废物",
        "Hazardous waste",
        "废油、废酸、废化学品、医疗废物等的非法倾倒或存放。",
        "Illegally dumped or stored waste oil, acids, chemicals, medical waste.",
        "固体废物",
        "Waste",
        ("危废", "废油", "化学品", "医疗废物", "桶", "hazardous", "chemical", "drums"),
        (
            Attribute(
                "amount",
                "singlevaluelist",
                "大约有多少？",
                "About how much is there?",
                order=1,
                values=AMOUNT,
            ),
            Attribute(
                "container",
                "singlevaluelist",
                "怎么装的？",
                "How is it held?",
                order=2,
                values=_values(
                    ("drums", "桶装", "Drums"),
                    ("bags", "袋装", "Bags"),
                    ("loose", "散落", "Loose"),
                    ("liquid", "液体直排", "Liquid poured out"),
                    ("other", "其他", "Other"),
                ),
            ),
            Attribute(
                "label_text",
                "text",
                "容器上的标签或文字（如有）",
                "Labels or writing on the containers, if any",
                order=3,
                datatype_description_zh=f"不超过{TEXT_MAX}字",
                datatype_description_en=f"At most {TEXT_MAX} characters",
            ),
            HAPPENING_NOW,
        ),
    ),
    Service(
        "noise",
        "噪声污染",
        "Noise",
        "工业、施工、交通、商业、社会生活噪声扰民。",
        "Industrial, construction, traffic, commercial or neighbourhood noise.",
        "噪声",
        "Noise",
        ("噪声", "噪音", "施工", "扰民", "noise", "construction", "loud"),
        (
            Attribute(
                "time_of_day",
                "singlevaluelist",
                "什么时候吵？",
                "When is it loud?",
                order=1,
                values=_values(
                    ("day", "白天（6时至22时）", "Daytime (6:00 to 22:00)"),
                    ("night", "夜间（22时至次日6时）", "Night (22:00 to 6:00)"),
                    ("both", "白天和夜间", "Day and night"),
                ),
            ),
            Attribute(
                "source_type",
                "singlevaluelist",
                "噪声来源",
                "Source of the noise",
                order=2,
                values=_values(
                    ("industrial", "工业", "Industrial"),
                    ("construction", "建筑施工", "Construction"),
                    ("traffic", "交通", "Traffic"),
                    ("commercial", "商业经营", "Commercial"),
                    ("neighbourhood", "社会生活", "Neighbourhood"),
                ),
            ),
            Attribute(
                "started_at",
                "datetime",
                "从什么时候开始？",
                "Since when?",
                order=3,
                datatype_description_zh="ISO 8601 日期时间",
                datatype_description_en="ISO 8601 date and time",
            ),
            HAPPENING_NOW,
        ),
    ),
    Service(
        "odour",
        "异味",
        "Odour",
        "刺鼻、恶臭等异常气味。",
        "Pungent, foul or unusual smells.",
        "大气",
        "Air",
        ("异味", "恶臭", "臭味", "刺鼻", "odour", "smell", "stink"),
        (
            Attribute(
                "intensity",
                "singlevaluelist",
                "气味有多强？",
                "How strong is the smell?",
                required=True,
                order=1,
                values=_values(
                    ("1", "1 勉强能闻到", "1 barely noticeable"),
                    ("2", "2 能闻到", "2 faint"),
                    ("3", "3 明显", "3 distinct"),
                    ("4", "4 强烈", "4 strong"),
                    ("5", "5 无法忍受", "5 unbearable"),
                ),
            ),
            Attribute(
                "smell_type",
                "singlevaluelist",
                "像什么气味？",
                "What does it smell like?",
                order=2,
                values=_values(
                    ("chemical", "化学品味", "Chemical"),
                    ("rotten_egg", "臭鸡蛋味", "Rotten eggs"),
                    ("sewage", "污水味", "Sewage"),
                    ("burnt", "焦糊味", "Burning"),
                    ("solvent", "油漆溶剂味", "Paint or solvent"),
                    ("sour", "酸味", "Sour"),
                    ("other", "其他", "Other"),
                ),
            ),
            HAPPENING_NOW,
        ),
    ),
    Service(
        "soil",
        "土壤污染",
        "Soil pollution",
        "土壤被污水、废渣、化学品污染。",
        "Soil contaminated by wastewater, residues or chemicals.",
        "土壤和生态",
        "Soil and ecology",
        ("土壤", "污染地块", "农田", "soil", "contaminated land"),
        (
            Attribute(
                "land_use",
                "singlevaluelist",
                "是什么地？",
                "What kind of land is it?",
                order=1,
                values=_values(
                    ("farmland", "农田", "Farmland"),
                    ("residential", "居住区", "Residential"),
                    ("industrial", "工业用地", "Industrial"),
                    ("other", "其他", "Other"),
                ),
            ),
        ),
    ),
    Service(
        "ecological",
        "生态破坏",
        "Ecological damage",
        "非法采砂采矿、毁林、填埋湿地、破坏自然保护地等。",
        "Illegal sand or mineral extraction, deforestation, wetland filling, harm to reserves.",
        "土壤和生态",
        "Soil and ecology",
        ("采砂", "毁林", "湿地", "保护区", "sand mining", "deforestation", "wetland"),
        (
            Attribute(
                "damage_type",
                "singlevaluelist",
                "是哪种破坏？",
                "What kind of damage?",
                order=1,
                values=_values(
                    ("mining", "采砂采矿", "Sand or mineral extraction"),
                    ("deforestation", "毁林", "Deforestation"),
                    ("wetland", "填埋湿地", "Wetland filling"),
                    ("wildlife", "伤害野生动物", "Harm to wildlife"),
                    ("other", "其他", "Other"),
                ),
            ),
        ),
    ),
    Service(
        "other",
        "其他",
        "Other",
        "以上类别之外的生态环境问题。",
        "Any other environmental problem.",
        "其他",
        "Other",
        ("其他", "other"),
    ),
)
"""Every service, in the order of the problem categories."""

_BY_CODE = {s.code: s for s in SERVICES}


def service_codes() -> tuple[str, ...]:
    return tuple(s.code for s in SERVICES)


def get_service(code: str) -> Service:
    """The service ``code``; ``InputError`` naming the known codes otherwise."""
    found = _BY_CODE.get(code)
    if found is None:
        raise InputError(f"category: {code!r} is not one of {', '.join(_BY_CODE)}")
    return found


def category_for(label: str) -> str | None:
    """The category code a label stands for: a code, or a Chinese or English service name
    (case and surrounding space ignored); None when it is none of them."""
    text = label.strip()
    if text in _BY_CODE:
        return text
    folded = text.casefold()
    for service in SERVICES:
        if folded in (service.code, service.name_zh.casefold(), service.name_en.casefold()):
            return service.code
    return None


AttributeValue = str | list[str]


def validate_attributes(
    category: str, attributes: Mapping[str, object]
) -> dict[str, AttributeValue]:
    """The attributes of a report of ``category``, checked and normalised.

    Refuses (``AttributeRefused``, naming the attribute) unknown codes, a missing required
    attribute, a value outside a list, a number or datetime that does not parse, text that is
    too long and anything that is not text. Empty values of optional attributes are dropped.
    Normal forms: lists keep their keys in the catalogue's order without repeats; numbers are
    written back as Python prints them (``12.5``, ``3``); datetimes as ISO 8601 with an offset
    (no offset means China Standard Time).
    """
    service = get_service(category)
    if len(attributes) > MAX_ATTRIBUTES:
        raise AttributeRefused(None, f"more than {MAX_ATTRIBUTES} attributes")
    clean: dict[str, AttributeValue] = {}
    for code, raw in attributes.items():
        attribute = service.attribute(code)
        if attribute is None:
            known = ", ".join(a.code for a in service.attributes) or "none"
            raise AttributeRefused(
                code, f"not an attribute of the service {category} (its attributes: {known})"
            )
        value = _check(attribute, raw)
        if value is not None:
            clean[code] = value
    for attribute in service.attributes:
        if attribute.required and attribute.code not in clean:
            raise AttributeRefused(attribute.code, f"required for the service {category}")
    return {a.code: clean[a.code] for a in service.attributes if a.code in clean}


def _texts(attribute: Attribute, raw: object) -> list[str]:
    if isinstance(raw, str):
        items = [raw]
    elif isinstance(raw, list | tuple) and all(isinstance(v, str) for v in raw):
        items = [str(v) for v in raw]
    else:
        raise AttributeRefused(attribute.code, "must be text or a list of texts")
    if any("\x00" in v for v in items):
        raise AttributeRefused(attribute.code, "contains a NUL character")
    return [v.strip() for v in items if v.strip()]


def _check(attribute: Attribute, raw: object) -> AttributeValue | None:
    code = attribute.code
    items = _texts(attribute, raw)
    if not items:
        return None
    if not attribute.variable:
        raise AttributeRefused(code, "takes no value")
    if attribute.datatype == "multivaluelist":
        unknown = [v for v in items if v not in attribute.keys]
        if unknown:
            raise AttributeRefused(
                code, f"{unknown[0]!r} is not one of {', '.join(attribute.keys)}"
            )
        return [k for k in attribute.keys if k in items]
    if len(items) > 1:
        raise AttributeRefused(code, "takes one value, got several")
    value = items[0]
    if attribute.datatype == "singlevaluelist":
        if value not in attribute.keys:
            raise AttributeRefused(code, f"{value!r} is not one of {', '.join(attribute.keys)}")
        return value
    if attribute.datatype == "number":
        return _number(attribute, value)
    if attribute.datatype == "datetime":
        return _datetime(code, value)
    limit = STRING_MAX if attribute.datatype == "string" else TEXT_MAX
    if len(value) > limit:
        raise AttributeRefused(code, f"longer than {limit} characters")
    return value


def _number(attribute: Attribute, text: str) -> str:
    code = attribute.code
    try:
        number = float(text) if len(text) <= 40 else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise AttributeRefused(code, f"{text[:40]!r} is not a number")
    if attribute.minimum is not None and number < attribute.minimum:
        raise AttributeRefused(code, f"{text} is below the minimum {attribute.minimum:g}")
    if attribute.maximum is not None and number > attribute.maximum:
        raise AttributeRefused(code, f"{text} is above the maximum {attribute.maximum:g}")
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def _datetime(code: str, text: str) -> str:
    try:
        value = datetime.fromisoformat(text) if len(text) <= 40 else None
    except ValueError:
        value = None
    if value is None:
        raise AttributeRefused(code, f"{text[:40]!r} is not an ISO 8601 date and time")
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA_TZ)
    return value.isoformat()
