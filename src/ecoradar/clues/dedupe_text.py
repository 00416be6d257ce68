"""What a clue's words mean, for deduplication (pure: no database): concepts and content words.

Character n-grams (``clues.dedupe.text_similarity``) catch two reports that share words — the
road, the firm. People who share nothing but the sight say it differently: 排污口排出黑色污水 /
黑水流进河里 / 河面发黑有泡沫. This module maps a text to *features*:

* **concepts** from the pollution-domain lexicon (``lexicon.toml``: ``colour:black``,
  ``smell:stink``, ``medium:water``, ``source:outlet``, ``place:river``...). The normalised text
  (NFKC, lower case) is scanned for every lexicon word, longest first, and each word found is
  blanked out before shorter ones are looked for (水面 is ``place:river``, not also 水
  ``medium:water``). Scanning needs no segmentation, so 河面发黑有泡沫 yields ``colour:black``
  from 发黑 however a segmenter would cut it.
* **content words**: the jieba tokens (its dictionary plus every lexicon word) of two or more
  characters left when lexicon words, ``dedupe.STOP_PHRASES`` and the lexicon's stop words are
  taken out — names of roads and firms, objects.

``similarity`` is the weighted Dice coefficient of two feature sets (a concept weighs its
family's weight, a content word ``word_weight``): ``2 * shared / (a + b)``. Families marked
``exclusive`` contradict: when both texts name a colour (a smell, a kind of noise) and share
none, the pair is a *conflict* (black water and red water are two things) and its similarity 0.

jieba's dictionary (about 350,000 words) loads lazily on the first ``cut`` and takes about 1 s
(0.6 s from jieba's cache file, which it writes to the temporary directory). ``warm_up`` loads
it and the lexicon; ``web.app`` calls it in a thread at start-up so that no request waits, and a
CLI process pays it once on its first clue. Features of a text are cached (``features``,
``FEATURE_CACHE`` texts), so a problem's description is cut once per process, not per clue.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
import math
import re
import threading
import time
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

STOP_PHRASES: Final = (
    # the polite filler of a complaint
    "你好", "您好", "谢谢", "感谢", "麻烦", "希望", "恳请", "请求", "请", "举报", "投诉",
    "反映", "反应", "相关部门", "有关部门", "环保部门", "尽快", "处理", "管一管", "管管",
    "核实", "查处", "一下",
    # what any complaint says, whatever it is about
    "附近", "周边", "周围", "旁边", "边上", "居民", "群众", "老百姓", "影响", "生活",
    "已经", "持续", "一直", "经常", "严重", "情况", "问题", "照片", "现在", "这里", "那里",
    "地方", "我们", "我家", "家里", "我住在",
)  # fmt: skip
"""Words that say nothing about which incident a clue is about, removed before comparing:
two unrelated complaints share them. Longest first where one contains another."""
FUNCTION_CHARACTERS: Final = frozenset(
    "的了着过在是我你他她它们有和与及就也很都还又再这那个吧啊呢吗呀把被让给从对向往而并但却只才已得"
)
"""Chinese function characters (particles, pronouns, conjunctions, adverbs), dropped before
n-grams are taken: 解放路的宏达化工 and 解放路宏达化工 then share every n-gram."""


# --- character n-grams ------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Text as it is compared: NFKC (full-width to half-width), lower case, ``STOP_PHRASES``
    removed, then only letters and digits kept, except ``FUNCTION_CHARACTERS``."""
    folded = unicodedata.normalize("NFKC", text).lower()
    for phrase in STOP_PHRASES:
        folded = folded.replace(phrase, " ")
    return "".join(
        ch for ch in folded if unicodedata.category(ch)[0] in "LN" and ch not in FUNCTION_CHARACTERS
    )


def ngrams(text: str) -> Counter[str]:
    """Counts of the character bigrams and trigrams of ``normalise(text)``; a text of one
    character is its own n-gram."""
    folded = normalise(text)
    if len(folded) < 2:
        return Counter([folded] if folded else [])
    grams: Counter[str] = Counter()
    for size in (2, 3):
        grams.update(folded[i : i + size] for i in range(len(folded) - size + 1))
    return grams


