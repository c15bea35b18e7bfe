"""The fault matrix's desk: started fresh for each cell, so no throttling hold, cached token or cached customer list
of one cell reaches another."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.faults.rig import (
    FaultRig,
    MsalClock,
    VirtualTime,
    msal_on,
    new_clock,
    on_virtual_time,
    people,
    short_timeouts,
)
from tests.support.connector import LocalConnector
from tests.support.harness import Desk, local_settings, start_desk

MakeRig = Callable[..., Awaitable[FaultRig]]


@pytest.fixture
async def make_rig(
    tmp_path: Path, connector: LocalConnector, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[MakeRig]:
    """Start the desk (settings `overrides` on top of the tests' local settings), set the triage channel and, unless
    `cold`, load the customer list, before any fault."""
    started: list[Desk] = []

    async def make(cold: bool = False, **overrides: str) -> FaultRig:
        short_timeouts(monkeypatch)
        msal_clock = MsalClock()
        msal_on(monkeypatch, msal_clock)
        clock = new_clock()
        desk = await start_desk(local_settings(tmp_path, connector, **overrides), connector, clock)
        started.append(desk)
        virtual = VirtualTime()
        on_virtual_time(desk.runtime, virtual)
        triage, alex, megan, nestor = people(connector)
        rig = FaultRig(desk, clock, virtual, msal_clock, triage, alex, megan, nestor)
        await rig.send(triage.message(alex, "triage here"))
        if not cold:
            assert "Northwind Traders" in await rig.said("customers"), "the customer list is loaded before the fault"
        return rig

    yield make
    for desk in started:
        await desk.close()
