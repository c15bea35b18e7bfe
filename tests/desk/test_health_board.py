"""HealthBoard's failures: Microsoft API errors become "could not read" for that tenant (missing consent logged
without a traceback, other failures with one); anything else is a bug and propagates."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from desk.customers import Customer
from desk.health import HealthBoard
from msapi.errors import ConsentMissing, GraphError, TokenError

FABRIKAM = Customer("2f0e1d3c-0000-4000-8000-000000000001", "Fabrikam, Inc.", ("fabrikam.com",))


class FailingReader:
    """A health reader whose every call raises `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def health_overviews(self, tenant_id: str) -> list[Any]:
        """Raises."""
        raise self.error

    async def issues(self, tenant_id: str, open_only: bool = True) -> list[Any]:
        """Raises."""
        raise self.error


@pytest.mark.parametrize(
    "error", [GraphError("Please retry again later.", status=429, code="TooManyRequests"), TokenError("unreachable")]
)
async def test_a_microsoft_api_error_is_could_not_read_logged_with_its_traceback(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="desk.health"):
        result = await HealthBoard(FailingReader(error)).tenant(FABRIKAM)

    assert result.error is error and result.services == [] and result.issues == []
    [record] = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "Fabrikam, Inc." in record.getMessage()


async def test_missing_consent_is_could_not_read_logged_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    error = ConsentMissing(tenant_id=FABRIKAM.tenant_id, permission="ServiceHealth.Read.All")

    with caplog.at_level(logging.WARNING, logger="desk.health"):
        result = await HealthBoard(FailingReader(error)).tenant(FABRIKAM)

    assert result.error is error
    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "ServiceHealth.Read.All" in record.getMessage()


async def test_a_programming_error_is_logged_as_a_bug_and_the_sweep_completes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    board = HealthBoard(FailingReader(AttributeError("'NoneType' object has no attribute 'status'")))
    caplog.set_level(logging.ERROR)

    swept = await board.sweep([FABRIKAM])

    assert [type(health.error) for health in swept.unreadable] == [AttributeError]
    assert [r.getMessage() for r in caplog.records if r.exc_info] == [
        f"bug while reading service health of {FABRIKAM.name}"
    ]
