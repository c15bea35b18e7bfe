"""Local mode's guard against DNS rebinding: authentication is off there, and a web page the developer opens could
point a name it controls at 127.0.0.1 and have the browser post to the bot. The browser still sends that name as
`Host`, so every request must name the loopback interface itself: localhost or a loopback IP, any port."""

from __future__ import annotations

import ipaddress
import logging
import re

from aiohttp import web
from aiohttp.typedefs import Handler

logger = logging.getLogger(__name__)
# host[:port], where host is a name or a bracketed IPv6 literal; nothing else (no userinfo, no trailing dot).
_HOST_HEADER = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^\[\]:]+)(?::(?P<port>[0-9]{1,5}))?")


def is_loopback_host(header: str) -> bool:
    """Whether a `Host` header names this machine's loopback interface: localhost, 127.x.x.x or [::1]."""
    match = _HOST_HEADER.fullmatch(header)
    if match is None:
        return False
    host = match["host"]
    if host.lower() == "localhost":
        return True
    literal = host[1:-1] if host.startswith("[") else host
    if host.startswith("[") == (":" not in literal):  # IPv6 in brackets, IPv4 without
        return False
    try:
        return ipaddress.ip_address(literal).is_loopback
    except ValueError:
        return False


@web.middleware
async def loopback_host_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse, on every route, a request whose Host is not loopback (local mode only)."""
    host = request.headers.get("Host", "")
    if not is_loopback_host(host):
        logger.warning("refused a request for Host %r: local mode answers loopback names only", host)
        return web.Response(status=403, text="local mode answers requests for Host localhost, 127.0.0.1 or [::1] only")
    return await handler(request)
