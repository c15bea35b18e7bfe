"""The health benchmark's core (bench/health_sweep.py) at a tiny size: its sweeps through the real clients find every
tenant readable with exactly one token request each, and its checks catch a result that is wrong; its ideal follows
the formula it documents. Its times are not asserted (benchmarks are not timed tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.health_emulator import bench_state
from bench.health_sweep import Endpoint, check_sweep, check_tokens, customers, ideal, limits_floor, repetition
from desk.health import Sweep, TenantHealth
from desk.store.database import SqliteDatabase
from emulator.server import EmulatorServer
from msapi.transport import combined_bundle, http_client

TENANTS = 12


async def test_a_repetition_reads_every_tenant_with_one_token_request_each(tmp_path: Path) -> None:
    server = EmulatorServer(bench_state(TENANTS, latency=0.01), tmp_path / "tls").start()
    ca = str(server.tls.ca_cert)
    endpoint = Endpoint(server.base_url, ca, combined_bundle(ca, str(tmp_path / "bundle.pem")))
    db = SqliteDatabase(str(tmp_path / "bench.db"))
    await db.open()
    control = http_client(ca)
    try:
        found = await repetition(endpoint, control, db, TENANTS, retry_after=0.05)
    finally:
        await control.aclose()
        await db.close()
        server.stop()

    assert found.problems == []
    assert list(found.token_requests.values()) == [1] * TENANTS
    assert found.unreadable == {"cold": 0, "warm": 0, "throttled": 0, "bare": 0}
    assert set(found.seconds) == {"cold", "warm", "throttled", "bare"}


def test_a_tenant_asking_twice_or_never_for_a_token_is_reported() -> None:
    assert check_tokens({"a": 1, "b": 1}) == []
    assert check_tokens({"a": 1, "b": 2}) == ["1 tenants made other than 1 token request, e.g. b: 2"]
    assert len(check_tokens({"a": 0, "b": 1})) == 1


def test_an_unreadable_tenant_and_a_missing_one_are_reported() -> None:
    wanted = customers(3)
    unreadable = Sweep([TenantHealth(wanted[0], error=RuntimeError("boom")), TenantHealth(wanted[1])])

    problems = check_sweep("warm", unreadable, wanted)

    assert any("did not answer for every tenant" in problem for problem in problems)
    assert any("1 tenants unreadable" in problem for problem in problems)


def test_the_ideal_is_waves_of_the_sweeps_concurrency_times_the_round_trips() -> None:
    assert ideal("warm", 1000, 0.1, concurrency=16) == pytest.approx(6.3)  # ceil(1000 / 16) waves of one round
    assert ideal("cold", 1000, 0.1, concurrency=16) == pytest.approx(18.9)  # and two token rounds before it
    assert ideal("throttled", 1000, 0.1, retry_after=2.0, concurrency=16) == pytest.approx(6.4)
    assert ideal("throttled", 10, 0.1, retry_after=2.0, concurrency=16) == pytest.approx(2.2)  # the slow tenant
    assert limits_floor(2) == 0.0 and limits_floor(240) == 0.0
    assert limits_floor(241) == 60.0 and limits_floor(801) == 3600.0
