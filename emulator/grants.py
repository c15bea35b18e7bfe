"""What the emulated Entra ID remembers between the steps of a user's sign-in: one-time authorization codes,
refresh tokens, and device codes waiting for someone to enter them."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

CODE_LIFETIME = 600  # Entra's authorization codes live about ten minutes
# Entra's user codes: nine characters without look-alikes (no 0/O, 1/I).
USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Consent:
    """Who signed in, to which app, in which tenant, for which scopes (space-separated, as requested)."""

    client_id: str
    tenant_id: str
    user_id: str
    scope: str
    nonce: str = ""


@dataclass
class AuthCode:
    """An authorization code and what it is bound to."""

    consent: Consent
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    expires_at: float
    redeemed: bool = False


@dataclass
class DeviceCode:
    """A device-code sign-in: pending until a user enters the code and picks an account."""

    device_code: str
    user_code: str
    client_id: str
    tenant_id: str
    scope: str
    expires_at: float
    user_id: str | None = None
    declined: bool = False
    redeemed: bool = False


@dataclass
class Grants:
    """Codes and refresh tokens issued by the emulator; thread-safe."""

    codes: dict[str, AuthCode] = field(default_factory=dict)
    refresh_tokens: dict[str, Consent] = field(default_factory=dict)
    devices: dict[str, DeviceCode] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Every secret handed out (codes, device codes, access, id and refresh tokens), for tests that check none of
    # them reaches the desk's logs; revoking a token does not remove it from here.
    _issued: list[str] = field(default_factory=list)

    def note_issued(self, *values: str) -> None:
        """Record secrets handed out by the token endpoint (access and id tokens)."""
        with self.lock:
            self._issued.extend(values)

    def issued(self) -> tuple[str, ...]:
        """Every code and token issued so far (read-only)."""
        with self.lock:
            return tuple(self._issued)

    def issue_code(self, consent: Consent, redirect_uri: str, challenge: str, method: str) -> str:
        """A new one-time authorization code."""
        code = "1.A" + secrets.token_urlsafe(48)
        with self.lock:
            self.codes[code] = AuthCode(consent, redirect_uri, challenge, method, time.time() + CODE_LIFETIME)
            self._issued.append(code)
        return code

    def take_code(self, code: str) -> AuthCode | None:
        """The code's record, marked redeemed (the caller checks `redeemed` and `expires_at` first)."""
        with self.lock:
            record = self.codes.get(code)
            if record is None:
                return None
            snapshot = AuthCode(**vars(record))
            record.redeemed = True
            return snapshot

    def issue_refresh_token(self, consent: Consent) -> str:
        """A new refresh token for a consent (earlier ones stay valid, as Entra's do)."""
        token = "1.AR" + secrets.token_urlsafe(64)
        with self.lock:
            self.refresh_tokens[token] = consent
            self._issued.append(token)
        return token

    def refresh_consent(self, token: str) -> Consent | None:
        """What a refresh token was issued for, or None when unknown or revoked."""
        with self.lock:
            return self.refresh_tokens.get(token)

    def revoke_user(self, user_id: str) -> None:
        """Forget every refresh token of a user."""
        with self.lock:
            for token in [t for t, c in self.refresh_tokens.items() if c.user_id == user_id]:
                del self.refresh_tokens[token]

    def start_device(self, client_id: str, tenant_id: str, scope: str, lifetime: int) -> DeviceCode:
        """A new pending device-code sign-in."""
        user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(9))
        device = DeviceCode(
            "DAQABAAEAAAD" + secrets.token_urlsafe(96), user_code, client_id, tenant_id, scope, time.time() + lifetime
        )
        with self.lock:
            self.devices[device.device_code] = device
            self._issued.append(device.device_code)
        return device

    def device_by_user_code(self, user_code: str) -> DeviceCode | None:
        """The unexpired device sign-in with this user code that nobody answered yet (case, dashes ignored)."""
        with self.lock:
            return self._pending(user_code)

    def answer_device(self, user_code: str, user_id: str | None) -> DeviceCode | None:
        """Approve (a user id) or decline (None) a pending device sign-in; None when the code is unknown."""
        with self.lock:
            device = self._pending(user_code)
            if device is not None:
                device.user_id = user_id
                device.declined = user_id is None
            return device

    def poll_device(self, device_code: str) -> DeviceCode | None:
        """A copy of the device sign-in as it is now, marking it redeemed if it was approved."""
        with self.lock:
            device = self.devices.get(device_code)
            if device is None:
                return None
            snapshot = DeviceCode(**vars(device))
            if device.user_id and not device.redeemed and device.expires_at > time.time():
                device.redeemed = True
            return snapshot

    def _pending(self, user_code: str) -> DeviceCode | None:
        wanted = user_code.replace("-", "").replace(" ", "").upper()
        now = time.time()
        for device in self.devices.values():
            answered = device.user_id is not None or device.declined
            if device.user_code == wanted and not answered and device.expires_at > now:
                return device
        return None
