"""The Bot Connector's side of inbound authentication, offline: RSA signing keys published as a JWKS with
endorsements, an OpenID metadata server on plain HTTP in its own thread (the SDK fetches metadata with a blocking
`requests.get` inside the event loop, so it must not be served from the test's loop), and token minting."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CHANNEL_ISSUER = "https://api.botframework.com"
METADATA_PATH = "/v1/.well-known/openidconfiguration"
KEYS_PATH = "/v1/.well-known/keys"


@dataclass(frozen=True)
class SigningKey:
    """An RSA key the channel signs with, its key id and the channels it is endorsed for."""

    kid: str
    private_key: rsa.RSAPrivateKey
    endorsements: tuple[str, ...] = ("msteams",)

    def jwk(self) -> dict[str, Any]:
        """The public key as the Bot Framework publishes it: a JWK plus an `endorsements` array."""
        public = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "endorsements": list(self.endorsements)}

    def public_pem(self) -> bytes:
        """The public key in PEM (what an HS256 key-confusion attacker would use as the HMAC secret)."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def new_signing_key(kid: str, endorsements: tuple[str, ...] = ("msteams",)) -> SigningKey:
    """A fresh RSA-2048 signing key."""
    return SigningKey(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048), endorsements)


def channel_claims(app_id: str, service_url: str, *, expires_in: int = 3600, **overrides: Any) -> dict[str, Any]:
    """The claims of a Bot Connector → bot token valid from `expires_in` - 3900 s to `expires_in` s from now;
    an override of None drops the claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "serviceurl": service_url,
        "nbf": now + expires_in - 3900,
        "exp": now + expires_in,
        "iss": CHANNEL_ISSUER,
        "aud": app_id,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(claims: dict[str, Any], key: SigningKey, algorithm: str = "RS256", kid: str | None = None) -> str:
    """`claims` signed with `key` under key id `kid` (default: the key's own)."""
    return jwt.encode(claims, key.private_key, algorithm=algorithm, headers={"kid": kid or key.kid})


def sign_hs256_with_public_key(claims: dict[str, Any], key: SigningKey) -> str:
    """The key-confusion forgery: HS256 over the claims with the published public key's PEM as the HMAC secret
    (built by hand: PyJWT refuses to use an asymmetric key as an HMAC secret)."""
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def unsigned(claims: dict[str, Any], kid: str) -> str:
    """An `alg: none` token naming a published key id, with an empty signature."""
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class Hit:
    """One request a `RecordingServer` answered."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class RecordingServer:
    """A plain-HTTP server on a free loopback port, in a daemon thread, that records every request.

    Subclasses answer in `respond`; the base answers every request 201 `{}` (a trap that only counts).
    """

    hits: list[Hit] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port>/"""
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def respond(self, method: str, path: str) -> tuple[int, dict[str, Any]]:
        """The (status, JSON body) for a request."""
        return 201, {}

    def start(self) -> RecordingServer:
        """Bind a free port and serve in a daemon thread."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                with owner._lock:
                    owner.hits.append(Hit(self.command, self.path, dict(self.headers.items())))
                status, body = owner.respond(self.command, self.path)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="recording-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def requests(self, path: str | None = None) -> list[Hit]:
        """Requests seen so far (only those for `path` when given)."""
        with self._lock:
            return [hit for hit in self.hits if path is None or hit.path == path]


@dataclass
class OpenIdServer(RecordingServer):
    """The Bot Framework's OpenID metadata and JWKS (`login.botframework.com/v1/.well-known/...`)."""

    keys: list[SigningKey] = field(default_factory=list)

    @property
    def metadata_url(self) -> str:
        """The value for TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL."""
        return self.url.rstrip("/") + METADATA_PATH

    def respond(self, method: str, path: str) -> tuple[int, dict[str, Any]]:
        if method == "GET" and path == METADATA_PATH:
            return 200, {
                "issuer": CHANNEL_ISSUER,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": self.url.rstrip("/") + KEYS_PATH,
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        if method == "GET" and path == KEYS_PATH:
            return 200, {"keys": [key.jwk() for key in self.keys]}
        return 404, {"error": "not found"}
