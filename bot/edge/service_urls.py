"""Which connector URLs the bot may talk to. The SDK attaches the bot's token to any serviceUrl it is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from desk.settings_service_urls import DEFAULT_PORTS, AllowedUrl, parse_entry


class ServiceUrlRefused(Exception):
    """An activity or stored reference names a serviceUrl outside the allowlist."""


@dataclass(frozen=True)
class ServiceUrlPolicy:
    """Allowlist of exact hosts (https, default port) and URL prefixes (same scheme, host and port; the path at or
    below the prefix's path, so "https://host" never allows "https://host.attacker.example")."""

    entries: tuple[str, ...]
    _allowed: tuple[AllowedUrl, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_allowed", tuple(parse_entry(entry) for entry in self.entries))

    def permits(self, service_url: str | None) -> bool:
        """Whether the bot may send to `service_url`."""
        if not service_url:
            return False
        parsed = urlsplit(service_url)
        scheme = parsed.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parsed.hostname or "@" in parsed.netloc:
            return False
        try:
            port = parsed.port or DEFAULT_PORTS[scheme]
        except ValueError:
            return False
        return any(_matches(allowed, scheme, parsed.hostname, port, parsed.path) for allowed in self._allowed)

    def check(self, service_url: str | None) -> None:
        """Raise ServiceUrlRefused unless `service_url` is allowed."""
        if not self.permits(service_url):
            raise ServiceUrlRefused(f"serviceUrl not in SERVICE_URL_ALLOWLIST: {service_url!r}")


def _matches(allowed: AllowedUrl, scheme: str, host: str, port: int, path: str) -> bool:
    return (
        allowed.scheme == scheme
        and allowed.host == host.lower()
        and allowed.port in {None, port}
        and (not allowed.path or path == allowed.path or path.startswith(f"{allowed.path}/"))
    )