def cosine(a: Mapping[str, int], b: Mapping[str, int]) -> float:
    """Cosine similarity of two count vectors; 0 when either is empty."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(count * large.get(gram, 0) for gram, count in small.items())
    if dot == 0:
        return 0.0
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return min(1.0, dot / norm)


def text_similarity(a: str, b: str) -> float:
    """Cosine similarity of the n-gram counts of two texts, in [0, 1]."""
    return cosine(ngrams(a), ngrams(b))


def best_text_similarity(text: str, pieces: Iterable[str]) -> float:
    """The best similarity between ``text`` and any one piece (a problem's description, each
    finding's): comparing piece by piece keeps a long history from diluting a good match."""
    grams = ngrams(text)
    return max((cosine(grams, ngrams(piece)) for piece in pieces), default=0.0)


# --- concepts and words ---------------------------------------------------------------------

FEATURE_CACHE: Final = 50_000
"""Texts whose features are kept (a few hundred bytes each)."""
_BLANK: Final = "\x00"
PLACE_MARK: Final = "@"
_NOT_NAMES: Final = "".join(FUNCTION_CHARACTERS) + "往到从靠近于"
"""Characters stripped from the front of a place name (在解放路 is 解放路)."""
_jieba_lock = threading.Lock()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lexicon:
    """The parsed ``lexicon.toml``."""

    words: Mapping[str, frozenset[str]]
    """Lexicon word -> the concepts it names."""
    ordered: tuple[str, ...]
    """The words, longest first (the scanning order)."""
    labels: Mapping[str, str]
    """Concept -> its English label (``colour:black`` -> ``black``)."""
    family_weight: Mapping[str, float]
    exclusive: frozenset[str]
    word_weight: float
    stop: frozenset[str]
    sight: frozenset[str] = frozenset()
    """Families that say what was seen (smelt, heard)."""
    without_sight: float = 1.0
    places: re.Pattern[str] | None = None
    """A place's name: 1-4 characters before a place suffix (路, 村...)."""
    place_name_weight: float = 0.15

    def weight(self, feature: str) -> float:
        """A concept's family weight; a place name's (``@`` first) ``place_name_weight``; a
        content word's ``word_weight``."""
        family, sep, _ = feature.partition(":")
        if sep and feature in self.labels:
            return self.family_weight.get(family, 0.0)
        if feature.startswith(PLACE_MARK):
            return self.place_name_weight
        return self.word_weight


@dataclass(frozen=True)
class Features:
    concepts: frozenset[str]
    words: frozenset[str]


@dataclass(frozen=True)
class Meaning:
    """How much two texts mean the same: ``score`` in [0, 1], the concepts they share (labels,
    heaviest first) and whether they contradict (``conflict``: the families that do)."""

    score: float
    shared: tuple[str, ...] = ()
    conflict: tuple[str, ...] = ()


NOTHING: Final = Meaning(0.0)


def parse_lexicon(data: Mapping[str, Any]) -> Lexicon:
    """A ``Lexicon`` from the TOML's tables; ``ValueError`` naming the key when malformed."""
    families = {str(k): float(v) for k, v in data.get("families", {}).items()}
    rules = data.get("rules", {})
    words: dict[str, set[str]] = {}
    labels: dict[str, str] = {}
    for concept, entry in data.get("concepts", {}).items():
        family = concept.partition(":")[0]
        if family not in families:
            raise ValueError(f"concepts.{concept}: family {family!r} has no weight in [families]")
        if not entry.get("words"):
            raise ValueError(f"concepts.{concept}.words: empty")
        labels[concept] = str(entry.get("label", concept))
        for word in entry["words"]:
            folded = _fold(str(word))
            if not folded:
                raise ValueError(f"concepts.{concept}.words: an empty word")
            words.setdefault(folded, set()).add(concept)
    exclusive = frozenset(str(f) for f in rules.get("exclusive", ()))
    unknown = exclusive - set(families)
    if unknown:
        raise ValueError(f"rules.exclusive: unknown families {sorted(unknown)}")
    sight = frozenset(str(f) for f in rules.get("sight", ()))
    suffixes = sorted((_fold(str(x)) for x in rules.get("place_suffixes", ())), key=len)[::-1]
    places = (
        re.compile(r"[\u3400-\u9fff]{1,4}?(?:" + "|".join(map(re.escape, suffixes)) + ")")
        if suffixes
        else None
    )
    return Lexicon(
        words={word: frozenset(c) for word, c in words.items()},
        ordered=tuple(sorted(words, key=lambda w: (-len(w), w))),
        labels=labels,
        family_weight=families,
        exclusive=exclusive,
        word_weight=float(rules.get("word_weight", 0.3)),
        stop=frozenset(_fold(str(w)) for w in data.get("stop", {}).get("words", ())),
        sight=sight,
        without_sight=float(rules.get("without_sight", 1.0)),
        places=places,
        place_name_weight=float(rules.get("place_name_weight", 0.15)),
    )


@functools.cache
def lexicon() -> Lexicon:
    """The lexicon shipped beside this module (read once per process)."""
    source = importlib.resources.files("ecoradar.clues").joinpath("lexicon.toml")
    return parse_lexicon(tomllib.loads(source.read_text(encoding="utf-8")))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


_loaded: dict[str, Any] = {}


def _tokenizer() -> Any:
    """jieba's tokenizer with the lexicon's words added, its dictionary loaded (once per
    process, whichever thread asks first)."""
    found = _loaded.get("jieba")
    if found is None:
        with _jieba_lock:
            found = _loaded.get("jieba")
            if found is None:
                found = _loaded["jieba"] = _load_jieba()
    return found


def _load_jieba() -> Any:
    import jieba  # type: ignore[import-untyped]

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in lexicon().ordered:
        if len(word) > 1:
            tokenizer.add_word(word, freq=100_000)
    return tokenizer


def warm_up() -> float:
    """Load the lexicon and jieba's dictionary now; the seconds it took (0 when loaded)."""
    started = time.perf_counter()
    if "jieba" in _loaded:
        return 0.0
    lexicon()
    _tokenizer()
    return time.perf_counter() - started


def warm_up_in_background() -> threading.Thread | None:
    """``warm_up`` in a daemon thread (logged, never raised), unless already loaded."""
    if "jieba" in _loaded:
        return None

    def run() -> None:
        try:
            seconds = warm_up()
        except Exception:
            log.exception("loading jieba's dictionary failed; it will be tried on first use")
        else:
            log.info("jieba's dictionary and the dedupe lexicon loaded in %.2f s", seconds)

    thread = threading.Thread(target=run, name="dedupe-warm-up", daemon=True)
    thread.start()
    return thread


def places_of(text: str, lex: Lexicon | None = None) -> tuple[frozenset[str], str]:
    """The place names in ``text`` (``@`` first), and the text with them blanked out."""
    lex = lex or lexicon()
    if lex.places is None:
        return frozenset(), text
    names = frozenset(PLACE_MARK + _name(m.group(0)) for m in lex.places.finditer(text))
    return names, lex.places.sub(lambda m: _BLANK * len(m.group(0)), text)


def _name(found: str) -> str:
    """A place name without what came before its last function character (厂在解放路 is
    解放路)."""
    cut = max(found.rfind(ch) for ch in _NOT_NAMES)
    return found[cut + 1 :]


def concepts_of(text: str, lex: Lexicon | None = None) -> tuple[frozenset[str], str]:
    """The concepts named in ``text`` (place names aside), and the text with their words and
    the place names blanked out."""
    lex = lex or lexicon()
    _, rest = places_of(_fold(text), lex)
    found: set[str] = set()
    for word in lex.ordered:
        if word in rest:
            found |= lex.words[word]
            rest = rest.replace(word, _BLANK * len(word))
    return frozenset(found), rest


def _content(rest: str) -> str:
    for phrase in STOP_PHRASES:
        rest = rest.replace(phrase, _BLANK)
    return "".join(
        ch if unicodedata.category(ch)[0] in "LN" and ch not in FUNCTION_CHARACTERS else _BLANK
        for ch in rest
    )


@functools.lru_cache(maxsize=FEATURE_CACHE)
def features(text: str) -> Features:
    """The concepts and content words of ``text``."""
    lex = lexicon()
    concepts, rest = concepts_of(text, lex)
    words: set[str] = set(places_of(_fold(text), lex)[0])
    for chunk in _content(rest).split(_BLANK):
        if len(chunk) < 2:
            continue
        for token in _tokenizer().lcut(chunk, HMM=False):
            if len(token) > 1 and token not in lex.stop:
                words.add(token)
    return Features(concepts, frozenset(words))


def similarity(a: Features, b: Features, lex: Lexicon | None = None) -> Meaning:
    """Weighted Dice coefficient of two feature sets; 0 with a conflict (see the module)."""
    lex = lex or lexicon()
    conflict = tuple(
        family
        for family in sorted(lex.exclusive)
        if (mine := {c for c in a.concepts if c.startswith(family + ":")})
        and (theirs := {c for c in b.concepts if c.startswith(family + ":")})
        and not mine & theirs
    )
    shared_concepts = a.concepts & b.concepts
    shared = sorted(shared_concepts, key=lambda c: (-lex.weight(c), c))
    labels = tuple(lex.labels[c] for c in shared)
    if conflict:
        return Meaning(0.0, labels, conflict)
    total = sum(lex.weight(f) for f in a.concepts | a.words) + sum(
        lex.weight(f) for f in b.concepts | b.words
    )
    if total <= 0:
        return NOTHING
    common = sum(lex.weight(f) for f in shared_concepts | (a.words & b.words))
    score = min(1.0, 2 * common / total)
    if lex.sight and not any(c.partition(":")[0] in lex.sight for c in shared_concepts):
        score *= lex.without_sight
    return Meaning(round(score, 4), labels)


def best_meaning(text: str, pieces: Iterable[str]) -> Meaning:
    """The most similar of ``pieces`` to ``text`` (a problem's description, each finding's);
    a conflict-free piece wins over a conflicting one of equal score."""
    mine = features(text)
    found = [similarity(mine, features(piece)) for piece in pieces]
    return max(found, key=lambda m: (m.score, not m.conflict, len(m.shared)), default=NOTHING)
