"""A labelled set for clue deduplication: a synthetic city's problems and new clues with truth.

``labelled_set(seed=..., counts=..., background=...)`` builds, deterministically per seed, the
problems already in the register (each with one or more reports, the first opening it, and
maybe photos) and the clues arriving at ``now``, each labelled with the problem it is about
(``duplicate_of``) or None when it should open a new problem. Incidents are facts — a landmark
(解放路, 金沙桥...), a source (宏达化工厂), a phenomenon (黑水, 刺鼻气味), a time of day, extra
details — and every report renders some of them in its own words: synonyms, clause order,
extra details, polite filler, typos and homophones (排->派, 味->未). Two incidents within
``NEIGHBOURHOOD_M`` of one category never share a landmark or source unless a scenario wants
them to.

Clue kinds (``KINDS``; the truth in brackets):

* ``near_duplicate`` — the same incident 0-60 m from its problem, rephrased; half carry a
  resized, recompressed, slightly cropped copy of the problem's photo [the problem].
* ``updated_recently`` — the same, for a problem reported 9-20 days ago that a later report
  updated 1-3 days ago [the problem].
* ``photo_only`` — text that says nothing ("见图"), the problem's photo (a copy), 0-80 m away
  [the problem].
* ``two_sites`` — two problems of one category about 150 m apart; the clue rephrases the second
  and lies near it [the second].
* ``far`` — the problem's own words 2-3 km away [new].
* ``other_category`` — the same place, another category and incident [new].
* ``outside_window`` — the same place, category and words, the problem last active 8-20 days
  ago [new].
* ``nearby_different`` — another source of the same category 120-180 m away, maybe on the same
  road [new].

``background`` further problems, open, of every category, spread over the city and the last 30
days (a share with a small photo), make the register realistic and the timing honest. Photos are
drawn with Pillow from the seed (gradient, shapes, noise) as JPEG bytes; media.inspect gives
their real dHashes. Places lie in ``area`` (default: the sample city of ``simulate.city``).
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from PIL import Image, ImageDraw, ImageEnhance

KINDS: Final = (
    "near_duplicate",
    "updated_recently",
    "photo_only",
    "two_sites",
    "far",
    "other_category",
    "outside_window",
    "nearby_different",
)
POSITIVE_KINDS: Final = frozenset({"near_duplicate", "updated_recently", "photo_only", "two_sites"})
DEFAULT_COUNTS: Final[Mapping[str, int]] = {
    "near_duplicate": 60,
    "updated_recently": 12,
    "photo_only": 20,
    "two_sites": 20,
    "far": 15,
    "other_category": 15,
    "outside_window": 15,
    "nearby_different": 30,
}
SAMPLE_CITY_AREA: Final = (120.01, 30.71, 120.39, 30.99)
"""(west, south, east, north) inside the sample city, 1 km from its edges."""
NOW: Final = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
NEIGHBOURHOOD_M: Final = 1000.0

_M_PER_DEG: Final = 111_195.0
_CATEGORY_WEIGHTS: Final = {
    "water": 25, "air": 20, "odour": 15, "noise": 15, "solid_waste": 10,
    "hazardous_waste": 5, "soil": 3, "ecological": 4, "other": 3,
}  # fmt: skip
_SOURCES: Final = {
    "water": ("化工厂", "印染厂", "电镀厂", "造纸厂", "养殖场", "食品厂", "洗砂场", "酿酒厂"),
    "air": ("砖厂", "铸造厂", "水泥厂", "搅拌站", "锅炉房", "喷漆厂", "沥青站", "木材厂"),
    "odour": ("化工厂", "垃圾中转站", "养猪场", "橡胶厂", "饲料厂", "制药厂", "皮革厂"),
    "noise": ("工地", "KTV", "饭店", "加工厂", "搅拌站", "酒吧", "钢材市场", "物流园"),
    "solid_waste": ("工地", "装修公司", "废品站", "家具厂", "拆迁队", "建材市场"),
    "hazardous_waste": ("电镀厂", "汽修厂", "化工厂", "电池回收点", "印刷厂"),
    "soil": ("电镀厂", "冶炼厂", "农药厂", "废品站"),
    "ecological": ("采石场", "砂场", "开发商", "苗木基地"),
    "other": ("洗车店", "商铺", "小作坊", "农贸市场"),
}
_PHENOMENA: Final = {
    "water": (("往河里排黑水", "排出黑色污水", "偷排发黑的废水", "直排黑臭的污水"),
              ("河面上全是白色泡沫", "水面漂着一层白沫", "排口冒出大量泡沫"),
              ("河里死了很多鱼", "出现大量死鱼", "鱼都翻白肚皮了"),
              ("排出的水是红色的", "河水被染成红色", "排口流出红水")),
    "air": (("烟囱冒黑烟", "排放大量黑色烟雾", "冒出滚滚浓烟"),
            ("粉尘特别大", "灰尘漫天飞", "扬尘严重"),
            ("露天焚烧垃圾", "在空地上烧塑料", "烧东西烟很大"),
            ("冒黄烟", "排出黄色的烟", "黄烟一直飘")),
    "odour": (("气味刺鼻", "有很呛人的味道", "闻着刺鼻难受"),
              ("一股臭鸡蛋味", "臭味很重", "散发恶臭"),
              ("有股油漆味", "一股塑料烧焦的味道", "化学品的气味很浓")),
    "noise": (("半夜还在施工", "夜间施工噪音很大", "晚上十点以后还在打桩"),
              ("音响声音特别大", "音乐开得很响", "唱歌声吵得睡不着"),
              ("机器轰鸣声不停", "设备噪音很大", "切割声刺耳")),
    "solid_waste": (("乱倒建筑垃圾", "偷倒渣土", "在路边倾倒垃圾"),
                    ("垃圾堆成山", "堆放大量废料", "废弃物乱堆乱放")),
    "hazardous_waste": (("把废机油倒进下水道", "废油随便乱倒", "废机油直接倒在地上"),
                        ("露天堆放化学品桶", "危废桶随意堆放", "化学桶到处乱放")),
    "soil": (("往地里埋废渣", "把废渣填埋在农田", "在地下埋了废料"),
             ("土壤被污染发黑", "地里的庄稼都死了", "田里的土变色了")),
    "ecological": (("乱砍树木", "把山上的树砍光了", "砍伐林木"),
                   ("非法采砂", "偷采河砂", "挖沙船一直在挖")),
    "other": (("油烟很大", "油烟直排", "油烟熏人"), ("污水横流", "脏水流到路上", "乱排脏水")),
}  # fmt: skip
_NAMES: Final = tuple(
    "解放 中山 人民 建设 新华 东升 长安 和平 胜利 光明 青年 文化 朝阳 红旗 幸福 振兴 龙潭 白马 "
    "金沙 石桥 柳塘 桂花 梅林 南湖 北岸 东港 西溪 凤凰 青龙 双桥 五星 富春 望江 清河 杨家 "
    "李村 王庄 马鞍 荷花 竹林 松林 枫林 鹤鸣 云龙 新港 江滨 湖滨 环城 平安".split()
)
_PLACE_KINDS: Final = ("路", "街", "桥", "村", "小区", "大道", "工业园", "社区")
_BRANDS: Final = tuple(
    "宏达 鑫源 恒信 华丰 永盛 金鹏 瑞祥 天成 富民 东方 明辉 远航 顺发 德隆 嘉禾 万通 "
    "兴旺 长城 福泰 盛世 银河 新宇 中兴 华美 利民 金源 宝丰 信达 荣昌 泰和".split()
)
_TIMES: Final = ("每天晚上", "夜里", "凌晨两三点", "每天下午", "周末", "一下雨就", "最近几天")
_EXTRAS: Final = (
    "已经持续一个多星期了", "附近居民意见很大", "家里孩子都不敢开窗", "之前也反映过",
    "影响周边居民生活", "整个小区都能闻到", "情况比较严重", "我拍了照片", "已经好几次了",
)  # fmt: skip
_POLITE: Final = ("请相关部门尽快处理", "希望管一管", "谢谢", "麻烦核实一下", "")
_VAGUE: Final = ("见图", "如图", "看照片", "又开始了，见照片", "同上", "")
_HOMOPHONES: Final = {
    "排": "派", "污": "乌", "味": "未", "臭": "丑", "烟": "眼", "厂": "场", "晚": "碗",
    "放": "方", "倒": "到", "噪": "燥", "河": "和", "路": "陆", "近": "进", "很": "狠",
    "在": "再", "的": "得", "气": "汽", "水": "谁", "黑": "嘿", "鱼": "于",
}  # fmt: skip


@dataclass(frozen=True)
class Photo:
    """A picture made from ``seed``; a ``copy_seed`` makes a resized, recompressed, slightly
    cropped copy (the same scene, other bytes)."""

    seed: int
    size: tuple[int, int] = (480, 360)
    copy_seed: int | None = None

    def render(self) -> bytes:
        picture = _scene(self.seed, self.size)
        if self.copy_seed is None:
            return _jpeg(picture, 90)
        rng = random.Random(self.copy_seed)
        w, h = picture.size
        cut = [rng.uniform(0, 0.025) for _ in range(4)]
        picture = picture.crop(
            (int(w * cut[0]), int(h * cut[1]), w - int(w * cut[2]), h - int(h * cut[3]))
        )
        scale = rng.uniform(0.4, 0.9)
        picture = picture.resize((int(picture.width * scale), int(picture.height * scale)))
        picture = ImageEnhance.Brightness(picture).enhance(rng.uniform(0.92, 1.08))
        return _jpeg(picture, rng.randrange(40, 80))

    def copy(self, copy_seed: int) -> Photo:
        return Photo(self.seed, self.size, copy_seed)


@dataclass(frozen=True)
class Report:
    """One report of an incident: becomes a finding (the first one opens the problem)."""

    description: str
    at: datetime


@dataclass(frozen=True)
class SeededProblem:
    key: str
    category: str
    lat: float
    lon: float
    reports: tuple[Report, ...]
    photos: tuple[Photo, ...] = ()
    labelled: bool = True
    """Part of a scenario (False: background)."""


@dataclass(frozen=True)
class ClueCase:
    key: str
    kind: str
    category: str
    lat: float
    lon: float
    at: datetime
    text: str
    photos: tuple[Photo, ...]
    duplicate_of: str | None
    """The key of the problem this clue is about, or None: it should open a new problem."""


@dataclass(frozen=True)
class LabelledSet:
    now: datetime
    problems: tuple[SeededProblem, ...]
    clues: tuple[ClueCase, ...]


@dataclass(frozen=True)
class _Incident:
    category: str
    landmark: str
    brand: str
    source: str
    phenomenon: tuple[str, ...]
    number: int


class _Builder:
    def __init__(self, seed: int, area: tuple[float, float, float, float]) -> None:
        self.rng = random.Random(seed)
        self.area = area
        self.problems: list[SeededProblem] = []
        self.clues: list[ClueCase] = []
        self.cells: dict[tuple[int, int], list[tuple[float, float, _Incident]]] = {}
        self.serial = 0

    # --- places and incidents -----------------------------------------------------------

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return (int(lat * _M_PER_DEG // NEIGHBOURHOOD_M), int(lon * _M_PER_DEG // NEIGHBOURHOOD_M))

    def neighbours(self, lat: float, lon: float) -> list[_Incident]:
        ci, cj = self._cell(lat, lon)
        return [
            incident
            for di in (-1, 0, 1)
            for dj in (-2, -1, 0, 1, 2)
            for (la, lo, incident) in self.cells.get((ci + di, cj + dj), ())
            if _metres(lat, lon, la, lo) < NEIGHBOURHOOD_M
        ]

    def place(self) -> tuple[float, float]:
        west, south, east, north = self.area
        return self.rng.uniform(south, north), self.rng.uniform(west, east)

    def incident(
        self, category: str, lat: float, lon: float, landmark: str | None = None
    ) -> _Incident:
        """A new incident whose landmark (unless given) and source no neighbour of its category
        uses."""
        near = [i for i in self.neighbours(lat, lon) if i.category == category]
        taken = {i.landmark for i in near} | {i.brand for i in near}
        rng = self.rng
        for _ in range(1000):
            mark = landmark or rng.choice(_NAMES) + rng.choice(_PLACE_KINDS)
            brand = rng.choice(_BRANDS)
            if (landmark is not None or mark not in taken) and brand not in taken:
                break
        else:
            raise RuntimeError(f"no distinct {category} incident left near {lat:.5f}, {lon:.5f}")
        found = _Incident(
            category,
            mark,
            brand,
            rng.choice(_SOURCES[category]),
            rng.choice(_PHENOMENA[category]),
            rng.randrange(1, 300),
        )
        self.remember(lat, lon, found)
        return found

    def remember(self, lat: float, lon: float, incident: _Incident) -> None:
        """Keep neighbours of ``incident`` at (lat, lon) from reusing its landmark and source."""
        self.cells.setdefault(self._cell(lat, lon), []).append((lat, lon, incident))

    def photo(self, size: tuple[int, int] = (480, 360)) -> Photo:
        return Photo(self.rng.randrange(2**31), size)

    # --- words ----------------------------------------------------------------------------

    def describe(self, incident: _Incident, *, typos: float = 0.0) -> str:
        """One person's account of ``incident``."""
        rng = self.rng
        mark = incident.landmark
        where = rng.choice(
            (mark, f"{mark}附近", f"{mark}边上", f"靠近{mark}的地方", f"{mark}{incident.number}号")
        )
        who = rng.choice(
            (
                f"{incident.brand}{incident.source}",
                f"{incident.brand}{incident.source}",
                f"那家{incident.brand}{incident.source}",
                f"{incident.brand}公司",
                f"一家{incident.source}",
            )
        )
        what = rng.choice(incident.phenomenon)
        when = rng.choice(_TIMES) if rng.random() < 0.6 else ""
        clauses = [
            rng.choice((f"{where}的{who}{when}{what}", f"{when}{where}{who}{what}")),
            *rng.sample(_EXTRAS, rng.choice((0, 1, 1, 2))),
        ]
        if rng.random() < 0.3:
            clauses.insert(0, f"我住在{where}")
            clauses[1] = f"{who}{when}{what}"
        if rng.random() < 0.4:
            rng.shuffle(clauses)
        text = "，".join(clauses) + "。" + rng.choice(_POLITE)
        if typos:
            text = "".join(
                _HOMOPHONES[ch] if ch in _HOMOPHONES and rng.random() < typos else ch for ch in text
            )
        return text

    # --- problems and clues --------------------------------------------------------------

    def problem(
        self,
        category: str,
        lat: float,
        lon: float,
        reports: list[Report],
        *,
        photos: tuple[Photo, ...] = (),
        labelled: bool = True,
    ) -> SeededProblem:
        self.serial += 1
        made = SeededProblem(
            f"P{self.serial:05d}", category, lat, lon, tuple(reports), photos, labelled
        )
        self.problems.append(made)
        return made

    def clue(
        self,
        kind: str,
        category: str,
        at: tuple[float, float],
        text: str,
        truth: SeededProblem | None,
        photos: tuple[Photo, ...] = (),
    ) -> None:
        when = NOW + timedelta(minutes=self.rng.uniform(0, 120))
        key = f"C{len(self.clues) + 1:04d}"
        self.clues.append(
            ClueCase(key, kind, category, *at, when, text, photos, truth.key if truth else None)
        )

    def ago(self, low_days: float, high_days: float) -> datetime:
        return NOW - timedelta(days=self.rng.uniform(low_days, high_days))

    def offset(self, lat: float, lon: float, low_m: float, high_m: float) -> tuple[float, float]:
        distance, bearing = self.rng.uniform(low_m, high_m), self.rng.uniform(0, 2 * math.pi)
        return _moved(lat, lon, distance, bearing)


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * _M_PER_DEG
    dx = (lon2 - lon1) * _M_PER_DEG * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def _moved(lat: float, lon: float, distance_m: float, bearing: float) -> tuple[float, float]:
    dlat = distance_m * math.cos(bearing) / _M_PER_DEG
    dlon = distance_m * math.sin(bearing) / (_M_PER_DEG * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def _scene(seed: int, size: tuple[int, int]) -> Image.Image:
    rng = random.Random(seed)
    width, height = size
    picture = Image.new("RGB", size)
    draw = ImageDraw.Draw(picture)
    top = [rng.randrange(256) for _ in range(3)]
    bottom = [rng.randrange(256) for _ in range(3)]
    for y in range(0, height, 4):
        t = y / height
        colour = tuple(int(a * (1 - t) + b * t) for a, b in zip(top, bottom, strict=True))
        draw.rectangle((0, y, width, y + 3), fill=colour)
    for _ in range(rng.randrange(6, 12)):
        x0, y0 = rng.randrange(-40, width), rng.randrange(-40, height)
        shape = (x0, y0, x0 + rng.randrange(40, width // 2), y0 + rng.randrange(30, height // 2))
        fill = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(shape, fill=fill)
    noise = Image.frombytes("L", size, rng.randbytes(width * height)).convert("RGB")
    return Image.blend(picture, noise, 0.12)


def _jpeg(picture: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _category(rng: random.Random, exclude: tuple[str, ...] = ()) -> str:
    names = [c for c in _CATEGORY_WEIGHTS if c not in exclude]
    return rng.choices(names, weights=[_CATEGORY_WEIGHTS[c] for c in names])[0]


def _scenario(b: _Builder, kind: str) -> None:
    rng = b.rng
    wide = ("noise",) if kind in ("two_sites", "nearby_different") else ()
    category = _category(rng, exclude=wide)
    lat, lon = b.place()
    incident = b.incident(category, lat, lon)
    first = Report(b.describe(incident), b.ago(0.05, 6))
    reports = [first]
    if kind == "updated_recently":
        later = Report(b.describe(incident), b.ago(1, 3))
        reports = [Report(first.description, b.ago(9, 20)), later]
    elif kind == "outside_window":
        reports = [Report(first.description, b.ago(8, 20))]
    elif rng.random() < 0.3:
        reports.append(Report(b.describe(incident), first.at + (NOW - first.at) * rng.random()))
    photo = b.photo() if kind == "photo_only" or rng.random() < 0.6 else None
    problem = b.problem(category, lat, lon, reports, photos=(photo,) if photo else ())
    copy = (photo.copy(rng.randrange(2**31)),) if photo else ()
    typos = rng.choice((0.0, 0.0, 0.05, 0.1))
    if kind in ("near_duplicate", "updated_recently"):
        shown = copy if rng.random() < 0.5 else ()
        b.clue(kind, category, b.offset(lat, lon, 0, 60), b.describe(incident, typos=typos),
               problem, shown)  # fmt: skip
    elif kind == "photo_only":
        b.clue(kind, category, b.offset(lat, lon, 0, 80), rng.choice(_VAGUE), problem, copy)
    elif kind == "far":
        away = b.offset(lat, lon, 2000, 3000)
        b.remember(*away, incident)
        b.clue(kind, category, away, first.description, None)
    elif kind == "other_category":
        other = _category(rng, exclude=(category,))
        b.clue(kind, other, b.offset(lat, lon, 0, 40),
               b.describe(b.incident(other, lat, lon, incident.landmark)), None)  # fmt: skip
    elif kind == "outside_window":
        b.clue(kind, category, b.offset(lat, lon, 0, 40), first.description, None, copy)
    else:  # two_sites, nearby_different: another source about 150 m away
        there = b.offset(lat, lon, 120, 180)
        road = incident.landmark if rng.random() < 0.5 else None
        second = b.incident(category, *there, road)
        if kind == "nearby_different":
            b.clue(kind, category, there, b.describe(second, typos=typos), None, (b.photo(),))
            return
        report = Report(b.describe(second), b.ago(0.05, 6))
        beside = b.problem(category, *there, [report])
        b.clue(kind, category, b.offset(*there, 0, 40), b.describe(second, typos=typos), beside)


def labelled_set(
    *,
    seed: int = 1,
    counts: Mapping[str, int] | None = None,
    background: int = 2000,
    background_photos: float = 0.2,
    area: tuple[float, float, float, float] = SAMPLE_CITY_AREA,
) -> LabelledSet:
    """The problems already registered and the labelled clues arriving at ``NOW``."""
    b = _Builder(seed, area)
    wanted = {**DEFAULT_COUNTS, **(counts or {})}
    unknown = set(wanted) - set(KINDS)
    if unknown:
        raise ValueError(f"counts: unknown kinds {sorted(unknown)}")
    for kind in KINDS:
        for _ in range(wanted[kind]):
            _scenario(b, kind)
    for _ in range(background):
        category = _category(b.rng)
        lat, lon = b.place()
        incident = b.incident(category, lat, lon)
        shown = (b.photo((240, 180)),) if b.rng.random() < background_photos else ()
        report = Report(b.describe(incident), b.ago(0.05, 30))
        b.problem(category, lat, lon, [report], photos=shown, labelled=False)
    return LabelledSet(NOW, tuple(b.problems), tuple(b.clues))
