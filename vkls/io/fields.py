"""Typed access to a parsed TOML table that names the file and key on every error."""

from __future__ import annotations

import math
from typing import Any

from vkls.errors import InputError

_MISSING = object()

#: The largest number a street file may hold (metres): no length, offset, depth or chainage of a
#: street comes near 1,000 km. Beyond it a value is a typo, and values like 1e300 overflow the geometry.
LARGEST_NUMBER = 1e6
#: RD New coordinates (and NAP heights) lie well below this, metres: street routes and KLIC geometry.
MAX_COORDINATE = 1e7


class Fields:
    """A view on one TOML table with validating getters.

    Parameters
    ----------
    table : dict
        The parsed table.
    source : str
        File name for error messages.
    place : str
        Key path of this table (``networks[2]``).
    """

    def __init__(self, table: Any, source: str, place: str):
        if not isinstance(table, dict):
            raise InputError(f"expected a table, got {type(table).__name__}", source=source, place=place)
        self.table = table
        self.source = source
        self.place = place

    def error(self, key: str | None, message: str) -> InputError:
        """An InputError located at ``key`` of this table."""
        place = f"{self.place}.{key}" if key and self.place else (key or self.place)
        return InputError(message, source=self.source, place=place)

    def allow_only(self, *keys: str) -> None:
        """Reject keys other than ``keys`` (a typo must not be ignored silently)."""
        for key in self.table:
            if key not in keys:
                raise self.error(key, f"unknown key '{key}'; expected one of {', '.join(keys)}")

    def has(self, key: str) -> bool:
        return key in self.table

    def text(self, key: str, default: Any = _MISSING, choices: tuple[str, ...] | None = None) -> str:
        value = self._get(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"expected a non-empty text, got {value!r}")
        if choices is not None and value not in choices:
            raise self.error(key, f"unknown value '{value}'; expected one of {', '.join(choices)}")
        return value

    def number(self, key: str, default: Any = _MISSING, minimum: float | None = 0.0,
               strictly_positive: bool = False, maximum: float = LARGEST_NUMBER) -> float | None:
        value = self._get(key, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(key, f"expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise self.error(key, f"expected a finite number, got {value}")
        if strictly_positive and value <= 0:
            raise self.error(key, f"must be greater than 0, got {value:g}")
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum:g}, got {value:g}")
        if value > maximum:
            raise self.error(key, f"must be at most {maximum:g}, got {value:g}")
        return value

    def integer(self, key: str, default: Any = _MISSING, minimum: int = 1) -> int:
        value = self._get(key, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected a whole number, got {value!r}")
        if value < minimum:
            raise self.error(key, f"must be at least {minimum}, got {value}")
        return value

    def text_list(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        value = self._get(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, f"expected a list of names, got {value!r}")
        if not value:
            raise self.error(key, "expected at least one name, got an empty list")
        return tuple(value)

    def tables(self, key: str) -> list["Fields"]:
        """An array of tables (missing: empty list)."""
        value = self.table.get(key, [])
        if not isinstance(value, list):
            raise self.error(key, "expected an array of tables ([[...]])")
        prefix = f"{self.place}.{key}" if self.place else key
        return [Fields(item, self.source, f"{prefix}[{i}]") for i, item in enumerate(value)]

    def sub(self, key: str, required: bool = True) -> "Fields | None":
        if key not in self.table:
            if required:
                raise self.error(key, f"missing table [{key}]")
            return None
        prefix = f"{self.place}.{key}" if self.place else key
        return Fields(self.table[key], self.source, prefix)

    def _get(self, key: str, default: Any) -> Any:
        if key in self.table:
            return self.table[key]
        if default is _MISSING:
            raise self.error(key, "missing required key")
        return default
