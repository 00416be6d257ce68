"""A labelled set of paraphrases for clue deduplication: people describing one problem in their
own words, with nothing but the sight in common.

``clue_scenarios`` words every report of an incident from the same facts (the road, the firm),
so character n-grams find them. Reporters who walk past an outlet do not know the firm; they say
what they see: 排污口排出黑色污水 / 黑水流进河里 / 河面发黑有泡沫. Here every problem is one *type*
of a category (water: black sewage, red dye, oil, muddy water; air: black smoke, dust, open
burning; odour: foul, chemical; noise: construction, music, machines), and every report is one of
the type's phrasings, sometimes with the place's name (a third of the reports), a time of day,
an extra remark and polite filler around it.

Each type's phrasings come in two disjoint lists: ``tune`` and ``held_out``. The lexicon
(``clues/lexicon.toml``) and the scoring were tuned on the ``tune`` split only; the held-out
phrasings were written before the tuning started and were not changed afterwards, so the
``held_out`` split measures wording the lexicon did not see (same author, though: see the
README's caveat).

Clue kinds (the truth in brackets); the problem's last report came 0-2 h before ``NOW``:

* ``rephrased`` — another phrasing of the problem's type, 25-60 m from it, 2-40 minutes after
  its last report [the problem]. The issue's held-out case.
* ``rephrased_later`` — the same, 3-30 hours after [the problem].
* ``same_place_other`` — another type of the same category (not a related one: smoke and open
  burning are), 0-60 m away, minutes after [new].
* ``same_words_other_place`` — the same type, maybe the very same phrasing, half to 0.9 of the
  category's search radius away (at least 100 m), minutes after [new].

``background`` problems of random types, 1-7 days old, lie anywhere in the area.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Final, Literal

from ecoradar.clues.dedupe import radius_for
from ecoradar.simulate.clue_scenarios import (
    NOW,
    SAMPLE_CITY_AREA,
    ClueCase,
    LabelledSet,
    Report,
    SeededProblem,
)

Split = Literal["tune", "held_out"]
PARAPHRASE_KINDS: Final = (
    "rephrased",
    "rephrased_later",
    "same_place_other",
    "same_words_other_place",
)
PARAPHRASE_POSITIVE: Final = frozenset({"rephrased", "rephrased_later"})
PARAPHRASE_COUNTS: Final[Mapping[str, int]] = {
    "rephrased": 110,
    "rephrased_later": 30,
    "same_place_other": 50,
    "same_words_other_place": 50,
}
SEEDS: Final[Mapping[str, int]] = {"tune": 11, "held_out": 29}

# (category, type) -> (tune phrasings, held-out phrasings)
TYPES: Final[Mapping[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]]] = {
    ("water", "black_sewage"): (
        ("排污口排出黑色污水", "黑水流进河里", "河面发黑有泡沫", "管子里流出黑臭的废水",
         "暗管偷偷往河道排黑水", "河水黑得发臭", "排口一直在冒黑水，臭得很",
         "河里的水变成黑色了，还有股臭味", "一根水管往河里排脏水，水是黑的",
         "河道里都是黑乎乎的污水"),
        ("河边那个管子在往外冒黑水", "小河今天突然变黑了，水面上一层泡泡",
         "排水口在放黑色的水，直接进了河", "河水乌黑乌黑的，还臭",
         "有个暗管在偷排污水，河面都发黑了", "看到出水口流黑汤一样的水到河里",
         "河里黑水翻着白沫", "污水管直排河道，水色发黑"),
    ),
    ("water", "red_dye"): (
        ("排口流出红色的水", "河水被染成红色", "管子排出红水进河", "河面一片红，像染料",
         "河里的水发红"),
        ("河水红红的，像倒了颜料", "出水口在放红颜色的废水", "一段河道变成了暗红色",
         "有管子往河里排红色污水"),
    ),
    ("water", "oil"): (
        ("河面上漂着一层油", "水面有油花", "排口流出油污", "河里全是油膜"),
        ("水上一层油光，五颜六色的", "河里漂着厚厚的油污", "有人往河里倒废机油",
         "水面上好大一片油"),
    ),
    ("water", "muddy"): (
        ("河水浑浊发黄", "洗砂场往河里排泥浆水", "河里全是黄泥水", "排口流出浑水"),
        ("河水黄黄的全是泥浆", "一股泥水从沟里冲进河", "河道浑得看不见底",
         "水变成土黄色了"),
    ),
    ("air", "black_smoke"): (
        ("烟囱冒黑烟", "排放大量黑色烟雾", "冒出滚滚黑烟", "工厂烟囱一直冒浓黑的烟",
         "黑烟熏得人睁不开眼"),
        ("那根烟筒在喷黑烟", "天上飘着一大团黑色的烟", "厂里烟囱黑烟滚滚",
         "烟是黑的，一阵一阵往外冒"),
    ),
    ("air", "dust"): (
        ("粉尘特别大", "灰尘漫天飞", "扬尘严重", "工地尘土飞扬"),
        ("灰大得看不清路", "车一过满天都是土", "到处是粉尘，窗台一层灰"),
    ),
    ("air", "burning"): (
        ("露天焚烧垃圾", "在空地上烧塑料", "有人烧垃圾烟很大"),
        ("有人在田边烧东西，一股烧塑料的味", "空地上在烧一堆垃圾", "露天点火烧废料"),
    ),
    ("odour", "foul"): (
        ("一股臭鸡蛋味", "臭味很重", "散发恶臭", "空气里有股很臭的味道"),
        ("臭得让人想吐", "一阵阵的臭气飘过来", "味道很难闻，像烂鸡蛋"),
    ),
    ("odour", "chemical"): (
        ("气味刺鼻", "有很呛人的味道", "一股油漆味", "化学品的气味很浓"),
        ("闻着像香蕉水", "空气里一股化工味，嗓子疼", "呛得人直咳嗽，像是溶剂味"),
    ),
    ("noise", "construction"): (
        ("半夜还在施工", "夜间施工噪音很大", "晚上十点以后还在打桩"),
        ("凌晨工地还在干活，吵死了", "半夜打桩机咚咚响", "夜里还在浇混凝土，吵得睡不着"),
    ),
    ("noise", "music"): (
        ("音响声音特别大", "音乐开得很响", "唱歌声吵得睡不着"),
        ("广场舞的喇叭太响了", "KTV里鬼哭狼嚎", "外放音乐震得窗户响"),
    ),
    ("noise", "machine"): (
        ("机器轰鸣声不停", "设备噪音很大", "切割声刺耳"),
        ("车间机器嗡嗡响一整天", "风机的声音特别吵", "电锯一直在响"),
    ),
}  # fmt: skip
RELATED: Final = frozenset({frozenset({"black_smoke", "burning"})})
"""Types of one category that may well be one problem: never a ``same_place_other`` pair."""

_PLACES: Final = tuple(
    "解放路 中山桥 人民村 建设大道 新华小区 东升工业园 长安街 和平社区 胜利桥 光明村 "
    "青年路 文化街 朝阳小区 红旗村 幸福桥 振兴路 白马工业园 金沙桥 石桥村 柳塘路".split()
)
_TIMES: Final = ("今天早上", "刚才", "现在", "晚上", "这会儿", "")
_EXTRAS: Final = ("已经好几次了", "小区里都闻得到", "路过的人都在看", "拍了视频", "孩子不敢出门")
_POLITE: Final = ("请尽快处理", "希望有人管管", "谢谢", "")
_M_PER_DEG: Final = 111_195.0


class _Builder:
    def __init__(self, seed: int, split: Split) -> None:
        self.rng = random.Random(seed)
        self.split = split
        self.problems: list[SeededProblem] = []
        self.clues: list[ClueCase] = []
        self.taken: list[tuple[float, float]] = []

    def place(self, spacing_m: float = 1200.0) -> tuple[float, float]:
        """A place at least ``spacing_m`` from every scenario so far."""
        west, south, east, north = SAMPLE_CITY_AREA
        for _ in range(2000):
            lat, lon = self.rng.uniform(south, north), self.rng.uniform(west, east)
            if all(_metres(lat, lon, a, b) >= spacing_m for a, b in self.taken):
                self.taken.append((lat, lon))
                return lat, lon
        raise RuntimeError("no room left for another scenario")

    def phrasings(self, key: tuple[str, str]) -> tuple[str, ...]:
        tune, held = TYPES[key]
        return tune if self.split == "tune" else held

    def report(self, key: tuple[str, str], place: str, *, avoid: tuple[str, ...] = ()) -> str:
        """One person's words for a problem of type ``key``: a phrasing of the split not in
        ``avoid`` (texts already written), with the place's name a third of the time."""
        rng = self.rng
        phrasings = self.phrasings(key)
        choices = [p for p in phrasings if not any(p in text for text in avoid)] or list(phrasings)
        core = rng.choice(choices)
        parts = [rng.choice(_TIMES) + core if rng.random() < 0.4 else core]
        if rng.random() < 0.33:
            parts.insert(0, rng.choice((f"{place}这里", f"在{place}", f"{place}附近")))
        if rng.random() < 0.3:
            parts.append(rng.choice(_EXTRAS))
        return "，".join(parts) + "。" + rng.choice(_POLITE)

    def problem(
        self, key: tuple[str, str], lat: float, lon: float, reports: list[Report], labelled: bool
    ) -> SeededProblem:
        made = SeededProblem(
            f"Q{len(self.problems) + 1:05d}", key[0], lat, lon, tuple(reports), labelled=labelled
        )
        self.problems.append(made)
        return made

    def clue(
        self,
        kind: str,
        category: str,
        at: tuple[float, float],
        after: Report,
        minutes: tuple[float, float],
        text: str,
        truth: SeededProblem | None,
    ) -> None:
        when = after.at + timedelta(minutes=self.rng.uniform(*minutes))
        key = f"D{len(self.clues) + 1:04d}"
        self.clues.append(
            ClueCase(key, kind, category, *at, when, text, (), truth.key if truth else None)
        )

    def offset(self, lat: float, lon: float, low_m: float, high_m: float) -> tuple[float, float]:
        distance, bearing = self.rng.uniform(low_m, high_m), self.rng.uniform(0, 2 * math.pi)
        dlat = distance * math.cos(bearing) / _M_PER_DEG
        dlon = distance * math.sin(bearing) / (_M_PER_DEG * math.cos(math.radians(lat)))
        return lat + dlat, lon + dlon


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * _M_PER_DEG
    dx = (lon2 - lon1) * _M_PER_DEG * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def _scenario(b: _Builder, kind: str) -> None:
    rng = b.rng
    key = rng.choice(sorted(TYPES))
    category = key[0]
    lat, lon = b.place()
    name = rng.choice(_PLACES)
    # the problem: one or two reports, the last one 0-2 h before NOW
    last = NOW - timedelta(minutes=rng.uniform(0, 120))
    first_text = b.report(key, name)
    reports = [Report(first_text, last)]
    if rng.random() < 0.3:
        reports = [
            Report(first_text, last - timedelta(minutes=rng.uniform(5, 90))),
            Report(b.report(key, name, avoid=(first_text,)), last),
        ]
    problem = b.problem(key, lat, lon, reports, labelled=True)
    said = tuple(r.description for r in reports)
    if kind == "rephrased":
        text = b.report(key, name, avoid=said)
        b.clue(kind, category, b.offset(lat, lon, 25, 60), reports[-1], (2, 40), text, problem)
    elif kind == "rephrased_later":
        text = b.report(key, name, avoid=said)
        at = b.offset(lat, lon, 25, 60)
        b.clue(kind, category, at, reports[-1], (180, 1800), text, problem)
    elif kind == "same_place_other":
        others = sorted(
            k
            for k in TYPES
            if k[0] == category and k != key and frozenset({k[1], key[1]}) not in RELATED
        )
        other = rng.choice(others)
        at = b.offset(lat, lon, 0, 60)
        b.clue(kind, category, at, reports[-1], (2, 40), b.report(other, name), None)
    else:  # same_words_other_place
        radius = radius_for(category)
        at = b.offset(lat, lon, max(100.0, 0.5 * radius), 0.9 * radius)
        text = first_text if rng.random() < 0.5 else b.report(key, rng.choice(_PLACES))
        b.clue(kind, category, at, reports[-1], (2, 40), text, None)


def paraphrase_set(
    *,
    split: Split = "held_out",
    seed: int | None = None,
    counts: Mapping[str, int] | None = None,
    background: int = 150,
) -> LabelledSet:
    """The problems already registered and the labelled clues of one split (see the module);
    ``seed`` defaults to the split's own (``SEEDS``)."""
    wanted = {**PARAPHRASE_COUNTS, **(counts or {})}
    unknown = set(wanted) - set(PARAPHRASE_KINDS)
    if unknown:
        raise ValueError(f"counts: unknown kinds {sorted(unknown)}")
    b = _Builder(SEEDS[split] if seed is None else seed, split)
    for kind in PARAPHRASE_KINDS:
        for _ in range(wanted[kind]):
            _scenario(b, kind)
    west, south, east, north = SAMPLE_CITY_AREA
    for _ in range(background):
        key = b.rng.choice(sorted(TYPES))
        lat, lon = b.rng.uniform(south, north), b.rng.uniform(west, east)
        at = NOW - timedelta(days=b.rng.uniform(1, 7))
        b.problem(key, lat, lon, [Report(b.report(key, b.rng.choice(_PLACES)), at)], False)
    return LabelledSet(NOW, tuple(b.problems), tuple(b.clues))
