"""The search space of a YAML run configuration: its task and steering keys, its ``parameters``, or a
``recipe`` (see :mod:`flair_hpo.space.recipes`) that those keys override.

::

    recipe: ner-fine-tune                # or {name: ner-fine-tune, model: xlm-roberta-large}
    budget: {time_in_h: 12}              # overrides the recipe's
    parameters:
      ModelTrainer.mini_batch_size: [4]  # replaces the recipe's options
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from flair_hpo.errors import ConfigError, did_you_mean
from flair_hpo.space import (
    SEQUENCE_LABELING,
    TEXT_CLASSIFICATION,
    SearchSpace,
    SequenceTaggerSearchSpace,
    TextClassifierSearchSpace,
)
from flair_hpo.space import parameters as p
from flair_hpo.space.recipes import RECIPES, recipe

#: Keys a recipe stands for, which are required without one.
SPACE_KEYS = ("task", "budget", "evaluation_metric", "optimization_value", "max_epochs_per_training_run", "parameters")


def _enum(kind: type[Enum], value: Any, key: str) -> Enum:
    for member in kind:
        if str(value).lower() in (member.value.lower(), member.name.lower()):
            return member
    options = ", ".join(m.value for m in kind)
    raise ConfigError(
        f"{key}: {value!r} is not one of {options}{did_you_mean(str(value).lower(), [m.value for m in kind])}"
    )


def parameter_member(key: str) -> Enum:
    """The parameter a YAML key names: ``Group.member``, the member by name or argument, any case."""
    group_name, _, member_name = key.partition(".")
    group = p.PARAMETER_GROUPS.get(group_name)
    if group is None or not member_name:
        raise ConfigError(
            f"parameters: '{key}' is not a parameter; write Group.member, e.g. ModelTrainer.learning_rate "
            f"(groups: {', '.join(p.PARAMETER_GROUPS)}){did_you_mean(group_name, p.PARAMETER_GROUPS)}"
        )
    wanted = member_name.lower()
    if wanted == "word_embeddings":
        wanted = "embeddings"
    for member in group:
        if wanted in (member.name.lower(), member.value.lower()):
            return member
    names = [m.value for m in group]
    raise ConfigError(
        f"parameters: {group_name} has no parameter '{member_name}' (it has {', '.join(names)})"
        f"{did_you_mean(wanted, names)}"
    )


def _add_parameter(space: SearchSpace, key: str, value: Any) -> None:
    member = parameter_member(key)
    if p.parameter_key(member) in {d.name for d in space.dimensions}:  # a recipe's, replaced
        space.remove_parameter(member)
    if isinstance(value, Mapping):
        unknown = set(value) - {"low", "high", "log"}
        if unknown or not {"low", "high"} <= set(value):
            raise ConfigError(f"parameters: {key}: a range is {{low: ..., high: ..., log: true/false}}, got {value}")
        space.add_parameter(member, low=value["low"], high=value["high"], log=bool(value.get("log", False)))
        return
    if p.is_word_embeddings(member):
        if not isinstance(value, list):
            raise ConfigError(f"parameters: {key}: give a list of options, each a list of embedding specifications")
        space.add_word_embeddings(member, options=value)
        return
    space.add_parameter(member, options=value if isinstance(value, list) else [value])


def _budget(space: SearchSpace, value: Any) -> None:
    if not isinstance(value, Mapping) or len(value) != 1:
        raise ConfigError(
            f"budget: give exactly one of {{runs: N}}, {{generations: N}}, {{time_in_h: H}}, not {value!r}"
        )
    (kind, amount) = next(iter(value.items()))
    space.add_budget(_enum(p.Budget, kind, "budget"), amount)


def build_space(data: Mapping[str, Any]) -> SearchSpace:
    """The search space the keys of ``data`` describe, on a recipe's when it names one."""
    if data.get("recipe") is not None:
        space = _recipe_space(data)
    else:
        for key in SPACE_KEYS:
            if key not in data:
                raise ConfigError(f"missing key '{key}' (or give a recipe: {', '.join(RECIPES)})")
        space = _task_space(data)
    if "budget" in data:
        _budget(space, data["budget"])
    if "evaluation_metric" in data:
        space.add_evaluation_metric(_enum(p.EvaluationMetric, data["evaluation_metric"], "evaluation_metric"))
    if "optimization_value" in data:
        space.add_optimization_value(_enum(p.OptimizationValue, data["optimization_value"], "optimization_value"))
    if "max_epochs_per_training_run" in data:
        space.add_max_epochs_per_training_run(data["max_epochs_per_training_run"])
    if "training_mode" in data:
        space.add_training_mode(str(data["training_mode"]))
    parameters = data.get("parameters", {})
    if not isinstance(parameters, Mapping) or ("recipe" not in data and not parameters):
        raise ConfigError("parameters: give a mapping of parameter names to options or ranges")
    for key, value in parameters.items():
        _add_parameter(space, str(key), value)
    starts = data.get("start") or []
    for start in [starts] if isinstance(starts, Mapping) else starts:
        if not isinstance(start, Mapping):
            raise ConfigError(f"start: give a mapping of parameter names to values (or a list of them), not {start!r}")
        space.add_start({parameter_member(str(key)): value for key, value in start.items()})
    return space


def _task_space(data: Mapping[str, Any]) -> SearchSpace:
    task = str(data["task"]).lower()
    space: SearchSpace
    if task == TEXT_CLASSIFICATION:
        space = TextClassifierSearchSpace(multi_label=data.get("multi_label", False))
        if data.get("label_type"):
            space.add_label_type(data["label_type"])
    elif task == SEQUENCE_LABELING:
        space = SequenceTaggerSearchSpace()
        if "tag_type" not in data:
            raise ConfigError("missing key 'tag_type': the label type to tag, e.g. ner")
        space.add_tag_type(data["tag_type"])
    else:
        raise ConfigError(f"task: {data['task']!r} is not {TEXT_CLASSIFICATION} or {SEQUENCE_LABELING}")
    return space


def _recipe_space(data: Mapping[str, Any]) -> SearchSpace:
    given = data["recipe"]
    settings = {"name": given} if isinstance(given, str) else given
    if not isinstance(settings, Mapping) or not set(settings) <= {"name", "model"} or "name" not in settings:
        raise ConfigError(f"recipe: give a name ({', '.join(RECIPES)}) or {{name: ..., model: ...}}, not {given!r}")
    space = recipe(str(settings["name"]), settings.get("model"), data.get("tag_type"))
    if "task" in data and str(data["task"]).lower() != space.task:
        raise ConfigError(f"task: the recipe {settings['name']} is {space.task}, not {data['task']}")
    if data.get("label_type") and isinstance(space, TextClassifierSearchSpace):
        space.add_label_type(data["label_type"])
    return space
