"""Rewards end to end over the API: the outcome of a problem, eligibility refusals with their
reasons, the four-eyes ledger (proposed -> approved -> paid, or rejected), no reward twice,
anonymous collection by tracking code and secret, registered reporters, scope, and the rules
commands."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.cli import app as cli_app
from ecoradar.clues import dedupe_service
from ecoradar.clues.dedupe import DedupeDecision
from ecoradar.clues.intake import ClueReceipt
from ecoradar.core.clock import FakeClock
from ecoradar.problems.models import Problem
from ecoradar.rewards.models import ProblemOutcome, Reward, RewardRuleSet
from tests.integration.clue_support import clue, load_city, photo, submit, with_settings
from tests.integration.problem_support import (
    Driver,
    People,
    create_app_for,
    enterprise_id,
    jpeg,
    make_people,
    public_report,
)

LONG = "化工厂排污口夜间向河道排放黑色污水，气味刺鼻，已经持续三天"
runner = CliRunner()


@dataclass
class Scene:
    box: Container
    client: TestClient
    people: People
    drive: Driver

    @property
    def officer(self) -> dict[str, str]:
        return self.people.officer_a.headers

    @property
    def colleague(self) -> dict[str, str]:
        return self.people.officer_c.headers

    def report(self, seed: int = 1, **over: Any) -> ClueReceipt:
        """A specific public report with a photo, in G1."""
        fields: dict[str, Any] = {"description": LONG, "photos": (photo(seed),)}
        fields.update(over)
        return submit(self.box, clue(**fields))

    def confirm(self, pid: int) -> None:
        self.drive.to_confirmed(pid, self.people.worker_g1.user_id, jpeg(500 + pid))

    def outcome(self, pid: int, who: dict[str, str] | None = None, **body: Any) -> Response:
        body = body or {
            "kind": "fine",
            "fine_amount": "25000.00",
            "decision_ref": "嘉环罚〔2026〕12号",
        }
        return self.client.post(
            f"/api/problems/{pid}/outcome", json=body, headers=who or self.officer
        )

    def propose(self, pid: int, who: dict[str, str] | None = None) -> Response:
        return self.client.post(
            "/api/rewards/propose", json={"problem_id": pid}, headers=who or self.officer
        )

    def act(
        self, rid: int, action: str, who: dict[str, str] | None = None, **body: Any
    ) -> Response:
        return self.client.post(
            f"/api/rewards/{rid}/{action}", json=body, headers=who or self.colleague
        )

    def claim(self, code: str, secret: str) -> Response:
        return self.client.post(
            "/api/rewards/claim", json={"tracking_code": code, "secret": secret}
        )

    def rewardable(self, seed: int = 1, **over: Any) -> ClueReceipt:
        """A reported, confirmed problem with a fine recorded."""
        receipt = self.report(seed, **over)
        self.confirm(receipt.problem_id)
        assert self.outcome(receipt.problem_id).status_code == 200
        return receipt


@pytest.fixture
def s(container: Container, tmp_path: Path) -> Scene:
    load_city(container, tmp_path)
    people = make_people(container)
    client = TestClient(create_app_for(container))
    return Scene(container, client, people, Driver(client, container, people.officer_a.headers))


def reasons(response: Response) -> set[str]:
    assert response.status_code == 409, response.text
    return {r["reason"] for r in response.json()["reasons"]}


def audit_actions(box: Container, entity_type: str, entity_id: int) -> list[str]:
    with box.transaction() as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(
                    AuditEntry.entity_type == entity_type,
                    AuditEntry.entity_id == str(entity_id),
                )
                .order_by(AuditEntry.id)
            )
        )


def attach_next_clue_to(monkeypatch: pytest.MonkeyPatch, pid: int) -> None:
    monkeypatch.setattr(
        dedupe_service,
        "find_duplicates",
        lambda **_: DedupeDecision(attach_to=pid, score=0.95, suggestions=()),
    )


# --- the whole way --------------------------------------------------------------------------


def test_a_verified_anonymous_report_is_proposed_approved_and_paid_against_its_claim_reference(
    s: Scene,
) -> None:
    receipt = s.rewardable()
    assert receipt.secret is not None
    pid = receipt.problem_id
    assert s.claim(receipt.tracking_code, receipt.secret).json()["status"] == "none"

    check = s.client.get(f"/api/problems/{pid}/reward-eligibility", headers=s.officer).json()
    assert check["eligible"] is True and check["clue_id"] == receipt.clue_id
    assert (check["tier"], check["amount"]) == ("fine_medium", "1250.00")

    proposed = s.propose(pid)
    assert proposed.status_code == 201, proposed.text
    reward = proposed.json()
    assert reward["state"] == "proposed" and reward["amount"] == "1250.00"
    assert (reward["clue_id"], reward["outcome"], reward["fine_amount"]) == (
        receipt.clue_id,
        "fine",
        "25000.00",
    )
    assert reward["rule_version"] == 0 and reward["proposed_by"].endswith("officer-a")
    seen = s.claim(receipt.tracking_code, receipt.secret).json()
    assert (seen["status"], seen["amount"], seen["claim_reference"]) == (
        "proposed",
        "1250.00",
        None,
    )

    approved = s.act(reward["id"], "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"].endswith("officer-c")
    seen = s.claim(receipt.tracking_code.lower(), receipt.secret).json()
    assert seen["status"] == "approved"
    shown = seen["claim_reference"]
    assert shown.replace("-", "") == reward["claim_reference"]

    missing = s.act(reward["id"], "pay", payout_reference="现金收据 0001")
    assert missing.status_code == 422 and "claim_reference" in missing.text
    wrong = s.act(
        reward["id"], "pay", payout_reference="现金收据 0001", claim_reference="00000-00000"
    )
    assert wrong.status_code == 422 and "does not match" in wrong.text
    paid = s.act(reward["id"], "pay", payout_reference="现金收据 0001", claim_reference=shown)
    assert paid.status_code == 200, paid.text
    assert paid.json()["state"] == "paid" and paid.json()["payout_reference"] == "现金收据 0001"
    final = s.claim(receipt.tracking_code, receipt.secret).json()
    assert final["status"] == "paid" and final["paid_at"] is not None

    assert audit_actions(s.box, "reward", reward["id"]) == [
        "reward.propose",
        "reward.approve",
        "reward.pay",
    ]
    assert "problem.outcome" in audit_actions(s.box, "problem", pid)
    again = s.act(reward["id"], "pay", payout_reference="x", claim_reference=shown)
    assert again.status_code == 409


def test_a_transfer_to_public_security_gives_its_tier_without_a_recorded_outcome(
    s: Scene,
) -> None:
    receipt = s.report()
    pid = receipt.problem_id
    s.confirm(pid)
    s.drive.act(pid, "transfer", transfer={"kind": "public_security"}, reason="涉嫌环境污染罪")
    check = s.client.get(f"/api/problems/{pid}/reward-eligibility", headers=s.officer).json()
    assert check["outcome"]["kind"] == "public_security" and check["outcome"]["derived"] is True
    reward = s.propose(pid).json()
    assert (reward["tier"], reward["amount"], reward["capped"]) == (
        "public_security",
        "5000.00",
        False,
    )


# --- eligibility edge cases -----------------------------------------------------------------


def test_an_unfounded_problem_is_not_rewarded_and_takes_no_outcome(s: Scene) -> None:
    receipt = s.report()
    pid = receipt.problem_id
    s.drive.to_verifying(pid, s.people.worker_g1.user_id)
    media = s.drive.upload(pid, jpeg(77), purpose="onsite")
    s.drive.act(pid, "mark_unfounded", onsite=s.drive.onsite(media))
    refused = s.outcome(pid)
    assert refused.status_code == 409 and "not verified" in refused.text
    assert reasons(s.propose(pid)) == {"not_verified", "no_outcome"}
    with s.box.transaction() as session:
        assert session.scalar(select(Reward.id)) is None


def test_a_problem_an_alert_found_first_is_already_known(
    s: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = public_report(s.box, reporter_user_id=None, channel="monitoring", name=None, contact=None)
    attach_next_clue_to(monkeypatch, pid)
    receipt = s.report(category="water", attributes={})
    assert receipt.problem_id == pid and receipt.duplicate
    s.confirm(pid)
    assert s.outcome(pid).status_code == 200
    refused = s.propose(pid)
    assert reasons(refused) == {"already_known"}
    assert "(monitoring) came first" in refused.json()["detail"]


def test_only_the_first_eligible_reporter_of_a_problem_is_rewarded(
    s: Scene, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    first = s.report(1)
    attach_next_clue_to(monkeypatch, first.problem_id)
    clock.advance(timedelta(minutes=20))
    second = s.report(2, channel="open311", client="token:9")
    assert second.problem_id == first.problem_id
    s.confirm(first.problem_id)
    assert s.outcome(first.problem_id).status_code == 200
    check = s.client.get(
        f"/api/problems/{first.problem_id}/reward-eligibility", headers=s.officer
    ).json()
    assert check["clue_id"] == first.clue_id
    assert [(r["clue_id"], r["reason"]) for r in check["reasons"]] == [
        (second.clue_id, "not_first")
    ]
    reward = s.propose(first.problem_id).json()
    assert reward["clue_id"] == first.clue_id
    assert second.secret is not None
    assert s.claim(second.tracking_code, second.secret).json()["status"] == "none"


def test_an_enterprise_reporting_itself_is_not_rewarded(s: Scene) -> None:
    receipt = s.report(anonymous=False, reporter_user_id=s.people.enterprise.user_id)
    assert receipt.secret is None  # a registered reporter collects logged in
    pid = receipt.problem_id
    with s.box.transaction() as session:
        session.execute(
            update(Problem).where(Problem.id == pid).values(enterprise_id=enterprise_id(s.box, 1))
        )
    s.confirm(pid)
    assert s.outcome(pid, kind="order_to_correct").status_code == 200
    assert reasons(s.propose(pid)) == {"reporter_is_the_enterprise"}


def test_a_report_without_a_photo_or_with_a_vague_description_is_refused_with_its_reasons(
    s: Scene,
) -> None:
    no_photo = s.rewardable(photos=())
    assert reasons(s.propose(no_photo.problem_id)) == {"no_evidence"}
    vague = s.rewardable(2, description="这里很臭")
    refused = s.propose(vague.problem_id)
    assert reasons(refused) == {"not_specific"}
    assert "description of 4 characters, fewer than 20" in refused.text


def test_a_grid_workers_clue_is_never_rewarded(s: Scene) -> None:
    receipt = s.rewardable(
        channel="grid_worker",
        anonymous=False,
        reporter_user_id=s.people.worker_g1.user_id,
        client="user:1",
    )
    assert reasons(s.propose(receipt.problem_id)) == {"channel_not_eligible", "reporter_is_staff"}


# --- the ledger -----------------------------------------------------------------------------


def test_no_reward_twice_for_one_problem(s: Scene) -> None:
    pid = s.rewardable().problem_id
    first = s.propose(pid).json()
    double = s.propose(pid, s.colleague)
    assert double.status_code == 409 and "already has reward" in double.text
    assert s.outcome(pid, kind="warning").status_code == 409  # the outcome is locked now
    with s.box.transaction() as session:
        copy = session.get(Reward, first["id"])
        assert copy is not None
        session.expunge(copy)
    with pytest.raises(IntegrityError), s.box.transaction() as session:
        session.add(
            Reward(
                **{
                    c: getattr(copy, c)
                    for c in ("problem_id", "clue_id", "tier", "outcome", "amount", "capped")
                },
                rule_version=0,
                state="proposed",
                claim_reference="ZZZZZZZZZZ",
                proposed_at=copy.proposed_at,
                proposed_by=copy.proposed_by,
                proposed_by_user_id=copy.proposed_by_user_id,
                updated_at=copy.updated_at,
            )
        )


def test_the_proposer_cannot_approve_four_eyes_hold_in_the_database_too(s: Scene) -> None:
    pid = s.rewardable().problem_id
    reward = s.propose(pid).json()
    own = s.act(reward["id"], "approve", s.officer)
    assert own.status_code == 403 and "four eyes" in own.text
    with pytest.raises(IntegrityError), s.box.transaction() as session:
        session.execute(
            update(Reward)
            .where(Reward.id == reward["id"])
            .values(state="approved", approved_by_user_id=s.people.officer_a.user_id)
        )
    assert s.act(reward["id"], "approve", s.people.admin.headers).status_code == 200
    assert s.act(reward["id"], "approve").status_code == 409  # approved already


def test_a_rejection_needs_a_reason_and_is_final(s: Scene) -> None:
    receipt = s.rewardable()
    reward = s.propose(receipt.problem_id).json()
    assert s.act(reward["id"], "reject", reason="  ").status_code == 422
    rejected = s.act(reward["id"], "reject", reason="举报人系企业前员工，存在恶意举报")
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    assert s.act(reward["id"], "approve").status_code == 409
    assert s.propose(receipt.problem_id).status_code == 409
    assert receipt.secret is not None
    seen = s.claim(receipt.tracking_code, receipt.secret).json()
    assert (seen["status"], seen["amount"], seen["claim_reference"]) == ("rejected", None, None)
    assert "恶意" not in json.dumps(seen, ensure_ascii=False)
    assert audit_actions(s.box, "reward", reward["id"]) == ["reward.propose", "reward.reject"]


def test_a_registered_reporter_sees_their_reward_logged_in_and_is_paid_without_a_claim_code(
    s: Scene,
) -> None:
    reporter = s.people.reporter
    receipt = s.rewardable(anonymous=False, reporter_user_id=reporter.user_id)
    assert receipt.secret is None
    reward = s.propose(receipt.problem_id).json()
    assert s.act(reward["id"], "approve").status_code == 200
    mine = s.client.get("/api/rewards/mine", headers=reporter.headers).json()
    assert [(m["problem_id"], m["status"], m["amount"]) for m in mine] == [
        (receipt.problem_id, "approved", "1250.00")
    ]
    assert s.client.get("/api/rewards/mine", headers=s.people.other_public.headers).json() == []
    assert s.act(reward["id"], "pay", payout_reference="转账 20261102-1").status_code == 200


# --- who may ---------------------------------------------------------------------------------


def test_rewards_and_outcomes_are_for_officers_in_scope(s: Scene) -> None:
    pid = s.rewardable().problem_id
    worker = s.people.worker_g1.headers
    assert s.outcome(pid, worker).status_code == 403
    assert s.propose(pid, worker).status_code == 403
    assert s.propose(pid, s.people.reporter.headers).status_code == 403
    outside = s.people.officer_b.headers
    assert s.outcome(pid, outside).status_code == 404
    assert s.propose(pid, outside).status_code == 404
    reward = s.propose(pid).json()
    assert s.client.get("/api/rewards", headers=outside).json()["total"] == 0
    assert s.client.get(f"/api/rewards/{reward['id']}", headers=outside).status_code == 404
    assert s.act(reward["id"], "approve", outside).status_code == 404
    listed = s.client.get("/api/rewards", params={"state": "proposed"}, headers=s.colleague)
    assert [r["id"] for r in listed.json()["items"]] == [reward["id"]]
    assert s.client.get("/api/rewards").status_code == 401


def test_an_outcome_is_checked_and_each_recording_is_audited(s: Scene) -> None:
    receipt = s.report()
    pid = receipt.problem_id
    assert s.outcome(pid).status_code == 409  # not verified yet
    s.confirm(pid)
    assert s.outcome(pid, kind="fine").status_code == 422
    assert s.outcome(pid, kind="warning", fine_amount="10.00").status_code == 422
    assert s.outcome(pid, kind="fine", fine_amount="12.345").status_code == 422
    assert s.outcome(pid, kind="fine", fine_amount="-5").status_code == 422
    assert s.outcome(pid, kind="fine", fine_amount="1e3", note="x\x00").status_code == 422
    recorded = s.outcome(pid, kind="fine", fine_amount="150000")
    assert recorded.json()["fine_amount"] == "150000.00"
    corrected = s.outcome(pid, kind="warning", note="复核后改为警告")
    assert corrected.status_code == 200 and corrected.json()["fine_amount"] is None
    with s.box.transaction() as session:
        row = session.scalar(select(ProblemOutcome).where(ProblemOutcome.problem_id == pid))
        assert row is not None and (row.kind, row.fine_amount) == ("warning", None)
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "problem.outcome").order_by(AuditEntry.id)
        ).all()
        assert [(e.before, e.after) for e in entries] == [
            ({"kind": None}, {"kind": "fine", "fine_amount": "150000.00", "decision_ref": None}),
            (
                {"kind": "fine", "fine_amount": "150000.00", "decision_ref": None},
                {"kind": "warning", "fine_amount": None, "decision_ref": None},
            ),
        ]


def test_a_large_fine_is_capped_at_the_upper_bound(s: Scene) -> None:
    receipt = s.report()
    s.confirm(receipt.problem_id)
    assert s.outcome(receipt.problem_id, kind="fine", fine_amount="150000").status_code == 200
    reward = s.propose(receipt.problem_id).json()
    assert (reward["tier"], reward["amount"], reward["capped"]) == ("fine_large", "10000.00", True)


# --- anonymous collection ---------------------------------------------------------------------


def test_a_wrong_secret_gets_the_same_answer_as_an_unknown_code_and_both_are_rate_limited(
    s: Scene,
) -> None:
    box = with_settings(s.box, clue_tracking_rate_limit_per_hour=3)
    client = TestClient(create_app_for(box))
    receipt = s.rewardable()
    assert receipt.secret is not None
    wrong = client.post(
        "/api/rewards/claim",
        json={"tracking_code": receipt.tracking_code, "secret": receipt.secret + "x"},
    )
    unknown = client.post(
        "/api/rewards/claim", json={"tracking_code": "00000-00000", "secret": receipt.secret}
    )
    garbage = client.post("/api/rewards/claim", json={"tracking_code": "???", "secret": "s"})
    assert wrong.status_code == unknown.status_code == garbage.status_code == 404
    assert wrong.json() == unknown.json() == garbage.json()
    limited = client.post(
        "/api/rewards/claim",
        json={"tracking_code": receipt.tracking_code, "secret": receipt.secret},
    )
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_a_clue_without_a_secret_cannot_be_claimed_by_code(s: Scene) -> None:
    receipt = s.report(anonymous=False, reporter_user_id=s.people.reporter.user_id)
    answer = s.claim(receipt.tracking_code, "anything")
    assert answer.status_code == 404


# --- the rules commands ------------------------------------------------------------------------


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli_app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_imported_rules_are_listed_and_give_the_amounts_of_new_proposals(
    s: Scene, cli_env: dict[str, str], tmp_path: Path
) -> None:
    code, out, _ = ecoradar("rewards", "rules", "list")
    assert code == 0 and "built-in defaults" in out and "10000.00 yuan" in out
    rules = json.loads(ecoradar("rewards", "rules", "list", "--format", "json")[1])
    assert rules["version"] == 0 and rules["max_amount"] == "10000.00"
    rules.pop("version")
    rules["max_amount"] = "800"
    rules["tiers"][3]["percent"] = "2.5"
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    code, out, err = ecoradar("rewards", "rules", "import", str(path))
    assert code == 0, err
    assert "reward rules version 1 in force: 6 tiers, at most 800.00 yuan" in out
    assert "version 1" in ecoradar("rewards", "rules", "list")[1]
    reward = s.propose(s.rewardable().problem_id).json()
    assert (reward["amount"], reward["rule_version"], reward["capped"]) == ("625.00", 1, False)
    assert audit_actions(s.box, "reward_rules", 1) == ["reward_rules.import"]


def test_a_bad_rules_file_is_refused_naming_the_field_and_nothing_changes(
    s: Scene, cli_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "rules.json"
    path.write_text('{"max_amount": 5000.555, "tiers": []}', encoding="utf-8")
    code, _, err = ecoradar("rewards", "rules", "import", str(path))
    assert code == 1
    assert "rules.json: max_amount: 5000.555 has more than 2 decimal places" in err
    path.write_text('{"max_amount": 5000.5, "tiers": []}', encoding="utf-8")
    code, _, err = ecoradar("rewards", "rules", "import", str(path))
    assert code == 1 and "rules.json: tiers: required" in err
    path.write_text("{not json", encoding="utf-8")
    code, _, err = ecoradar("rewards", "rules", "import", str(path))
    assert code == 1 and "not UTF-8 JSON" in err
    with s.box.transaction() as session:
        assert session.scalar(select(RewardRuleSet.id)) is None
