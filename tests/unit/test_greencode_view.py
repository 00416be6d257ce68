"""The green-code pages word every event the scorer writes from its ``what`` and ``params``, in
Chinese and in English: each kind of event is built through the scorer itself, read as the
pages read it, and put through the templates' macros."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from ecoradar.greencode import scoring
from ecoradar.greencode.facts import (
    AlertFact,
    EnterpriseFacts,
    FactorHours,
    OutcomeFact,
    PermitFact,
    PointHours,
    ProblemFact,
    RemindersFacts,
    TaskFact,
)
from ecoradar.greencode.model import load_model
from ecoradar.web import greencode_view as view
from ecoradar.web.templating import environment

MODEL = load_model()
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
AS_OF = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)
LOCALES = ("zh_CN", "en")
FREE_TEXT = ("outlet", "point", "permit_no")
"""Params that are the enterprise's own names (may hold Latin letters on a Chinese page)."""


def busy_facts() -> EnterpriseFacts:
    """An enterprise with one of everything that costs points (its permit about to expire)."""
    exceedance = AlertFact(
        11, "exceedance", "a21026", "DA001", AS_OF - 3 * DAY, AS_OF - 2 * DAY, "high"
    )
    flatline = AlertFact(12, "flatline", "a21002", "DA 002", AS_OF - 2 * DAY, None, "high")
    offline = AlertFact(13, "offline", "", "DA001", AS_OF - DAY, None, "high")
    return EnterpriseFacts(
        enterprise_id=1,
        code="E1",
        now=NOW,
        data_as_of=AS_OF,
        factors=(FactorHours(1, "DA001", "a21026", 600, (exceedance,)),),
        points=(PointHours(1, "DA001", 700, 400),),
        alerts=(flatline, offline),
        tasks=(
            TaskFact(21, "1号锅炉 at the gate", date(2026, 11, 10), False, False, 0),
            TaskFact(22, "沉淀池", date(2026, 11, 12), False, True, 2),
        ),
        problems=(
            ProblemFact(31, "high", "hazardous_waste", "rectifying", NOW - 10 * DAY,
                        overdue_since=NOW - 2 * DAY, violation="bypass"),
        ),
        outcomes=(
            OutcomeFact(31, "fine", Decimal("20000.00"), NOW - 5 * DAY),
            OutcomeFact(31, "order_to_correct", None, NOW - 5 * DAY),
            OutcomeFact(31, "warning", None, NOW - 5 * DAY),
            OutcomeFact(31, "public_security", None, NOW - 4 * DAY),
        ),
        permit=PermitFact("91330502MA2B00001X001P", (NOW + 10 * DAY).date()),
        reminders=RemindersFacts(4, 3, (41,)),
    )  # fmt: skip


def expired_facts() -> EnterpriseFacts:
    """An enterprise whose permit, recorded without a number, has expired."""
    return EnterpriseFacts(2, "E2", NOW, None, permit=PermitFact(None, (NOW - 3 * DAY).date()))


def scorer_events() -> list[dict[str, Any]]:
    """Every event the scorer gives the two enterprises, as stored."""
    events = []
    for facts in (busy_facts(), expired_facts()):
        result = scoring.score(facts, MODEL)
        events += [e.as_dict() for i in result.indicators.values() for e in i.events]
        events += [v.event.as_dict() for v in result.vetoes]
    return events


def stored(result: scoring.CodeResult) -> SimpleNamespace:
    """A code as the pages get it from the database."""
    return SimpleNamespace(
        indicators={n: {**i.__dict__, "events": [e.as_dict() for e in i.events]}
                    for n, i in result.indicators.items()},
        vetoes=[{"key": v.key, "rule": v.rule, "problem_id": v.problem_id,
                 "event": v.event.as_dict()} for v in result.vetoes],
        reasons=[{**r.__dict__, "events": [list(e) for e in r.events]} for r in result.reasons],
    )  # fmt: skip


def macro(locale: str, name: str, *args: Any) -> str:
    module = environment(locale).get_template("greencode/_macros.html").module
    return str(getattr(module, name)(*args))


def latin_words(text: str, fact: view.Fact) -> set[str]:
    """Latin words of ``text`` that are not in the enterprise's own names."""
    own = " ".join(str(fact.params.get(k) or "") for k in FREE_TEXT)
    return set(re.findall(r"[A-Za-z]+", text)) - set(re.findall(r"[A-Za-z]+", own))


def check_worded(fact: view.Fact, zh: str, en: str) -> None:
    """``zh`` is Chinese with no English word; ``en`` is English with no raw code."""
    assert zh and en and zh != en, (fact, zh, en)
    assert re.search(r"[\u4e00-\u9fff]", zh), zh
    assert latin_words(zh, fact) == set(), (fact.what, zh)
    for text in (zh, en):
        assert "%(" not in text and "None" not in text, text
    assert "_" not in en, en
    for key in ("day", "due", "until", "since"):
        if key in view.NEEDS[fact.what]:
            assert str(fact.params[key]) in zh and str(fact.params[key]) in en


def test_the_scorer_writes_every_kind_of_event_the_pages_know() -> None:
    events = scorer_events()
    assert {e["what"] for e in events} == set(view.NEEDS)
    facts = [view.read_event(e) for e in events]
    assert [f.text for f in facts if f.what == "text"] == []
    assert [f.what for f in facts] == [e["what"] for e in events]


