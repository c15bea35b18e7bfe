"""The signed CSV links: a genuine link verifies, a changed one does not, and a made-up `expires` that is no ASCII
number is refused like any forgery rather than failing the request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlparse

from desk.report_links import ReportLinks

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlparse(url).query))


def test_a_genuine_link_verifies_and_a_changed_one_does_not() -> None:
    links = ReportLinks("https://desk.example", b"secret")
    good = query(links.url("abc123", NOW + timedelta(minutes=15)))

    assert links.verify(good, NOW) == "abc123"
    assert links.verify({**good, "export": "abc124"}, NOW) is None
    assert links.verify(good, NOW + timedelta(minutes=16)) is None


def test_an_expiry_of_non_ascii_digits_is_refused_not_an_error() -> None:
    links = ReportLinks("https://desk.example", b"secret")
    good = query(links.url("abc123", NOW + timedelta(minutes=15)))

    # "²" and "١٢" are digits to str.isdigit; int() rejects the first and reads the second.
    assert links.verify({**good, "expires": "²"}, NOW) is None
    assert links.verify({**good, "expires": "١٢"}, NOW) is None


def test_a_signature_with_non_ascii_characters_is_refused_not_an_error() -> None:
    links = ReportLinks("https://desk.example", b"secret")
    good = query(links.url("abc123", NOW + timedelta(minutes=15)))

    # hmac.compare_digest raises TypeError for a str that is not ASCII: a forged link must still get a plain no.
    assert links.verify({**good, "sig": "é" + good["sig"][1:]}, NOW) is None
