"""``ecoradar audit verify`` and ``ecoradar audit list``, as an operator runs them."""

from __future__ import annotations

import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

from ecoradar.audit.chain import GENESIS
from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.cli import audit as cli_audit
from tests.integration.audit_support import add_entries, drop_triggers, remove, tamper

runner = CliRunner()


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def fill(container: Container, count: int) -> list[str]:
    """``count`` committed entries; their hashes."""
    with container.transaction() as session:
        return [e.hash for e in add_entries(session, count)]


@pytest.mark.parametrize("command", [["audit"], ["audit", "verify"], ["audit", "list"]])
def test_the_audit_commands_have_help(command: list[str]) -> None:
    code, out, _ = ecoradar(*command, "--help")
    assert code == 0
    assert "Usage" in out


def test_verify_reports_an_empty_log_as_sound(cli_env: dict[str, str]) -> None:
    code, out, _ = ecoradar("audit", "verify")
    assert (code, out) == (0, f"audit log OK: 0 entries, head {GENESIS}\n")


def test_verify_reports_the_count_and_the_head(
    cli_env: dict[str, str], container: Container
) -> None:
    hashes = fill(container, 3)
    code, out, _ = ecoradar("audit", "verify", "--batch", "2")
    assert (code, out) == (0, f"audit log OK: 3 entries, head {hashes[-1]}\n")


def test_verify_names_the_first_bad_entry_and_exits_1(
    cli_env: dict[str, str], container: Container
) -> None:
    hashes = fill(container, 4)
    with container.engine.begin() as conn:
        drop_triggers(conn)
        tamper(conn, 2, after={"state": "rejected"})
        tamper(conn, 3, reason="also changed")
    code, out, err = ecoradar("audit", "verify")
    assert code == 1
    assert out == ""
    assert (
        "audit log BROKEN at entry 2 (problem.accept on problem:2 at "
        "2026-11-29T10:32:00.123456+08:00): hash does not match its content"
    ) in err
    assert f"1 entries before it are sound; their head is {hashes[0]}" in err


def test_verify_checks_that_a_noted_head_is_still_in_the_chain(
    cli_env: dict[str, str], container: Container
) -> None:
    hashes = fill(container, 3)
    code, out, _ = ecoradar("audit", "verify", "--expect-head", hashes[1].upper())
    assert code == 0
    assert "expected head found at entry 2" in out
    with container.engine.begin() as conn:
        drop_triggers(conn)
        remove(conn, 3)
        remove(conn, 2)
    code, out, err = ecoradar("audit", "verify", "--expect-head", hashes[1])
    assert code == 1
    assert f"the expected head {hashes[1]} is not in the chain" in err


def test_verify_refuses_an_expected_head_that_is_not_a_hash(cli_env: dict[str, str]) -> None:
    code, _, err = ecoradar("audit", "verify", "--expect-head", "abc")
    assert code == 2
    assert "64 hexadecimal digits" in err


def test_list_shows_the_newest_entries_first_as_a_table(
    cli_env: dict[str, str], container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_audit, "out", Console(width=200, highlight=False))
    fill(container, 3)
    code, out, _ = ecoradar("audit", "list", "--limit", "2")
    assert code == 0
    assert out.index("problem:3") < out.index("problem:2")
    assert "problem:1" not in out
    assert "user:7:alice" in out
    assert "problem.accept" in out
    assert '{"state": "new"} -> {"state": "accepted"}' in out
    assert "2 of 3 matching entries" in out


def test_list_writes_jsonl_for_one_record_with_china_times_and_hashes(
    cli_env: dict[str, str], container: Container
) -> None:
    hashes = fill(container, 3)
    with container.transaction() as session:
        add_entries(session, 1, actor="system:scheduler", action="problem.escalate")
    code, out, _ = ecoradar("audit", "list", "--entity", "problem:1", "--format", "jsonl")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["action"], r["actor"]) for r in rows] == [
        (4, "problem.escalate", "system:scheduler"),
        (1, "problem.accept", "user:7:alice"),
    ]
    assert rows[1]["at"] == "2026-11-29T10:31:00.123456+08:00"
    assert rows[1]["hash"] == hashes[0]
    assert rows[1]["before"] == {"state": "new"}


def test_list_filters_by_actor_and_since(cli_env: dict[str, str], container: Container) -> None:
    fill(container, 3)
    with container.transaction() as session:
        add_entries(session, 1, actor="token:3:drone-east")
    code, out, _ = ecoradar("audit", "list", "--actor", "token:3:drone-east", "--format", "jsonl")
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == [4]
    code, out, _ = ecoradar(
        "audit", "list", "--since", "2026-11-29T10:32:00.5", "--format", "jsonl"
    )
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == [3]


def test_list_refuses_an_entity_that_is_not_type_and_id(cli_env: dict[str, str]) -> None:
    code, _, err = ecoradar("audit", "list", "--entity", "problem:")
    assert code == 1
    assert "--entity 'problem:' is not TYPE:ID or TYPE" in err
