"""The problem workflow: the transition table, its guards, and available actions."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoradar.core.errors import ConflictError, InputError, PermissionDenied
from ecoradar.problems.workflow import (
    DISPUTE_WINDOW,
    FINAL_STATES,
    OPEN_STATES,
    TABLE,
    Action,
    Actor,
    Evidence,
    Forbidden,
    Invalid,
    Missing,
    NotAllowed,
    OnsiteRecord,
    Payload,
    ProblemSnapshot,
    Role,
    State,
    TransferKind,
    TransferTarget,
    Transition,
    WorkflowError,
    apply,
    available_actions,
    decide,
)

A, S = Action, State
REPORTED_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
NOW = REPORTED_AT + timedelta(days=3)
ASSIGNEE_ID = 41

OFFICER = Actor(Role.OFFICER, 1, in_scope=True)
ADMIN = Actor(Role.ADMIN, 2, in_scope=True)
FOREIGN_OFFICER = Actor(Role.OFFICER, 3, in_scope=False)
ASSIGNEE = Actor(Role.GRID_WORKER, ASSIGNEE_ID, is_assignee=True)
OTHER_WORKER = Actor(Role.GRID_WORKER, 42, in_scope=True)
ENTERPRISE = Actor(Role.ENTERPRISE, 50, is_problem_enterprise=True)
OTHER_ENTERPRISE = Actor(Role.ENTERPRISE, 51, in_scope=True)
REPORTER = Actor(Role.PUBLIC, 60, is_reporter=True)
PUBLIC = Actor(Role.PUBLIC, 61)
WORKER_REPORTER = Actor(Role.GRID_WORKER, 62, is_reporter=True)
SYSTEM = Actor(Role.SYSTEM)
ACTORS = [
    OFFICER,
    ADMIN,
    FOREIGN_OFFICER,
    ASSIGNEE,
    OTHER_WORKER,
    ENTERPRISE,
    OTHER_ENTERPRISE,
    REPORTER,
    PUBLIC,
    WORKER_REPORTER,
    SYSTEM,
    Actor(Role.ENTERPRISE, 52, is_assignee=True, in_scope=True),
    Actor(Role.PUBLIC, 63, is_assignee=True, is_problem_enterprise=True, in_scope=True),
]

# The edges the issue asks for, written independently of the table.
EDGES = (
    {
        (S.REPORTED, S.ACCEPTED),
        (S.REPORTED, S.REJECTED),
        (S.ACCEPTED, S.ASSIGNED),
        (S.REOPENED, S.ASSIGNED),
        (S.ASSIGNED, S.ASSIGNED),
        (S.VERIFYING, S.ASSIGNED),
        (S.ASSIGNED, S.VERIFYING),
        (S.VERIFYING, S.CONFIRMED),
        (S.VERIFYING, S.UNFOUNDED),
        (S.CONFIRMED, S.RECTIFYING),
        (S.RECTIFIED, S.RECTIFYING),
        (S.RECTIFYING, S.RECTIFIED),
        (S.RECTIFIED, S.CLOSED),
        (S.CLOSED, S.REOPENED),
    }
    | {(s, S.TRANSFERRED) for s in OPEN_STATES}
    | {(s, s) for s in OPEN_STATES - {S.REPORTED}}
)


def snapshot(state: State, **changes: object) -> ProblemSnapshot:
    """A consistent problem in ``state``."""
    base = ProblemSnapshot(
        state=state,
        reported_at=REPORTED_AT,
        accepted_at=None if state in (S.REPORTED, S.REJECTED) else REPORTED_AT + timedelta(hours=2),
        closed_at=NOW - timedelta(days=1) if state in (S.CLOSED, S.REOPENED) else None,
        reopened_at=NOW - timedelta(hours=1) if state is S.REOPENED else None,
        assignee_id=ASSIGNEE_ID if state not in (S.REPORTED, S.ACCEPTED, S.REJECTED) else None,
        has_rectification_evidence=state in (S.RECTIFIED, S.CLOSED),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def onsite(**changes: object) -> OnsiteRecord:
    record = OnsiteRecord(NOW - timedelta(hours=1), 30.27, 120.15, (11, 12), "黑水排入河道")
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


def complete(action: Action, problem: ProblemSnapshot, now: datetime = NOW) -> Payload:
    """A payload with everything ``action`` needs."""
    return {
        A.ACCEPT: Payload(),
        A.REJECT: Payload(reason="不属于生态环境部门职责"),
        A.ASSIGN: Payload(assignee_id=ASSIGNEE_ID),
        A.REASSIGN: Payload(assignee_id=(problem.assignee_id or 0) + 1, reason="人员调整"),
        A.START_VERIFICATION: Payload(),
        A.CONFIRM: Payload(onsite=onsite(at=now - timedelta(minutes=5))),
        A.MARK_UNFOUNDED: Payload(onsite=onsite(at=now - timedelta(minutes=5))),
        A.ORDER_RECTIFICATION: Payload(
            requirement="停止排放并清理河道", rectification_due=now + timedelta(days=14)
        ),
        A.REPORT_RECTIFIED: Payload(evidence=Evidence("已清理", (21,))),
        A.CLOSE: Payload(),
        A.REOPEN: Payload(reason="整改后仍有黑水"),
        A.TRANSFER: Payload(transfer=TransferTarget(TransferKind.DEPARTMENT, "水利局"), reason="x"),
        A.EXTEND_DEADLINE: Payload(reason="需第三方检测"),
    }[action]


def run(
    action: Action,
    problem: ProblemSnapshot,
    actor: Actor = OFFICER,
    payload: Payload | None = None,
    now: datetime = NOW,
    **options: object,
) -> Transition:
    payload = complete(action, problem, now) if payload is None else payload
    return decide(problem, action, actor, payload, now, **options)  # type: ignore[arg-type]


# --- the path through -------------------------------------------------------------------


def test_a_problem_goes_from_report_to_closure_and_back_when_disputed() -> None:
    problem = ProblemSnapshot(S.REPORTED, REPORTED_AT)
    steps = [
        (A.ACCEPT, OFFICER),
        (A.ASSIGN, OFFICER),
        (A.START_VERIFICATION, ASSIGNEE),
        (A.CONFIRM, ASSIGNEE),
        (A.ORDER_RECTIFICATION, OFFICER),
        (A.EXTEND_DEADLINE, ADMIN),
        (A.REPORT_RECTIFIED, ENTERPRISE),
        (A.CLOSE, OFFICER),
        (A.REOPEN, REPORTER),
    ]
    now, states = NOW, []
    for action, actor in steps:
        now += timedelta(hours=1)
        transition = run(action, problem, actor, now=now)
        assert transition.at == now and transition.actor == actor
        problem = apply(problem, transition)
        states.append(problem.state)
    assert states == [
        S.ACCEPTED,
        S.ASSIGNED,
        S.VERIFYING,
        S.CONFIRMED,
        S.RECTIFYING,
        S.RECTIFYING,
        S.RECTIFIED,
        S.CLOSED,
        S.REOPENED,
    ]
    assert problem.accepted_at == NOW + timedelta(hours=1)
    assert problem.closed_at == NOW + timedelta(hours=8)
    assert problem.reopened_at == NOW + timedelta(hours=9)
    assert problem.assignee_id == ASSIGNEE_ID
    assert problem.extensions_used == 0  # reopening starts a new handling round
    assert not problem.has_rectification_evidence


def test_the_transition_carries_the_validated_payload() -> None:
    payload = Payload(reason="  重复举报  ", note="  ", internal_note=" 见 #12 ")
    transition = run(A.REJECT, snapshot(S.REPORTED), payload=payload)
    assert (transition.from_state, transition.to_state) == (S.REPORTED, S.REJECTED)
    assert transition.payload == Payload(reason="重复举报", internal_note="见 #12")
    assert transition.reason_public and transition.changes_state


def test_every_state_is_reached_by_exactly_the_intended_edges() -> None:
    seen = {S.REPORTED: ProblemSnapshot(S.REPORTED, REPORTED_AT)}
    edges, queue = set(), [S.REPORTED]
    while queue:
        problem = seen[queue.pop()]
        for action in Action:
            for actor in ACTORS:
                try:
                    transition = run(action, problem, actor)
                except WorkflowError:
                    continue
                edges.add((transition.from_state, transition.to_state))
                after = apply(problem, transition)
                if after.state not in seen:
                    seen[after.state] = after
                    queue.append(after.state)
    assert set(seen) == set(State)
    assert edges == EDGES


# --- no skipping states -------------------------------------------------------------------


OUTSIDE_ROWS = [(s, a) for a in Action for s in State if s not in TABLE[a].sources]


@pytest.mark.parametrize(("state", "action"), OUTSIDE_ROWS)
def test_an_action_from_a_state_outside_its_table_row_is_not_allowed(
    state: State, action: Action
) -> None:
    with pytest.raises(NotAllowed) as caught:
        run(action, snapshot(state), ADMIN)
    assert caught.value.state is state and caught.value.action is action
    assert str(state) in str(caught.value) and str(action) in str(caught.value)
    for source in TABLE[action].sources:
        assert str(source) in str(caught.value)


def test_closing_straight_from_verification_is_refused_naming_the_allowed_state() -> None:
    with pytest.raises(NotAllowed, match="cannot close a problem that is verifying: only from "):
        run(A.CLOSE, snapshot(S.VERIFYING))


def test_final_states_only_lead_on_from_a_closure() -> None:
    for state in FINAL_STATES - {S.CLOSED}:
        for actor in ACTORS:
            assert available_actions(snapshot(state), actor, NOW) == []
    assert available_actions(snapshot(S.CLOSED), OFFICER, NOW) == [A.REOPEN]


def test_transfer_is_possible_from_every_open_state() -> None:
    for state in OPEN_STATES:
        transition = run(A.TRANSFER, snapshot(state))
        assert transition.to_state is S.TRANSFERRED
        assert not transition.reason_public


# --- requirements -----------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "   \n"])
def test_a_rejection_without_a_reason_is_refused(reason: str | None) -> None:
    with pytest.raises(Missing) as caught:
        run(A.REJECT, snapshot(S.REPORTED), payload=Payload(reason=reason))
    assert caught.value.field == "reason"
    assert str(caught.value).startswith("reason: ")
    assert isinstance(caught.value, InputError)


def test_a_reason_longer_than_2000_characters_is_refused() -> None:
    run(A.REJECT, snapshot(S.REPORTED), payload=Payload(reason="长" * 2000))
    with pytest.raises(Invalid, match="reason: 2001 characters, at most 2000"):
        run(A.REJECT, snapshot(S.REPORTED), payload=Payload(reason="长" * 2001))


def test_closing_without_stored_rectification_evidence_is_refused() -> None:
    problem = snapshot(S.RECTIFIED, has_rectification_evidence=False)
    with pytest.raises(Missing) as caught:
        run(A.CLOSE, problem)
    assert caught.value.field == "evidence"
    assert A.CLOSE not in available_actions(problem, OFFICER, NOW)


@pytest.mark.parametrize(
    ("evidence", "field"),
    [
        (Evidence("已整改"), "evidence.attachment_ids"),
        (Evidence("已整改", (), "   "), "evidence.attachment_ids"),
        (Evidence("  ", (3,)), "evidence.text"),
        (Evidence("已整改", (0,)), "evidence.attachment_ids"),
        (Evidence("已整改", (), "x" * 201), "evidence.document"),
        (Evidence("已整改", tuple(range(1, 52))), "evidence.attachment_ids"),
    ],
)
def test_rectification_evidence_needs_an_attachment_or_document_and_text(
    evidence: Evidence, field: str
) -> None:
    with pytest.raises(Missing) as caught:
        run(A.REPORT_RECTIFIED, snapshot(S.RECTIFYING), payload=Payload(evidence=evidence))
    assert caught.value.field == field


def test_a_document_alone_is_enough_evidence() -> None:
    payload = Payload(evidence=Evidence(" 已整改 ", [7, 7, 8], " 湖环改〔2026〕3号 "))  # type: ignore[arg-type]
    transition = run(A.REPORT_RECTIFIED, snapshot(S.RECTIFYING), ENTERPRISE, payload)
    assert transition.payload.evidence == Evidence("已整改", (7, 8), "湖环改〔2026〕3号")
    run(
        A.REPORT_RECTIFIED, snapshot(S.RECTIFYING), payload=Payload(evidence=Evidence("x", (), "d"))
    )


@pytest.mark.parametrize(
    ("record", "field", "message"),
    [
        (onsite(at=NOW + timedelta(minutes=1)), "onsite.at", "in the future"),
        (onsite(at=REPORTED_AT - timedelta(seconds=1)), "onsite.at", "before the problem"),
        (onsite(at=datetime(2026, 3, 4, 12)), "onsite.at", "UTC offset"),  # noqa: DTZ001
        (onsite(lat=90.5), "onsite.lat", "-90..90"),
        (onsite(lon=-180.01), "onsite.lon", "-180..180"),
        (onsite(lon=float("nan")), "onsite.lon", "-180..180"),
        (onsite(lat="30.1"), "onsite.lat", "-90..90"),
        (onsite(photo_ids=()), "onsite.photo_ids", "at least one photo"),
        (onsite(photo_ids=(1, -2)), "onsite.photo_ids", "-2 is not an id"),
        (onsite(photo_ids=(True,)), "onsite.photo_ids", "True is not an id"),
        (onsite(text=" "), "onsite.text", "must not be empty"),
        (onsite(text="x" * 10_001), "onsite.text", "at most 10000"),
    ],
)
@pytest.mark.parametrize("action", [A.CONFIRM, A.MARK_UNFOUNDED])
def test_verification_needs_a_complete_onsite_record(
    action: Action, record: OnsiteRecord, field: str, message: str
) -> None:
    with pytest.raises(Missing) as caught:
        run(action, snapshot(S.VERIFYING), ASSIGNEE, Payload(onsite=record))
    assert caught.value.field == field
    assert message in str(caught.value)


def test_verification_without_an_onsite_record_is_refused() -> None:
    with pytest.raises(Missing, match=r"onsite: required \(to confirm\)"):
        run(A.CONFIRM, snapshot(S.VERIFYING), payload=Payload())


def test_an_onsite_time_is_compared_to_the_minute_as_the_form_gives_it() -> None:
    reported = REPORTED_AT + timedelta(seconds=30)  # 09:00:30 China time
    now = reported + timedelta(seconds=10)  # still the same minute
    state = dataclasses.replace(snapshot(S.VERIFYING), reported_at=reported)
    for at in (REPORTED_AT, REPORTED_AT + timedelta(seconds=59)):  # the form sends 09:00
        transition = decide(state, A.CONFIRM, ASSIGNEE, Payload(onsite=onsite(at=at)), now)
        assert transition.payload.onsite is not None
    with pytest.raises(Invalid) as early:
        before = REPORTED_AT - timedelta(seconds=1)
        decide(state, A.CONFIRM, ASSIGNEE, Payload(onsite=onsite(at=before)), now)
    assert (early.value.code, early.value.field) == ("before_report", "onsite.at")
    assert early.value.params == {"at": before, "reported_at": reported}
    with pytest.raises(Invalid) as late:
        after = now + timedelta(minutes=1)
        decide(state, A.CONFIRM, ASSIGNEE, Payload(onsite=onsite(at=after)), now)
    assert late.value.code == "future"


def test_every_refusal_carries_a_code_for_the_pages() -> None:
    with pytest.raises(Missing) as missing:
        run(A.REJECT, snapshot(S.REPORTED), payload=Payload(reason=" "))
    assert (missing.value.code, missing.value.field) == ("required", "reason")
    with pytest.raises(NotAllowed) as state:
        run(A.ACCEPT, snapshot(S.ACCEPTED))
    assert state.value.code == "state"
    assert state.value.params == {"state": "accepted", "allowed": ["reported"]}
    with pytest.raises(Forbidden) as forbidden:
        run(A.ACCEPT, snapshot(S.REPORTED), ENTERPRISE)
    assert forbidden.value.code == "forbidden"
    with pytest.raises(Invalid) as long:
        run(A.REJECT, snapshot(S.REPORTED), payload=Payload(reason="x" * 2001))
    assert long.value.code == "too_long"
    assert long.value.params == {"count": 2001, "limit": 2000}


def test_an_onsite_record_at_the_edges_of_its_window_is_accepted() -> None:
    for at in (REPORTED_AT, NOW):
        record = onsite(at=at.astimezone(), lat=-90, lon=180)
        transition = run(A.CONFIRM, snapshot(S.VERIFYING), payload=Payload(onsite=record))
        assert transition.payload.onsite == onsite(at=at, lat=-90.0, lon=180.0)
        assert transition.payload.onsite.at.tzinfo is UTC


def test_a_rectification_order_needs_a_requirement_and_a_future_due_date() -> None:
    problem = snapshot(S.CONFIRMED)
    with pytest.raises(Missing, match="requirement"):
        run(A.ORDER_RECTIFICATION, problem, payload=Payload(rectification_due=NOW + timedelta(1)))
    with pytest.raises(Missing, match="rectification_due"):
        run(A.ORDER_RECTIFICATION, problem, payload=Payload(requirement="清理"))
    with pytest.raises(Invalid, match="rectification_due: .* is not in the future"):
        run(
            A.ORDER_RECTIFICATION,
            problem,
            payload=Payload(requirement="清理", rectification_due=NOW),
        )


def test_insufficient_rectification_is_sent_back_and_needs_new_evidence() -> None:
    transition = run(A.ORDER_RECTIFICATION, snapshot(S.RECTIFIED))
    problem = apply(snapshot(S.RECTIFIED), transition)
    assert problem.state is S.RECTIFYING and not problem.has_rectification_evidence


def test_assignment_needs_an_assignee_id() -> None:
    with pytest.raises(Missing, match="assignee_id"):
        run(A.ASSIGN, snapshot(S.ACCEPTED), payload=Payload())
    with pytest.raises(Invalid, match="assignee_id: 0 is not an id"):
        run(A.ASSIGN, snapshot(S.ACCEPTED), payload=Payload(assignee_id=0))


def test_reassignment_needs_a_different_assignee_and_a_reason() -> None:
    problem = snapshot(S.VERIFYING)
    with pytest.raises(Invalid, match="41 is already the assignee"):
        run(A.REASSIGN, problem, payload=Payload(assignee_id=ASSIGNEE_ID, reason="x"))
    with pytest.raises(Missing, match="reason"):
        run(A.REASSIGN, problem, payload=Payload(assignee_id=7))
    transition = run(A.REASSIGN, problem, payload=Payload(assignee_id=7, reason="休假"))
    after = apply(problem, transition)
    assert (after.state, after.assignee_id) == (S.ASSIGNED, 7)
    assert not transition.reason_public


def test_a_transfer_to_a_department_needs_its_name() -> None:
    problem = snapshot(S.ASSIGNED)
    target = TransferTarget(TransferKind.DEPARTMENT, "  ")
    with pytest.raises(Missing, match="transfer.name"):
        run(A.TRANSFER, problem, payload=Payload(transfer=target, reason="非本部门职责"))
    with pytest.raises(Missing, match="transfer: required"):
        run(A.TRANSFER, problem, payload=Payload(reason="x"))
    bad = TransferTarget("court", "x")  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="transfer.kind: 'court' is not one of"):
        run(A.TRANSFER, problem, payload=Payload(transfer=bad, reason="x"))


def test_a_transfer_to_public_security_needs_no_name() -> None:
    target = TransferTarget("public_security")  # type: ignore[arg-type]
    payload = Payload(transfer=target, reason="涉嫌污染环境罪")
    transition = run(A.TRANSFER, snapshot(S.CONFIRMED), payload=payload)
    assert transition.payload.transfer == TransferTarget(TransferKind.PUBLIC_SECURITY, None)
    assert transition.payload.transfer.kind is TransferKind.PUBLIC_SECURITY


def test_fields_an_action_does_not_use_are_refused() -> None:
    with pytest.raises(Invalid, match=r"assignee_id: not used by this action \(to accept\)"):
        run(A.ACCEPT, snapshot(S.REPORTED), payload=Payload(assignee_id=3))


def test_a_reopening_may_name_the_finding_that_caused_it() -> None:
    payload = Payload(reason="新的报警", finding_id=9)
    transition = run(A.REOPEN, snapshot(S.CLOSED), SYSTEM, payload)
    assert transition.payload.finding_id == 9 and transition.reason_public
    with pytest.raises(Missing, match="reason"):
        run(A.REOPEN, snapshot(S.CLOSED), SYSTEM, Payload(finding_id=9))


def test_times_must_carry_an_offset() -> None:
    with pytest.raises(ValueError, match="naive"):
        run(A.ACCEPT, snapshot(S.REPORTED), now=datetime(2026, 3, 4))  # noqa: DTZ001


# --- deadline extensions ------------------------------------------------------------------


def test_the_deadline_can_be_extended_once_with_a_public_reason() -> None:
    problem = snapshot(S.RECTIFYING)
    transition = run(A.EXTEND_DEADLINE, problem)
    assert transition.to_state is S.RECTIFYING and not transition.changes_state
    assert transition.reason_public
    problem = apply(problem, transition)
    assert problem.extensions_used == 1
    with pytest.raises(NotAllowed, match="already extended 1 time"):
        run(A.EXTEND_DEADLINE, problem)
    assert A.EXTEND_DEADLINE not in available_actions(problem, OFFICER, NOW)


def test_an_extension_needs_a_reason() -> None:
    with pytest.raises(Missing, match="reason"):
        run(A.EXTEND_DEADLINE, snapshot(S.ASSIGNED), payload=Payload(reason=" "))


def test_an_extension_waits_for_acceptance() -> None:
    with pytest.raises(NotAllowed):
        run(A.EXTEND_DEADLINE, snapshot(S.REPORTED))


def test_the_number_of_extensions_is_configurable() -> None:
    problem = snapshot(S.ASSIGNED, extensions_used=1)
    assert run(A.EXTEND_DEADLINE, problem, max_extensions=2).action is A.EXTEND_DEADLINE
    with pytest.raises(NotAllowed):
        run(A.EXTEND_DEADLINE, snapshot(S.ASSIGNED), max_extensions=0)


# --- who may ------------------------------------------------------------------------------


def test_only_officers_in_scope_accept() -> None:
    for actor in (FOREIGN_OFFICER, OTHER_WORKER, ASSIGNEE, REPORTER, ENTERPRISE, SYSTEM):
        with pytest.raises(Forbidden) as caught:
            run(A.ACCEPT, snapshot(S.REPORTED), actor)
        assert isinstance(caught.value, PermissionDenied)
        assert f"{actor.role} may not accept" in str(caught.value)


def test_the_assignee_verifies_but_another_grid_worker_may_not() -> None:
    run(A.START_VERIFICATION, snapshot(S.ASSIGNED), ASSIGNEE)
    run(A.CONFIRM, snapshot(S.VERIFYING), ASSIGNEE)
    with pytest.raises(Forbidden, match="only the assignee, admin or officer in scope"):
        run(A.CONFIRM, snapshot(S.VERIFYING), OTHER_WORKER)


def test_only_the_problems_own_enterprise_reports_rectification() -> None:
    run(A.REPORT_RECTIFIED, snapshot(S.RECTIFYING), ENTERPRISE)
    with pytest.raises(Forbidden):
        run(A.REPORT_RECTIFIED, snapshot(S.RECTIFYING), OTHER_ENTERPRISE)
    with pytest.raises(Forbidden):
        run(A.CLOSE, snapshot(S.RECTIFIED), ENTERPRISE)


def test_the_reporter_disputes_a_closure_only_within_the_window() -> None:
    closed_at = NOW - DISPUTE_WINDOW
    problem = snapshot(S.CLOSED, closed_at=closed_at)
    for reporter in (REPORTER, WORKER_REPORTER):
        assert run(A.REOPEN, problem, reporter).to_state is S.REOPENED
    late = NOW + timedelta(microseconds=1)
    with pytest.raises(Forbidden, match="within 30 days"):
        run(A.REOPEN, problem, REPORTER, now=late)
    assert run(A.REOPEN, problem, OFFICER, now=late).to_state is S.REOPENED
    assert run(A.REOPEN, problem, SYSTEM, now=late).to_state is S.REOPENED
    with pytest.raises(Forbidden):
        run(A.REOPEN, problem, PUBLIC)
    wider = run(A.REOPEN, problem, REPORTER, now=late, dispute_window=timedelta(days=31))
    assert wider.to_state is S.REOPENED


@pytest.mark.parametrize("state", [S.REJECTED, S.UNFOUNDED])
def test_rejected_and_unfounded_problems_cannot_be_reopened_here(state: State) -> None:
    for actor in (REPORTER, OFFICER, SYSTEM):
        with pytest.raises(NotAllowed, match="only from closed"):
            run(A.REOPEN, snapshot(state, closed_at=NOW), actor)


def test_the_error_kinds_map_to_the_core_errors() -> None:
    assert issubclass(NotAllowed, ConflictError) and not issubclass(NotAllowed, InputError)
    assert issubclass(Forbidden, PermissionDenied) and not issubclass(Forbidden, ConflictError)
    assert issubclass(Missing, InputError) and not issubclass(Missing, ConflictError)
    assert issubclass(Invalid, Missing)


# --- available actions match decide ---------------------------------------------------------


def variants(state: State) -> list[ProblemSnapshot]:
    base = snapshot(state)
    return [
        base,
        dataclasses.replace(base, extensions_used=1),
        dataclasses.replace(base, has_rectification_evidence=not base.has_rectification_evidence),
        dataclasses.replace(base, closed_at=NOW - DISPUTE_WINDOW - timedelta(seconds=1)),
    ]


@pytest.mark.parametrize("state", list(State))
def test_an_action_is_available_exactly_when_decide_accepts_it(state: State) -> None:
    for problem in variants(state):
        for actor in ACTORS:
            available = available_actions(problem, actor, NOW)
            for action in Action:
                try:
                    run(action, problem, actor)
                    accepted = True
                except WorkflowError:
                    accepted = False
                assert (action in available) == accepted, (problem, actor, action)


def test_officers_see_the_actions_of_each_state() -> None:
    assert available_actions(snapshot(S.REPORTED), OFFICER, NOW) == [A.ACCEPT, A.REJECT, A.TRANSFER]
    assert available_actions(snapshot(S.VERIFYING), ASSIGNEE, NOW) == [A.CONFIRM, A.MARK_UNFOUNDED]
    assert available_actions(snapshot(S.RECTIFYING), ENTERPRISE, NOW) == [A.REPORT_RECTIFIED]
    assert available_actions(snapshot(S.RECTIFYING), PUBLIC, NOW) == []


# --- random walks -------------------------------------------------------------------------


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(Action)),
            st.sampled_from(ACTORS),
            st.integers(min_value=0, max_value=3 * 24 * 60),
            st.booleans(),
        ),
        max_size=40,
    )
)
@settings(max_examples=300, deadline=None)
def test_random_action_sequences_only_follow_the_table(
    steps: list[tuple[Action, Actor, int, bool]],
) -> None:
    problem = ProblemSnapshot(S.REPORTED, REPORTED_AT)
    now = REPORTED_AT
    for action, actor, minutes, full in steps:
        now += timedelta(minutes=minutes)
        payload = complete(action, problem, now) if full else Payload()
        before = problem
        try:
            transition = decide(problem, action, actor, payload, now)
        except WorkflowError:
            continue
        assert before.state not in {S.REJECTED, S.UNFOUNDED, S.TRANSFERRED}
        assert (transition.from_state, transition.to_state) in EDGES
        assert transition.to_state == (TABLE[action].target or before.state)
        if transition.to_state is S.CLOSED:
            assert before.state is S.RECTIFIED and before.has_rectification_evidence
        if action is A.REJECT:
            assert transition.payload.reason
        if action is A.EXTEND_DEADLINE:
            assert before.extensions_used == 0
        problem = apply(problem, transition)


# --- the README documents the table -----------------------------------------------------


def test_the_readme_documents_every_action() -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Problem workflow and deadlines", 1)[1].split("\n## ", 1)[0]
    for action in Action:
        assert f"`{action}`" in section
