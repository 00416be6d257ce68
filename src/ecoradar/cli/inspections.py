"""``ecoradar inspections``: make a risk-based inspection draw, list the draws."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ecoradar.cli.common import container, out
from ecoradar.core.clock import CHINA_TZ
from ecoradar.greencode.service import model_for
from ecoradar.inspections import service
from ecoradar.inspections.draw import ALGORITHM, DEFAULT_INSPECTORS
from ecoradar.inspections.models import Draw

app = typer.Typer(
    help='Risk-based inspection draws ("double random, one public").', no_args_is_help=True
)


def _plan_json(plan: service.Plan, draw_id: int | None) -> dict[str, Any]:
    names = plan.by_code
    return {
        "draw": draw_id,
        "stored": draw_id is not None,
        "period": plan.period.label,
        "period_start": plan.period.start.isoformat(),
        "period_end": plan.period.end.isoformat(),
        "region": plan.region.code,
        "seed": plan.seed,
        "algorithm": ALGORITHM,
        "rates": plan.rates,
        "uncoded_colour": plan.uncoded_colour,
        "inspectors_per_inspection": plan.inspectors_per_inspection,
        "model_version": plan.model_version,
        "candidates": len(plan.candidates),
        "candidates_by_colour": plan.counts,
        "expected_by_colour": {c: round(v, 2) for c, v in plan.expected.items()},
        "drawn": [
            {
                "enterprise_code": d.code,
                "enterprise_name": names[d.code].name,
                "colour": d.colour,
                "coded": d.coded,
                "rate": d.rate,
                "staffed": d.staffed,
                "inspectors": list(d.inspectors),
            }
            for d in plan.drawn
        ],
        "unstaffed": sum(1 for d in plan.drawn if not d.staffed),
    }


def _print_plan(plan: service.Plan, draw_id: int | None) -> None:
    head = f"draw {draw_id}" if draw_id is not None else "dry run (not stored)"
    out.print(
        f"{head}: period {plan.period.label} ({plan.period.start} .. {plan.period.end}), "
        f"region {escape(plan.region.code)} {escape(plan.region.name)}"
    )
    out.print(f"seed {plan.seed}  algorithm {ALGORITHM}  model {plan.model_version}")
    rates = ", ".join(f"{c} {r:g}" for c, r in plan.rates.items())
    out.print(f"rates: {rates}; without a code: {plan.uncoded_colour}")
    counts = ", ".join(
        f"{c} {plan.counts.get(c, 0)} (expected {plan.expected.get(c, 0.0):.1f})"
        for c in plan.rates
    )
    out.print(f"candidates {len(plan.candidates)}: {counts}")
    table = Table("enterprise", "name", "colour", "inspectors")
    names = plan.by_code
    for d in plan.drawn:
        colour = d.colour if d.coded else f"{d.colour} (no code)"
        who = ", ".join(d.inspectors) if d.staffed else "UNSTAFFED: too few eligible"
        table.add_row(d.code, escape(names[d.code].name), colour, escape(who))
    out.print(table)
    unstaffed = sum(1 for d in plan.drawn if not d.staffed)
    out.print(f"drawn {len(plan.drawn)}, unstaffed {unstaffed}")


@app.command("draw")
def draw(
    period: Annotated[
        str,
        typer.Option(
            "--period", help="2026-12, 2026-Q4, 2026 or 2026-12-01..2026-12-15 (China dates)."
        ),
    ],
    region: Annotated[
        str | None,
        typer.Option("--region", help="Region code (and below); default: the only top region."),
    ] = None,
    seed: Annotated[
        str | None,
        typer.Option("--seed", help="The seed to publish; default: 128 random bits (hex)."),
    ] = None,
    inspectors_per_inspection: Annotated[
        int, typer.Option("--inspectors-per-inspection", help="Inspectors drawn for each.")
    ] = DEFAULT_INSPECTORS,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the draw without storing it.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Draw the enterprises to inspect in a period (each with the probability of its green-code
    colour; red always) and their inspectors (eligible officers, no declared conflicts), print
    the draw and store it (unless --dry-run). Refused when another draw covers the region in an
    overlapping period."""
    with container() as box:
        model = model_for(box.settings)
        arguments: dict[str, Any] = {
            "principal": None,
            "period": period,
            "region_code": region,
            "model": model,
            "seed": seed,
            "inspectors_per_inspection": inspectors_per_inspection,
        }
        draw_id: int | None = None
        if dry_run:
            with box.reading() as session:
                plan = service.plan_draw(session=session, **arguments)
                result = _plan_json(plan, None)
                if not as_json:
                    _print_plan(plan, None)
        else:
            with box.transaction() as session:
                plan = service.plan_draw(session=session, **arguments)
                row = service.store_plan(
                    session=session, principal=None, plan=plan, now=box.clock.now()
                )
                draw_id = row.id
                result = _plan_json(plan, draw_id)
                if not as_json:
                    _print_plan(plan, draw_id)
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


def _draw_json(row: Draw) -> dict[str, Any]:
    states = [i.state for i in row.inspections]
    return {
        "draw": row.id,
        "period": row.period,
        "region": row.region.code,
        "seed": row.seed,
        "algorithm": row.algorithm,
        "candidates": len(row.candidates),
        "drawn": len(states),
        "done": states.count("done"),
        "assigned": states.count("assigned"),
        "unstaffed": states.count("unstaffed"),
        "created_at": row.created_at.astimezone(CHINA_TZ).isoformat(),
        "created_by": row.created_by,
    }


@app.command("list")
def list_draws(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """The draws, newest first: period, region, seed, how many drawn, done, unstaffed."""
    with container() as box, box.reading() as session:
        rows = [
            _draw_json(r) for r in service.list_draws(session=session, principal=None, limit=limit)
        ]
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    table = Table("draw", "period", "region", "seed", "drawn", "done", "unstaffed", "created")
    for row in rows:
        table.add_row(
            str(row["draw"]),
            row["period"],
            row["region"],
            row["seed"],
            str(row["drawn"]),
            str(row["done"]),
            str(row["unstaffed"]),
            row["created_at"],
        )
    out.print(table)
