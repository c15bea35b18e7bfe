"""One process per SQLite database: a second one (another process, another gunicorn worker, or a second app in
this process) is refused with a message naming the fix; the lock goes with the process that held it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from desk.store.single_instance import FIX, DatabaseInUse, hold_single_instance
from tests.e2e.running import ROOT

HOLD_AND_WAIT = """
import sys, time
from desk.store.single_instance import hold_single_instance
hold_single_instance(sys.argv[1])
print("held", flush=True)
sys.stdin.readline()
"""


def test_a_second_holder_is_refused_naming_the_fix_until_the_first_releases(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/data/desk.db"
    first = hold_single_instance(url)
    assert first is not None

    with pytest.raises(DatabaseInUse) as refused:
        hold_single_instance(url)
    first.release()
    again = hold_single_instance(url)

    assert FIX in str(refused.value) and f"{tmp_path}/data/desk.db" in str(refused.value)
    assert "in use by process" in str(refused.value)
    assert again is not None
    again.release()


def test_another_process_holding_the_database_refuses_this_one_and_its_end_frees_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/desk.db"
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WAIT, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "held"
        with pytest.raises(DatabaseInUse) as refused:
            hold_single_instance(url)
        assert f"process {other.pid} on" in str(refused.value)
    finally:
        other.kill()  # dies without releasing anything
        other.wait(10)

    mine = hold_single_instance(url)
    assert mine is not None
    mine.release()


def test_postgresql_and_in_memory_databases_take_no_lock() -> None:
    assert hold_single_instance("postgresql://desk@db.internal/desk") is None
    assert hold_single_instance("sqlite:///:memory:") is None
