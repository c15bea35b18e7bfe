"""ServiceUrlPolicy: exact hosts over https on the default port, URL prefixes at a path boundary with the same
scheme; Teams connector URLs of both clouds allowed, look-alikes refused."""

from __future__ import annotations

import pytest

from bot.edge.service_urls import ServiceUrlPolicy, ServiceUrlRefused
from desk.clouds import PUBLIC, USGOV
from desk.settings import LOCAL_CONNECTOR_PREFIXES

CLOUD_HOSTS = ServiceUrlPolicy(PUBLIC.connector_hosts + USGOV.connector_hosts)


@pytest.mark.parametrize(
    "url",
    [
        "https://smba.trafficmanager.net/amer/",
        "https://smba.trafficmanager.net/emea/v3/conversations/a:1/activities",
        "https://SMBA.TrafficManager.net:443/apac/",
        "https://smba.infra.gcc.teams.microsoft.com/gcc/",
        "https://smba.infra.gov.teams.microsoft.us/gcch/",
        "https://smba.infra.dod.teams.microsoft.us/dod/",
    ],
)
def test_teams_connectors_of_both_clouds_are_allowed(url: str) -> None:
    assert CLOUD_HOSTS.permits(url)
    CLOUD_HOSTS.check(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://smba.trafficmanager.net.attacker.example/amer/",
        "https://attacker.example/smba.trafficmanager.net/amer/",
        "https://smba.trafficmanager.net@attacker.example/amer/",
        "https://xsmba.trafficmanager.net/amer/",
        "http://smba.trafficmanager.net/amer/",  # plain http
        "https://smba.trafficmanager.net:8443/amer/",  # another port
        "https://smba.trafficmanager.net:bad/amer/",
        "smba.trafficmanager.net/amer/",
        "",
        None,
    ],
)
def test_look_alikes_of_a_host_entry_are_refused(url: str | None) -> None:
    assert not CLOUD_HOSTS.permits(url)
    with pytest.raises(ServiceUrlRefused, match="SERVICE_URL_ALLOWLIST"):
        CLOUD_HOSTS.check(url)


@pytest.mark.parametrize(
    ("entry", "url", "allowed"),
    [
        # A URL prefix ends at the host: the host must end there too.
        ("https://smba.trafficmanager.net", "https://smba.trafficmanager.net/amer/", True),
        ("https://smba.trafficmanager.net", "https://smba.trafficmanager.net.attacker.example/amer/", False),
        ("https://smba.trafficmanager.net/", "https://smba.trafficmanager.net.attacker.example/amer/", False),
        ("https://smba.trafficmanager.net", "https://smba.trafficmanager.net:8443/amer/", False),
        # A path prefix matches at a '/' boundary, written with or without its trailing slash.
        ("https://connector.example.test/amer/", "https://connector.example.test/amer/v3/x", True),
        ("https://connector.example.test/amer", "https://connector.example.test/amer", True),
        ("https://connector.example.test/amer", "https://connector.example.test/amerx/", False),
        ("https://connector.example.test/amer/", "https://connector.example.test/emea/", False),
        # The scheme must match.
        ("https://connector.example.test/", "http://connector.example.test/", False),
        ("http://connector.example.test/", "https://connector.example.test/", False),
        ("http://connector.example.test/", "http://connector.example.test/v3/", True),
        # An explicit port, or any port when the entry ends with ':'.
        ("http://127.0.0.1:3979/", "http://127.0.0.1:3979/v3/", True),
        ("http://127.0.0.1:3979/", "http://127.0.0.1:3980/", False),
        ("http://127.0.0.1:", "http://127.0.0.1:56150/", True),
    ],
)
def test_url_prefix_entries(entry: str, url: str, allowed: bool) -> None:
    assert ServiceUrlPolicy((entry,)).permits(url) is allowed


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://localhost:56150/", True),
        ("http://127.0.0.1:3978/", True),
        ("http://127.0.0.1:41234/v3/conversations", True),
        ("http://127.0.0.1.attacker.example/", False),
        ("http://localhost.attacker.example:80/", False),
        ("https://127.0.0.1:3978/", False),
    ],
)
def test_local_mode_defaults_allow_any_loopback_port(url: str, allowed: bool) -> None:
    assert ServiceUrlPolicy(LOCAL_CONNECTOR_PREFIXES).permits(url) is allowed
