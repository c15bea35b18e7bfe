"""Validate cards against the pinned Adaptive Cards 1.5 schema, the way Teams would accept them."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator
from jsonschema.exceptions import ValidationError, best_match

from cards.render import MAX_CARD_BYTES

SCHEMA_FILE = Path(__file__).parents[1] / "data" / "schemas" / "adaptive-card-1.5.json"
# Properties a host may add to any element; the schema forbids unknown properties, so these are removed first.
HOST_PROPERTIES = frozenset({"msteams"})


@cache
def validator() -> Draft6Validator:
    """A validator for the pinned schema (checked once to be a valid draft-06 schema itself)."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def without_host_properties(value: Any) -> Any:
    """A copy of `value` without the host-specific properties, at any depth."""
    if isinstance(value, dict):
        return {key: without_host_properties(item) for key, item in value.items() if key not in HOST_PROPERTIES}
    if isinstance(value, list):
        return [without_host_properties(item) for item in value]
    return value


def card_bytes(card: dict[str, Any]) -> int:
    """The size of the card as sent (UTF-8 JSON), measured as `cards.render` measures it."""
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


def assert_valid_card(card: dict[str, Any]) -> None:
    """Fail with the most useful leaf error unless `card` is a valid 1.5 card of an acceptable size."""
    errors = list(validator().iter_errors(without_host_properties(card)))
    if errors:
        error = leaf_error(errors)
        raise AssertionError(f"invalid Adaptive Card at {error.json_path}: {error.message}")
    size = card_bytes(card)
    assert size < MAX_CARD_BYTES, f"card is {size} bytes, the limit is {MAX_CARD_BYTES}"


def leaf_error(errors: Iterable[ValidationError]) -> ValidationError:
    """The most specific error: descend through `anyOf` into the alternative meant for the instance's `type`."""
    error = best_match(errors)
    assert error is not None
    while error.context:
        alternatives = _intended_alternatives(error.context)
        if not alternatives:  # no alternative describes this kind of thing (e.g. an unknown element type)
            break
        error = best_match(alternatives)
    return error


def _intended_alternatives(context: list[ValidationError]) -> list[ValidationError]:
    """The errors of the `anyOf` alternatives that match the instance's kind (its JSON type and `type` property).

    Every element or action is validated against all alternatives, so most errors only say that a TextBlock
    is not an ActionSet; the errors of the alternative written for the instance are the useful ones.
    """
    branches: dict[Any, list[ValidationError]] = defaultdict(list)
    for item in context:
        branches[item.relative_schema_path[0] if item.relative_schema_path else None].append(item)
    intended = [
        branch_errors for branch_errors in branches.values() if not any(_wrong_kind(item) for item in branch_errors)
    ]
    return [item for branch_errors in intended for item in branch_errors]


def _wrong_kind(error: ValidationError) -> bool:
    """Whether the error only says the instance is another kind of thing than this alternative describes."""
    path = list(error.relative_path)
    if not path:
        return error.validator == "type" or (error.validator == "required" and "type" in error.validator_value)
    return path == ["type"] and error.validator == "enum"
