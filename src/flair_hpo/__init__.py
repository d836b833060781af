"""flair-hpo: hyper-parameter optimization for Flair NLP models.

The tutorial's API, with its names::

    from flair_hpo import search_strategies, search_spaces, orchestrator
    import flair_hpo.parameters as parameter

Submodules are imported when first used, so that ``flair-hpo show`` does not wait for Flair to load; importing
flair-hpo configures no logging.
"""

import importlib
from typing import TYPE_CHECKING, Any

from flair_hpo.version import VERSION

if TYPE_CHECKING:  # what type checkers see of the names imported when first used (below)
    from flair_hpo import orchestrator, parameters, search_spaces, search_strategies
    from flair_hpo.results.outcome import OptimizationResult
    from flair_hpo.space.configuration import Configuration
    from flair_hpo.space.registry import register
    from flair_hpo.space.trust import allow
    from flair_hpo.training.trial_runner import train

__version__ = VERSION

_LAZY = {
    "orchestrator": "flair_hpo.orchestrator",
    "parameters": "flair_hpo.parameters",
    "search_spaces": "flair_hpo.search_spaces",
    "search_strategies": "flair_hpo.search_strategies",
    "Configuration": "flair_hpo.space.configuration",
    "OptimizationResult": "flair_hpo.results.outcome",
    "train": "flair_hpo.training.trial_runner",
    "register": "flair_hpo.space.registry",
    "allow": "flair_hpo.space.trust",
}
__all__ = [
    "Configuration",
    "OptimizationResult",
    "allow",
    "orchestrator",
    "parameters",
    "register",
    "search_spaces",
    "search_strategies",
    "train",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'flair_hpo' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    return module if module.__name__.endswith(name) else getattr(module, name)
