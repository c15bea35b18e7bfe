"""The contract fixtures of tests/data/contracts (Microsoft's documented examples, paraphrased) and a comparison of
JSON shapes: field names and their casing, JSON types, nesting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONTRACTS = Path(__file__).resolve().parents[1] / "data" / "contracts"


def fixture(name: str) -> dict[str, Any]:
    """One fixture file (without .json)."""
    return dict(json.loads((CONTRACTS / f"{name}.json").read_text(encoding="utf-8")))


def documented(name: str) -> Any:
    """The documented response body of a fixture."""
    return fixture(name)["response"]["body"]


def shape_problems(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Where `actual` departs from the shape of `expected`: a documented field missing or differently cased, or a
    value of another JSON type. A documented null says nothing about the type; an answered null stands for a value
    not set (e.g. an open issue's endDateTime). Lists compare each answered item with the first documented one.
    Fields the documentation does not show are allowed."""
    if expected is None or actual is None:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: an object is documented, got {type(actual).__name__}"]
        problems = []
        for key, value in expected.items():
            if key in actual:
                problems += shape_problems(value, actual[key], f"{where}.{key}")
                continue
            other = next((k for k in actual if k.lower() == key.lower()), None)
            problems.append(f"{where}.{key}: sent as {other!r}" if other else f"{where}.{key}: missing")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: a list is documented, got {type(actual).__name__}"]
        if not expected:
            return []
        return [p for i, item in enumerate(actual) for p in shape_problems(expected[0], item, f"{where}[{i}]")]
    if _json_type(expected) != _json_type(actual):
        return [f"{where}: {_json_type(expected)} documented, got {_json_type(actual)} ({actual!r})"]
    return []


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else type(value).__name__
