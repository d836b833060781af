"""A search space read back from a study, checked before it is rebuilt.

Why: whoever can write the study can change the space stored there. :func:`read_stored_space` names the part
this version cannot rebuild; :func:`trusted_space` rebuilds every option with what this machine allows, and
refuses a label that differs from its value.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from flair_hpo.checks import is_real_number, is_whole_number
from flair_hpo.errors import InputError, SearchSpaceError, UntrustedInputError
from flair_hpo.space import parameter_enums as p
from flair_hpo.space.dimensions import Range, dimension_from_dict
from flair_hpo.space.options import choice_dimension, range_dimension
from flair_hpo.space.search_space import DOCUMENT_EMBEDDINGS, SEQUENCE_LABELING, TEXT_CLASSIFICATION, SearchSpace
from flair_hpo.space.task_spaces import space_from_dict
from flair_hpo.space.trust import Allowance

#: The keys each kind of dimension needs (``condition`` is optional).
_KINDS = {"choice": ("labels", "values"), "range": ("low", "high", "log", "integer")}


def read_stored_space(data: Any) -> SearchSpace:
    """The search space ``data`` describes; :class:`SearchSpaceError` naming the first part it cannot read."""
    problem = _space_problem(data)
    if problem is None:
        try:
            space = space_from_dict(data)
            space.dimensions  # noqa: B018 - resolves the conditions: every parent there, no circle
            return space
        except InputError as error:
            problem = str(error)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            problem = f"{type(error).__name__}: {error}"
    raise SearchSpaceError(problem)


def _space_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return f"it is {type(data).__name__}, not a mapping"
    if data.get("task") not in (TEXT_CLASSIFICATION, SEQUENCE_LABELING):
        return f"task is {data.get('task')!r}, not {TEXT_CLASSIFICATION!r} or {SEQUENCE_LABELING!r}"
    budget = data.get("budget")
    if budget is not None and not (
        isinstance(budget, dict) and isinstance(budget.get("kind"), str) and is_real_number(budget.get("amount"))
    ):
        return f"budget is {budget!r}, not {{kind: ..., amount: NUMBER}}"
    epochs = data.get("max_epochs")
    if epochs is not None and not (is_whole_number(epochs) and epochs >= 1):
        return f"max_epochs is {epochs!r}, not a whole number from 1"
    dimensions = data.get("dimensions")
    if not isinstance(dimensions, list):
        return f"dimensions is {dimensions!r}, not a list"
    for position, item in enumerate(dimensions, start=1):
        problem = _dimension_problem(item)
        if problem is not None:
            named = isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]
            return f"{item['name'] if named else f'dimension {position}'}: {problem}"
    return None


def _dimension_problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return f"{item!r} is not a mapping"
    name = item.get("name")
    if not isinstance(name, str) or not name:
        return f"its name is {name!r}, not a parameter's name"
    if not _known(name):
        return "no parameter of this version has this name"
    kind = item.get("kind")
    if kind not in _KINDS:
        return f"kind is {kind!r}, not 'choice' or 'range'"
    missing = [key for key in _KINDS[kind] if key not in item]
    if missing:
        return f"the key {missing[0]!r} is missing"
    if kind == "choice":
        labels, values = item["labels"], item["values"]
        if not (isinstance(labels, list) and isinstance(values, list) and labels and len(labels) == len(values)):
            return f"labels and values must be two lists of the same length, not {labels!r} and {values!r}"
        if not all(label is None or isinstance(label, str | int | float) for label in labels):
            return f"labels must be strings, numbers, booleans or null, not {labels!r}"
    else:
        low, high = item["low"], item["high"]
        if not (is_real_number(low) and is_real_number(high) and low <= high):
            return f"low and high must be numbers with low <= high, not {low!r} and {high!r}"
        if not (isinstance(item["log"], bool) and isinstance(item["integer"], bool)):
            return f"log and integer must be true or false, not {item['log']!r} and {item['integer']!r}"
    return _condition_problem(item.get("condition"))


def _condition_problem(condition: Any) -> str | None:
    """None when ``condition`` is absent, ``[[parent, [label, ...]], ...]``, or an earlier version's
    ``[parent, label]``."""
    if not condition:
        return None
    if isinstance(condition, list) and len(condition) == 2 and isinstance(condition[0], str):
        return None
    if isinstance(condition, list) and all(
        isinstance(part, list) and len(part) == 2 and isinstance(part[0], str) and isinstance(part[1], list)
        for part in condition
    ):
        return None
    return f"condition is {condition!r}, not [[parent, [label, ...]], ...]"


def _known(name: str) -> bool:
    """Whether ``name`` is a parameter of this version (``Group.argument``) or the document-embedding chooser."""
    group, _, argument = name.partition(".")
    members = p.PARAMETER_GROUPS.get(group)
    return name == DOCUMENT_EMBEDDINGS or (members is not None and argument in {m.value for m in members})


_BRANCHES = {group.__name__ for group in p.DOCUMENT_EMBEDDINGS}


def trusted_space(data: Any, allowed: Allowance) -> SearchSpace:
    """The search space a study stores, once every option passed this machine's checks."""
    space = read_stored_space(data)
    for item in data["dimensions"]:
        if item["name"] != DOCUMENT_EMBEDDINGS:  # derived from the branches' conditions, checked below
            _check_dimension(item, allowed)
    return space


def _check_dimension(item: dict[str, Any], allowed: Allowance) -> None:
    dimension = dimension_from_dict(item)
    member = _member(dimension.name)
    for parent, labels in dimension.condition or ():
        if parent == DOCUMENT_EMBEDDINGS and not set(labels) <= _BRANCHES:
            raise UntrustedInputError(f"{dimension.name}: the study makes it depend on unknown classes {labels}")
    if isinstance(dimension, Range):
        _check_range(member, dimension)
        return
    rebuilt = choice_dimension(member, dimension.name, None, list(dimension.values), stored=allowed)
    for stored_label, label in zip(dimension.labels, rebuilt.labels, strict=True):
        if stored_label != label:
            raise UntrustedInputError(
                f"{dimension.name}: the study labels an option {stored_label!r} whose value is {label!r}; the study "
                "was changed outside flair-hpo, so it is not joined (create it again from its YAML file)"
            )


def _check_range(member: Enum, dimension: Range) -> None:
    """A stored range is what the same bounds typed in would give: within what Flair and torch accept (a
    hidden size from 1 to 100,000, a learning rate above 0), whole where the argument is."""
    try:
        rebuilt = range_dimension(member, dimension.name, None, dimension.low, dimension.high, dimension.log)
    except SearchSpaceError as error:
        problem = str(error)
    else:
        if rebuilt.integer == dimension.integer:
            return
        problem = f"{dimension.name} is {'not ' if rebuilt.integer else ''}a whole number"
    raise UntrustedInputError(
        f"{problem} (as the study stores its range); the study was changed outside flair-hpo, so it is not joined "
        "(create it again from its YAML file)"
    )


def _member(name: str) -> Enum:
    """The parameter a stored dimension name (``Group.argument``) stands for."""
    group_name, _, argument = str(name).partition(".")
    group = p.PARAMETER_GROUPS.get(group_name)
    for member in group or ():
        if member.value == argument:
            return member
    raise UntrustedInputError(f"the study tunes {name!r}, which is not a parameter of this version of flair-hpo")
