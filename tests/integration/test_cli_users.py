"""``ecoradar users`` and ``ecoradar tokens`` as an administrator runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecoradar.auth import passwords, sessions, tokens
from ecoradar.auth import service as accounts
from ecoradar.auth.models import ApiToken, User
from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.cli import tokens as tokens_cli
from ecoradar.cli import users as users_cli
from ecoradar.core.errors import AuthenticationRequired
from tests.factories import load_small_registry, uscc

runner = CliRunner()
PASSWORD = "a-long-password"


def ecoradar(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def city(container: Container, tmp_path: Path, cli_env: dict[str, str]) -> Container:
    load_small_registry(container, tmp_path)
    return container


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as wide as they need (standard output is no terminal: Rich would use 80)."""
    console = Console(width=240, highlight=False, soft_wrap=True)
    monkeypatch.setattr(users_cli, "out", console)
    monkeypatch.setattr(tokens_cli, "out", console)


def users_in(box: Container) -> int:
    with box.transaction() as session:
        return session.scalar(select(func.count(User.id))) or 0


def test_every_account_command_has_help() -> None:
    for args in (["users"], ["tokens"], ["users", "create"], ["tokens", "create"]):
        code, out, _ = ecoradar(*args, "--help")
        assert code == 0 and "Usage" in out, args


# --- users --------------------------------------------------------------------------------


def test_a_user_is_created_with_a_password_asked_twice(city: Container) -> None:
    code, out, err = ecoradar(
        "users", "create", "Wang.Li", "--role", "officer", "--region", "A", "--name", "王丽",
        "--email", "wl@example.cn", stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    assert code == 0, err
    assert "created user wang.li (officer, scope A 区域A)" in out
    assert PASSWORD not in out and PASSWORD not in err
    with city.transaction() as session:
        user = accounts.authenticate(
            session=session, username="wang.li", password=PASSWORD, ip="cli", now=city.clock.now()
        )
        assert (user.display_name, user.email) == ("王丽", "wl@example.cn")
        assert passwords.verify_password(user.password_hash, PASSWORD)


def test_a_user_is_created_with_the_password_from_standard_input(city: Container) -> None:
    code, out, _ = ecoradar(
        "users", "create", "grid1", "--role", "grid_worker", "--region", "G1",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0 and "created user grid1 (grid_worker, scope G1" in out


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "officer", "--region", "NOPE"], None, "region 'NOPE': no region"),
        (["--role", "grid_worker", "--region", "A"], None, "level grid, this one is a county"),
        (["--role", "enterprise", "--enterprise", "X1"], None, "enterprise 'X1': no enterprise"),
        (["--role", "enterprise"], None, "enterprise: required"),
        (["--role", "officer"], None, "region: required"),
        (["--role", "admin", "--region", "A"], None, "region: only officers"),
        (["--role", "chief"], None, "role 'chief'"),
        (["--role", "admin"], "short\nshort\n", "password: at least 10"),
        (["--role", "admin"], "newcomer01\nnewcomer01\n", "must not be the username"),
        (["--role", "admin"], f"{PASSWORD}\n{PASSWORD}x\n", "the two entries differ"),
        (["--role", "admin", "--password-stdin"], "aaaaaaaaaa\n", "repeats characters"),
        (["--role", "admin", "--password-stdin"], "password123\n", "most common passwords"),
        (
            ["--role", "admin", "--name", "Zhang Wei", "--password-stdin"],
            "ZhangWei2024!\n",
            "contains the username or the name",
        ),
        (["--role", "admin", "--password-stdin"], "Newcomer01-2025\n", "username or the name"),
        (["--role", "admin", "--password-stdin"], "\n", "held no password"),
    ],
)
def test_a_wrong_field_is_refused_naming_it_and_nothing_is_written(
    city: Container, args: list[str], stdin: str | None, message: str
) -> None:
    code, _, err = ecoradar("users", "create", "newcomer01", *args, stdin=stdin)
    assert code == 1
    assert message in err.replace("\n", " ")
    assert users_in(city) == 0


