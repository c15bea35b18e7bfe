"""Which connector URLs the bot may talk to. The SDK attaches the bot's token to any serviceUrl it is given."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse


class ServiceUrlRefused(Exception):
    """An activity or stored reference names a serviceUrl outside the allowlist."""


@dataclass(frozen=True)
class ServiceUrlPolicy:
    """Allowlist of hosts (https only) and URL prefixes (matched literally, any scheme)."""

    entries: tuple[str, ...]

    def permits(self, service_url: str | None) -> bool:
        """Whether the bot may send to `service_url`."""
        if not service_url:
            return False
        parsed = urlparse(service_url)
        if not parsed.scheme or not parsed.hostname or parsed.username or parsed.password:
            return False
        for entry in self.entries:
            if "://" in entry:
                if service_url.lower().startswith(entry.lower()):
                    return True
            elif parsed.scheme == "https" and parsed.hostname.lower() == entry.lower():
                return True
        return False

    def check(self, service_url: str | None) -> None:
        """Raise ServiceUrlRefused unless `service_url` is allowed."""
        if not self.permits(service_url):
            raise ServiceUrlRefused(f"serviceUrl not in SERVICE_URL_ALLOWLIST: {service_url!r}")
