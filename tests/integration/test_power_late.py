"""Late power readings through the service, on both databases: a gateway uploading its backlog
out of order re-judges the time it covers — an episode broken in the middle is split (a second
finding on the same problem), one left under 30 minutes is withdrawn (its row and finding kept,
marked with the reason, on the problem's timeline and in the audit log, gone from the curves),
and judging the same data again changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.power import service
from ecoradar.power.periodic import judge
from ecoradar.problems.models import ProblemEvent
from ecoradar.web.app import create_app
from tests.conftest import MakeUser
from tests.factories import write_csv
from tests.integration.power_support import (
    E1,
    METERS_HEADER,
    MIN,
    items,
    load_power,
    power_findings,
    power_token,
    stored_episodes,
)


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    load_power(container, tmp_path)
    return container


@pytest.fixture
def client(box: Container) -> TestClient:
    return TestClient(create_app(box))


@pytest.fixture
def gateway(box: Container) -> dict[str, str]:
    return {"Authorization": f"Bearer {power_token(box)}"}


def send(client: TestClient, headers: dict[str, str], batch: list[dict[str, Any]]) -> Any:
    answer = client.post("/api/power/readings", json={"readings": batch}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def every_other_minute(meter: str, start: Any, minutes: int, kw: float) -> list[dict[str, Any]]:
    """A reading every 2 minutes (each stands until the next: within 3 intervals)."""
    return items(meter, start, [kw if m % 2 == 0 else None for m in range(minutes)])


def events(box: Container, problem_id: int) -> list[ProblemEvent]:
    with box.reading() as session:
        found = list(
            session.scalars(
                select(ProblemEvent)
                .where(ProblemEvent.problem_id == problem_id)
                .order_by(ProblemEvent.id)
            )
        )
        session.expunge_all()
    return found


def audited(box: Container, action: str) -> list[AuditEntry]:
    with box.reading() as session:
        found = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        session.expunge_all()
    return found


def test_a_late_reading_of_treatment_running_mid_episode_splits_it_in_two(
    client: TestClient, box: Container, gateway: dict[str, str]
) -> None:
    start = box.clock.now() - 70 * MIN  # recent: monitoring silence is not judged yet
    first = send(
        client,
        gateway,
        items("P1", start, [150.0] * 70) + every_other_minute("T1", start, 69, 5.0),
    )
    assert first["findings"] == 1
    (whole,) = stored_episodes(box)
    assert (whole.start, whole.end) == (start, start + 69 * MIN)
    late = send(client, gateway, items("T1", start + 33 * MIN, [60.0]))  # the backlog
    assert (late["stored"], late["revised"], late["episodes"], late["withdrawn"]) == (1, 1, 1, 0)
    assert late["findings"] == 1
    kept, split = stored_episodes(box)
    assert (kept.id, kept.start, kept.end) == (whole.id, start, start + 33 * MIN)
    assert (split.start, split.end) == (start + 34 * MIN, start + 69 * MIN)
    assert split.split_from == kept.id and kept.withdrawn_at is None
    one, two = power_findings(box)
    assert one.id == kept.finding_id and two.id == split.finding_id
    assert one.problem_id == two.problem_id  # the same facility: the same problem
    assert one.data["minutes"] == 33 and one.data["end"] == (start + 33 * MIN).isoformat()
    (revision,) = one.data["revisions"]
    assert revision["before"]["minutes"] == 69 and "迟到的读数" in revision["reason"]
    assert two.data["split_from"] == kept.id
    actions = [e.action for e in events(box, one.problem_id)]
    assert actions == ["opened", "finding_revised", "finding_attached"]
    (entry,) = audited(box, "problem.revise_finding")
    assert entry.entity_id == str(one.problem_id) and entry.reason
    # judging the same data again, by the batch pass, changes nothing
    again = judge(box, box_enterprise(box), start, box.clock.now())
    assert (again.new, again.grown, again.revised, again.withdrawn, again.findings) == (0,) * 5
    assert send(client, gateway, items("T1", start + 33 * MIN, [60.0]))["stored"] == 0


def box_enterprise(box: Container) -> int:
    from ecoradar.registry.models import Enterprise

    with box.reading() as session:
        found = session.scalar(select(Enterprise.id).where(Enterprise.code == E1))
    assert found is not None
    return found


def test_an_episode_left_under_thirty_minutes_is_withdrawn_never_lost(
    client: TestClient,
    box: Container,
    gateway: dict[str, str],
    make_user: MakeUser,
    logged_in: Any,
) -> None:
    officer = make_user("officer", region="A")
    start = box.clock.now() - 70 * MIN
    send(
        client, gateway, items("P1", start, [150.0] * 70) + every_other_minute("T1", start, 39, 0.0)
    )
    (episode,) = stored_episodes(box)
    assert episode.minutes == 39 and episode.state == "off"
    late = send(client, gateway, items("T1", start + 15 * MIN, [60.0]))
    assert (late["withdrawn"], late["revised"], late["findings"], late["episodes"]) == (1, 0, 0, 0)
    (kept,) = stored_episodes(box)  # the row stays, marked
    assert kept.id == episode.id and kept.withdrawn_at == box.clock.now()
    assert kept.withdrawn_reason and "不足 30 分钟" in kept.withdrawn_reason
    (finding,) = power_findings(box)
    assert finding.data["withdrawn"]["code"] == "short"
    assert finding.data["withdrawn"]["reason"] == kept.withdrawn_reason
    assert finding.description.startswith("【已撤回】")
    (event,) = [e for e in events(box, finding.problem_id) if e.action == "finding_withdrawn"]
    assert event.detail["finding_id"] == finding.id and not event.public
    (entry,) = audited(box, "problem.withdraw_finding")
    assert entry.reason == kept.withdrawn_reason
    drawn = client.get(
        f"/api/power/enterprises/{E1}/curves",
        params={"start": start.isoformat(), "end": box.clock.now().isoformat()},
        headers=officer.headers,
    ).json()
    assert drawn["episodes"] == []
    logged_in(client, officer)
    page = client.get(f"/problems/{finding.problem_id}")
    assert page.status_code == 200 and "【已撤回】" in page.text
    assert "发现已撤回（迟到数据重新判定）" in page.text  # the timeline says it in words
    # judging the same data again brings nothing back and withdraws nothing more
    again = judge(box, box_enterprise(box), start, box.clock.now())
    assert (again.new, again.withdrawn, again.findings) == (0, 0, 0)
    assert len(power_findings(box)) == 1


def test_a_withdrawn_episode_whose_rule_holds_again_comes_back_with_its_finding(
    client: TestClient, box: Container, gateway: dict[str, str], tmp_path: Path
) -> None:
    start = box.clock.now() - 70 * MIN
    send(
        client, gateway, items("P1", start, [150.0] * 70) + every_other_minute("T1", start, 39, 0.0)
    )
    send(client, gateway, items("T1", start + 15 * MIN, [60.0]))
    (withdrawn,) = stored_episodes(box)
    assert withdrawn.withdrawn_at is not None
    # the facility's thresholds corrected: 60 kW is idling for it
    meters = [["T1", E1, "TF1", "100", "90", "70", "60", ""]]
    path = write_csv(tmp_path / "fix.csv", METERS_HEADER, meters)
    with box.transaction() as session:
        service.import_power(session=session, units=None, meters=path, now=box.clock.now())
    again = judge(box, box_enterprise(box), start, box.clock.now())
    assert (again.new, again.revised, again.withdrawn, again.findings) == (1, 0, 0, 0)
    (back,) = stored_episodes(box)
    assert back.id == withdrawn.id and back.withdrawn_at is None and back.withdrawn_reason is None
    assert (back.start, back.end, back.state) == (start, start + 39 * MIN, "idle")
    (finding,) = power_findings(box)
    assert "withdrawn" not in finding.data and not finding.description.startswith("【已撤回】")
    actions = [e.action for e in events(box, finding.problem_id)]
    assert actions == ["opened", "finding_withdrawn", "finding_revised"]


def test_a_late_reading_in_the_middle_of_a_long_episode_splits_it_where_it_fell(
    client: TestClient, box: Container, gateway: dict[str, str]
) -> None:
    """Eight hours idling; the judged time is 3 hours either side of the late reading only, and
    the parts of the episode beyond it stand."""
    start = box.clock.now() - 9 * 60 * MIN
    send(
        client,
        gateway,
        items("P1", start, [150.0] * 480) + every_other_minute("T1", start, 479, 5.0),
    )
    (whole,) = [e for e in stored_episodes(box) if e.rule == "treatment_idle"]
    assert (whole.start, whole.end) == (start, start + 479 * MIN)
    late = send(client, gateway, items("T1", start + 241 * MIN, [60.0]))
    assert (late["revised"], late["episodes"], late["withdrawn"]) == (1, 1, 0)
    kept, split = [e for e in stored_episodes(box) if e.rule == "treatment_idle"]
    assert (kept.id, kept.start, kept.end) == (whole.id, start, start + 241 * MIN)
    assert (split.start, split.end, split.split_from) == (
        start + 242 * MIN,
        start + 479 * MIN,
        whole.id,
    )
