"""PSA_* settings: off by default; URLs https (plain http to this machine in local mode only), no credentials in
them; the secret required whenever the bridge is used, long enough, never quoted back nor logged."""

from __future__ import annotations

import logging

import pytest

from desk import logsafe
from desk.env import SettingsError
from desk.settings import Settings

PRODUCTION = {
    "MicrosoftAppId": "11111111-2222-4333-8444-555555555555",
    "MicrosoftAppPassword": "not-a-real-secret",
    "PARTNER_TENANT_ID": "5f1a0c2e-7b1d-4c55-9a4e-3c2b1d0e9f01",
}
SECRET = "x" * 40


def settings(**environ: str) -> Settings:
    return Settings.from_env(environ, env_file=None)


def refused(variable: str, **environ: str) -> str:
    with pytest.raises(SettingsError) as error:
        settings(**environ)
    assert error.value.variable == variable
    return str(error.value)


def test_the_bridge_is_off_by_default() -> None:
    psa = settings().psa
    assert (psa.urls, psa.inbound, psa.outbound, psa.secret, psa.actor_name) == ((), False, False, "", "PSA")


def test_urls_and_secret_are_read() -> None:
    psa = settings(
        **PRODUCTION,
        PSA_WEBHOOK_URLS="https://psa.example/hooks/desk, https://other.example/in?key=abc",
        PSA_WEBHOOK_SECRET=SECRET,
        PSA_INBOUND="yes",
        PSA_ACTOR_NAME="HaloPSA",
        PSA_WEBHOOK_TIMEOUT="5",
        PSA_WEBHOOK_MAX_ATTEMPTS="3",
    ).psa
    assert psa.urls == ("https://psa.example/hooks/desk", "https://other.example/in?key=abc")
    assert (psa.inbound, psa.actor_name, psa.timeout_seconds, psa.max_attempts) == (True, "HaloPSA", 5.0, 3)
    assert SECRET not in repr(psa)


def test_plain_http_only_to_this_machine_in_local_mode() -> None:
    assert settings(PSA_WEBHOOK_URLS="http://127.0.0.1:9000/hook", PSA_WEBHOOK_SECRET=SECRET).psa.urls
    assert "not https" in refused("PSA_WEBHOOK_URLS", PSA_WEBHOOK_URLS="http://psa.example/", PSA_WEBHOOK_SECRET=SECRET)
    message = refused(
        "PSA_WEBHOOK_URLS", **PRODUCTION, PSA_WEBHOOK_URLS="http://localhost:9000/", PSA_WEBHOOK_SECRET=SECRET
    )
    assert "not https" in message


@pytest.mark.parametrize("url", ["psa.example/hook", "ftp://psa.example/", "https://", "https://psa.example/#x"])
def test_a_malformed_url_is_refused(url: str) -> None:
    refused("PSA_WEBHOOK_URLS", PSA_WEBHOOK_URLS=url, PSA_WEBHOOK_SECRET=SECRET)


def test_a_url_with_credentials_is_refused_without_quoting_them() -> None:
    message = refused("PSA_WEBHOOK_URLS", PSA_WEBHOOK_URLS="https://u:hunter22@psa.example/", PSA_WEBHOOK_SECRET=SECRET)
    assert "hunter22" not in message


def test_a_repeated_url_is_refused() -> None:
    refused("PSA_WEBHOOK_URLS", PSA_WEBHOOK_URLS="https://a.example/,https://a.example/", PSA_WEBHOOK_SECRET=SECRET)


def test_the_secret_is_required_when_the_bridge_is_used() -> None:
    assert "required" in refused("PSA_WEBHOOK_SECRET", PSA_WEBHOOK_URLS="https://psa.example/")
    assert "required" in refused("PSA_WEBHOOK_SECRET", PSA_INBOUND="true")


def test_a_short_secret_is_refused_without_quoting_it() -> None:
    message = refused("PSA_WEBHOOK_SECRET", PSA_INBOUND="true", PSA_WEBHOOK_SECRET="short-secret-123")
    assert "at least 32" in message and "short-secret-123" not in message


def test_the_secret_is_redacted_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    secret = "psa-" + "k" * 36
    configured = settings(PSA_INBOUND="true", PSA_WEBHOOK_SECRET=secret)
    assert secret in logsafe.secrets_of(configured)
    previous, level = logging.getLogRecordFactory(), logging.getLogger().level
    try:
        logsafe.install(logsafe.secrets_of(configured), "INFO")
        with caplog.at_level(logging.INFO):
            logging.getLogger("test").info("signing with %s", secret)
    finally:
        logging.setLogRecordFactory(previous)
        logging.getLogger().setLevel(level)
    assert secret not in caplog.text and "[redacted]" in caplog.text
