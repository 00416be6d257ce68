"""The green code's public page and its QR code (part of ``pages_greencode``'s router).

``GET /public/greencode/{code}`` needs no login: the enterprise's colour, since when, when it
was assessed, and the public-safe reasons (``greencode.service.public_view``: no ids, no
problem titles, no reporter data, no names of people). The score and the indicators' scores
are left out too: they are the bureau's working figures, and the national credit method
publishes the rating, not the points. The enterprise code (the unified social credit code) is
public information, so the address is the code itself. An unknown code counts against the
tracking rate limit per address (``clues.ratelimit``, kind ``tracking``), as the tracking
pages' unknown codes do; past the limit the page answers 429 with ``Retry-After``.
"""

from __future__ import annotations

import io
import re

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ecoradar.bootstrap import Container
from ecoradar.clues import ratelimit
from ecoradar.clues.ratelimit import RateLimited
from ecoradar.greencode import service
from ecoradar.web import greencode_view as view
from ecoradar.web import public_deps as public
from ecoradar.web.deps import ContainerDep
from ecoradar.web.public_deps import VisitorDep
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)

CODE = re.compile(r"^[0-9A-Za-z]{1,18}$")
"""What an enterprise code in an address may look like."""


def base_url(request: Request, box: Container) -> str:
    """The site's public address (``ECORADAR_PUBLIC_URL``), else the one asked for."""
    return box.settings.public_url or str(request.base_url)


def public_url(base: str, enterprise_code: str) -> str:
    """The address the QR code holds: the public page on the site's public address."""
    return f"{base.rstrip('/')}/public/greencode/{enterprise_code}"


def qr_file(url: str, enterprise_code: str, kind: str) -> Response:
    """The QR code of ``url`` as a file to print (``svg`` or ``png``)."""
    made = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    made.save(buffer, kind=kind, scale=10, border=4)
    return Response(
        buffer.getvalue(),
        media_type="image/svg+xml" if kind == "svg" else "image/png",
        headers={"Content-Disposition": f'inline; filename="greencode-{enterprise_code}.{kind}"'},
    )


@router.get("/public/greencode/{code}")
def public_page(request: Request, box: ContainerDep, principal: VisitorDep, code: str) -> Response:
    """Anyone: the colour, its dates and the public-safe reasons; nothing internal."""
    _ip, client = public.client_of(request)
    now = box.clock.now()
    try:
        with box.reading() as session:
            ratelimit.check_tracking(
                session=session,
                client=client,
                limit=box.settings.clue_tracking_rate_limit_per_hour,
                now=now,
            )
            found = (
                service.public_view(session=session, enterprise_code=code)
                if CODE.match(code)
                else None
            )
    except RateLimited as exc:
        return render(
            request,
            "greencode/public_limited.html",
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    if found is None:
        public.count_refusal(box, client, now, ratelimit.TRACKING)
        return render(request, "greencode/public_404.html", status_code=404, code=code[:40])
    return render(
        request,
        "greencode/public.html",
        headers={"Cache-Control": "no-cache"},
        found=found,
        reasons=view.public_facts(found.reason_facts),
    )
