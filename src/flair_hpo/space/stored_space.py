"""A search space read back from a study, checked as if it had been typed in on this machine.

Whoever can write a study can rewrite the search space stored in it. A worker that joins the study rebuilds
every option from its stored value exactly as the study's creator built it from its own input (the same
checks), with what this machine allows (:mod:`flair_hpo.space.trust`): a file only in an allowed folder,
remote code only when allowed, an embedding class only its named arguments. The labels are made anew from
the values, and a study whose label differs from its value (an option pointed at another file under its old
name) is refused: logs and leaderboards show what is trained. All of it before anything is built.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from flair_hpo.errors import InputError, StudyMismatchError, UntrustedInputError
from flair_hpo.space import parameters as p
from flair_hpo.space.dimensions import Choice, dimension_from_dict
from flair_hpo.space.options import choice_dimension
from flair_hpo.space.search_space import DOCUMENT_EMBEDDINGS, SearchSpace
from flair_hpo.space.task_spaces import space_from_dict
from flair_hpo.space.trust import Allowance

_BRANCHES = {group.__name__ for group in p.DOCUMENT_EMBEDDINGS}


def trusted_space(data: dict[str, Any], allowed: Allowance) -> SearchSpace:
    """The search space a study stores, once every option passed the checks of this machine; raises
    :class:`UntrustedInputError` naming the option, and how to allow it where that is possible."""
    try:
        for item in data["dimensions"]:
            if item["name"] != DOCUMENT_EMBEDDINGS:  # derived from the branches' conditions, checked below
                _check_dimension(item, allowed)
        return space_from_dict(data)
    except InputError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        raise StudyMismatchError(
            f"the study's search space cannot be read ({type(error).__name__}: {error}); it was not written by "
            "this version of flair-hpo, or was changed since"
        ) from None


def _check_dimension(item: dict[str, Any], allowed: Allowance) -> None:
    dimension = dimension_from_dict(item)
    member = _member(dimension.name)
    for parent, labels in dimension.condition or ():
        if parent == DOCUMENT_EMBEDDINGS and not set(labels) <= _BRANCHES:
            raise UntrustedInputError(f"{dimension.name}: the study makes it depend on unknown classes {labels}")
    if not isinstance(dimension, Choice):
        return
    rebuilt = choice_dimension(member, dimension.name, None, list(dimension.values), stored=allowed)
    for stored_label, label in zip(dimension.labels, rebuilt.labels, strict=True):
        if stored_label != label:
            raise UntrustedInputError(
                f"{dimension.name}: the study labels an option {stored_label!r} whose value is {label!r}; the study "
                "was changed outside flair-hpo, so it is not joined (create it again from its YAML file)"
            )


def _member(name: str) -> Enum:
    """The parameter a stored dimension name (``Group.argument``) stands for."""
    group_name, _, argument = str(name).partition(".")
    group = p.PARAMETER_GROUPS.get(group_name)
    for member in group or ():
        if member.value == argument:
            return member
    raise UntrustedInputError(f"the study tunes {name!r}, which is not a parameter of this version of flair-hpo")