@pytest.mark.parametrize("what", sorted(view.NEEDS))
def test_each_event_is_worded_in_chinese_and_english(what: str) -> None:
    events = [e for e in scorer_events() if e["what"] == what]
    assert events
    for event in events:
        fact = view.read_event(event)
        zh, en = (macro(locale, "fact_text", fact) for locale in LOCALES)
        check_worded(fact, zh, en)
        if what == "veto":
            continue  # not an indicator's: code.html advises on it with the code's colour
        zh, en = (macro(locale, "advice_text", fact, MODEL) for locale in LOCALES)
        check_worded(fact, zh, en)


def test_the_public_page_words_its_reasons_as_the_staff_page_does() -> None:
    for event in scorer_events():
        staff = view.read_event(event)
        from_text = view.public_facts([event["public_text"]])[0]
        from_params = view.public_facts([{**event, "id": None}])[0]
        assert from_text.what == from_params.what == event["what"]
        assert from_text.id is None and from_params.id is None
        for locale in LOCALES:
            words = macro(locale, "fact_text", staff)
            assert macro(locale, "fact_text", from_text) == words
            assert macro(locale, "fact_text", from_params) == words


def test_the_parts_are_the_events_own() -> None:
    result = scoring.score(busy_facts(), MODEL)
    facts = {
        (f.what, f.id): f
        for i in result.indicators.values()
        for f in (view.read_event(e.as_dict()) for e in i.events)
    }
    flatline = facts[("alert", 12)]
    assert flatline.params["factor_code"] == "a21002" and flatline.type == "alert"
    assert macro("zh_CN", "fact_text", flatline) == "2026-11-18 排口 DA 002 氮氧化物数据恒值"
    assert "Nitrogen oxides" in macro("en", "fact_text", flatline)
    offline = facts[("alert", 13)]
    assert offline.params["factor"] == "" and offline.params["outlet"] == "DA001"
    assert facts[("overdue", 31)].params["since"] == "2026-11-18"
    assert "2026-11-18" in macro("en", "fact_text", facts[("overdue", 31)])
    assert facts[("task_missed", 21)].params["point"] == "1号锅炉 at the gate"
    assert facts[("task_failed", 22)].params["failed"] == 2
    assert facts[("online", 1)].params["percent"] == "57"
    outcomes = [view.read_event(e.as_dict()) for e in result.indicators["enforcement"].events]
    assert "20000.00" in macro("zh_CN", "fact_text", outcomes[0])
    expired = scoring.score(expired_facts(), MODEL).indicators["permit"].events[0]
    assert "—" in macro("en", "fact_text", view.read_event(expired.as_dict()))


def test_reasons_and_vetoes_keep_their_records_and_links() -> None:
    code = stored(scoring.score(busy_facts(), MODEL))
    reasons = view.reason_facts(code, {31})
    assert [f.what for _, f in reasons] == [r["what"] for r in code.reasons]
    assert reasons[0] == ("veto", reasons[0][1]) and reasons[0][1].link == "/problems/31"
    assert all(f.what != "text" for _, f in reasons)
    vetoes = view.veto_facts(code, set())
    assert [(f.what, f.params["rule"], f.id, f.link) for f in vetoes] == [
        ("veto", "bypass", 31, None)
    ]
    assert macro("zh_CN", "fact_text", vetoes[0]) == "一票否决：偷排暗管或旁路，2026-11-10 确认"


def test_an_event_stored_without_what_or_params_shows_its_text() -> None:
    old = {"type": "alert", "id": 5, "text": "alert #5 flatline at DA001 2026-11-01", "cost": 3}
    fact = view.read_event(old)
    assert (fact.what, fact.id, fact.type) == ("text", 5, "alert")
    assert macro("en", "fact_text", fact) == old["text"]
    broken = view.read_event({**old, "what": "alert", "params": {"kind": "flatline"}})
    assert broken.what == "text"


def test_links_go_only_where_the_reader_may_look() -> None:
    alert = view.Fact("alert", {}, "", 5, "alert")
    problem = view.Fact("problem", {}, "", 7, "problem")
    assert view.link_of(alert, set()) == "/alerts/5"
    assert view.link_of(problem, set()) is None
    assert view.link_of(problem, {7}) == "/problems/7"


def test_advice_covers_indicators_below_full_marks_worst_first_tasks_not_done_first() -> None:
    code = stored(scoring.score(busy_facts(), MODEL))
    views = view.indicator_views(code, set(), view.Alerts({12: None}, {"data_quality": 30}))
    advice = view.advice(views)
    assert [a.score for a in advice] == sorted(a.score for a in advice)
    assert all(a.score < 100 for a in advice)
    tasks = next(a for a in advice if a.indicator == "self_inspection")
    assert tasks.overdue_tasks == 1 and tasks.facts[0].what == "task_missed"
    quality = next(a for a in advice if a.indicator == "data_quality")
    assert next(f for f in quality.facts if f.id == 12).open is True


def test_why_a_repair_cannot_be_filed_is_read_and_worded() -> None:
    why = view.read_why(
        [
            "the enterprise has no green code yet",
            "no veto is in force: the code improves with its indicators, no repair",
            "problem #5 is not closed yet (rectifying)",
            "the waiting period ends 2026-12-20T04:00:00+00:00",
            "application #3 is pending",
            "the waiting period ends someday",
            "something new",
        ]
    )
    assert [w.key for w in why] == [
        "no_code", "no_veto", "not_closed", "waiting", "pending", "text", "text",
    ]  # fmt: skip
    assert why[2].parts == {"id": "5", "state": "rectifying"}
    assert why[3].parts["until"] == datetime(2026, 12, 20, 4, tzinfo=UTC)
    for w in why[:5]:
        zh = macro("zh_CN", "why_text", w)
        assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[A-Za-z]", zh), zh
