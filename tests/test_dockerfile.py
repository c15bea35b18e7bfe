"""The container image: production code only, run by an unprivileged user."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) for each line of the Dockerfile."""
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    return [(line.split()[0], line.partition(" ")[2]) for line in lines if line.strip() and not line.startswith("#")]


def test_the_process_does_not_run_as_root() -> None:
    users = [arguments.strip() for instruction, arguments in instructions() if instruction == "USER"]
    assert users and users[-1] not in ("root", "0"), "the last USER decides who runs the bot"
    cmd = [i for i, (instruction, _) in enumerate(instructions()) if instruction == "CMD"]
    user = [i for i, (instruction, _) in enumerate(instructions()) if instruction == "USER"]
    assert user[-1] < cmd[-1]


def test_the_number_of_workers_comes_from_web_concurrency_one_by_default() -> None:
    # gunicorn reads WEB_CONCURRENCY as its default for --workers: PostgreSQL deployments raise it without a new
    # image; SQLite keeps the image's 1 (a second worker would refuse to start).
    cmd = next(arguments for instruction, arguments in instructions() if instruction == "CMD")
    env = " ".join(arguments for instruction, arguments in instructions() if instruction == "ENV").split()
    assert "--workers" not in cmd and "-w" not in cmd.split()
    assert "WEB_CONCURRENCY=1" in env
