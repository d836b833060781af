"""The tutorial's ``orchestrator``: ``from flair_hpo import orchestrator``.

Example::

    result = orchestrator.Orchestrator(corpus=corpus, base_path="hyperopt/trec6",
                                       search_space=search_space, search_strategy=search_strategy).optimize()
"""

from flair_hpo.orchestration import Orchestrator, join_study
from flair_hpo.results import OptimizationResult

__all__ = ["OptimizationResult", "Orchestrator", "join_study"]
