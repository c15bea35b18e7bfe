"""SQLite serves one process. Two processes on one SQLite file would each run the outbox sender and the background
jobs against a database whose write lock they share through the file system only, and each is one writer thread
behind a lock; several workers or instances need PostgreSQL. So the process that opens a SQLite database holds an
exclusive lock on a file beside it for as long as it runs, and a second one refuses to start, saying what to do.

flock(2) locks belong to the open file: the kernel drops the lock when the process ends, however it ends, so a
crash never leaves a stale lock behind (the file itself stays, unlocked)."""

from __future__ import annotations

import errno
import fcntl
import os
import socket
from pathlib import Path

SQLITE = "sqlite:///"
FIX = "SQLite serves one instance; for several workers or instances set DATABASE_URL=postgresql://..."


class DatabaseInUse(RuntimeError):
    """Another process holds the SQLite database (or its lock cannot be taken): this one must not start."""


class InstanceLock:
    """The exclusive lock of one process on its SQLite database, held until `release` (or the process's end)."""

    def __init__(self, descriptor: int, path: Path) -> None:
        self._descriptor: int | None = descriptor
        self.path = path

    def release(self) -> None:
        """Let another process open the database (this one has closed it)."""
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the only descriptor of the open file drops its flock
            self._descriptor = None


def lock_path(database_url: str) -> Path | None:
    """The lock file beside a SQLite database; None for other databases and for an in-memory one."""
    if not database_url.startswith(SQLITE):
        return None
    path = database_url.removeprefix(SQLITE)
    if path == ":memory:":
        return None
    return Path(f"{path}.instance.lock")


def hold_single_instance(database_url: str) -> InstanceLock | None:
    """Take the SQLite database for this process, or raise DatabaseInUse naming the fix; None when the database is
    not SQLite (PostgreSQL serves many processes)."""
    path = lock_path(database_url)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        holder = os.read(descriptor, 200).decode("utf-8", "replace").strip() or "another process"
        os.close(descriptor)
        database = database_url.removeprefix(SQLITE)
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise DatabaseInUse(f"the SQLite database {database} is in use by {holder}. {FIX}") from None
        raise DatabaseInUse(
            f"cannot lock {path} ({os.strerror(error.errno or 0)}): SQLite needs a local disk with working file locks,"
            f" not a network share. {FIX}"
        ) from None
    os.ftruncate(descriptor, 0)
    os.write(descriptor, f"process {os.getpid()} on {socket.gethostname()}".encode())
    return InstanceLock(descriptor, path)
