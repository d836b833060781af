"""Which classes a YAML file or a stored study may name: nothing else is ever imported from them.

Why: were any dotted path allowed, whoever can write a study could make every worker run their code. Names
resolve to ``flair.embeddings``, ``torch.optim`` and classes registered in code::

    flair_hpo.register(MyEmbeddings)      # a TokenEmbeddings / DocumentEmbeddings subclass, or an optimizer

An object given to a search space in Python registers its class itself; a worker on another machine registers
the classes the study names before joining.
"""

from __future__ import annotations

import difflib
from typing import Any

from flair_hpo.errors import EmbeddingSpecError, SearchSpaceError

_REGISTERED: dict[str, type] = {}


def class_name(cls: type) -> str:
    """The name a class is stored by: its bare name for Flair's embeddings, a dotted path otherwise."""
    import flair.embeddings

    if getattr(flair.embeddings, cls.__name__, None) is cls:
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


def register(cls: type) -> type:
    """Let stored studies and YAML files name ``cls``, an embedding class or a torch optimizer of your own."""
    import flair.embeddings
    import torch

    if not isinstance(cls, type) or not issubclass(cls, flair.embeddings.Embeddings | torch.optim.Optimizer):
        raise SearchSpaceError(f"only embedding classes and torch optimizers can be registered, not {cls!r}")
    _REGISTERED[class_name(cls)] = cls
    return cls


def registered() -> list[type]:
    """The classes registered in this process (passed on to worker processes)."""
    return list(_REGISTERED.values())


def embedding_class(name: str) -> type:
    """The embedding class ``name`` stands for: one of ``flair.embeddings`` or a registered one."""
    import flair.embeddings

    cls = _REGISTERED.get(name)
    if cls is None and "." not in name:
        found = getattr(flair.embeddings, name, None)
        cls = found if isinstance(found, type) and issubclass(found, flair.embeddings.Embeddings) else None
    if cls is None:
        known = [n for n in dir(flair.embeddings) if n.endswith("Embeddings")]
        close = difflib.get_close_matches(name.rpartition(".")[2], known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise EmbeddingSpecError(
            f"{name!r} is not an embedding class of flair.embeddings{hint} (a class of your own is used once it is "
            "registered in code: flair_hpo.register(MyEmbeddings); files and studies cannot name others)"
        )
    return cls


def optimizer_class(name: str) -> Any:
    """The optimizer ``name`` stands for: one of ``torch.optim`` (``AdamW`` or its dotted name) or a registered one."""
    import torch

    cls = _REGISTERED.get(name)
    if cls is None and (name.startswith("torch.optim.") or "." not in name):
        found = getattr(torch.optim, name.rpartition(".")[2], None)  # torch.optim.adamw.AdamW is AdamW too
        cls = found if isinstance(found, type) and issubclass(found, torch.optim.Optimizer) else None
    if cls is None:
        raise SearchSpaceError(
            f"ModelTrainer.optimizer: {name!r} is not an optimizer of torch.optim (a class of your own is used once "
            "it is registered in code: flair_hpo.register(MyOptimizer)); give e.g. 'AdamW' or 'SGD'"
        )
    return cls


def takes_argument(optimizer: str | type, argument: str) -> bool:
    """Whether the optimizer (a class, or a name :func:`optimizer_class` resolves) takes ``argument``: the one
    place this is decided, for the space's checks, its conditions and the arguments a trial passes on."""
    import inspect

    cls = optimizer_class(optimizer) if isinstance(optimizer, str) else optimizer
    return argument in inspect.signature(cls.__init__).parameters
