"""Before the first trial: is every model the space names loadable on this machine?

Why: a model that cannot be loaded fails every trial that uses it, each burning a run of the budget.
"""

from __future__ import annotations

import gc
import json
from typing import Any

from flair_hpo.errors import EmbeddingLoadError
from flair_hpo.space import SearchSpace
from flair_hpo.space.dimensions import Choice
from flair_hpo.space.embedding_specs import EmbeddingSpec, build_embedding, spec_label
from flair_hpo.training.hub import hub_problem

_CHECKED: set[str] = set()
_TRANSFORMER_MODEL = "TransformerDocumentEmbeddings.model"


def loadable_specs(space: SearchSpace) -> list[tuple[str, EmbeddingSpec]]:
    """Every distinct embedding the space can build, with the parameter that names it."""
    found: dict[str, tuple[str, EmbeddingSpec]] = {}
    for dimension in space.dimensions:
        if not isinstance(dimension, Choice):
            continue
        for value in dimension.values:
            if dimension.name == _TRANSFORMER_MODEL:
                specs = [{"class": "TransformerDocumentEmbeddings", "model": value}]
            elif isinstance(value, list) and all(isinstance(v, dict) and "class" in v for v in value):
                specs = value
            else:
                continue
            for spec in specs:
                found.setdefault(json.dumps(spec, sort_keys=True), (dimension.name, spec))
    return list(found.values())


def check_models_load(space: SearchSpace) -> None:
    """Build each distinct embedding of ``space`` once; :class:`EmbeddingLoadError` for the first that fails."""
    for key, (parameter, spec) in _unchecked(space):
        model = spec.get("model")
        problem = hub_problem(model) if isinstance(model, str) else None
        if problem:  # found in seconds, where loading it would retry for minutes
            raise EmbeddingLoadError(f"{parameter}: {problem}")
        try:
            embedding = build_embedding(spec)
        except Exception as error:
            reason = " ".join(f"{type(error).__name__}: {error}".split())[:300]
            raise EmbeddingLoadError(
                f"{parameter}: the option {spec_label(spec)} cannot be loaded on this machine ({reason}); check the "
                "path or model name (this machine reaches no model hub?), or remove the option"
            ) from None
        del embedding
        gc.collect()
        _CHECKED.add(key)


def _unchecked(space: SearchSpace) -> list[tuple[str, tuple[str, Any]]]:
    specs = loadable_specs(space)
    return [
        (key, item) for key, item in ((json.dumps(s, sort_keys=True), (n, s)) for n, s in specs) if key not in _CHECKED
    ]
