"""Reading typed values from the environment, with errors that name the variable."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class EnvReader:
    """Typed access to a mapping of environment variables."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._env = environ

    def str(self, name: str, default: str = "") -> str:
        """The stripped value of `name`, or `default` when unset or blank."""
        value = self._env.get(name, "")
        value = value.strip() if isinstance(value, str) else ""
        return value or default

    def optional(self, name: builtins.str) -> builtins.str | None:
        """The stripped value of `name`, or None when unset or blank."""
        return self.str(name) or None

    def int(self, name: builtins.str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
        """An integer within [minimum, maximum]."""
        raw = self.str(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(name, f"expected a whole number, got {raw!r}") from None
        if minimum is not None and value < minimum:
            raise SettingsError(name, f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise SettingsError(name, f"must be at most {maximum}, got {value}")
        return value

    def bool(self, name: builtins.str, default: bool) -> bool:
        """A boolean written as true/false, yes/no, 1/0 or on/off."""
        raw = self.str(name).lower()
        if not raw:
            return default
        if raw in {"1", "true", "yes", "on"}:
            return True
        if raw in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(name, f"expected true or false, got {raw!r}")

    def choice(self, name: builtins.str, choices: Mapping[builtins.str, T], default: builtins.str) -> T:
        """One of `choices` (matched case-insensitively)."""
        raw = self.str(name, default)
        for key, value in choices.items():
            if key.lower() == raw.lower():
                return value
        raise SettingsError(name, f"expected one of {', '.join(choices)}, got {raw!r}")

    def list(self, name: builtins.str, default: tuple[builtins.str, ...] = ()) -> tuple[builtins.str, ...]:
        """A comma-separated list with blanks removed."""
        raw = self.str(name)
        if not raw:
            return default
        return tuple(item.strip() for item in raw.split(",") if item.strip())

    def parsed(self, name: builtins.str, parse: Callable[[builtins.str], T], default: builtins.str) -> T:
        """A value converted by `parse`; its ValueError becomes a SettingsError naming `name`."""
        raw = self.str(name, default)
        try:
            return parse(raw)
        except ValueError as error:
            raise SettingsError(name, str(error)) from None
