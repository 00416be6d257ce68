"""``ecoradar users``: accounts of the bureau's staff, enterprises and registered public."""

from __future__ import annotations

import sys
from datetime import datetime

import typer
from rich.markup import escape
from rich.table import Table

from ecoradar.auth import passwords, service
from ecoradar.auth.models import ROLES
from ecoradar.auth.service import UserRow
from ecoradar.cli.common import EXIT_REFUSED, container, err, out
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.supervision.models import SUPERVISOR_KINDS

app = typer.Typer(help="User accounts: create, list, disable.", no_args_is_help=True)


def read_password(
    username: str, *, from_stdin: bool, details: tuple[str | None, ...] = ()
) -> passwords.NewPassword:
    """The new password: one line of standard input, or asked twice (hidden); checked and
    hashed before any transaction is opened."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InputError("password: standard input held no password")
    else:
        try:
            password = typer.prompt(f"Password for {username}", hide_input=True, err=True)
            again = typer.prompt("Repeat the password", hide_input=True, err=True)
        except typer.Abort as exc:
            raise InputError("password: not given (no terminal to ask on?)") from exc
        if password != again:
            raise InputError("password: the two entries differ")
    return passwords.prepare(password, username=username, details=details)


def when(value: datetime | None) -> str:
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value is not None else "-"


def scope_text(row: UserRow) -> str:
    if row.region_code:
        return f"{row.region_code} {row.region_name or ''}".strip()
    if row.enterprise_code:
        return f"{row.enterprise_code} {row.enterprise_name or ''}".strip()
    return "all" if row.user.role == "admin" else "-"


@app.command("create")
def create(
    username: str = typer.Argument(..., help="3-64 characters; stored in lower case."),
    role: str = typer.Option(..., "--role", help=f"One of {', '.join(ROLES)}."),
    region: str | None = typer.Option(
        None,
        "--region",
        help="Region code: any level for an officer or a supervisor, a grid for a grid worker.",
    ),
    kind: str | None = typer.Option(
        None, "--kind", help=f"A supervisor's kind: {', '.join(SUPERVISOR_KINDS)}."
    ),
    organisation: str = typer.Option(
        "", "--organisation", help="A supervisor's body (e.g. a county people's congress)."
    ),
    enterprise: str | None = typer.Option(
        None, "--enterprise", help="Enterprise code (unified social credit code)."
    ),
    name: str = typer.Option("", "--name", help="Display name (default: the username)."),
    email: str | None = typer.Option(None, "--email", help="E-mail address."),
    phone: str | None = typer.Option(None, "--phone", help="Phone number."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (one line)."
    ),
) -> None:
    """Create a user. The password is asked for twice (hidden), or read from standard input;
    at least 10 characters, and not easy to guess (common passwords, words, repeats,
    sequences, keyboard patterns, dates, the username or name are refused)."""
    with container() as box:
        with box.reading() as session:  # everything but the password, before asking it
            checked = service.check_new_user(
                session=session,
                username=username,
                role=role,
                region=region,
                enterprise=enterprise,
                supervisor_kind=kind,
                organisation=organisation,
            )
        password = read_password(checked.username, from_stdin=password_stdin, details=(name, email))
        with box.transaction() as session:
            user = service.create_user(
                session=session,
                username=username,
                role=role,
                password=password,
                now=box.clock.now(),
                display_name=name,
                region=region,
                enterprise=enterprise,
                email=email,
                phone=phone,
                supervisor_kind=kind,
                organisation=organisation,
            )
            row = service.user_row(session=session, user=user)
    kind_text = f", {kind}" if user.role == "supervisor" else ""
    out.print(
        f"created user {escape(user.username)} ({user.role}{kind_text}, "
        f"scope {escape(scope_text(row))})"
    )


@app.command("list")
def list_(
    role: str | None = typer.Option(None, "--role", help="Only users of this role."),
    query: str = typer.Option("", "--query", "-q", help="Part of a username or display name."),
) -> None:
    """List users: username, name, role, scope (region or enterprise), active, last login."""
    with container() as box, box.transaction() as session:
        page = service.list_users(session=session, query=query, role=role, per_page=500)
    table = Table()
    for header in ("username", "name", "role", "scope", "active", "last login (UTC+8)"):
        table.add_column(header, overflow="fold")
    for row in page.items:
        user = row.user
        table.add_row(
            escape(user.username),
            escape(user.display_name),
            user.role,
            escape(scope_text(row)),
            "yes" if user.is_active else "no",
            when(user.last_login_at),
        )
    out.print(table)
    shown = len(page.items)
    out.print(f"{shown} user(s)" if shown == page.total else f"{shown} of {page.total} users")


@app.command("disable")
def disable(username: str = typer.Argument(..., help="The user to disable.")) -> None:
    """Disable a user: their sessions and tokens stop working at once."""
    with container() as box, box.transaction() as session:
        user = service.user_by_username(session=session, username=username)
        if not user.is_active:
            err.print(f"[red]error:[/] user {escape(user.username)} is already disabled")
            raise typer.Exit(EXIT_REFUSED)
        service.disable_user(session=session, user=user, now=box.clock.now())
    out.print(f"disabled user {escape(user.username)}; their sessions and tokens are revoked")


@app.command("enable")
def enable(username: str = typer.Argument(..., help="The user to enable again.")) -> None:
    """Let a disabled user log in again (old sessions and tokens stay revoked)."""
    with container() as box, box.transaction() as session:
        user = service.user_by_username(session=session, username=username)
        service.enable_user(session=session, user=user, now=box.clock.now())
    out.print(f"enabled user {escape(user.username)}")


@app.command("password")
def password(
    username: str = typer.Argument(..., help="Whose password to set."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (one line)."
    ),
) -> None:
    """Set a user's password; their open sessions end at once."""
    with container() as box:
        with box.reading() as session:
            user = service.user_by_username(session=session, username=username)
        new = read_password(
            user.username, from_stdin=password_stdin, details=service.details_of(user)
        )
        with box.transaction() as session:
            user = service.user_by_username(session=session, username=username)
            service.set_password(session=session, user=user, password=new, now=box.clock.now())
    out.print(f"password of {escape(user.username)} set; their sessions are ended")
