"""A throw-away PostgreSQL server for the tests: the machine's own binaries, a temporary data folder, a loopback
port, run as an unprivileged user (PostgreSQL refuses to run as root), removed when stopped.

`python -m tests.support.pg_server -- <command...>` runs the command with a server up and its URL in
DESK_TEST_POSTGRES, and stops the server afterwards whatever the command's outcome (also on Ctrl-C / SIGTERM).
Tests that stop and start the database under traffic start a private one with `PostgresServer`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

URL_VARIABLE = "DESK_TEST_POSTGRES"
# Durability is worthless in a server thrown away after the run; skipping it makes every commit cheap.
_FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian keeps them out of PATH), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


class PostgresServer:
    """One server; `start` and `stop` may be called again (a stop keeps the data, so start brings it back)."""

    def __init__(self, max_connections: int = 400) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        self._bin = bin_dir
        self._folder = Path(tempfile.mkdtemp(prefix="desk-pg-"))
        self._data = self._folder / "data"
        self._max_connections = max_connections
        self._user = _unprivileged_user()
        self.port = _free_port()
        if self._user is not None:
            os.chown(self._folder, self._user.pw_uid, self._user.pw_gid)
        self._run("initdb", "-D", str(self._data), "-U", "desk", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")

    @property
    def url(self) -> str:
        """The URL of the `desk` database (created at the first start)."""
        return f"postgresql://desk@127.0.0.1:{self.port}/desk"

    def start(self) -> PostgresServer:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self._folder} {_FAST}"
            f" -c max_connections={self._max_connections}"
        )
        self._run("pg_ctl", "-D", str(self._data), "-o", options, "-l", str(self._folder / "log"), "-w", "start")
        if not (self._folder / "created").exists():
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "desk", "desk")
            (self._folder / "created").touch()
        return self

    def stop(self) -> None:
        """Stop at once (clients are cut off, as when a database server dies)."""
        if (self._data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        """Stop and delete the data folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self._bin / tool), *args]
        if self._user is not None:
            command = ["setpriv", f"--reuid={self._user.pw_uid}", f"--regid={self._user.pw_gid}", "--clear-groups"]
            command += [str(self._bin / tool), *args]
        subprocess.run(command, check=True, capture_output=True, cwd=self._folder)


def _unprivileged_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam("nobody")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main(argv: list[str]) -> int:
    """Run `argv` (after an optional `--`) with a server up; returns its exit status."""
    command = argv[1:] if argv[:1] == ["--"] else argv
    server = PostgresServer().start()

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signum)

    signal.signal(signal.SIGTERM, interrupted)
    try:
        env = {**os.environ, URL_VARIABLE: server.url}
        return subprocess.run(command, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        server.remove()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
