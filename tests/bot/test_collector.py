"""The objects made at start-up (modules, the SDK's classes, the runtime: about 150,000) live as long as the process,
so the garbage collector's full collections leave them out: walking them all took 100-200 ms on a 2-core machine,
a pause of every turn in flight. A stopped runtime gives them back to the collector."""

from __future__ import annotations

import gc
from pathlib import Path

from tests.support.connector import LocalConnector
from tests.support.harness import local_settings, start_desk


async def test_start_up_objects_are_left_out_of_collections_until_the_runtime_stops(
    tmp_path: Path, connector: LocalConnector
) -> None:
    gc.unfreeze()
    running = await start_desk(local_settings(tmp_path, connector), connector)
    try:
        assert gc.get_freeze_count() > 10_000
    finally:
        await running.close()

    assert gc.get_freeze_count() == 0
