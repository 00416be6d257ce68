"""QR codes (segno) that open a control point's current task on a phone.

The code holds the absolute URL ``<base>/selfcheck/points/<id>/current``; the base is the
address the sheet was requested under (a deployment behind a proxy serves the same host).
"""

from __future__ import annotations

import io

import segno


def point_url(base_url: str, point_id: int) -> str:
    return f"{base_url.rstrip('/')}/selfcheck/points/{point_id}/current"


def qr_svg(url: str, *, scale: int = 4) -> str:
    """An inline SVG of ``url`` (error correction M, no XML declaration)."""
    code = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, title=url)
    return buffer.getvalue().decode("utf-8")
