"""What ``flair-hpo run`` checks and says as a search starts, before its first trial: the hub models it names,
the folder it writes, and a split Flair set aside from a corpus folder's training file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flair_hpo.errors import EmbeddingLoadError

if TYPE_CHECKING:
    from flair_hpo.study import RunSettings


def announce_folder(settings: RunSettings) -> None:
    """The search's folder, said before anything slow happens."""
    base = settings.base_path
    print(f"Search folder: {base}  (flair-hpo show {base}: its leaderboard, also while it runs)", flush=True)


def announce_corpus(settings: RunSettings, corpus: Any) -> None:
    """What Flair sampled from a corpus folder's training file (no dev or test file), with its size."""
    from flair_hpo.training.corpus_folder import sampled_splits

    note = sampled_splits(settings.corpus, corpus) if settings.corpus else None
    if note:
        print(note, flush=True)


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
