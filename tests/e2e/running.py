"""Running the real thing for the browser test: the bot in local mode as a process, two Microsoft 365 Agents
Playground instances (customer tenant, partner tenant), and helpers that drive their pages like a person."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playground.render import write as write_configs
from tests.support.engines import fresh_database_url

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND = ROOT / "node_modules" / ".bin" / "agentsplayground"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def missing_tools() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"Chromium is not installed at {CHROMIUM} (Debian package 'chromium'; scripts/test installs it)"
    if shutil.which("npx") is None:
        return "npx is not installed (Node.js; scripts/test installs it)"
    if not PLAYGROUND.exists():
        return "the Agents Playground is not installed (npm ci; scripts/test runs it)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (requirements-dev.txt)"
    return None


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_http(url: str, seconds: float = 30) -> None:
    """Wait until `url` answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=2).close()
            return
        time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {seconds}s")


class Bot:
    """The desk in local mode, as `python app.py` runs it."""

    def __init__(self, data: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.emulator_port = free_port()
        self.data = data
        self.env = {
            **os.environ,
            **env,
            "PORT": str(self.port),
            "DATA_DIR": str(data),
            "DATABASE_URL": fresh_database_url(data),  # SQLite under DATA_DIR, or PostgreSQL on that pass
            "HOST": "127.0.0.1",
            "EMULATOR_PORT": str(self.emulator_port),
        }
        self.env.pop("MicrosoftAppId", None)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The messaging endpoint."""
        return f"http://127.0.0.1:{self.port}/api/messages"

    def start(self) -> None:
        """Start and wait until it is ready."""
        log = open(self.data / "bot.log", "ab")  # noqa: SIM115 - kept open for the process's life
        self.process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        wait_http(f"http://127.0.0.1:{self.port}/readyz")

    def advance_service_request(self, sr_id: str, note: str, status: str) -> None:
        """Microsoft Support's move on a service request, through the emulator's control route."""
        self.control(f"partnercenter/servicerequests/{sr_id}/advance", {"note": note, "status": status})

    def start_incident_storm(self) -> None:
        """Microsoft's incident EX123456 in every customer the app can read (emulator/demo_storm.py)."""
        self.control("graph/storm", {})

    def control(self, path: str, body: dict[str, object]) -> None:
        """POST `body` to one of the emulator's control routes (served with its own throw-away CA)."""
        import json
        import ssl

        context = ssl.create_default_context(cafile=str(self.data / "emulator-tls" / "ca.pem"))
        request = urllib.request.Request(
            f"https://127.0.0.1:{self.emulator_port}/_emulator/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(request, context=context, timeout=10).close()

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), as a deployment would."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Playgrounds:
    """Two playground instances: the customer's tenant and the partner's."""

    def __init__(self, folder: Path, bot_url: str) -> None:
        self.customer_dir, self.partner_dir = write_configs(folder)
        self.bot_url = bot_url
        self.customer_port, self.partner_port = free_port(), free_port()
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        """Start both and wait until their pages answer."""
        for folder, port in ((self.customer_dir, self.customer_port), (self.partner_dir, self.partner_port)):
            log = open(folder / "playground.log", "ab")  # noqa: SIM115
            env = {**os.environ, "TEAMSAPPTESTER_BROWSER": "none"}
            command = [str(PLAYGROUND), "-e", self.bot_url, "-c", "msteams", "-p", str(port), "--dt"]
            self.processes.append(
                subprocess.Popen(command, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            )
            wait_http(f"http://localhost:{port}/", 60)

    def stop(self) -> None:
        """Stop both."""
        for process in self.processes:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)


@contextlib.contextmanager
def running(folder: Path, env: dict[str, str]) -> Iterator[tuple[Bot, Playgrounds]]:
    """The bot in local mode with `env`, and both playgrounds talking to it; stopped whatever the outcome."""
    bot = Bot(folder / "data", env)
    # The ports are chosen before the bot starts: it sends the customer playground's user her install event there.
    playgrounds = Playgrounds(folder / "playground", bot.url)
    bot.env["CUSTOMER_PLAYGROUND_PORT"] = str(playgrounds.customer_port)
    bot.data.mkdir()
    bot.start()
    try:
        playgrounds.start()
        yield bot, playgrounds
    finally:
        playgrounds.stop()
        bot.stop()
