"""The turn profile command at a tiny size: it runs the real app with authentication on and refuses a wrong answer
(what it checks), whatever its times."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from bench import turn_cost


def tiny(kind: str = "submit") -> argparse.Namespace:
    return argparse.Namespace(turns=3, concurrency=2, kind=kind, profile="cprofile", top=3, stats=None)


@pytest.mark.parametrize("kind", ["submit", "help"])
async def test_a_tiny_run_reports_cpu_per_turn_and_a_profile(tmp_path: Path, kind: str) -> None:
    table, lines = await turn_cost.run(tiny(kind), tmp_path)

    assert table.rows["app, all threads"]["ms per turn"] >= 0
    assert any("turns/s" in note for note in table.notes)
    assert any("function calls" in line for line in lines)


async def test_a_submit_answered_with_anything_but_its_card_is_a_wrong_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare = turn_cost.prepare

    async def forms_gone(rig: Any, kind: str, count: int, headers: dict[str, str]) -> list[dict[str, Any]]:
        activities = await prepare(rig, kind, count, headers)
        activities[-1]["value"]["action"]["data"]["id"] = "no-such-form"
        return activities

    monkeypatch.setattr(turn_cost, "prepare", forms_gone)
    with pytest.raises(turn_cost.WrongResult, match="a submit answered 200"):
        await turn_cost.run(tiny(), tmp_path)
