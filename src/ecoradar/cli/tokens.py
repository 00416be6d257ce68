"""``ecoradar tokens``: API tokens for integrations (devices, drones, departments, Open311) and
personal tokens of users."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from rich.table import Table

from ecoradar.auth import tokens
from ecoradar.auth.models import SCOPES
from ecoradar.cli.common import container, err, out
from ecoradar.cli.users import when

app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)


@app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="A unique name, e.g. drone-east."),
    scope: list[str] = typer.Option(
        ..., "--scope", help=f"Repeat for several: {', '.join(SCOPES)} (api: acts as --user)."
    ),
    region: str | None = typer.Option(
        None, "--region", help="Region code: limit an integration token to this region."
    ),
    user: str | None = typer.Option(None, "--user", help="Username: a personal token."),
    expires_days: int | None = typer.Option(
        None, "--expires-days", help="Expire after this many days (default: never)."
    ),
) -> None:
    """Create a token and print its secret, once, alone on standard output (the details go
    to standard error), so a script can capture it."""
    with container() as box, box.transaction() as session:
        issued = tokens.create_token(
            session=session,
            name=name,
            scopes=scope,
            now=box.clock.now(),
            username=user,
            region=region,
            expires_days=expires_days,
        )
        token = issued.token
    err.print(
        f"created token {token.id} {escape(token.name)} ({', '.join(token.scopes)}); "
        "the secret below is shown this once"
    )
    sys.stdout.write(issued.secret + "\n")


@app.command("list")
def list_() -> None:
    """List tokens (never their secrets): id, name, prefix, scopes, user, region, state."""
    with container() as box, box.transaction() as session:
        rows = tokens.list_tokens(session=session)
        now = box.clock.now()
    table = Table()
    headers = ("id", "name", "prefix", "scopes", "user", "region", "created", "last used", "state")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        token = row.token
        if token.revoked_at is not None:
            state = "revoked " + when(token.revoked_at)
        elif token.expires_at is not None and token.expires_at <= now:
            state = "expired " + when(token.expires_at)
        elif token.expires_at is not None:
            state = "active until " + when(token.expires_at)
        else:
            state = "active"
        table.add_row(
            str(token.id),
            escape(token.name),
            escape(token.prefix),
            ", ".join(token.scopes),
            escape(row.username or "-"),
            escape(row.region_code or "-"),
            when(token.created_at),
            when(token.last_used_at),
            state,
        )
    out.print(table)
    out.print(f"{len(rows)} token(s)")


@app.command("revoke")
def revoke(
    ref: str = typer.Argument(..., metavar="NAME_OR_ID", help="The token's name or id."),
) -> None:
    """Revoke a token: it stops working at once."""
    with container() as box, box.transaction() as session:
        token = tokens.token_by_ref(session=session, ref=ref)
        already = token.revoked_at is not None
        tokens.revoke_token(session=session, token=token, now=box.clock.now())
    if already:
        out.print(f"token {token.id} {escape(token.name)} was already revoked")
    else:
        out.print(f"revoked token {token.id} {escape(token.name)}")
