"""Several processes of one deployment start the local emulator on the same DATA_DIR at once (gunicorn's workers in
local mode): they must end up with one CA and a server certificate it signed, or each worker's clients distrust the
emulator another worker's files describe."""

from __future__ import annotations

import multiprocessing
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from cryptography import x509

from emulator.tls import ensure_tls

PROCESSES = 4


def _make(folder: str, start: Barrier, seen: Queue[tuple[bytes, bytes]]) -> None:
    start.wait(30)  # all at once, as workers forked together do
    files = ensure_tls(Path(folder))
    # What this worker goes on with: its emulator presents this certificate, its clients trust this CA.
    seen.put((files.ca_cert.read_bytes(), files.server_cert.read_bytes()))


def test_processes_making_the_certificates_in_one_folder_at_once_agree_on_one_ca(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    start, seen = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=_make, args=(str(tmp_path), start, seen)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    views = {seen.get(timeout=5) for _ in range(PROCESSES)}

    files = ensure_tls(tmp_path)
    assert views == {(files.ca_cert.read_bytes(), files.server_cert.read_bytes())}, "every worker sees the same files"
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    cert = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    cert.verify_directly_issued_by(ca)  # raises InvalidSignature when the files come from two processes
    files.server_context()  # and the key is the certificate's
