"""``ecoradar open311``: API keys of Open311 GeoReport v2 clients.

An Open311 API key is an integration token with the scope ``open311`` (``ecoradar.auth.tokens``):
only its sha256 is stored, it can be limited to a region, listed and revoked like any token.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from rich.table import Table

from ecoradar.auth import tokens
from ecoradar.auth.models import token_scopes
from ecoradar.cli.common import container, err, out
from ecoradar.cli.users import when
from ecoradar.core.errors import InputError

SCOPE = "open311"

app = typer.Typer(help="Open311 GeoReport v2 at /open311/v2/.", no_args_is_help=True)
keys = typer.Typer(help="API keys of Open311 clients: create, list, revoke.", no_args_is_help=True)
app.add_typer(keys, name="keys")


@keys.command("create")
def create(
    name: str = typer.Option(..., "--name", help="A unique name for the client, e.g. city-app."),
    region: str | None = typer.Option(
        None, "--region", help="Region code: the client may report only inside this region."
    ),
    expires_days: int | None = typer.Option(
        None, "--expires-days", help="Expire after this many days (default: never)."
    ),
) -> None:
    """Create an API key and print it alone on standard output, once (the details go to
    standard error). The client sends it as the api_key field of POST requests."""
    with container() as box, box.transaction() as session:
        issued = tokens.create_token(
            session=session,
            name=name,
            scopes=[SCOPE],
            now=box.clock.now(),
            region=region,
            expires_days=expires_days,
        )
        token = issued.token
    err.print(
        f"created Open311 API key {token.id} {escape(token.name)}; the key below is shown this once"
    )
    sys.stdout.write(issued.secret + "\n")


@keys.command("list")
def list_() -> None:
    """List the Open311 API keys (never the keys themselves): id, name, prefix, region, state."""
    with container() as box, box.transaction() as session:
        rows = [
            row for row in tokens.list_tokens(session=session) if SCOPE in token_scopes(row.token)
        ]
        now = box.clock.now()
    table = Table()
    for header in ("id", "name", "prefix", "region", "created", "last used", "state"):
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
            escape(row.region_code or "-"),
            when(token.created_at),
            when(token.last_used_at),
            state,
        )
    out.print(table)
    out.print(f"{len(rows)} Open311 key(s)")


@keys.command("revoke")
def revoke(
    ref: str = typer.Argument(..., metavar="NAME_OR_ID", help="The key's name or id."),
) -> None:
    """Revoke an Open311 API key: its client is refused (403) from the next request on."""
    with container() as box, box.transaction() as session:
        token = tokens.token_by_ref(session=session, ref=ref)
        if SCOPE not in token_scopes(token):
            raise InputError(
                f"{ref}: token {token.id} {token.name!r} is not an Open311 key "
                "(use `ecoradar tokens revoke` for other tokens)"
            )
        already = token.revoked_at is not None
        tokens.revoke_token(session=session, token=token, now=box.clock.now())
    if already:
        out.print(f"Open311 key {token.id} {escape(token.name)} was already revoked")
    else:
        out.print(f"revoked Open311 key {token.id} {escape(token.name)}")
