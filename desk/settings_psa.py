"""The PSA bridge's settings: where ticket events are posted (PSA_WEBHOOK_URLS), the shared secret that signs them and
authenticates the PSA's calls back (PSA_WEBHOOK_SECRET), whether those calls are accepted (PSA_INBOUND), and who the
PSA acts as (PSA_ACTOR_NAME). docs/psa-bridge.md describes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from desk.env import EnvReader, SettingsError
from desk.settings_service_urls import is_loopback

MIN_SECRET = 32  # characters: an HMAC-SHA256 key of this length is far past guessing
MAX_URLS = 10


@dataclass(frozen=True)
class PsaSettings:
    """The PSA bridge; off (no URLs, inbound off) by default."""

    urls: tuple[str, ...] = ()
    secret: str = field(default="", repr=False)  # secrets stay out of reprs, so out of logs and tracebacks
    inbound: bool = False
    actor_name: str = "PSA"
    timeout_seconds: float = 10.0
    max_attempts: int = 12

    @property
    def outbound(self) -> bool:
        """Whether ticket events are posted anywhere."""
        return bool(self.urls)


def psa_settings(env: EnvReader, local: bool) -> PsaSettings:
    """PSA_* from the environment, each checked: the URLs https (plain http to this machine in local mode only), the
    secret long enough whenever the bridge is used."""
    urls = tuple(_url(raw, local) for raw in env.list("PSA_WEBHOOK_URLS"))
    if len(set(urls)) != len(urls):
        raise SettingsError("PSA_WEBHOOK_URLS", "a URL is listed twice")
    if len(urls) > MAX_URLS:
        raise SettingsError("PSA_WEBHOOK_URLS", f"at most {MAX_URLS} URLs")
    inbound = env.bool("PSA_INBOUND", False)
    secret = env.str("PSA_WEBHOOK_SECRET")
    if (urls or inbound) and not secret:
        raise SettingsError(
            "PSA_WEBHOOK_SECRET", "required when PSA_WEBHOOK_URLS or PSA_INBOUND is set (it signs every request)"
        )
    if secret and len(secret) < MIN_SECRET:
        # The length only: the value itself is never quoted back.
        raise SettingsError("PSA_WEBHOOK_SECRET", f"must be at least {MIN_SECRET} characters, got {len(secret)}")
    actor = env.str("PSA_ACTOR_NAME", "PSA")
    if len(actor) > 64:
        raise SettingsError("PSA_ACTOR_NAME", "at most 64 characters")
    return PsaSettings(
        urls=urls,
        secret=secret,
        inbound=inbound,
        actor_name=actor,
        timeout_seconds=float(env.int("PSA_WEBHOOK_TIMEOUT", 10, minimum=1, maximum=60)),
        max_attempts=env.int("PSA_WEBHOOK_MAX_ATTEMPTS", 12, minimum=1, maximum=30),
    )


def _url(raw: str, local: bool) -> str:
    parsed = urlsplit(raw)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise SettingsError("PSA_WEBHOOK_URLS", f"expected an absolute https URL, got {raw!r}")
    if "@" in parsed.netloc:
        # Not quoted back: it carries a password. The signature is what authenticates the desk.
        raise SettingsError("PSA_WEBHOOK_URLS", "a URL carries a user name or password; the signature authenticates")
    if parsed.fragment:
        raise SettingsError("PSA_WEBHOOK_URLS", f"{raw!r} has a fragment")
    if parsed.scheme != "https" and not (local and is_loopback(parsed.hostname)):
        raise SettingsError(
            "PSA_WEBHOOK_URLS",
            f"{raw!r} is not https: ticket data leaves the desk there (plain http only to this machine, in local mode)",
        )
    return raw
