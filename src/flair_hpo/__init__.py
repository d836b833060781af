"""flair-hpo: hyper-parameter optimization for Flair NLP models.

The tutorial's API, with its names::

    from flair_hpo import search_strategies, search_spaces, orchestrator
    import flair_hpo.parameters as parameter

The package is laid out by the ideas of a search, each a subpackage that imports only those before it:
``space`` (what to tune) → ``strategies`` (what to try next) → ``training`` (a trial: a Flair model trained
and scored on dev) → ``study`` (the Optuna study that stores trials) → ``results`` (leaderboard, best model,
report) → ``orchestration`` (the search itself, workers) → ``cli`` (the ``flair-hpo`` command).

Submodules are imported when first used, so that ``flair-hpo show`` does not wait for Flair to load.
Importing flair-hpo configures no logging; a search shows its progress on stdout unless the application
set up logging itself.
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
