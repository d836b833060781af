"""Small checks of plain values, shared by every layer, so each domain rule is written once."""

from __future__ import annotations

import math
from typing import Any


def is_whole_number(value: Any) -> bool:
    """An ``int`` that is not a ``bool`` (``True`` is an int to Python, not a count to a person)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_real_number(value: Any) -> bool:
    """A finite ``int`` or ``float`` that is not a ``bool``."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def whole_number(value: Any, name: str, error: type[Exception], minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` if it is a whole number in ``[minimum, maximum]``; else ``error`` naming ``name``."""
    if not is_whole_number(value) or value < minimum or (maximum is not None and value > maximum):
        bounds = f"at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise error(f"{name} must be a whole number {bounds}, not {value!r}")
    return value


def probability(value: Any, name: str, error: type[Exception]) -> float:
    """``value`` as a float if it is a number from 0 to 1; else ``error`` naming ``name``."""
    if not is_real_number(value) or not 0 <= value <= 1:
        raise error(f"{name} must be a probability between 0 and 1, not {value!r}")
    return float(value)


def flag(value: Any, name: str, error: type[Exception]) -> bool:
    """``value`` if it is ``True`` or ``False``; else ``error`` naming ``name``."""
    if not isinstance(value, bool):
        raise error(f"{name} must be True or False, not {value!r}")
    return value
