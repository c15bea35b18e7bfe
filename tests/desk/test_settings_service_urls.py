"""SERVICE_URL_ALLOWLIST at start-up: malformed entries refused in any mode, plain http refused in production
mode except to this machine, local mode's defaults kept."""

from __future__ import annotations

import pytest

from desk.env import SettingsError
from desk.settings import Settings

PRODUCTION = {
    "MicrosoftAppId": "11111111-2222-4333-8444-555555555555",
    "MicrosoftAppPassword": "not-a-real-secret",
    "PARTNER_TENANT_ID": "5f1a0c2e-7b1d-4c55-9a4e-3c2b1d0e9f01",
}


def settings(**environ: str) -> Settings:
    """Settings from exactly `environ`."""
    return Settings.from_env(environ, env_file=None)


@pytest.mark.parametrize(
    "entry",
    [
        "http://smba.infra.gcc.teams.microsoft.com/",
        "http://smba.trafficmanager.net",
        "http://connector.example.test:8080/amer/",
    ],
)
def test_production_mode_refuses_plain_http_entries(entry: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings(SERVICE_URL_ALLOWLIST=f"smba.trafficmanager.net, {entry}", **PRODUCTION)

    assert caught.value.variable == "SERVICE_URL_ALLOWLIST"
    assert f"{entry!r} is not https" in str(caught.value)


@pytest.mark.parametrize("entry", ["http://127.0.0.1:3979/", "http://localhost:", "http://[::1]:8080/"])
def test_production_mode_allows_plain_http_to_this_machine(entry: str) -> None:
    assert settings(SERVICE_URL_ALLOWLIST=entry, **PRODUCTION).service_url_allowlist == (entry,)


def test_local_mode_keeps_its_loopback_defaults_and_allows_http() -> None:
    assert settings().service_url_allowlist == ("http://localhost:", "http://127.0.0.1:")
    assert settings(SERVICE_URL_ALLOWLIST="http://connector.example.test/").service_url_allowlist == (
        "http://connector.example.test/",
    )


def test_production_defaults_of_both_clouds_are_accepted() -> None:
    assert settings(**PRODUCTION).service_url_allowlist == (
        "smba.trafficmanager.net",
        "smba.infra.gcc.teams.microsoft.com",
    )
    assert settings(CLOUD="usgov", **PRODUCTION).service_url_allowlist == (
        "smba.infra.gov.teams.microsoft.us",
        "smba.infra.dod.teams.microsoft.us",
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("smba.trafficmanager.net/amer/", "is not a host name"),
        ("smba.trafficmanager.net:443", "is not a host name"),
        ("ftp://smba.trafficmanager.net/", "is not an http(s) URL prefix"),
        ("https://user@smba.trafficmanager.net/", "is not an http(s) URL prefix"),
        ("https://smba.trafficmanager.net/?amer", "is not an http(s) URL prefix"),
        ("https://smba.trafficmanager.net:99999/", "bad port"),
    ],
)
def test_malformed_entries_are_refused_in_any_mode(entry: str, message: str) -> None:
    for environ in ({}, PRODUCTION):
        with pytest.raises(SettingsError) as caught:
            settings(SERVICE_URL_ALLOWLIST=entry, **environ)

        assert caught.value.variable == "SERVICE_URL_ALLOWLIST"
        assert message in str(caught.value)
