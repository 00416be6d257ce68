"""Rewards over HTTP (thin): the enforcement outcome of a problem, eligibility, the ledger for
officers and administrators in scope, and the reporters' side — anonymous collection by
tracking code and secret (rate-limited like tracking codes), or their own rewards when logged
in. A problem that cannot be rewarded answers 409 with every named reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from ecoradar.auth.principal import Principal
from ecoradar.clues import ratelimit
from ecoradar.core.errors import NotFoundError
from ecoradar.rewards import claims, outcomes, service
from ecoradar.rewards.schemas import (
    ClaimIn,
    ClaimRead,
    EligibilityRead,
    NotEligibleRead,
    OutcomeIn,
    OutcomeRead,
    PayIn,
    ProposeIn,
    RefusalRead,
    RejectIn,
    RewardPageRead,
    RewardRead,
    RewardState,
)
from ecoradar.web.deps import ContainerDep, PrincipalDep, SessionDep, require_roles

router = APIRouter(prefix="/api", tags=["rewards"])

OfficerDep = Annotated[Principal, Depends(require_roles(*outcomes.OFFICER_ROLES))]
ProblemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
RewardId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NOT_ELIGIBLE: dict[int | str, dict[str, Any]] = {
    409: {"model": NotEligibleRead, "description": "Not eligible, with reasons"}
}


def _ip(request: Request) -> str | None:
    return request.client.host[:64] if request.client else None


def _not_eligible(exc: service.NotEligible) -> JSONResponse:
    body = NotEligibleRead(
        detail=str(exc), reasons=[RefusalRead.of(r) for r in exc.assessment.refusals]
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=409)


@router.post("/problems/{problem_id}/outcome", response_model=OutcomeRead)
def record_outcome(
    problem_id: ProblemId,
    body: OutcomeIn,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerDep,
) -> OutcomeRead:
    """Record (or correct) the enforcement outcome of a verified problem: a warning, an order
    to correct, a fine with its amount, or a transfer to public security. An officer handling
    the problem; audited; refused once a reward is proposed for it."""
    row = outcomes.record_outcome(
        session=session,
        principal=principal,
        problem_id=problem_id,
        kind=body.kind,
        fine_amount=body.fine_amount,
        decision_ref=body.decision_ref,
        note=body.note,
        now=box.clock.now(),
        ip=_ip(request),
    )
    return OutcomeRead.of_row(row)


@router.get("/problems/{problem_id}/reward-eligibility", response_model=EligibilityRead)
def reward_eligibility(
    problem_id: ProblemId, session: SessionDep, principal: OfficerDep
) -> EligibilityRead:
    """Whether the problem can be rewarded now: the clue, tier and amount the rules in force
    give, or every reason it cannot."""
    return EligibilityRead.of(
        service.eligibility_of(session=session, principal=principal, problem_id=problem_id)
    )


@router.get("/rewards", response_model=RewardPageRead)
def list_rewards(
    session: SessionDep,
    principal: OfficerDep,
    state: RewardState | None = None,
    problem_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RewardPageRead:
    """The rewards of the problems in your region, newest first."""
    found = service.list_rewards(
        session=session,
        principal=principal,
        state=state,
        problem_id=problem_id,
        page=page,
        per_page=per_page,
    )
    return RewardPageRead(
        items=[RewardRead.of(r) for r in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/rewards/mine", response_model=list[ClaimRead])
def my_rewards(session: SessionDep, principal: PrincipalDep) -> list[ClaimRead]:
    """A registered reporter's rewards for their own reports."""
    return [ClaimRead.of(s) for s in claims.my_rewards(session=session, principal=principal)]


@router.post("/rewards/claim", response_model=ClaimRead)
def claim(body: ClaimIn, request: Request, box: ContainerDep) -> ClaimRead:
    """An anonymous reporter's reward, by the tracking code and the secret given with it: its
    status and, once approved, the claim reference to show at the bureau (payment is made
    there). An unknown code and a wrong secret get the same 404; both count against the
    tracking codes' rate limit per address (429 with Retry-After)."""
    client = f"ip:{_ip(request) or 'unknown'}"
    now = box.clock.now()
    with box.transaction() as session:
        ratelimit.check_tracking(
            session=session,
            client=client,
            limit=box.settings.clue_tracking_rate_limit_per_hour,
            now=now,
        )
        try:
            status = claims.claim_status(
                session=session, code=body.tracking_code, secret=body.secret
            )
        except NotFoundError as exc:
            refused: NotFoundError | None = exc
        else:
            refused = None
            answer = ClaimRead.of(status)
    if refused is not None:
        with box.transaction() as session:
            ratelimit.record_refused(
                session=session, client=client, kind=ratelimit.TRACKING, now=now
            )
        raise refused
    return answer


@router.post("/rewards/propose", response_model=RewardRead, status_code=201, responses=NOT_ELIGIBLE)
def propose(
    body: ProposeIn,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerDep,
) -> RewardRead | JSONResponse:
    """Propose the reward of a problem: the first eligible reporter's clue, with the tier and
    amount the rules in force give. 409 with the reasons when it cannot be rewarded, or when
    it has a reward already."""
    try:
        reward = service.propose(
            session=session,
            principal=principal,
            problem_id=body.problem_id,
            now=box.clock.now(),
            ip=_ip(request),
        )
    except service.NotEligible as exc:
        return _not_eligible(exc)
    return RewardRead.of(reward)


@router.get("/rewards/{reward_id}", response_model=RewardRead)
def get_reward(reward_id: RewardId, session: SessionDep, principal: OfficerDep) -> RewardRead:
    return RewardRead.of(
        service.get_reward(session=session, principal=principal, reward_id=reward_id)
    )


@router.post("/rewards/{reward_id}/approve", response_model=RewardRead, responses=NOT_ELIGIBLE)
def approve(
    reward_id: RewardId,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerDep,
) -> RewardRead | JSONResponse:
    """Approve a proposed reward: not its proposer (four eyes, 403)."""
    try:
        reward = service.approve(
            session=session,
            principal=principal,
            reward_id=reward_id,
            now=box.clock.now(),
            ip=_ip(request),
        )
    except service.NotEligible as exc:
        return _not_eligible(exc)
    return RewardRead.of(reward)


@router.post("/rewards/{reward_id}/reject", response_model=RewardRead)
def reject(
    reward_id: RewardId,
    body: RejectIn,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerDep,
) -> RewardRead:
    """Reject a proposed or approved reward, with a reason; final."""
    reward = service.reject(
        session=session,
        principal=principal,
        reward_id=reward_id,
        reason=body.reason,
        now=box.clock.now(),
        ip=_ip(request),
    )
    return RewardRead.of(reward)


@router.post("/rewards/{reward_id}/pay", response_model=RewardRead)
def pay(
    reward_id: RewardId,
    body: PayIn,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerDep,
) -> RewardRead:
    """Record that an approved reward was paid (offline), with the payment's reference; for a
    reporter collecting by tracking code, the claim reference they showed."""
    reward = service.pay(
        session=session,
        principal=principal,
        reward_id=reward_id,
        payout_reference=body.payout_reference,
        claim_reference=body.claim_reference,
        now=box.clock.now(),
        ip=_ip(request),
    )
    return RewardRead.of(reward)
