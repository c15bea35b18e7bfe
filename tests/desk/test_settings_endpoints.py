"""LOGIN_URL, GRAPH_URL, PARTNER_CENTER_URL, PUBLIC_URL: production mode refuses plain http (the app secret, its
tokens and technicians' tokens or codes would cross the network in clear) except to this machine; local mode aims the
Microsoft endpoints at the emulator."""

from __future__ import annotations

import pytest

from desk.env import SettingsError
from desk.settings import Settings
from emulator.demo_directory import DESK_MANIFEST_ID
from emulator.local import local_settings

PRODUCTION = {
    "MicrosoftAppId": "11111111-2222-4333-8444-555555555555",
    "MicrosoftAppPassword": "not-a-real-secret",
    "PARTNER_TENANT_ID": "5f1a0c2e-7b1d-4c55-9a4e-3c2b1d0e9f01",
}
ENDPOINTS = ("LOGIN_URL", "GRAPH_URL", "PARTNER_CENTER_URL", "PUBLIC_URL")  # PUBLIC_URL receives sign-in codes


def settings(**environ: str) -> Settings:
    """Settings from exactly `environ`."""
    return Settings.from_env(environ, env_file=None)


@pytest.mark.parametrize("variable", ENDPOINTS)
@pytest.mark.parametrize(
    "url", ["http://login.microsoftonline.com", "http://graph.example.test:8080/v1", "HTTP://10.0.0.5", "http://[::2]"]
)
def test_production_mode_refuses_plain_http(variable: str, url: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings(**{variable: url}, **PRODUCTION)

    assert caught.value.variable == variable
    assert "is not https" in str(caught.value)


@pytest.mark.parametrize("variable", ENDPOINTS)
@pytest.mark.parametrize("url", ["http://127.0.0.1:8443/login", "http://localhost:9000", "http://[::1]:8443"])
def test_production_mode_allows_plain_http_to_this_machine(variable: str, url: str) -> None:
    assert getattr(settings(**{variable: url}, **PRODUCTION), variable.lower()) == url


@pytest.mark.parametrize("variable", ENDPOINTS)
def test_production_mode_accepts_https_overrides(variable: str) -> None:
    url = "https://dod-graph.microsoft.us"
    assert getattr(settings(**{variable: url}, **PRODUCTION), variable.lower()) == url


def test_production_defaults_are_https_in_both_clouds() -> None:
    for cloud in ("public", "usgov"):
        production = settings(CLOUD=cloud, **PRODUCTION)
        assert all(getattr(production, v.lower()).startswith("https://") for v in ENDPOINTS if v != "PUBLIC_URL")


def test_local_mode_points_every_endpoint_at_the_emulator_over_https() -> None:
    given = settings(LOGIN_URL="http://login.example.test", GRAPH_URL="http://graph.example.test")
    local = local_settings(given, "https://127.0.0.1:8443")

    assert (local.login_url, local.graph_url, local.partner_center_url) == (
        "https://127.0.0.1:8443/login",
        "https://127.0.0.1:8443/graph",
        "https://127.0.0.1:8443/partnercenter",
    )


def test_local_mode_looks_the_desk_up_by_the_id_the_demo_catalogs_list() -> None:
    """Readiness and roll-out in local mode find the desk's app in Fabrikam's org catalog (emulator/demo_directory)."""
    local = local_settings(settings(), "https://127.0.0.1:8443")
    assert local.teams_manifest_id == DESK_MANIFEST_ID
