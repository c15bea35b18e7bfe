"""The log redactor: what it hides (tokens, codes, secrets by name and by shape, the configured secrets), what it
leaves alone, and that it covers every logger, handlers added later, tracebacks and stacks."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

from desk.logsafe import REDACTED, RedactingRecordFactory, Redactor, install

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGV4In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
OPAQUE = "1.ARsAxyzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
CONFIGURED = "app~secret.With+Odd/Chars"
FERNET_KEY = Fernet.generate_key().decode()


@pytest.fixture
def redact() -> Redactor:
    return Redactor([CONFIGURED, "short"])


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {OPAQUE}",
        f"{{'Authorization': 'Basic {OPAQUE}'}}",
        f"headers={{'authorization': 'bearer {JWT}'}}",
        f"got token {JWT} back",
        f"grant_type=authorization_code&code={OPAQUE}&code_verifier={OPAQUE}",
        f"client_id=abc&client_secret={OPAQUE}&scope=x",
        f"GET /auth/callback?code={OPAQUE}&state=abc HTTP/1.1",
        f'{{"refresh_token": "{OPAQUE}", "token_type": "Bearer"}}',
        f"{{'access_token': '{OPAQUE}'}}",
        f'{{"RefreshToken": {{"k": {{"credential_type": "RefreshToken", "secret": "{OPAQUE}"}}}}}}',
        f'{{"device_code": "{OPAQUE}"}}',
        f"TOKEN_CACHE_KEY is {FERNET_KEY}.",
        f"the password is {CONFIGURED}!",
        "form client_secret=app~secret.With%2BOdd%2FChars",
        "url-encoded app%7Esecret.With%2BOdd%2FChars",
    ],
)
def test_secrets_are_redacted(redact: Redactor, text: str) -> None:
    redacted = redact(text)

    assert REDACTED in redacted
    for secret in (JWT, OPAQUE, FERNET_KEY, CONFIGURED, "With%2BOdd"):
        assert secret not in redacted


def test_redacting_twice_changes_nothing_more(redact: Redactor) -> None:
    text = f"client_secret={CONFIGURED}&code={OPAQUE} Authorization: Bearer {JWT} {{'secret': '{FERNET_KEY}'}}"

    assert redact(redact(text)) == redact(text)
    assert redact(text) == (
        f"client_secret={REDACTED}&code={REDACTED} Authorization: Bearer {REDACTED} {{'secret': '{REDACTED}'}}"
    )


@pytest.mark.parametrize(
    "text",
    [
        "response_type=code&code_challenge=x3b3jSPsAmwds79Jlj1LiAqKaE0LmjdEuBRgDUhzOE0&code_challenge_method=S256",
        "HTTP status code 502 from Partner Center",
        "Basic support plan; Bearer tokens expire",
        '"token_type": "Bearer", "expires_in": 3599',
        "ticket T-1001 escalated: service request 626120372126707",
        "a short secret stays readable elsewhere: shortcut",
    ],
)
def test_ordinary_text_is_left_alone(redact: Redactor, text: str) -> None:
    assert redact(text) == text


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """A root handler at DEBUG writing to a string, the redactor installed; logging restored after."""
    root = logging.getLogger()
    saved = (root.level, root.handlers[:], logging.getLogRecordFactory())
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    install([CONFIGURED], "DEBUG")
    yield stream
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    logging.setLogRecordFactory(saved[2])


def test_third_party_loggers_at_debug_are_redacted(logged: io.StringIO) -> None:
    logging.getLogger("msrest.http_logger").debug("    %r: %r", "Authorization", f"Bearer {OPAQUE}")
    logging.getLogger("urllib3.connectionpool").debug('"%s %s %s" %s', "GET", f"/cb?code={OPAQUE}", "HTTP/1.1", 200)

    assert OPAQUE not in logged.getvalue()
    assert logged.getvalue().count(REDACTED) == 2


def test_tracebacks_and_stacks_are_redacted(logged: io.StringIO) -> None:
    try:
        raise RuntimeError(f"token endpoint said: refresh_token={OPAQUE} for {CONFIGURED}")
    except RuntimeError:
        logging.getLogger("bot.features.sign_ins").exception("sign-in failed")
    logging.getLogger("desk").warning("where %s", JWT, stack_info=True)

    text = logged.getvalue()
    assert "Traceback (most recent call last)" in text and "RuntimeError: token endpoint said" in text
    assert OPAQUE not in text and CONFIGURED not in text and JWT not in text


def test_a_handler_added_later_gets_redacted_records_too(logged: io.StringIO) -> None:
    late = io.StringIO()
    handler = logging.StreamHandler(late)
    logging.getLogger("aiohttp.access").addHandler(handler)
    try:
        logging.getLogger("aiohttp.access").info('"GET /auth/callback?code=%s HTTP/1.1" 200', OPAQUE)
    finally:
        logging.getLogger("aiohttp.access").removeHandler(handler)

    assert OPAQUE not in late.getvalue() and REDACTED in late.getvalue()


def test_a_malformed_call_does_not_print_its_arguments(logged: io.StringIO, capsys: pytest.CaptureFixture) -> None:
    logging.getLogger("desk").error("two %s %s", f"Bearer {OPAQUE}")  # one argument short

    assert OPAQUE not in logged.getvalue() + capsys.readouterr().err
    assert "unformattable log message 'two %s %s'" in logged.getvalue()


def test_installing_again_replaces_the_secrets_without_wrapping_twice(logged: io.StringIO) -> None:
    install(["another-configured-secret"], "INFO")

    factory = logging.getLogRecordFactory()
    assert isinstance(factory, RedactingRecordFactory) and not isinstance(factory.inner, RedactingRecordFactory)
    logging.getLogger("desk").info("old %s new %s", CONFIGURED, "another-configured-secret")
    logging.getLogger("desk").debug("below the level: not made at all")
    assert logged.getvalue() == f"INFO desk: old {CONFIGURED} new {REDACTED}\n"
    assert logging.getLogger().level == logging.INFO
