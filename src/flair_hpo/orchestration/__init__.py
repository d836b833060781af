"""Running a search: the orchestrator, a worker's trial loop, the end of a search, and workers on this machine
or elsewhere. The names below are imported when first used, so that the command line is checked before Flair
and torch load."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flair_hpo.orchestration.joining import join_study
    from flair_hpo.orchestration.search_run import Orchestrator

_LAZY = {"Orchestrator": "flair_hpo.orchestration.search_run", "join_study": "flair_hpo.orchestration.joining"}
__all__ = ["Orchestrator", "join_study"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'flair_hpo.orchestration' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
