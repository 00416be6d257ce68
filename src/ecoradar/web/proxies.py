"""Which reverse proxies may say who the client is (``ECORADAR_TRUSTED_PROXIES``).

Behind a reverse proxy every request comes from the proxy's address; the proxy names the
client in ``X-Forwarded-For`` (and the scheme in ``X-Forwarded-Proto``). Anybody can send those
headers, so they are believed only from the proxies listed: addresses or networks
(``10.0.0.5, 10.1.0.0/16, ::1``), comma-separated. By default none is listed and the headers
are ignored: the client is the address the connection came from. The login rate limit, the
public channels' rate limits and the audit log all use that address.
"""

from __future__ import annotations

import ipaddress
from typing import Any


def parse_trusted_proxies(text: str) -> tuple[str, ...]:
    """The addresses and networks of ``text`` (comma-separated), normalised; ``ValueError``
    naming an entry that is neither."""
    found: list[str] = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        if entry == "*":
            raise ValueError(
                "'*' would let every client name any address: list the proxies' addresses "
                "(or a network such as 10.0.0.0/8)"
            )
        try:
            value = (
                str(ipaddress.ip_network(entry, strict=False))
                if "/" in entry
                else str(ipaddress.ip_address(entry))
            )
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
        if value not in found:
            found.append(value)
    return tuple(found)


def uvicorn_options(trusted_proxies: str) -> dict[str, Any]:
    """``uvicorn.Config`` keywords for these proxies: with none, no proxy headers at all
    (uvicorn would otherwise believe them from 127.0.0.1)."""
    proxies = parse_trusted_proxies(trusted_proxies)
    if not proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": []}
    return {"proxy_headers": True, "forwarded_allow_ips": list(proxies)}
