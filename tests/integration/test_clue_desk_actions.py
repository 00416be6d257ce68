"""The clue desk's bulk actions (``ecoradar.clues.desk_actions``) on both databases: each
action does what it says and is audited; a selection with one clue out of scope, or one clue
that cannot take the action, is refused whole, naming that clue, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.clues import desk_actions as actions
from ecoradar.clues.models import Clue
from ecoradar.problems import service as problems
from ecoradar.problems.models import Finding, ProblemAttachment, ProblemEvent, ProblemLink
from ecoradar.problems.policy import load_policy
from ecoradar.problems.workflow import Action, Payload
from tests.conftest import Login
from tests.integration.clue_support import photo
from tests.integration.desk_support import DeskPeople, desk_people, in_a, in_b, principal, state_of


@pytest.fixture
def people(container: Container, tmp_path: Path) -> DeskPeople:
    return desk_people(container, tmp_path)


def run(container: Container, login: Login, what: Callable[..., Any], **kwargs: Any) -> Any:
    """One bulk action in its own committed unit of work, as the page runs it."""
    who = principal(container, login)
    with container.transaction() as session:
        extra: dict[str, Any] = {}
        if what is not actions.mark_duplicate:
            extra["policy"] = load_policy(session=session, settings=container.settings)
        return what(session=session, principal=who, now=container.clock.now(), **extra, **kwargs)


def audit_actions(container: Container) -> list[tuple[str, str]]:
    with container.reading() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.entity_id)
            .where(AuditEntry.action.like("clue.%") | AuditEntry.action.like("problem.%"))
            .where(AuditEntry.action.not_in(("problem.open", "clue.submit")))
            .order_by(AuditEntry.id)
        )
        return [(action, entity) for action, entity in rows]


def problem_of(container: Container, clue_id: int) -> int:
    with container.reading() as session:
        found = session.scalar(
            select(Finding.problem_id)
            .join(Clue, Clue.finding_id == Finding.id)
            .where(Clue.id == clue_id)
        )
        assert found is not None
        return found


def accept(container: Container, login: Login, problem_id: int) -> None:
    who = principal(container, login)
    with container.transaction() as session:
        problems.take_action(
            session=session,
            principal=who,
            problem_id=problem_id,
            action=Action.ACCEPT,
            payload=Payload(),
            now=container.clock.now(),
            policy=load_policy(session=session, settings=container.settings),
        )


# --- reject -----------------------------------------------------------------------------------


def test_rejecting_clues_rejects_their_problems_with_the_reason_and_audits_each(
    container: Container, people: DeskPeople
) -> None:
    one, two = in_a(container), in_a(container)
    done = run(
        container,
        people.officer_a,
        actions.reject,
        clue_ids=[one.clue_id, two.clue_id],
        reason="照片与描述不符，无法核实",
    )
    assert done.problem_ids == (one.problem_id, two.problem_id)
    assert state_of(container, one.problem_id) == state_of(container, two.problem_id) == "rejected"
    assert audit_actions(container) == [
        ("problem.reject", str(one.problem_id)),
        ("clue.reject", str(one.clue_id)),
        ("problem.reject", str(two.problem_id)),
        ("clue.reject", str(two.clue_id)),
    ]


def test_a_selection_with_a_clue_out_of_scope_is_refused_naming_it_and_changes_nothing(
    container: Container, people: DeskPeople
) -> None:
    mine, theirs = in_a(container), in_b(container)
    with pytest.raises(actions.DeskRefused) as refused:
        run(
            container,
            people.officer_a,
            actions.reject,
            clue_ids=[mine.clue_id, theirs.clue_id],
            reason="无法核实",
        )
    assert (refused.value.kind, refused.value.clue_id, refused.value.status) == (
        "out_of_scope",
        theirs.clue_id,
        403,
    )
    assert f"clue {theirs.clue_id}" in str(refused.value)
    assert state_of(container, mine.problem_id) == "reported"
    assert audit_actions(container) == []


def test_a_clue_that_cannot_be_rejected_refuses_the_whole_selection(
    container: Container, people: DeskPeople
) -> None:
    fresh, accepted = in_a(container), in_a(container)
    accept(container, people.officer_a, accepted.problem_id)
    before = audit_actions(container)
    with pytest.raises(actions.DeskRefused) as refused:
        run(
            container,
            people.officer_a,
            actions.reject,
            clue_ids=[fresh.clue_id, accepted.clue_id],
            reason="无法核实",
        )
    assert (refused.value.kind, refused.value.clue_id) == ("not_reported", accepted.clue_id)
    assert state_of(container, fresh.problem_id) == "reported"  # rolled back with the rest
    assert audit_actions(container) == before


def test_rejecting_needs_a_reason(container: Container, people: DeskPeople) -> None:
    one = in_a(container)
    with pytest.raises(actions.DeskRefused) as refused:
        run(container, people.officer_a, actions.reject, clue_ids=[one.clue_id], reason="  ")
    assert (refused.value.kind, refused.value.status) == ("reason_required", 422)


def test_a_problem_holding_other_reports_is_not_rejected_from_the_desk(
    container: Container, people: DeskPeople
) -> None:
    target, moved = in_a(container), in_a(container)
    run(
        container,
        people.officer_a,
        actions.attach,
        clue_ids=[moved.clue_id],
        problem_id=target.problem_id,
    )
    with pytest.raises(actions.DeskRefused) as refused:
        run(container, people.officer_a, actions.reject, clue_ids=[moved.clue_id], reason="不实")
    assert refused.value.kind == "other_reports"
    assert refused.value.params == {"problem": target.problem_id, "count": 1}
    both = run(
        container,
        people.officer_a,
        actions.reject,
        clue_ids=[moved.clue_id, target.clue_id],
        reason="不实",
    )
    assert both.problem_ids == (target.problem_id,)


# --- attach -----------------------------------------------------------------------------------


def test_attaching_moves_the_clue_and_its_photos_and_rejects_the_emptied_problem(
    container: Container, people: DeskPeople
) -> None:
    target = in_a(container)
    moved = in_a(container, photos=(photo(3),))
    run(
        container,
        people.officer_a,
        actions.attach,
        clue_ids=[moved.clue_id],
        problem_id=target.problem_id,
        reason="同一排口",
    )
    assert problem_of(container, moved.clue_id) == target.problem_id
    assert state_of(container, moved.problem_id) == "rejected"
    with container.reading() as session:
        attached = session.scalars(
            select(ProblemAttachment.problem_id).where(ProblemAttachment.finding_id.is_not(None))
        ).all()
        event = session.scalars(
            select(ProblemEvent)
            .where(ProblemEvent.problem_id == target.problem_id)
            .order_by(ProblemEvent.id.desc())
        ).first()
        reject_reason = session.scalar(
            select(ProblemEvent.detail).where(
                ProblemEvent.problem_id == moved.problem_id, ProblemEvent.action == "reject"
            )
        )
    assert list(attached) == [target.problem_id]
    assert event is not None and event.action == "finding_attached" and event.public
    assert event.detail["from_problem_id"] == moved.problem_id
    assert f"#{target.problem_id}" in str(reject_reason)
    assert ("clue.attach", str(moved.clue_id)) in audit_actions(container)


def test_attaching_refuses_a_clue_whose_problem_is_being_handled_and_changes_nothing(
    container: Container, people: DeskPeople
) -> None:
    target, fine, busy = in_a(container), in_a(container), in_a(container)
    accept(container, people.officer_a, busy.problem_id)
    with pytest.raises(actions.DeskRefused) as refused:
        run(
            container,
            people.officer_a,
            actions.attach,
            clue_ids=[fine.clue_id, busy.clue_id],
            problem_id=target.problem_id,
        )
    assert (refused.value.kind, refused.value.clue_id) == ("in_progress", busy.clue_id)
    assert problem_of(container, fine.clue_id) == fine.problem_id
    assert state_of(container, fine.problem_id) == "reported"


def test_attaching_to_a_problem_out_of_scope_or_closed_is_refused(
    container: Container, people: DeskPeople
) -> None:
    mine, theirs, closed = in_a(container), in_b(container), in_a(container)
    run(container, people.officer_a, actions.reject, clue_ids=[closed.clue_id], reason="不实")
    with pytest.raises(actions.DeskRefused) as elsewhere:
        run(
            container,
            people.officer_a,
            actions.attach,
            clue_ids=[mine.clue_id],
            problem_id=theirs.problem_id,
        )
    assert (elsewhere.value.kind, elsewhere.value.clue_id) == ("no_target", None)
    with pytest.raises(actions.DeskRefused) as final:
        run(
            container,
            people.officer_a,
            actions.attach,
            clue_ids=[mine.clue_id],
            problem_id=closed.problem_id,
        )
    assert final.value.kind == "target_closed"
    with pytest.raises(actions.DeskRefused) as itself:
        run(
            container,
            people.officer_a,
            actions.attach,
            clue_ids=[mine.clue_id],
            problem_id=mine.problem_id,
        )
    assert (itself.value.kind, itself.value.clue_id) == ("same_problem", mine.clue_id)


# --- duplicate --------------------------------------------------------------------------------


def test_marking_duplicates_links_the_problems_and_audits_each_clue(
    container: Container, people: DeskPeople
) -> None:
    original, one, two = in_a(container), in_a(container), in_a(container)
    with container.reading() as session:
        target = actions.target_of_clue(
            session, principal(container, people.officer_a), original.clue_id
        )
    assert target == original.problem_id
    run(
        container,
        people.officer_a,
        actions.mark_duplicate,
        clue_ids=[one.clue_id, two.clue_id],
        problem_id=target,
    )
    with container.reading() as session:
        links = session.execute(
            select(ProblemLink.problem_id, ProblemLink.other_id, ProblemLink.kind).order_by(
                ProblemLink.id
            )
        ).all()
    assert [tuple(link) for link in links] == [
        (one.problem_id, original.problem_id, "duplicate_of"),
        (two.problem_id, original.problem_id, "duplicate_of"),
    ]
    assert audit_actions(container) == [
        ("problem.link", str(one.problem_id)),
        ("clue.mark_duplicate", str(one.clue_id)),
        ("problem.link", str(two.problem_id)),
        ("clue.mark_duplicate", str(two.clue_id)),
    ]
    with pytest.raises(actions.DeskRefused) as reverse:
        run(
            container,
            people.officer_a,
            actions.mark_duplicate,
            clue_ids=[original.clue_id],
            problem_id=one.problem_id,
        )
    assert (reverse.value.kind, reverse.value.clue_id) == ("reverse_duplicate", original.clue_id)


def test_a_duplicate_of_another_countys_clue_is_refused(
    container: Container, people: DeskPeople
) -> None:
    mine, theirs = in_a(container), in_b(container)
    with container.reading() as session, pytest.raises(actions.DeskRefused) as refused:
        actions.target_of_clue(session, principal(container, people.officer_a), theirs.clue_id)
    assert refused.value.kind == "no_target" and refused.value.params == {"clue": theirs.clue_id}
    with container.reading() as session:
        count = session.scalar(select(func.count(ProblemLink.id)))
    assert count == 0 and mine.clue_id


def test_nothing_selected_is_refused(container: Container, people: DeskPeople) -> None:
    with pytest.raises(actions.DeskRefused) as refused:
        run(container, people.officer_a, actions.reject, clue_ids=[], reason="不实")
    assert refused.value.kind == "none_selected"
