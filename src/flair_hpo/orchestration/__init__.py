"""Running a search: the orchestrator (the tutorial's), the trial loop of a worker, the end of a search,
worker processes on this machine and workers that join a study from elsewhere.

The names below are imported when first used: ``flair-hpo run`` checks its command line and YAML file with
the light modules of this package before Flair and torch are loaded.
"""

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
