"""All configuration, read once from the environment (and an optional .env file) into one frozen object."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values

from desk.clouds import CLOUDS, CloudEndpoints
from desk.env import EnvReader, SettingsError
from desk.ms_response import parse_response_targets
from desk.settings_psa import PsaSettings, psa_settings
from desk.settings_service_urls import is_loopback, service_url_allowlist
from desk.settings_support import given_support_variables, sla_targets, support_profile
from desk.support import SlaTargets, SupportProfile

# The Bot Framework SDK's own endpoint settings, handed to it unchanged.
SDK_ENDPOINT_SETTINGS = (
    "CHANNEL_SERVICE",
    "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
    "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER",
    "TO_CHANNEL_FROM_BOT_LOGIN_URL",
    "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE",
    "OAUTH_URL",
    "VALIDATE_AUTHORITY",
)
APP_TYPES = {"MultiTenant": "MultiTenant", "SingleTenant": "SingleTenant", "UserAssignedMSI": "UserAssignedMSI"}
LOCAL_CONNECTOR_PREFIXES = ("http://localhost:", "http://127.0.0.1:")
# A Fernet key as Fernet.generate_key() writes it: 32 bytes, url-safe base64. Checked strictly because Fernet's own
# decoding skips characters outside the alphabet: "new,old" would silently be taken as the key "new".
FERNET_KEY = re.compile(r"^[A-Za-z0-9_-]{43}=$")
# The partner's technical support plan with Microsoft (commercial support needs none).
SUPPORT_PLANS = ("premier", "advanced", "signature", "none")


@dataclass(frozen=True)
class BotIdentity:
    """The bot's Entra registration as the Bot Framework SDK expects it."""

    app_id: str
    app_password: str = field(repr=False)  # secrets stay out of reprs (and so out of logs and tracebacks)
    app_type: str
    app_tenant_id: str
    sdk_endpoints: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Every setting of the desk; build it with `Settings.from_env`."""

    host: str
    port: int
    bot: BotIdentity
    cloud: CloudEndpoints
    login_url: str
    graph_url: str
    partner_center_url: str
    service_url_allowlist: tuple[str, ...]
    database_url: str
    data_dir: Path
    partner_tenant_id: str
    technicians: frozenset[str]
    api_client_id: str
    api_client_secret: str = field(repr=False)
    support: SupportProfile
    sla: SlaTargets
    support_given: frozenset[str] = frozenset()  # the support variables the environment gave (see local mode)
    emulator_port: int = 0
    emulator_storm_customers: int = 0  # local mode: extra customer tenants for an incident storm
    # Local mode: the customer Agents Playground's port, whose personal chat gets its user's install event.
    customer_playground_port: int = 56150
    extra_ca_file: str | None = None
    public_url: str | None = None
    teams_app_id: str = ""
    privacy_url: str | None = None
    terms_url: str | None = None
    customer_cache_seconds: int = 900
    sla_check_seconds: int = 60
    health_poll_seconds: int = 300
    sr_sync_seconds: int = 300
    support_plan: str = "none"
    token_cache_keys: tuple[bytes, ...] = field(default=(), repr=False)  # newest first: it seals, all open
    sign_in_flow: str = "auto"
    log_level: str = "INFO"
    database_pool_size: int = 10  # connections each process keeps to PostgreSQL (README: "Several instances")
    # Microsoft's initial-response targets in minutes by severity, over the published ones (desk/ms_response.py).
    ms_response_targets: Mapping[str, int] = field(default_factory=dict)
    # Storm mode (desk/storm.py): a triage channel's queue length that keeps new cards back (0: Teams' channel limits
    # for 30 s, -1: off), the summary's pace, and how often the storm job runs.
    storm_threshold: int = 0
    storm_summary_seconds: int = 10
    storm_check_seconds: int = 2
    psa: PsaSettings = field(default_factory=PsaSettings)  # the PSA bridge (desk/settings_psa.py)
    # Knowledge base (desk/kb_files.py): a folder of Markdown articles (None: no folder), read again this often.
    kb_dir: Path | None = None
    kb_check_seconds: int = 30
    rollout_per_second: int = 5  # roll-out installs per second per customer (Graph allows 30: issue 16)

    @property
    def local_mode(self) -> bool:
        """Local mode: no bot registration, authentication off, built-in emulators of Microsoft's APIs."""
        return not self.bot.app_id

    @property
    def teams_manifest_id(self) -> str:
        """The desk's Teams app id as manifest/build.py writes it into the manifest (the org catalog's
        `externalId`): TEAMS_APP_ID, else the bot's id, else (local mode, where both are empty) the partner app's."""
        return self.teams_app_id or self.bot.app_id or self.api_client_id

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env", *, served: bool = False
    ) -> Settings:
        """Build settings from `environ` (default: os.environ) over the values of `env_file` when it exists.

        `served`: the app runs under a server that binds the socket itself (gunicorn's `--bind`), so HOST cannot
        keep local mode on loopback: local mode then needs LOCAL_MODE=1 on purpose."""
        values: dict[str, str] = {}
        if env_file and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        env = EnvReader(values)
        if served and not env.str("MicrosoftAppId") and not env.bool("LOCAL_MODE", False):
            raise SettingsError(
                "MicrosoftAppId",
                "is empty, which is local mode with authentication off; under gunicorn the --bind address decides "
                "where it listens, possibly every interface. Set MicrosoftAppId (or LOCAL_MODE=1 to mean it)",
            )
        return replace(_build(env), support_given=given_support_variables(values))


