"""What a new user reads before and during a first run: the README's set-up section names the prerequisites the
scripts rely on, how to stop `./scripts/run` and where its output goes; `./scripts/test` shows the slowest tests."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def set_up_section() -> str:
    """The README from "## Set up" to the next second-level heading."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Set up")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def test_scripts_test_prints_the_slowest_tests():
    script = (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    pytest_line = next(line for line in script.splitlines() if "-m pytest" in line and not line.startswith("#"))
    assert "--durations=15" in shlex.split(pytest_line), pytest_line


def test_set_up_names_the_prerequisites_the_scripts_need():
    section = set_up_section()
    minimum = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert f"Python {minimum.removeprefix('>=')}+" in section, "the Python version pyproject.toml requires"
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8") + (ROOT / "scripts" / "test").read_text()
    assert "npm" in setup and "`npm`" in section
    assert "apt-get" in setup and "`apt-get`" in section and "`sudo`" in section


def test_set_up_says_how_to_stop_the_desk_and_where_its_output_goes():
    section = set_up_section()
    assert "Ctrl+C" in section
    run = (ROOT / "scripts" / "run").read_text(encoding="utf-8")
    logs = re.search(r'"\$ROOT/(data/logs/playground-)\$side(\.log)"', run)
    assert logs, "scripts/run writes each playground's log under data/logs"
    for side in ("customer", "partner"):
        assert f"{logs.group(1)}{side}{logs.group(2)}" in section
    assert "terminal" in section, "the bot's own log lines"
