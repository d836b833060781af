"""flair-hpo: hyper-parameter optimization for Flair NLP models.

The tutorial's API, with its names::

    from flair_hpo import search_strategies, search_spaces, orchestrator
    import flair_hpo.parameters as parameter

Submodules are imported when first used, so that ``flair-hpo show`` does not wait for Flair to load.
"""

import importlib
import logging
import sys
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "orchestrator": "flair_hpo.orchestrator",
    "parameters": "flair_hpo.parameters",
    "search_spaces": "flair_hpo.search_spaces",
    "search_strategies": "flair_hpo.search_strategies",
    "Configuration": "flair_hpo.configuration",
    "OptimizationResult": "flair_hpo.results",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'flair_hpo' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    return module if module.__name__.endswith(name) else getattr(module, name)


# Like Flair's own logger: progress goes to stdout unless the application configures logging itself.
_log = logging.getLogger("flair_hpo")
if not _log.handlers:
    _handler = logging.StreamHandler(sys.stdout)
    _handler.setFormatter(logging.Formatter("%(asctime)s flair-hpo %(message)s"))
    _log.addHandler(_handler)
    _log.setLevel(logging.INFO)
    _log.propagate = False
