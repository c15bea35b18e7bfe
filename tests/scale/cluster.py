"""Several desks on one PostgreSQL as deployed: each instance a real process (`python app.py`, or gunicorn with
aiohttp workers) in local mode, and a small round-robin HTTP proxy in front of them that, like Teams, sends a request
that got no answer (its instance died) again, to the next instance."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web
from cryptography.fernet import Fernet

from tests.e2e.running import ROOT, free_port
from tests.support.engines import schema_url

# What every instance of one desk shares besides the database (a deployment sets these once for all containers).
SHARED_SETTINGS = {
    "PARTNER_NAME": "Contoso Cloud Services",
    "SUPPORT_EMAIL": "support@contosocloud.example",
    "LOG_LEVEL": "INFO",
}


def new_database(server_url: str) -> str:
    """A DATABASE_URL naming a fresh, empty schema on the test's PostgreSQL server."""
    import psycopg

    schema = f"s_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    return schema_url(server_url, schema)


def desk_env(data_dir: Path, database_url: str, connector_url: str, **overrides: str) -> dict[str, str]:
    """A process environment with nothing of the test runner's desk settings: local mode, this database, this
    connector allowed, one token key for all instances (so any of them opens what another sealed)."""
    env = {name: value for name, value in os.environ.items() if name in {"PATH", "HOME", "LANG", "TMPDIR", "TZ"}}
    env.update(SHARED_SETTINGS)
    env.update(
        {
            "HOST": "127.0.0.1",
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "SERVICE_URL_ALLOWLIST": connector_url,
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def token_key() -> str:
    """A Fernet key for TOKEN_CACHE_KEY."""
    return Fernet.generate_key().decode()


class Process:
    """A desk process: its command, environment, log files; started, stopped gracefully, or killed with SIGKILL.
    `group`: it runs in a process group of its own, and SIGKILL takes the whole group (gunicorn and its workers)."""

    def __init__(
        self, name: str, folder: Path, command: list[str], env: dict[str, str], port: int, group: bool = False
    ) -> None:
        self.name = name
        self.folder = folder
        self.command = command
        self.env = env
        self.port = port
        self.group = group
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The process's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def stderr_path(self) -> Path:
        return self.folder / f"{self.name}.stderr.log"

    def start(self) -> Process:
        """Start the process (not waiting for it to be ready: see `ready`)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f"{self.name}.stdout.log", "ab") as out, open(self.stderr_path, "ab") as err:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=out, stderr=err, start_new_session=self.group
            )
        return self

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.process is not None and self.process.poll() is None

    def stderr(self) -> str:
        """What the process wrote to stderr so far (its log lines)."""
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    async def ready(self, seconds: float = 90) -> None:
        """Wait until /readyz answers 200; fails at once, with its log, when the process ended."""
        async with aiohttp.ClientSession() as session:
            try:
                async with asyncio.timeout(seconds):
                    while True:
                        if not self.alive():
                            raise AssertionError(f"{self.name} ended while starting:\n{self.stderr()[-3000:]}")
                        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                            async with session.get(f"{self.url}/readyz", timeout=aiohttp.ClientTimeout(2)) as answer:
                                if answer.status == 200:
                                    return
                        await asyncio.sleep(0.2)
            except TimeoutError:
                raise AssertionError(f"{self.name} not ready in {seconds}s:\n{self.stderr()[-3000:]}") from None

    def kill(self) -> None:
        """SIGKILL: the process (group) dies at once, mid-turn, nothing cleaned up."""
        if self.process is None:
            return
        if self.group:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # also a worker its arbiter lost track of
        elif self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM and wait (gunicorn's arbiter stops its workers gracefully), then SIGKILL whatever is left; safe on
        a dead or never-started process."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(30)
        self.kill()


def app_instance(name: str, folder: Path, env: dict[str, str]) -> Process:
    """`python app.py` on a free port, its files under folder/name."""
    port = free_port()
    data = folder / name
    return Process(name, data, [sys.executable, "app.py"], {**env, "PORT": str(port), "DATA_DIR": str(data)}, port)


def gunicorn_instance(name: str, folder: Path, env: dict[str, str], workers: int) -> Process:
    """`gunicorn 'app:make_app()'` with `workers` aiohttp workers (local mode needs LOCAL_MODE=1 there)."""
    port = free_port()
    data = folder / name
    command = [
        sys.executable, "-m", "gunicorn", "app:make_app()", "--worker-class", "aiohttp.GunicornWebWorker",
        "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "20",
        "--no-control-socket",  # its default path is per user: containers on one machine would share it
    ]  # fmt: skip
    return Process(name, data, command, {**env, "LOCAL_MODE": "1", "DATA_DIR": str(data)}, port, group=True)


@dataclass
class Routed:
    """One request through the proxy: the activity id, the instances tried in order, why each one before the last
    gave no answer (refused, or cut mid-request), the final status (None: no instance answered)."""

    activity_id: str
    tried: list[int]
    status: int | None
    failures: list[str] = field(default_factory=list)


class RoundRobinProxy:
    """POST /api/messages to the instances in turn; a request no instance answered (connection refused or cut, as
    when the instance was killed) goes to the next one, as Teams redelivers an activity that got no answer."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.routed: list[Routed] = []
        self._turns = itertools.count()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = free_port()

    @property
    def url(self) -> str:
        """Where Teams (the test) posts activities."""
        return f"http://127.0.0.1:{self.port}/api/messages"

    async def start(self) -> RoundRobinProxy:
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_post("/api/messages", self._forward)
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        activity_id = str((await request.json()).get("id", ""))
        first = next(self._turns)
        routed = Routed(activity_id, [], None)
        self.routed.append(routed)
        for step in range(len(self.backends)):
            index = (first + step) % len(self.backends)
            routed.tried.append(index)
            try:
                async with self._session.post(
                    f"{self.backends[index]}/api/messages", data=body, headers={"Content-Type": "application/json"}
                ) as answer:
                    payload = await answer.read()
                    routed.status = answer.status
                    return web.Response(status=answer.status, body=payload, content_type=answer.content_type)
            except aiohttp.ClientConnectionError as error:  # refused, or cut mid-request: no answer from this one
                routed.failures.append(type(error).__name__)
                continue
        return web.Response(status=502, text="no instance answered")
