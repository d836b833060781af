"""What ``flair-hpo run`` checks as a search starts, before Flair is loaded: the models it names by their hub
name can be loaded here (a hub that cannot be reached is said in seconds, not after minutes of retries)."""

from __future__ import annotations

from typing import Any

from flair_hpo.errors import EmbeddingLoadError


def check_hub_models(data: dict[str, Any]) -> None:
    """Each transformer a checked run mapping names by its hub name (the recipe's model, or its default, and the
    ``model`` of its parameters) can be loaded here; :class:`EmbeddingLoadError` with what to do, in seconds."""
    from flair_hpo.training.hub import hub_problem

    for where, model in _named_models(data):
        problem = hub_problem(model)
        if problem:
            raise EmbeddingLoadError(f"{where}: {problem}")


def _named_models(data: dict[str, Any]) -> list[tuple[str, str]]:
    from flair_hpo.space.recipes import default_model

    found: list[tuple[str, str]] = []

    def walk(value: Any, parameter: str, key: str) -> None:
        if isinstance(value, dict):
            for inner_key, inner in value.items():
                walk(inner, parameter or str(inner_key), str(inner_key))
        elif isinstance(value, list):
            for inner in value:
                walk(inner, parameter, key)
        elif isinstance(value, str) and key.rpartition(".")[2] == "model":
            found.append((parameter, value))

    walk(data.get("parameters") or {}, "", "")
    recipe = data.get("recipe")
    if recipe is not None:  # its model, or its default unless the parameters name other models
        settings = {"name": recipe} if isinstance(recipe, str) else recipe
        model = settings.get("model") or (None if found else default_model(settings["name"]))
        if model:
            found.insert(0, (f"the model of the recipe {settings['name']}", model))
    return found
