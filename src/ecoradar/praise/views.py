"""Praise over HTTP (thin): the monthly rankings of a region (JSON or CSV), praise notices
(issue, list, read, the certificate as PDF) and the praise figures for the statistics. Officers
and administrators, within their scope; a person reads their own notices. A region or notice
outside one's reach is 404; a refusal names the field (422)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.praise import figures, render, rules, service
from ecoradar.praise.schemas import NoticeIn, NoticeRead, RankingsRead, rankings_csv
from ecoradar.regions.models import Region
from ecoradar.reminders.config import config_for
from ecoradar.web.deps import ContainerDep, SessionDep, StaffDep, require_roles

router = APIRouter(prefix="/api/praise", tags=["praise"])
stats_router = APIRouter(prefix="/api/stats", tags=["statistics"])

OfficerDep = Annotated[Principal, Depends(require_roles(*service.OFFICER_ROLES))]
UserDep = Annotated[
    Principal, Depends(require_roles("admin", "officer", "grid_worker", "enterprise", "public"))
]
MonthQuery = Annotated[str, Query(max_length=7, description="YYYY-MM (default: last month)")]
Level = Literal["province", "city", "county", "township", "grid"]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}
}


def bureau_of(box: Any) -> tuple[str, str]:
    """The bureau's names (Chinese, English): those the service reminders are signed with."""
    config = config_for(box.settings)
    return config.bureau_name, config.bureau_name_en


def month_or_last(text: str, box: Any) -> rules.Month:
    return rules.parse_month(text) if text else rules.previous_month(box.clock.now())


def _code(session: Session, region_id: int) -> str | None:
    return session.scalar(select(Region.code).where(Region.id == region_id))


@router.get("/rankings", response_model=RankingsRead, responses=CSV)
def rankings(
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerDep,
    month: MonthQuery = "",
    region: Annotated[str, Query(max_length=32, description="Region code (default: yours)")] = "",
    format: Literal["json", "csv"] = "json",
) -> RankingsRead | Response:
    """The month's ranking of the grid workers of a region (and below) and of the reporters
    about its problems: patrols done, reports, problems found, found first, verified share,
    median hours to verify, score and rank."""
    table = service.rankings(
        session=session,
        principal=principal,
        month=month_or_last(month, box),
        region_code=region or None,
        secret=box.settings.secret_key,
    )
    if format == "csv":
        name = f"praise-{table.region.code}-{table.month}.csv"
        return Response(
            rankings_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return RankingsRead.of(table)


@router.post("/notices", status_code=201)
def issue(
    body: NoticeIn, session: SessionDep, box: ContainerDep, principal: OfficerDep
) -> NoticeRead:
    """Praise a person of a month's ranking: a numbered notice, with its certificate."""
    notice = service.issue_notice(
        session=session,
        principal=principal,
        month=rules.parse_month(body.month),
        region_code=body.region,
        person=body.person,
        reason=body.reason,
        secret=box.settings.secret_key,
        bureau=bureau_of(box),
        now=box.clock.now(),
    )
    return NoticeRead.of(notice, _code(session, notice.region_id))


@router.get("/notices")
def notices(session: SessionDep, principal: UserDep, month: MonthQuery = "") -> list[NoticeRead]:
    """The notices of your scope (an officer), or your own."""
    found = service.list_notices(
        session=session, principal=principal, month=rules.parse_month(month) if month else None
    )
    return [NoticeRead.of(n, _code(session, n.region_id)) for n in found]


@router.get("/notices/{number}")
def notice(number: str, session: SessionDep, principal: UserDep) -> NoticeRead:
    found = service.get_notice(session=session, principal=principal, number=number)
    return NoticeRead.of(found, _code(session, found.region_id))


@router.get(
    "/notices/{number}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def certificate(
    number: str,
    session: SessionDep,
    principal: UserDep,
    lang: Literal["zh_CN", "en"] = "zh_CN",
) -> Response:
    """The certificate (荣誉证书 / 表扬信) as a PDF."""
    found = service.get_notice(session=session, principal=principal, number=number)
    region = service.notice_region(session, found)
    data = render.pdf(found, region.name if region else "", lang)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{render.filename(found)}"'},
    )


@stats_router.get("/praise", responses=CSV)
def praise_figures(
    session: SessionDep,
    box: ContainerDep,
    principal: StaffDep,
    month_from: Annotated[str, Query(alias="from", max_length=7)] = "",
    month_to: Annotated[str, Query(alias="to", max_length=7)] = "",
    level: Level | None = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Per region and month, in your scope: patrols done, reports by grid workers and by the
    public, the share of verified problems a grid worker found first, median hours to verify,
    praise notices issued (``from``/``to``: YYYY-MM, default the last 6 months)."""
    last = rules.parse_month(month_to, "to") if month_to else rules.month_of(box.clock.now())
    first = rules.parse_month(month_from, "from") if month_from else rules.months_back(last, 5)
    table = figures.praise_figures(
        session=session, principal=principal, first=first, last=last, level=level
    )
    if format == "csv":
        return Response(
            figures.to_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="praise-stats.csv"'},
        )
    return figures.as_json(table)
