"""``ecoradar open311``: API keys of Open311 GeoReport v2 clients.

An Open311 API key is an integration token with the scope ``open311`` (``ecoradar.auth.tokens``):
only its sha256 is stored, it can be limited to a region, listed and revoked like any token. Each
key has its own limit of clues an hour and a limit for one relayed reporter within it
(``ecoradar.clues.open311_keys``), set when it is made and changed by ``keys limit``.
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
from ecoradar.clues import open311_keys
from ecoradar.core.errors import InputError

SCOPE = "open311"
LIMITS = "clues/h (each)"

app = typer.Typer(help="Open311 GeoReport v2 at /open311/v2/.", no_args_is_help=True)
keys = typer.Typer(
    help="API keys of Open311 clients: create, list, change limits, revoke.", no_args_is_help=True
)
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
    limit: int | None = typer.Option(
        None,
        "--limit",
        help=f"Clues an hour this key may send (default {open311_keys.DEFAULT_KEY_LIMIT}, or "
        "the anonymous limit if that is higher).",
    ),
    reporter_limit: int | None = typer.Option(
        None,
        "--reporter-limit",
        help="Clues an hour of one relayed reporter, known by email, device_id or account_id "
        "(default: the anonymous limit, ECORADAR_CLUE_RATE_LIMIT_PER_HOUR).",
    ),
) -> None:
    """Create an API key and print it alone on standard output, once (the details go to
    standard error). The client sends it as the api_key field of POST requests."""
    with container() as box, box.transaction() as session:
        now = box.clock.now()
        anonymous = box.settings.clue_rate_limit_per_hour
        issued = tokens.create_token(
            session=session,
            name=name,
            scopes=[SCOPE],
            now=now,
            region=region,
            expires_days=expires_days,
        )
        token = issued.token
        limits = open311_keys.set_limits(  # wrong limits: no key (one transaction)
            session=session,
            token=token,
            clues_per_hour=limit,
            per_reporter_per_hour=reporter_limit,
            anonymous_limit=anonymous,
            now=now,
        )
    err.print(
        f"created Open311 API key {token.id} {escape(token.name)} "
        f"({_limits_text(limits)}); the key below is shown this once"
    )
    sys.stdout.write(issued.secret + "\n")


@keys.command("list")
def list_() -> None:
    """List the Open311 API keys (never the keys themselves): id, name, prefix, region, clues
    an hour of the key and, in brackets, of one relayed reporter (``*``: no limit of its own,
    the anonymous limit), state."""
    with container() as box, box.transaction() as session:
        rows = [
            row for row in tokens.list_tokens(session=session) if SCOPE in token_scopes(row.token)
        ]
        own = open311_keys.own_limits(session=session)
        now = box.clock.now()
        anonymous = box.settings.clue_rate_limit_per_hour
    table = Table()
    for header in ("id", "name", "prefix", "region", LIMITS, "created", "last used", "state"):
        table.add_column(header, overflow="fold", no_wrap=header in ("name", LIMITS))
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
        limits = own.get(token.id)
        table.add_row(
            str(token.id),
            escape(token.name),
            escape(token.prefix),
            escape(row.region_code or "-"),
            (
                f"{limits.clues_per_hour} ({limits.per_reporter_per_hour})"
                if limits
                else f"{anonymous} ({anonymous})*"
            ),
            when(token.created_at),
            when(token.last_used_at),
            state,
        )
    out.print(table)
    out.print(f"{len(rows)} Open311 key(s)")
    if rows:
        out.print(f"{LIMITS}: clues an hour of the key (of one relayed reporter within it)")
    if any(row.token.id not in own for row in rows):
        out.print(f"* no limit of its own: the anonymous limit of {anonymous} clues an hour")


@keys.command("limit")
def limit_(
    ref: str = typer.Argument(..., metavar="NAME_OR_ID", help="The key's name or id."),
    limit: int | None = typer.Option(None, "--limit", help="Clues an hour this key may send."),
    reporter_limit: int | None = typer.Option(
        None, "--reporter-limit", help="Clues an hour of one relayed reporter within the key."
    ),
) -> None:
    """Change an Open311 API key's limits (from its next request on); the other one is kept
    (a reporter limit above a lowered key limit comes down to it)."""
    with container() as box, box.transaction() as session:
        if limit is None and reporter_limit is None:
            raise InputError("give --limit, --reporter-limit or both")
        token = tokens.token_by_ref(session=session, ref=ref)
        if SCOPE not in token_scopes(token):
            raise InputError(
                f"{ref}: token {token.id} {token.name!r} is not an Open311 key "
                "(limits are for Open311 keys only)"
            )
        limits = open311_keys.set_limits(
            session=session,
            token=token,
            clues_per_hour=limit,
            per_reporter_per_hour=reporter_limit,
            anonymous_limit=box.settings.clue_rate_limit_per_hour,
            now=box.clock.now(),
        )
    out.print(f"Open311 key {token.id} {escape(token.name)}: {_limits_text(limits)}")


def _limits_text(limits: open311_keys.Limits) -> str:
    return (
        f"{limits.clues_per_hour} clues an hour, "
        f"{limits.per_reporter_per_hour} per relayed reporter"
    )


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