def test_a_taken_username_is_refused_before_the_password_is_asked(city: Container) -> None:
    ecoradar("users", "create", "alice", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    code, out, err = ecoradar("users", "create", "ALICE", "--role", "public")
    assert code == 1 and "already taken" in err and "Password" not in err
    assert users_in(city) == 1


def test_users_are_listed_with_their_scope_and_last_login(city: Container, wide: None) -> None:
    for args in (
        ["zoe", "--role", "admin", "--name", "Zoe"],
        ["company", "--role", "enterprise", "--enterprise", uscc(1)],
        ["grid1", "--role", "grid_worker", "--region", "G1"],
    ):
        assert ecoradar("users", "create", *args, "--password-stdin", stdin=PASSWORD)[0] == 0
    with city.transaction() as session:
        accounts.authenticate(
            session=session, username="zoe", password=PASSWORD, ip="x", now=city.clock.now()
        )
    code, out, _ = ecoradar("users", "list")
    assert code == 0
    lines = [line for line in out.splitlines() if "│" in line or "|" in line]
    table = "\n".join(lines)
    assert "company" in table and uscc(1) in table and "测试企业1有限公司" in table
    assert "G1 区域G1" in table and "all" in table
    zoe = next(line for line in lines if "zoe" in line)
    assert "2026-11-02 09:00" in zoe, "the last login, China time"
    assert "3 user(s)" in out
    only = ecoradar("users", "list", "--role", "admin")[1]
    assert "zoe" in only and "company" not in only


def test_disabling_a_user_ends_their_sessions_and_tokens(city: Container, wide: None) -> None:
    ecoradar("users", "create", "alice", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    with city.transaction() as session:
        user = accounts.user_by_username(session=session, username="alice")
        started = sessions.start_session(session=session, user=user, now=city.clock.now())
        issued = tokens.issue_personal_token(session=session, user=user, now=city.clock.now())
    code, out, _ = ecoradar("users", "disable", "alice")
    assert code == 0 and "disabled user alice" in out
    with city.transaction() as session:
        now = city.clock.now()
        assert sessions.session_principal(session=session, secret=started.secret, now=now) is None
        with pytest.raises(AuthenticationRequired):
            tokens.token_principal(session=session, secret=issued.secret, now=now)
    again = ecoradar("users", "disable", "alice")
    assert again[0] == 1 and "already disabled" in again[2]
    missing = ecoradar("users", "disable", "nobody")
    assert missing[0] == 1 and "no user named 'nobody'" in missing[2]
    assert "disabled" not in ecoradar("users", "list")[1] and " no " in ecoradar("users", "list")[1]


def test_a_new_password_is_set_and_ends_the_users_sessions(city: Container) -> None:
    ecoradar("users", "create", "alice", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    with city.transaction() as session:
        user = accounts.user_by_username(session=session, username="alice")
        started = sessions.start_session(session=session, user=user, now=city.clock.now())
    code, out, _ = ecoradar("users", "password", "alice", "--password-stdin", stdin="another-pw-42")
    assert code == 0 and "password of alice set" in out
    with city.transaction() as session:
        assert not sessions.session_principal(
            session=session, secret=started.secret, now=city.clock.now()
        )
        user = accounts.user_by_username(session=session, username="alice")
        assert passwords.verify_password(user.password_hash, "another-pw-42")


def test_a_new_password_easy_to_guess_is_refused_saying_why_and_the_old_one_stays(
    city: Container,
) -> None:
    ecoradar("users", "create", "alice", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    code, _, err = ecoradar("users", "password", "alice", "--password-stdin", stdin="qwertyuiop")
    assert code == 1 and "too easy to guess" in err
    with city.reading() as session:
        user = accounts.user_by_username(session=session, username="alice")
        assert passwords.verify_password(user.password_hash, PASSWORD)


# --- tokens -------------------------------------------------------------------------------


def test_a_token_secret_is_printed_once_alone_on_standard_output(
    city: Container, wide: None
) -> None:
    code, out, err = ecoradar(
        "tokens", "create", "--name", "drone-east", "--scope", "drones", "--scope", "devices",
        "--region", "B", "--expires-days", "30",
    )  # fmt: skip
    assert code == 0, err
    secret = out.strip()
    assert "\n" not in secret and len(secret) >= 43
    assert "created token" in err and "drone-east" in err and "devices, drones" in err
    with city.transaction() as session:
        principal = tokens.token_principal(session=session, secret=secret, now=city.clock.now())
        assert principal.has_scope("drones") and principal.has_scope("devices")
        stored = session.scalar(select(ApiToken))
        assert (
            stored is not None and stored.token_hash != secret and secret not in str(stored.scopes)
        )
    listed = ecoradar("tokens", "list")[1]
    assert "drone-east" in listed and secret[:8] in listed and secret not in listed
    assert "active until" in listed, "the command runs on the real clock: no date checked"


def test_a_personal_token_names_its_user(city: Container) -> None:
    ecoradar("users", "create", "alice", "--role", "officer", "--region", "A",
             "--password-stdin", stdin=PASSWORD)  # fmt: skip
    code, out, _ = ecoradar("tokens", "create", "--name", "alice-phone", "--scope", "api",
                            "--user", "alice")  # fmt: skip
    assert code == 0
    with city.transaction() as session:
        principal = tokens.token_principal(
            session=session, secret=out.strip(), now=city.clock.now()
        )
    assert (principal.username, principal.role) == ("alice", "officer")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "t", "--scope", "rockets"], "scope rockets: unknown"),
        (["--name", "t", "--scope", "api"], "needs a user"),
        (["--name", "t", "--scope", "api", "--user", "ghost"], "user 'ghost'"),
        (["--name", "t", "--scope", "drones", "--region", "Z"], "region 'Z'"),
        (["--name", "12", "--scope", "drones"], "not only digits"),
        (["--name", "t", "--scope", "drones", "--expires-days", "0"], "expires_days"),
        (["--name", "taken", "--scope", "drones"], "a token of this name exists"),
    ],
)
def test_a_wrong_token_is_refused_naming_the_field_and_nothing_is_written(
    city: Container, args: list[str], message: str
) -> None:
    assert ecoradar("tokens", "create", "--name", "taken", "--scope", "open311")[0] == 0
    code, out, err = ecoradar("tokens", "create", *args)
    assert code == 1 and message in err and out == ""
    with city.transaction() as session:
        assert session.scalar(select(func.count(ApiToken.id))) == 1


def test_a_token_is_revoked_by_name_or_id(city: Container, wide: None) -> None:
    first = ecoradar("tokens", "create", "--name", "dept-water", "--scope", "departments")[1]
    second = ecoradar("tokens", "create", "--name", "open311", "--scope", "open311")[1]
    code, out, _ = ecoradar("tokens", "revoke", "dept-water")
    assert code == 0 and "revoked token 1 dept-water" in out
    assert ecoradar("tokens", "revoke", "2")[1].startswith("revoked token 2 open311")
    assert "already revoked" in ecoradar("tokens", "revoke", "2")[1]
    missing = ecoradar("tokens", "revoke", "nothing")
    assert missing[0] == 1 and "no token with id or name 'nothing'" in missing[2]
    with city.transaction() as session:
        for secret in (first.strip(), second.strip()):
            with pytest.raises(AuthenticationRequired):
                tokens.token_principal(session=session, secret=secret, now=city.clock.now())
    assert ecoradar("tokens", "list")[1].count("revoked 20") == 2
