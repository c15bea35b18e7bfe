"""Keeping secrets out of the logs: every log record of every logger (ours, MSAL's, urllib3's, aiohttp's access log,
msrest's request dumps at DEBUG...) is redacted as it is made, its message, arguments, traceback and stack alike.

Installed once at start-up (`install`) as the logging record factory, so it covers loggers and handlers created
later too, whatever formats them. It redacts bearer and Basic credentials, JWT-looking strings, Fernet keys, the
values of secret-named fields (`client_secret=`, `code=`, `"refresh_token": "..."`, MSAL's cache `"secret"`...),
and the configured secrets wherever they appear."""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from desk.settings import Settings

REDACTED = "[redacted]"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Configured secrets shorter than this are not replaced literally (they would blank out ordinary words); they are
# too short to be real secrets anyway, and the patterns below still catch them in their usual places.
MIN_LITERAL = 8
# Field names whose values are secrets: OAuth parameters and responses, MSAL's cache entries, passwords.
_NAMES = (
    r"access_token|refresh_token|id_token|client_secret|client_assertion|code_verifier|device_code|code"
    r"|password|secret|assertion|token"
)
# Each pattern runs only on text holding one of its triggers (lower-cased): most log lines hold none.
_NAME_TRIGGERS = ("token", "secret", "code", "password", "assertion")
_PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    # Authorization headers of any scheme, however printed: `Authorization: Basic x`, `'Authorization': 'Bearer x'`.
    (
        ("authorization",),
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?[A-Za-z]+\s+)[^\s'\",;]+"),
        r"\1" + REDACTED,
    ),
    (("bearer",), re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]{16,}=*"), r"\1" + REDACTED),
    # JSON and Python reprs: "name": "value" (an escaped quote does not end the value).
    (
        _NAME_TRIGGERS,
        re.compile(rf"(?i)(([\"'])(?:{_NAMES})\2\s*:\s*)([\"'])(?:\\.|(?!\3).)*\3"),
        r"\1\3" + REDACTED + r"\3",
    ),
    # Query strings, form bodies, `name=value` text (a value already redacted is left as it is).
    (
        _NAME_TRIGGERS,
        re.compile(rf"(?i)((?<![\w-])(?:{_NAMES})=)(?!\[redacted\])[^&\s\"',;)\]}}>]+"),
        r"\1" + REDACTED,
    ),
    # JWTs: base64url JSON header ("eyJ"), payload, signature (possibly empty: alg none).
    (("eyj",), re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # Fernet keys: 32 bytes of url-safe base64.
    (("=",), re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}=(?![A-Za-z0-9_=-])"), REDACTED),
)


class Redactor:
    """Replaces secrets in text: the configured ones literally (also URL-encoded), the rest by pattern."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        literal: set[str] = set()
        for secret in (s for s in secrets if len(s) >= MIN_LITERAL):
            encoded = {quote_plus(secret), quote(secret, safe="")}
            # Encoders differ on "~" (unreserved since RFC 3986; older ones escape it).
            literal |= {secret, *encoded, *(e.replace("~", "%7E") for e in encoded)}
        self._literal = sorted(literal, key=len, reverse=True)  # longest first: no secret is half-replaced

    def __call__(self, text: str) -> str:
        for secret in self._literal:
            if secret in text:
                text = text.replace(secret, REDACTED)
        lower = text.lower()
        for triggers, pattern, replacement in _PATTERNS:
            if any(trigger in lower for trigger in triggers):
                text = pattern.sub(replacement, text)
        return text


class RedactingRecordFactory:
    """A logging record factory that redacts each record as it is made: the message is formatted at once (records
    are only made for enabled levels), the traceback and stack rendered and redacted, the arguments dropped."""

    def __init__(self, inner: Callable[..., logging.LogRecord], redact: Redactor) -> None:
        self.inner = inner
        self.redact = redact

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: logging would print its arguments to stderr, secrets and all
            message = f"unformattable log message {record.msg!r}"
        record.msg, record.args = self.redact(message), ()
        if record.exc_info and record.exc_info[0] is not None:
            # Formatters print this cached text instead of rendering exc_info again (exc_info stays for tools
            # that look at the exception itself).
            record.exc_text = self.redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return record


class RedactingFormatter(logging.Formatter):
    """A formatter that redacts its whole output too (attributes a format adds, should any hold a secret)."""

    def __init__(self, redact: Redactor, fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


def install(secrets: Iterable[str], level: str | int) -> Redactor:
    """Redact every log record from now on (replacing an earlier install's secrets), set the root level, and give
    the root logger a redacting stderr handler when it has none (under gunicorn, or run directly)."""
    redact = Redactor(secrets)
    current = logging.getLogRecordFactory()
    inner = current.inner if isinstance(current, RedactingRecordFactory) else current
    logging.setLogRecordFactory(RedactingRecordFactory(inner, redact))
    root = logging.getLogger()
    root.setLevel(level)
    if not root.handlers:
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(RedactingFormatter(redact))
        root.addHandler(handler)
    for handler in root.handlers:
        if isinstance(handler.formatter, RedactingFormatter):
            handler.formatter.redact = redact
    return redact


def secrets_of(settings: Settings) -> list[str]:
    """The configured secrets: the bot's password, the partner app's secret, the token-cache keys, the PSA bridge's
    shared secret."""
    found = [settings.bot.app_password, settings.api_client_secret, settings.psa.secret]
    found += [key.decode("ascii") for key in settings.token_cache_keys]
    return [secret for secret in found if secret]
