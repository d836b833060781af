"""How the options and ranges a user gives become dimensions: plain labels for the trial store, and the JSON
values they stand for; options read from a stored study are checked again with what this machine allows."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from enum import Enum
from typing import Any

from flair_hpo.checks import is_real_number
from flair_hpo.errors import EmbeddingSpecError, SearchSpaceError, UntrustedInputError
from flair_hpo.space import parameter_enums as p
from flair_hpo.space.argument_checks import check_option, check_range, is_integer_argument
from flair_hpo.space.dimensions import Choice, Condition, Label, Range
from flair_hpo.space.domains import outside
from flair_hpo.space.embedding_specs import option_from, option_label, short_name
from flair_hpo.space.registry import class_name, optimizer_class, register
from flair_hpo.space.trust import Allowance, check_paths


def _plain_option(member: Enum, option: Any, stored: Allowance | None = None) -> tuple[Label, Any]:
    """The (label, JSON value) pair an option is stored as; ``stored``: read from a stored study."""
    if p.is_word_embeddings(member):
        specs = option_from(option, stored)
        return option_label(specs), specs
    if member is p.ModelTrainer.OPTIMIZER:
        return _optimizer_option(option)
    if stored is not None:  # a model folder, say
        check_paths(option, "an option", stored)
    if isinstance(option, tuple | list):
        plain = json.loads(json.dumps(option))
        return str(tuple(tuple(x) if isinstance(x, list) else x for x in plain)), plain
    if isinstance(option, str) and os.sep in option:  # a model folder: named by its last parts
        return short_name(option), option
    if option is None or isinstance(option, str | int | float | bool):
        if isinstance(option, float) and not math.isfinite(option):
            raise SearchSpaceError(f"{p.parameter_key(member)}: option {option} is not a finite number")
        return option, option
    raise SearchSpaceError(
        f"{p.parameter_key(member)}: option {option!r} of type {type(option).__name__} cannot be stored; "
        "options are numbers, strings, booleans, lists of those, or (for embeddings) Flair embeddings"
    )


def _optimizer_option(option: Any) -> tuple[Label, str]:
    """An optimizer (a class or a name) as its label and the name it is stored by."""
    import torch

    if isinstance(option, type) and issubclass(option, torch.optim.Optimizer):
        if getattr(torch.optim, option.__name__, None) is not option:
            register(option)  # an optimizer class of the user's code may be named (by this search's processes)
        option = class_name(option)
    if not isinstance(option, str):
        raise SearchSpaceError(
            f"ModelTrainer.optimizer: {option!r} is not a torch optimizer; give a class such as torch.optim.SGD "
            "or its name, e.g. 'AdamW'"
        )
    cls = optimizer_class(option)
    torch_name = getattr(torch.optim, cls.__name__, None) is cls
    return cls.__name__, f"torch.optim.{cls.__name__}" if torch_name else class_name(cls)


def choice_dimension(
    member: Enum, name: str, condition: Condition | None, options: Any, stored: Allowance | None = None
) -> Choice:
    """The dimension of a list of ``options`` for ``member``; ``stored``: options read from a stored study."""
    if isinstance(options, str | bytes) or not isinstance(options, Sequence):
        raise SearchSpaceError(f"{name}: options must be a list, e.g. options=[{options!r}]")
    if len(options) == 0:
        raise SearchSpaceError(f"{name}: options is empty; give at least one value")
    labels: list[Label] = []
    values: list[Any] = []
    for option in options:
        try:
            label, value = _plain_option(member, option, stored)
        except EmbeddingSpecError as error:
            raise SearchSpaceError(f"{name}: {error}") from None
        except UntrustedInputError as error:
            raise UntrustedInputError(f"{name}: {error}") from None
        if not p.is_word_embeddings(member) and member is not p.ModelTrainer.OPTIMIZER:
            problem = check_option(member, option) or outside(member, option)
            if problem:
                raise SearchSpaceError(f"{name} {problem}")
        if value in values:
            raise SearchSpaceError(f"{name}: option {label!r} is given twice")
        if label in labels:  # two different embeddings with the same generated name
            label = f"{label} #{len(labels) + 1}"
        labels.append(label)
        values.append(value)
    return Choice(name=name, condition=condition, labels=tuple(labels), values=tuple(values))


def range_dimension(member: Enum, name: str, condition: Condition | None, low: Any, high: Any, log: bool) -> Range:
    """The dimension of the range ``low .. high`` for ``member``: integer when Flair's argument is an integer."""
    if p.is_word_embeddings(member) or member is p.ModelTrainer.OPTIMIZER:
        raise SearchSpaceError(f"{name} takes options=[...], not a range")
    for bound, value in (("low", low), ("high", high)):
        if not is_real_number(value):
            raise SearchSpaceError(f"{name}: {bound} must be a finite number, not {value!r}")
    if not low < high:
        raise SearchSpaceError(f"{name}: low ({low}) must be below high ({high})")
    if log and low <= 0:
        raise SearchSpaceError(f"{name}: a log range needs low > 0, not {low}")
    problem = check_range(member, low, high) or outside(member, low) or outside(member, high)
    if problem:
        raise SearchSpaceError(f"{name} {problem}")
    return Range(
        name=name,
        condition=condition,
        low=low,
        high=high,
        log=bool(log),
        integer=is_integer_argument(member, low, high),
    )
