"""SERVICE_URL_ALLOWLIST entries: exact hosts (https, default port) or URL prefixes matched at a path boundary."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from desk.env import EnvReader, SettingsError

DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
_EXAMPLES = "expected a host such as smba.trafficmanager.net or a URL prefix such as https://host/path/"


@dataclass(frozen=True)
class AllowedUrl:
    """One allowlist entry: a serviceUrl must have this scheme, host and port, and a path under `path`."""

    scheme: str
    host: str
    port: int | None  # None: any port (an entry written "http://127.0.0.1:")
    path: str  # "" allows every path; else the path itself or anything below it ("/amer" allows "/amer/...")


def parse_entry(text: str) -> AllowedUrl:
    """Parse one entry: a bare host (https only) or an http(s) URL prefix; raises ValueError."""
    entry = text.strip()
    if "://" not in entry:
        if not _HOST.match(entry.lower()):
            raise ValueError(f"{entry!r} is not a host name ({_EXAMPLES})")
        return AllowedUrl("https", entry.lower(), DEFAULT_PORTS["https"], "")
    parsed = urlsplit(entry)
    scheme = parsed.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parsed.hostname or "@" in parsed.netloc or parsed.query or parsed.fragment:
        raise ValueError(f"{entry!r} is not an http(s) URL prefix ({_EXAMPLES})")
    try:
        port = parsed.port
    except ValueError:
        raise ValueError(f"bad port in {entry!r}") from None
    any_port = parsed.netloc.endswith(":")
    return AllowedUrl(
        scheme, parsed.hostname, None if any_port else port or DEFAULT_PORTS[scheme], parsed.path.rstrip("/")
    )


def service_url_allowlist(env: EnvReader, local: bool, default: tuple[str, ...]) -> tuple[str, ...]:
    """SERVICE_URL_ALLOWLIST, every entry valid; production mode refuses plain http except to this machine."""
    entries = env.list("SERVICE_URL_ALLOWLIST", default)
    for entry in entries:
        try:
            allowed = parse_entry(entry)
        except ValueError as error:
            raise SettingsError("SERVICE_URL_ALLOWLIST", str(error)) from None
        if allowed.scheme != "https" and not local and not is_loopback(allowed.host):
            raise SettingsError(
                "SERVICE_URL_ALLOWLIST",
                f"{entry!r} is not https: production mode (MicrosoftAppId set) sends the bot's token over https only"
                " (plain http is allowed to loopback addresses)",
            )
    return entries


def is_loopback(host: str) -> bool:
    """Whether `host` is localhost or a loopback IP address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
