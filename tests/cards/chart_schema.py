"""The pinned Adaptive Cards 1.5 schema extended with the Teams chart elements the desk uses, written from
https://learn.microsoft.com/en-us/microsoftteams/platform/task-modules-and-cards/cards/charts-in-adaptive-cards :
`type` and `data` required; `title`, `colorSet`, axis titles, `showBarValues` and the common element properties
(`fallback`, `id`, `isVisible`, `height`, `horizontalAlignment`, `separator`, `spacing`, `requires`); data points as
the page gives them. Unknown properties are refused, as the base schema refuses them for its own elements."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from jsonschema import Draft6Validator

from cards.render import MAX_CARD_BYTES
from tests.cards.schema import SCHEMA_FILE, card_bytes, leaf_error, without_host_properties

NUMBER = {"type": "number"}
TEXT = {"type": "string"}
POINT_XY = {
    "type": "object",
    "required": ["x", "y"],
    "properties": {"x": {"type": ["string", "number"]}, "y": NUMBER, "color": TEXT},
    "additionalProperties": False,
}
SERIES = {
    "type": "object",
    "required": ["legend", "values"],
    "properties": {"legend": TEXT, "values": {"type": "array", "items": POINT_XY}, "color": TEXT},
    "additionalProperties": False,
}
SLICE = {
    "type": "object",
    "required": ["legend", "value"],
    "properties": {"legend": TEXT, "value": NUMBER, "color": TEXT},
    "additionalProperties": False,
}
COMMON = {
    "title": TEXT,
    "colorSet": TEXT,
    "fallback": {
        "anyOf": [{"$ref": "#/definitions/ImplementationsOf.Element"}, {"$ref": "#/definitions/FallbackOption"}]
    },
    "id": TEXT,
    "isVisible": {"type": "boolean"},
    "height": {"enum": ["auto", "stretch"]},
    "horizontalAlignment": {"enum": ["Left", "Center", "Right"]},
    "separator": {"type": "boolean"},
    "spacing": {"$ref": "#/definitions/Spacing"},
    "requires": {"type": "object"},
}
AXES = {"xAxisTitle": TEXT, "yAxisTitle": TEXT}
CHARTS: dict[str, dict[str, Any]] = {
    "Chart.Line": {**AXES, "data": {"type": "array", "items": SERIES}},
    "Chart.VerticalBar": {**AXES, "showBarValues": {"type": "boolean"}, "data": {"type": "array", "items": POINT_XY}},
    "Chart.VerticalBar.Grouped": {
        **AXES,
        "showBarValues": {"type": "boolean"},
        "data": {"type": "array", "items": SERIES},
    },
    "Chart.HorizontalBar": {**AXES, "data": {"type": "array", "items": POINT_XY}},
    "Chart.Donut": {"data": {"type": "array", "items": SLICE}},
    "Chart.Pie": {"data": {"type": "array", "items": SLICE}},
}


@cache
def chart_validator() -> Draft6Validator:
    """The 1.5 schema with the chart elements as elements (in a card body and as another element's fallback)."""
    schema = copy.deepcopy(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    definitions = schema["definitions"]
    for name, properties in CHARTS.items():
        definitions[name] = {
            "type": "object",
            "required": ["type", "data"],
            "properties": {"type": {"enum": [name]}, **COMMON, **properties},
            "additionalProperties": False,
        }
        definitions["ImplementationsOf.Element"]["anyOf"].append(
            {"required": ["type"], "allOf": [{"$ref": f"#/definitions/{name}"}]}
        )
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def assert_valid_chart_card(card: dict[str, Any]) -> None:
    """Fail unless `card` is a valid 1.5 card, chart elements included, of an acceptable size."""
    errors = list(chart_validator().iter_errors(without_host_properties(card)))
    if errors:
        error = leaf_error(errors)
        raise AssertionError(f"invalid Adaptive Card at {error.json_path}: {error.message}")
    assert card_bytes(card) < MAX_CARD_BYTES
