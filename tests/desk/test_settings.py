"""Settings.from_env: defaults per mode and cloud, overrides, the .env file, and errors that name the variable."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from desk.env import SettingsError
from desk.settings import Settings

PRODUCTION = {
    "MicrosoftAppId": "11111111-2222-4333-8444-555555555555",
    "MicrosoftAppPassword": "not-a-real-secret",
    "PARTNER_TENANT_ID": "5F1A0C2E-7B1D-4C55-9A4E-3C2B1D0E9F01",
}


def settings(env_file: Path | None = None, **environ: str) -> Settings:
    """Settings from exactly `environ` (never the process environment or a stray .env)."""
    return Settings.from_env(environ, env_file=env_file)


def test_local_mode_defaults() -> None:
    local = settings()

    assert local.local_mode
    assert local.host == "127.0.0.1"
    assert local.port == 3978
    assert local.database_url == "sqlite:///data/desk.db"
    assert local.data_dir == Path("data")
    assert local.service_url_allowlist == ("http://localhost:", "http://127.0.0.1:")
    assert local.cloud.name == "public"
    assert local.login_url == "https://login.microsoftonline.com"
    assert local.graph_url == "https://graph.microsoft.com"
    assert local.partner_center_url == "https://api.partnercenter.microsoft.com"
    assert local.partner_tenant_id == ""  # the runtime fills in the emulator's demo partner


def test_database_url_follows_data_dir() -> None:
    assert settings(DATA_DIR="/srv/desk").database_url == "sqlite:////srv/desk/desk.db"


def test_database_pool_size_defaults_to_ten_and_takes_one_to_a_hundred() -> None:
    assert settings().database_pool_size == 10
    assert [settings(DATABASE_POOL_SIZE=size).database_pool_size for size in ("1", "25", "100")] == [1, 25, 100]


def test_production_mode_allowlist_defaults_to_public_teams_connector_hosts() -> None:
    production = settings(**PRODUCTION)

    assert not production.local_mode
    assert production.service_url_allowlist == ("smba.trafficmanager.net", "smba.infra.gcc.teams.microsoft.com")
    assert production.partner_tenant_id == "5f1a0c2e-7b1d-4c55-9a4e-3c2b1d0e9f01"
    assert production.cloud.channel_service is None


def test_production_mode_in_usgov_uses_government_defaults() -> None:
    gov = settings(CLOUD="usgov", **PRODUCTION)

    assert gov.cloud.name == "usgov"
    assert gov.service_url_allowlist == ("smba.infra.gov.teams.microsoft.us", "smba.infra.dod.teams.microsoft.us")
    assert gov.login_url == "https://login.microsoftonline.us"
    assert gov.graph_url == "https://graph.microsoft.us"
    # Microsoft documents one Partner Center REST endpoint for commercial and US Government partners.
    assert gov.partner_center_url == "https://api.partnercenter.microsoft.com"
    assert gov.cloud.channel_service == "https://botframework.azure.us"
    assert "CHANNEL_SERVICE" not in gov.bot.sdk_endpoints


def test_cloud_name_is_case_insensitive() -> None:
    assert settings(CLOUD="USGov").cloud.name == "usgov"


def test_usgov_endpoints_can_each_be_overridden() -> None:
    gov = settings(
        CLOUD="usgov",
        LOGIN_URL="https://login.example.test/",
        GRAPH_URL="https://graph.example.test",
        PARTNER_CENTER_URL="https://pc.example.test/api/",
        CHANNEL_SERVICE="https://channel.example.test",
        SERVICE_URL_ALLOWLIST="https://connector.example.test/, https://other.example.test/",
        **PRODUCTION,
    )

    assert gov.login_url == "https://login.example.test"
    assert gov.graph_url == "https://graph.example.test"
    assert gov.partner_center_url == "https://pc.example.test/api"
    assert gov.bot.sdk_endpoints["CHANNEL_SERVICE"] == "https://channel.example.test"
    assert gov.service_url_allowlist == ("https://connector.example.test/", "https://other.example.test/")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "abc"),
        ("PORT", "70000"),
        ("CLOUD", "mars"),
        ("HOST", "0.0.0.0"),
        ("SUPPORT_TIMEZONE", "Mars/Base"),
        ("SUPPORT_HOURS", "garbage"),
        ("SUPPORT_HOURS", "Mon-Fri 17:00-09:00"),
        # The message of a bad schedule quotes the schedule; a word in it must not redirect the blame.
        ("SUPPORT_HOURS", "holidays"),
        ("SUPPORT_HOURS", "Mon time zone"),
        ("SUPPORT_HOLIDAYS", "2026-13-01"),
        ("SLA_FIRST_RESPONSE", "critical=1h,moderate=4h"),
        ("SLA_RESOLUTION", "critical=8h,moderate=1w,minimal=40h"),
        ("DATABASE_URL", "mysql://x"),
        ("DATABASE_URL", "postgresql://"),
        ("LOGIN_URL", "not-a-url"),
        ("GRAPH_URL", "ftp://graph.example.test"),
        ("MicrosoftAppType", "Weird"),
        ("LOG_LEVEL", "CHATTY"),
        ("CUSTOMER_CACHE_SECONDS", "-1"),
        ("DATABASE_POOL_SIZE", "0"),
        ("DATABASE_POOL_SIZE", "101"),
        ("DATABASE_POOL_SIZE", "ten"),
    ],
)
def test_bad_value_raises_settings_error_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings(**{variable: value})

    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")


def test_missing_extra_ca_file_names_the_variable(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"

    with pytest.raises(SettingsError) as caught:
        settings(EXTRA_CA_FILE=str(missing))

    assert caught.value.variable == "EXTRA_CA_FILE"
    assert str(missing) in str(caught.value)


def test_existing_extra_ca_file_is_kept(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")

    assert settings(EXTRA_CA_FILE=str(ca)).extra_ca_file == str(ca)


@pytest.mark.parametrize(
    ("missing", "environ"),
    [
        ("MicrosoftAppPassword", {"MicrosoftAppId": "app", "PARTNER_TENANT_ID": "t"}),
        (
            "MicrosoftAppTenantId",
            {"MicrosoftAppId": "app", "MicrosoftAppPassword": "p", "MicrosoftAppType": "SingleTenant"},
        ),
        ("PARTNER_TENANT_ID", {"MicrosoftAppId": "app", "MicrosoftAppPassword": "p"}),
    ],
)
def test_production_mode_requires_its_settings(missing: str, environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as caught:
        settings(**environ)

    assert caught.value.variable == missing


def test_production_mode_may_listen_on_any_interface() -> None:
    assert settings(HOST="0.0.0.0", **PRODUCTION).host == "0.0.0.0"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", "127.0.0.2"])
def test_local_mode_accepts_loopback_hosts(host: str) -> None:
    assert settings(HOST=host).host == host


def test_dotenv_file_is_read_and_the_environment_overrides_it(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4000\nPARTNER_NAME=Contoso from dotenv\nSUPPORT_TIMEZONE=Europe/London\n", "utf-8")

    from_file = settings(env_file=env_file)
    overridden = settings(env_file=env_file, PORT="5000")

    assert from_file.port == 4000
    assert from_file.support.partner_name == "Contoso from dotenv"
    assert str(from_file.support.hours.timezone) == "Europe/London"
    assert overridden.port == 5000
    assert overridden.support.partner_name == "Contoso from dotenv"


def test_missing_dotenv_file_is_ignored(tmp_path: Path) -> None:
    assert settings(env_file=tmp_path / "absent.env").port == 3978


def test_technicians_are_lowercased_and_deduplicated() -> None:
    local = settings(TECHNICIANS="AAAA-1, aaaa-1 ,bbbb-2,,")

    assert local.technicians == frozenset({"aaaa-1", "bbbb-2"})


def test_settings_are_frozen() -> None:
    local = settings()

    with pytest.raises(dataclasses.FrozenInstanceError):
        local.port = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        local.bot.app_id = "someone"  # type: ignore[misc]


def test_teams_manifest_id_is_teams_app_id_else_bot_id_else_partner_app_id() -> None:
    """The id readiness and roll-out look the desk's app up by in a customer's org catalog (manifest/build.py)."""
    assert settings(**PRODUCTION, TEAMS_APP_ID="aaaa").teams_manifest_id == "aaaa"
    assert settings(**PRODUCTION).teams_manifest_id == PRODUCTION["MicrosoftAppId"]
    # Local mode has no bot id: the partner app's id, which the emulator's demo catalog lists as the desk's app.
    assert settings(PARTNER_APP_ID="bbbb").teams_manifest_id == "bbbb"
    assert settings().teams_manifest_id == ""