def _build(env: EnvReader) -> Settings:
    bot = _bot_identity(env)
    local = not bot.app_id
    cloud = env.choice("CLOUD", CLOUDS, "public")
    host = env.str("HOST", "127.0.0.1")
    if local and not is_loopback(host):
        raise SettingsError("HOST", f"local mode (no MicrosoftAppId) listens on loopback only, not {host!r}")
    default_allow = LOCAL_CONNECTOR_PREFIXES if local else cloud.connector_hosts
    allowlist = service_url_allowlist(env, local, default_allow)
    support = support_profile(env)
    data_dir = Path(env.str("DATA_DIR", "data"))
    return Settings(
        host=host,
        port=env.int("PORT", 3978, minimum=1, maximum=65535),
        bot=bot,
        cloud=cloud,
        login_url=_endpoint(env, "LOGIN_URL", cloud.login_url, local),
        graph_url=_endpoint(env, "GRAPH_URL", cloud.graph_url, local),
        partner_center_url=_endpoint(env, "PARTNER_CENTER_URL", cloud.partner_center_url, local),
        service_url_allowlist=allowlist,
        database_url=_database_url(env, data_dir),
        data_dir=data_dir,
        partner_tenant_id=_partner_tenant(env, local),
        technicians=frozenset(item.lower() for item in env.list("TECHNICIANS")),
        api_client_id=env.str("PARTNER_APP_ID", bot.app_id),
        api_client_secret=env.str("PARTNER_APP_SECRET", bot.app_password),
        support=support,
        sla=sla_targets(env, support.hours),
        emulator_port=env.int("EMULATOR_PORT", 0, minimum=0, maximum=65535),
        emulator_storm_customers=env.int("EMULATOR_STORM_CUSTOMERS", 0, minimum=0, maximum=500),
        customer_playground_port=env.int("CUSTOMER_PLAYGROUND_PORT", 56150, minimum=1, maximum=65535),
        extra_ca_file=_existing_file(env, "EXTRA_CA_FILE"),
        # Entra sends technicians' authorization codes back to PUBLIC_URL: https too, as Entra requires of redirect
        # URIs other than localhost.
        public_url=_endpoint(env, "PUBLIC_URL", "", local) if env.str("PUBLIC_URL") else None,
        teams_app_id=env.str("TEAMS_APP_ID", bot.app_id),
        privacy_url=_url(env, "PRIVACY_URL", "") if env.str("PRIVACY_URL") else None,
        terms_url=_url(env, "TERMS_URL", "") if env.str("TERMS_URL") else None,
        customer_cache_seconds=env.int("CUSTOMER_CACHE_SECONDS", 900, minimum=0),
        sla_check_seconds=env.int("SLA_CHECK_SECONDS", 60, minimum=5),
        health_poll_seconds=env.int("HEALTH_POLL_SECONDS", 300, minimum=30),
        sr_sync_seconds=env.int("SR_SYNC_SECONDS", 300, minimum=30),
        support_plan=env.choice("SUPPORT_PLAN", {p: p for p in SUPPORT_PLANS}, "none"),
        token_cache_keys=_fernet_keys(env, "TOKEN_CACHE_KEY"),
        sign_in_flow=env.choice("SIGN_IN_FLOW", {"auto": "auto", "device": "device"}, "auto"),
        log_level=env.choice("LOG_LEVEL", {n: n for n in ("DEBUG", "INFO", "WARNING", "ERROR")}, "INFO"),
        database_pool_size=env.int("DATABASE_POOL_SIZE", 10, minimum=1, maximum=100),
        ms_response_targets=env.parsed("MS_RESPONSE_TARGETS", parse_response_targets, ""),
        storm_threshold=env.int("STORM_THRESHOLD", 0, minimum=-1),
        storm_summary_seconds=env.int("STORM_SUMMARY_SECONDS", 10, minimum=2, maximum=300),
        storm_check_seconds=env.int("STORM_CHECK_SECONDS", 2, minimum=1, maximum=60),
        psa=psa_settings(env, local),
        kb_dir=Path(env.str("KB_DIR")) if env.str("KB_DIR") else None,
        kb_check_seconds=env.int("KB_CHECK_SECONDS", 30, minimum=5, maximum=3600),
        rollout_per_second=env.int("ROLLOUT_PER_SECOND", 5, minimum=1, maximum=20),
    )


