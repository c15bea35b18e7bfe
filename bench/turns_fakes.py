"""Everything Microsoft runs around a bot, for bench/turns.py, in one process of its own on loopback (so that its
work is neither the bots' CPU nor the client's): the Bot Connector (tests/support/connector.py's LocalConnector), the
channel's OpenID metadata and keys (tests/support/tokens.py's OpenIdServer, publishing the key the benchmark signs
its tokens with) and the Microsoft API emulator (Entra ID's token endpoint for the bots' outbound token, Partner
Center's customer list, Graph).

    python -m bench.turns_fakes FOLDER

reads FOLDER/channel-key.pem, writes FOLDER/fakes.json (the URLs) once every server listens, and serves until its
standard input closes or it is terminated. The connector also answers `GET /bench/sent?from=N` (what bots sent,
summarised, from the Nth request on) and `POST /bench/roster` (members to add to the Teams roster).
"""

from __future__ import annotations

import json
import re
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.server import EmulatorServer
from emulator.state import EmulatorState
from tests.support.activities import with_demo_roster
from tests.support.connector import LocalConnector, Sent
from tests.support.production import BOT_APP_ID, BOT_PASSWORD
from tests.support.tokens import OpenIdServer, SigningKey

KEY_FILE = "channel-key.pem"
KEY_ID = "bench-teams-key"
READY_FILE = "fakes.json"
TICKET_NUMBER = re.compile(r"\bT-\d+\b")
MARKER = re.compile(r"\[bench [\w-]+\]")  # what bench/turns.py writes into each relayed message


def summary(index: int, sent: Sent) -> dict[str, Any]:
    """What the checks need of one request a bot made: where it went, its text, its first card's title and the id
    its Submit ticket button carries (a ticket form)."""
    cards = sent.cards
    text = sent.text + (json.dumps(cards, ensure_ascii=False) if cards else "")
    title = ""
    submit_id = ""
    if cards:
        body = cards[0].get("body") or [{}]
        title = str(body[0].get("text", "")) if isinstance(body[0], dict) else ""
        for action in cards[0].get("actions") or []:
            if isinstance(action, dict) and action.get("verb") == "ticket.submit":
                submit_id = str((action.get("data") or {}).get("id", ""))
    return {
        "index": index,
        "method": sent.method,
        "path": sent.path,
        "conversation": sent.conversation_id,
        "reply_to": sent.activity_id,
        "text": sent.text,
        "title": title,
        "submit_id": submit_id,
        "tickets": sorted(set(TICKET_NUMBER.findall(text))),
        "markers": sorted(set(MARKER.findall(text))),
        "response_id": sent.response_id,
    }


class BenchConnector(LocalConnector):
    """The local connector with two routes for the benchmark: what was sent, and roster additions."""

    def _app(self) -> web.Application:
        app = super()._app()
        app.router.add_get("/bench/sent", self._sent)
        app.router.add_post("/bench/roster", self._roster)
        return app

    async def _sent(self, request: web.Request) -> web.Response:
        start = int(request.query.get("from", "0"))
        with self._lock:
            chosen = list(enumerate(self.sent))[start:]
            count = len(self.sent)
        return web.json_response({"count": count, "sent": [summary(index, sent) for index, sent in chosen]})

    async def _roster(self, request: web.Request) -> web.Response:
        members = await request.json()
        with self._lock:
            for member in members:
                self.members[member["id"]] = member
        return web.json_response({"members": len(self.members)})


def load_key(folder: Path) -> SigningKey:
    private = serialization.load_pem_private_key((folder / KEY_FILE).read_bytes(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    return SigningKey(KEY_ID, private)


def serve(folder: Path) -> None:
    connector = with_demo_roster(BenchConnector().start())
    openid = OpenIdServer(keys=[load_key(folder)]).start()
    emulator = EmulatorServer(EmulatorState(), folder / "tls").start()
    emulator.state.apps[BOT_APP_ID] = BOT_PASSWORD
    ready = {
        "connector": connector.url,
        "metadata_url": openid.metadata_url,
        "emulator": emulator.base_url,
        "ca_file": str(emulator.tls.ca_cert),
    }
    (folder / (READY_FILE + ".tmp")).write_text(json.dumps(ready))
    (folder / (READY_FILE + ".tmp")).rename(folder / READY_FILE)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    for server in (connector, openid, emulator):
        server.stop()


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
