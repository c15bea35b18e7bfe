"""The processes of bench/turns.py, each on loopback: the fakes (connector, OpenID metadata, Entra ID/Partner Center/
Graph emulator), the desk (`python app.py` in production mode, authentication on), the stock echo bot and the plain
aiohttp floor. Each bot is started on demand and stopped after its rows, so each row's RSS and CPU are its own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.hazmat.primitives import serialization

from bench.turns_fakes import KEY_FILE, READY_FILE
from emulator import demo
from tests.support.production import BOT_APP_ID, BOT_PASSWORD
from tests.support.tokens import CHANNEL_ISSUER, SigningKey

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120.0
# Only these pass from the caller's environment: nothing of a developer's desk settings leaks into the bots.
PASSED = ("PATH", "HOME", "LANG", "TMPDIR", "TZ", "PYTHONPATH")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env() -> dict[str, str]:
    return {name: os.environ[name] for name in PASSED if name in os.environ} | {"PYTHONUNBUFFERED": "1"}


@dataclass
class Fakes:
    """The running fakes process and its URLs."""

    process: subprocess.Popen[bytes]
    connector: str
    metadata_url: str
    emulator: str
    ca_file: str

    def stop(self) -> None:
        stop(self.process)


def start_fakes(folder: Path, key: SigningKey) -> Fakes:
    """Start the fakes publishing `key`; returns once they listen."""
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (folder / KEY_FILE).write_bytes(pem)
    log = open(folder / "fakes.log", "wb")  # noqa: SIM115 - the child writes it for its whole life
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.turns_fakes", str(folder)],
        cwd=ROOT,
        env=base_env(),
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while not (folder / READY_FILE).exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise SystemExit(f"the fakes did not start:\n{(folder / 'fakes.log').read_text()[-3000:]}")
        time.sleep(0.1)
    urls = json.loads((folder / READY_FILE).read_text())
    return Fakes(process, urls["connector"], urls["metadata_url"], urls["emulator"], urls["ca_file"])


def sdk_env(fakes: Fakes) -> dict[str, str]:
    """The bot's registration and the SDK's endpoints, all local: the channel's OpenID metadata, the bot's token."""
    return {
        "MicrosoftAppId": BOT_APP_ID,
        "MicrosoftAppPassword": BOT_PASSWORD,
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": fakes.metadata_url,
        "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": CHANNEL_ISSUER,
        "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": "https://api.botframework.com",
        "TO_CHANNEL_FROM_BOT_LOGIN_URL": f"{fakes.emulator}/login/botframework.com",
        "OAUTH_URL": f"{fakes.emulator}/oauth",
        "VALIDATE_AUTHORITY": "false",
    }


def desk_env(fakes: Fakes, data: Path, database_url: str) -> dict[str, str]:
    """Production mode (a bot app id is set) as tests/support/production.py has it: every Microsoft endpoint local,
    the local connector allowed."""
    return {
        **sdk_env(fakes),
        "PARTNER_TENANT_ID": demo.PARTNER.tenant_id,
        "SERVICE_URL_ALLOWLIST": fakes.connector,
        "LOGIN_URL": f"{fakes.emulator}/login",
        "GRAPH_URL": f"{fakes.emulator}/graph",
        "PARTNER_CENTER_URL": f"{fakes.emulator}/partnercenter",
        "PARTNER_APP_ID": demo.APP_ID,
        "PARTNER_APP_SECRET": demo.APP_SECRET,
        "EXTRA_CA_FILE": fakes.ca_file,
        "DATA_DIR": str(data),
        "DATABASE_URL": database_url,
        "PARTNER_NAME": "Contoso Cloud Services",
        "SUPPORT_EMAIL": "support@contosocloud.example",
        # The submit row queues a card per ticket into one triage channel, faster than Teams lets them through: a
        # storm, whose cards the desk would keep back (desk/storm.py). This benchmark measures turns and checks one
        # card per ticket, so storm mode is off here; tests/bot/test_storm_mode.py holds storm mode to its behaviour.
        "STORM_THRESHOLD": "-1",
    }


@dataclass
class Bot:
    """A bot process listening on `port`."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        stop(self.process)


def start_bot(name: str, command: list[str], env: dict[str, Any], folder: Path) -> Bot:
    """Start a bot process and wait until its /healthz answers."""
    port = free_port()
    log = folder / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**base_env(), **env, "PORT": str(port), "HOST": "127.0.0.1"}, stdout=out, stderr=out
        )
    bot = Bot(name, process, port, log)
    try:
        asyncio.run(_ready(bot))
    except BaseException:
        bot.stop()
        raise
    return bot


async def _ready(bot: Bot) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if bot.process.poll() is not None:
                raise SystemExit(f"{bot.name} exited with {bot.process.returncode}:\n{bot.log.read_text()[-3000:]}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"http://127.0.0.1:{bot.port}/healthz", timeout=aiohttp.ClientTimeout(2)) as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise SystemExit(f"{bot.name} was not ready in {START_TIMEOUT:.0f} s:\n{bot.log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 30 s; safe on a process that has ended."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
