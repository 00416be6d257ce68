"""``ecoradar rewards``: the reward rules (tiers by outcome, fine brackets, upper bound)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from ecoradar.cli.common import container, out
from ecoradar.rewards.rules import RuleSet, rules_document
from ecoradar.rewards.ruleset import current_rules, import_rules, read_rules_file

ACTOR = "cli:ecoradar"

app = typer.Typer(help="Rewards for reporters.", no_args_is_help=True)
rules_app = typer.Typer(
    help="Reward rules (versioned; the newest is in force).", no_args_is_help=True
)
app.add_typer(rules_app, name="rules")


class ListFormat(StrEnum):
    text = "text"
    json = "json"


def _tier_text(tier: dict[str, str]) -> str:
    pays = f"{tier['fixed']} yuan" if "fixed" in tier else f"{tier['percent']} % of the fine"
    bracket = ""
    if tier["outcome"] == "fine":
        below = tier.get("fine_below")
        bracket = f" [{tier['fine_from']}, {below})" if below else f" [{tier['fine_from']}, -)"
    return f"  {tier['code']}: {tier['outcome']}{bracket} -> {pays}"


def _describe(rules: RuleSet) -> list[str]:
    document = rules_document(rules)
    name = "built-in defaults" if rules.version == 0 else f"version {rules.version}"
    return [
        f"reward rules in force: {name}",
        f"  upper bound per reward: {document['max_amount']} yuan",
        f"  a description without an enterprise needs {rules.min_description_chars} characters",
        *(_tier_text(t) for t in document["tiers"]),
    ]


@rules_app.command("import")
def rules_import(
    file: Path = typer.Argument(
        ..., help='JSON: {"max_amount", "min_description_chars", "tiers": [...]}.'
    ),
) -> None:
    """Put new reward rules in force (a new version; rewards proposed earlier keep their
    amounts). The whole file is checked first: a bad field is named and nothing changes."""
    with container() as box:
        rules = read_rules_file(file)
        with box.transaction() as session:
            stored = import_rules(
                session=session, rules=rules, now=box.clock.now(), actor=ACTOR, source=file.name
            )
    out.print(
        f"reward rules version {stored.version} in force: {len(stored.tiers)} tiers, "
        f"at most {stored.max_amount} yuan per reward"
    )


@rules_app.command("list")
def rules_list(
    format: ListFormat = typer.Option(ListFormat.text, "--format", help="text or json."),
) -> None:
    """The reward rules in force (``--format json`` prints them in the import file's form)."""
    with container() as box, box.transaction() as session:
        rules = current_rules(session=session)
    if format is ListFormat.json:
        document = {"version": rules.version, **rules_document(rules)}
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
        return
    for line in _describe(rules):
        out.print(line)
