"""The process as deployed: `python app.py` refuses bad settings by naming the variable; gunicorn's aiohttp
worker serves `app:make_app()` with /healthz and /readyz."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from desk.store.single_instance import FIX
from tests.e2e.running import ROOT, free_port, wait_http


def gunicorn(workers: int, bind: str) -> list[str]:
    """gunicorn serving `app:make_app()` with its aiohttp worker, as the Dockerfile runs it."""
    return [
        sys.executable, "-m", "gunicorn", "app:make_app()", "--worker-class", "aiohttp.GunicornWebWorker",
        "--workers", str(workers), "--bind", bind,
    ]  # fmt: skip


def test_bad_setting_stops_start_up_naming_the_variable(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "PORT": "not-a-port"}
    env.pop("MicrosoftAppId", None)
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "PORT" in done.stderr and "Traceback" not in done.stderr


def test_production_without_password_refuses_to_start(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "MicrosoftAppId": "3f7c2a1e-8d4b-4f6a-9c2e-1b0d3e5f7a90"}
    env.pop("MicrosoftAppPassword", None)
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "MicrosoftAppPassword" in done.stderr


def test_gunicorn_aiohttp_worker_serves_the_app(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(tmp_path), "LOCAL_MODE": "1"}
    env.pop("MicrosoftAppId", None)
    command = gunicorn(1, f"127.0.0.1:{port}")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/readyz", 60)
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(20)


def test_gunicorn_refuses_local_mode_unless_asked_for(tmp_path: Path) -> None:
    # gunicorn's --bind, not HOST, decides the interface: a missing MicrosoftAppId must not mean an open bot.
    env = {**os.environ, "DATA_DIR": str(tmp_path)}
    env.pop("MicrosoftAppId", None)
    env.pop("LOCAL_MODE", None)
    command = gunicorn(1, f"0.0.0.0:{free_port()}")
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "MicrosoftAppId" in done.stderr and "LOCAL_MODE=1" in done.stderr


def test_a_second_process_on_the_same_sqlite_database_refuses_to_start_naming_the_fix(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "PORT": str(free_port())}
    env.pop("MicrosoftAppId", None)
    first = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_http(f"http://127.0.0.1:{env['PORT']}/readyz", 60)
        second = {**env, "PORT": str(free_port())}
        done = subprocess.run(
            [sys.executable, "app.py"], cwd=ROOT, env=second, capture_output=True, text=True, timeout=60
        )
    finally:
        first.terminate()
        first.wait(20)
    assert done.returncode == 2
    assert FIX in done.stderr and f"process {first.pid}" in done.stderr
    assert "Traceback" not in done.stderr


def test_gunicorn_with_two_workers_on_sqlite_refuses_to_start_naming_the_fix(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "LOCAL_MODE": "1"}
    env.pop("MicrosoftAppId", None)
    command = gunicorn(2, f"127.0.0.1:{free_port()}")
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert FIX in done.stderr
