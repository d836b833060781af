"""Embedding options as plain specifications (a class name and its constructor arguments) that any process can
rebuild::

    {"class": "WordEmbeddings", "embeddings": "glove"}
    {"class": "TransformerWordEmbeddings", "model": "bert-base-cased", "fine_tune": False}

Why: a specification is JSON, so it goes into the trial store, and every trial builds fresh embeddings from it
(a fine-tuned embedding never carries weights to the next trial). An optional ``label`` key names the option
in leaderboards.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from flair_hpo.errors import EmbeddingSpecError
from flair_hpo.space.registry import class_name, embedding_class, register
from flair_hpo.space.trust import STATE_ARGUMENTS, Allowance, allowance, check_arguments, check_paths, check_remote_code

EmbeddingSpec = dict[str, Any]
# Path components too generic to name a model on their own.
_GENERIC_PATH_PARTS = {"model", "models", "embeddings", "vectors", "checkpoint"}


def _defaults(*classes: type) -> dict[str, Any]:
    """Constructor defaults; later classes override earlier ones."""
    defaults: dict[str, Any] = {}
    for cls in classes:
        for name, parameter in inspect.signature(cls.__init__).parameters.items():
            if parameter.default is not inspect.Parameter.empty:
                defaults[name] = parameter.default
    return defaults


def _check_json(spec: EmbeddingSpec, what: str) -> None:
    for key, value in spec.items():
        try:
            json.dumps(value)
        except TypeError:
            raise EmbeddingSpecError(
                f"{what}: argument {key}={value!r} cannot be stored in the trial store; "
                "pass the option as a specification with plain values instead"
            ) from None


def spec_from_instance(embedding: Any) -> EmbeddingSpec:
    """The specification of a Flair embedding object, from the arguments it was constructed with."""
    cls = type(embedding)
    from flair_hpo.flair_internals import constructor_arguments  # loads Flair, which `show` does without

    params = constructor_arguments(embedding)
    if params is None:
        raise EmbeddingSpecError(
            f"{cls.__name__} does not record the arguments it was built with, so other processes "
            f"cannot rebuild it; pass it as a specification, e.g. {{'class': '{cls.__name__}', ...}}"
        )
    defining_class = params.get("__class__", cls)
    defaults = _defaults(defining_class, cls)
    args: dict[str, Any] = {}
    for name, value in params.items():
        if name in STATE_ARGUMENTS:
            continue
        if name == "kwargs":  # arguments forwarded through **kwargs
            args.update(value)
        elif name not in defaults or defaults[name] != value:
            args[name] = value
    register(cls)  # an object built in code: its class may be named (by this search's processes)
    spec = {"class": class_name(cls), **args}
    _check_json(spec, cls.__name__)
    return spec


def validate_spec(spec: Mapping[str, Any], stored: Allowance | None = None) -> EmbeddingSpec:
    """Check a specification written as text (``stored``: read from a stored study, with what is allowed)."""
    if not isinstance(spec.get("class"), str):
        raise EmbeddingSpecError(
            f"embedding specification {dict(spec)!r} needs a 'class' key naming a Flair embedding class, "
            "e.g. {'class': 'WordEmbeddings', 'embeddings': 'glove'}"
        )
    cls = embedding_class(spec["class"])
    args = {k: v for k, v in spec.items() if k not in ("class", "label")}
    check_arguments(cls, spec["class"], args, stored or allowance())
    if stored is not None:
        check_paths(args, spec["class"], stored)
    spec = dict(spec)
    _check_json(spec, spec["class"])
    return spec


def option_from(option: Any, stored: Allowance | None = None) -> list[EmbeddingSpec]:
    """A word-embedding option (one embedding or a stacked list) as a list of specifications."""
    items = list(option) if isinstance(option, Sequence) and not isinstance(option, str | Mapping) else [option]
    if not items:
        raise EmbeddingSpecError("an embedding option is an empty list; give at least one embedding")
    specs = []
    for item in items:
        if isinstance(item, Mapping):
            specs.append(validate_spec(item, stored))
        elif isinstance(item, str):
            raise EmbeddingSpecError(
                f"embedding option {item!r} is a bare string; give an embedding object or a specification "
                f"such as {{'class': 'WordEmbeddings', 'embeddings': {item!r}}}"
            )
        else:
            spec = spec_from_instance(item)
            check_remote_code(spec, spec["class"], allowance())
            specs.append(spec)
    return specs


def short_name(value: Any) -> str:
    """A path shortened to its telling last part(s); anything else as text."""
    text = str(value)
    if os.sep in text:
        parts = [part for part in text.rstrip(os.sep).split(os.sep) if part]
        tail = parts[-2:] if parts and parts[-1].lower() in _GENERIC_PATH_PARTS else parts[-1:]
        text = "/".join(tail)
    return text


def spec_label(spec: EmbeddingSpec) -> str:
    """A readable name, e.g. ``WordEmbeddings(glove)`` or ``TransformerWordEmbeddings(bert-base, fine_tune=False)``;
    a ``label`` goes before it, ``glove-100 = WordEmbeddings(glove.100d)``, never in its place."""
    args = [(k, v) for k, v in spec.items() if k not in ("class", "label")]
    parts = [short_name(v) if i == 0 else f"{k}={short_name(v)}" for i, (k, v) in enumerate(args)]
    generated = f"{spec['class'].rpartition('.')[2]}({', '.join(parts)})"
    return f"{spec['label']} = {generated}" if spec.get("label") else generated


def option_label(specs: list[EmbeddingSpec]) -> str:
    """A readable name for a stack of embeddings."""
    return " + ".join(spec_label(spec) for spec in specs)


def build_embedding(spec: EmbeddingSpec) -> Any:
    """A fresh Flair embedding built from its specification (remote code only where allowed)."""
    cls = embedding_class(spec["class"])
    check_remote_code(spec, spec["class"], allowance())
    return cls(**{k: v for k, v in spec.items() if k not in ("class", "label")})
