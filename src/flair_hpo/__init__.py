"""flair-hpo: hyper-parameter optimization for Flair NLP models.

The tutorial's API, with its names::

    from flair_hpo import search_strategies, search_spaces, orchestrator
    import flair_hpo.parameters as parameter
"""

import logging
import sys

from flair_hpo import orchestrator, parameters, search_spaces, search_strategies
from flair_hpo.configuration import Configuration
from flair_hpo.results import OptimizationResult

__version__ = "0.1.0"
__all__ = [
    "Configuration",
    "OptimizationResult",
    "orchestrator",
    "parameters",
    "search_spaces",
    "search_strategies",
]

# Like Flair's own logger: progress goes to stdout unless the application configures logging itself.
_log = logging.getLogger("flair_hpo")
if not _log.handlers:
    _handler = logging.StreamHandler(sys.stdout)
    _handler.setFormatter(logging.Formatter("%(asctime)s flair-hpo %(message)s"))
    _log.addHandler(_handler)
    _log.setLevel(logging.INFO)
    _log.propagate = False
