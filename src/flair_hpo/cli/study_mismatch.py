"""A search refused because its folder holds the study of another one, said in one line: the options that
differ, named as the user gave them, and how to start afresh."""

from __future__ import annotations

import argparse
from typing import Any

from flair_hpo.errors import StudyMismatchError

#: The differences named before the rest are counted.
SHOWN = 3
#: Settings of the study by the options of a recipe run that set them (the rest come with --recipe).
_RECIPE_OPTIONS = {"max_epochs": "--epochs", "evaluation_metric": "--metric", "strategy": "--strategy"}
_LABEL_TYPES = ("tag_type", "label_type")


def mismatch_message(error: StudyMismatchError, args: argparse.Namespace, settings: Any) -> str:
    """One line for ``error`` of the run ``args`` describe; its own message when it names no differences."""
    named: dict[str, str] = {}  # the option, and what it was and is, in the order found
    for name, before, after in error.differences:
        key = _yaml_name(name, error)
        option = key if args.config else _recipe_name(key, before, after, args)
        if option not in named:
            was, now = _short(before), _short(after)
            named[option] = f": {was} in the study, {now} now" if was and now else ""
    if not named:
        return str(error)
    shown = "; ".join(f"{option}{values}" for option, values in list(named.items())[:SHOWN])
    more = f"; and {len(named) - SHOWN} more" if len(named) > SHOWN else ""
    if settings.storage is None:
        another = "--base-path (or base_path: in the file)" if args.config else "--base-path"
        afresh = f"give another {another}, or delete {settings.base_path}"
    else:
        afresh = f"give another study_name, or delete the study '{settings.study_name}' from its storage"
    return (
        f"{settings.base_path} holds the study of a search with other settings: {shown}{more}. To start afresh, "
        f"{afresh}"
    )


def _yaml_name(name: str, error: StudyMismatchError) -> str:
    """A setting by its YAML key; a parameter by its name, as ``parameters:`` gives it."""
    if name == "label type":  # the task's key says the same: name it once
        return "tag_type" if any(n == "tag_type" for n, _, _ in error.differences) else "label_type"
    return name


def _recipe_name(name: str, before: Any, after: Any, args: argparse.Namespace) -> str:
    if name in _RECIPE_OPTIONS:
        return _RECIPE_OPTIONS[name]
    if name == "corpus":
        return f"--{'dataset' if args.dataset else 'corpus'}/--downsample"
    if name in _LABEL_TYPES:
        return "--dataset" if args.dataset else f"--{name.replace('_', '-')}"
    if _is_dimension(before, after) and (name.endswith(".model") or _models(before) != _models(after)):
        return "--model"
    return "--recipe"  # its parameters and their ranges, its task and training mode


def _is_dimension(before: Any, after: Any) -> bool:
    return isinstance(before or after, dict) and "kind" in (before or after)


def _models(value: Any) -> list[str]:
    """The transformers an embeddings parameter's options name (their ``model``)."""
    if isinstance(value, dict):
        return [str(v) for k, v in value.items() if k == "model"] + [m for v in value.values() for m in _models(v)]
    if isinstance(value, list):
        return [model for inner in value for model in _models(inner)]
    return []


def _short(value: Any) -> str | None:
    """A stored value for people (a strategy by its name); None for one too long to show."""
    if isinstance(value, dict) and "strategy" in value:
        return str(value["strategy"])
    return None if isinstance(value, dict | list) else str(value)