def _bot_identity(env: EnvReader) -> BotIdentity:
    app_id = env.str("MicrosoftAppId")
    app_type = env.choice("MicrosoftAppType", APP_TYPES, "MultiTenant")
    password = env.str("MicrosoftAppPassword")
    tenant = env.str("MicrosoftAppTenantId")
    if app_id and app_type in {"MultiTenant", "SingleTenant"} and not password:
        raise SettingsError("MicrosoftAppPassword", "required when MicrosoftAppId is set (production mode)")
    if app_id and app_type in {"SingleTenant", "UserAssignedMSI"} and not tenant:
        raise SettingsError("MicrosoftAppTenantId", f"required when MicrosoftAppType={app_type}")
    endpoints = {name: env.str(name) for name in SDK_ENDPOINT_SETTINGS if env.str(name)}
    if "VALIDATE_AUTHORITY" in endpoints:
        endpoints["VALIDATE_AUTHORITY"] = str(env.bool("VALIDATE_AUTHORITY", True)).lower()
    return BotIdentity(app_id, password, app_type, tenant, endpoints)


def _partner_tenant(env: EnvReader, local: bool) -> str:
    tenant = env.str("PARTNER_TENANT_ID").lower()
    if not tenant and not local:
        raise SettingsError("PARTNER_TENANT_ID", "required in production mode (the partner's Entra tenant id)")
    return tenant


def _database_url(env: EnvReader, data_dir: Path) -> str:
    url = env.str("DATABASE_URL", f"sqlite:///{data_dir.as_posix()}/desk.db")
    if url.startswith(("postgresql://", "postgres://")):
        if not url.split("://", 1)[1].strip("/"):
            raise SettingsError(
                "DATABASE_URL", "a PostgreSQL URL needs a host or a database: postgresql://user@host/db"
            )
        return url
    if not url.startswith("sqlite:///"):
        # Not quoted back: a URL may carry a password.
        raise SettingsError("DATABASE_URL", "expected sqlite:///<path> or postgresql://<user>@<host>/<database>")
    return url


def _url(env: EnvReader, name: str, default: str) -> str:
    value = env.str(name, default).rstrip("/")
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise SettingsError(name, f"expected an absolute http(s) URL, got {value!r}")
    return value


def _endpoint(env: EnvReader, name: str, default: str, local: bool) -> str:
    """A Microsoft API endpoint (or the bot's own sign-in address). Production mode sends the app secret, app tokens
    and technicians' tokens or codes to these, so it refuses plain http except to this machine (as for
    SERVICE_URL_ALLOWLIST); local mode replaces the Microsoft endpoints with the emulator's https address."""
    value = _url(env, name, default)
    parsed = urlparse(value)
    if parsed.scheme != "https" and not local and not is_loopback(parsed.hostname or ""):
        raise SettingsError(
            name,
            f"{value!r} is not https: production mode (MicrosoftAppId set) sends secrets and tokens there, so over"
            " https only (plain http is allowed to loopback addresses)",
        )
    return value


def _fernet_keys(env: EnvReader, name: str) -> tuple[bytes, ...]:
    """Comma-separated Fernet keys, newest first (rotation: add the new key in front, drop the old one later). The
    messages name a key by its place in the list, never by its value."""
    keys: list[bytes] = []
    for place, raw in enumerate(env.list(name), start=1):
        if not FERNET_KEY.match(raw):
            raise SettingsError(
                name, f"key {place} is not a Fernet key: 32 random bytes, url-safe base64 (44 characters)"
            )
        key = raw.encode("ascii")
        if key in keys:
            raise SettingsError(name, f"key {place} repeats key {keys.index(key) + 1}")
        keys.append(key)
    return tuple(keys)


def _existing_file(env: EnvReader, name: str) -> str | None:
    path = env.optional(name)
    if path and not Path(path).is_file():
        raise SettingsError(name, f"no such file: {path}")
    return path
