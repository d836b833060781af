"""Check option values against the type of the Flair (or torch) argument they will set, read from the installed
signature, before any training starts."""

from __future__ import annotations

import importlib
import inspect
import types
import typing
from enum import Enum
from functools import cache
from typing import Any

from flair_hpo.space.parameter_enums import FLAIR_TARGETS, PARAMETER_GROUPS


def resolve(dotted: str) -> Any:
    """Import ``package.module.Attribute[.attribute]`` and return the attribute."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(dotted)


def target_parameters(group: type[Enum]) -> dict[str, inspect.Parameter]:
    """The keyword arguments of every callable a parameter group feeds, first definition winning."""
    parameters: dict[str, inspect.Parameter] = {}
    for dotted in FLAIR_TARGETS[group]:
        target = resolve(dotted)
        function = target.__init__ if inspect.isclass(target) else target
        for name, parameter in inspect.signature(function).parameters.items():
            parameters.setdefault(name, parameter)
    return parameters


def flair_default(key: str) -> Any:
    """Flair's default for the argument a dimension named ``Group.argument`` tunes (``ModelTrainer.mini_batch_size``:
    32); :data:`inspect.Parameter.empty` when it has none or the name is not of a parameter group."""
    group, _, argument = key.partition(".")
    if group not in PARAMETER_GROUPS:
        return inspect.Parameter.empty
    found = target_parameters(PARAMETER_GROUPS[group]).get(argument)
    return inspect.Parameter.empty if found is None else found.default


@cache
def _expected(member: Enum) -> tuple[type, ...] | list[Any] | None:
    """The types (or, for a Literal, the values) an argument accepts; None when unknown."""
    parameter = target_parameters(type(member)).get(member.value)
    if parameter is None:
        return None
    annotation = parameter.annotation
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    union = isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
    candidates = typing.get_args(annotation) if union else (annotation,)
    plain = tuple(c for c in candidates if c in (bool, int, float, str))
    if plain and type(None) not in candidates:
        return plain
    default = parameter.default
    if type(None) not in candidates and type(default) in (bool, int, float, str):
        return (type(default),)
    return None


def _fits(value: Any, expected: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in expected
    if isinstance(value, int):
        return int in expected or float in expected
    return isinstance(value, expected)


def check_option(member: Enum, value: Any) -> str | None:
    """Why ``value`` cannot be given to the argument ``member`` sets, or None if it can."""
    expected = _expected(member)
    if expected is None:
        return None
    if isinstance(expected, list):
        return None if value in expected else f"must be one of {expected}, not {value!r}"
    if not _fits(value, expected):
        names = " or ".join(t.__name__ for t in expected)
        return f"takes {names} values, not {value!r} ({type(value).__name__})"
    return None


def check_range(member: Enum, low: Any, high: Any) -> str | None:
    """Why ``low .. high`` is not a sensible range for ``member``, or None."""
    expected = _expected(member)
    if isinstance(expected, list) or (expected is not None and not {int, float} & set(expected)):
        kind = "a fixed set of values" if isinstance(expected, list) else " or ".join(t.__name__ for t in expected)
        return f"takes {kind}; give options=[...] instead of a range"
    if expected == (int,) and not (isinstance(low, int) and isinstance(high, int)):
        return f"is an integer; give integer bounds, not low={low!r}, high={high!r}"
    return None


def is_integer_argument(member: Enum, low: Any, high: Any) -> bool:
    """Whether a range of ``member`` holds integers: Flair's type decides, else integer bounds do."""
    expected = _expected(member)
    if isinstance(expected, tuple):
        return int in expected and float not in expected
    return isinstance(low, int) and isinstance(high, int)
