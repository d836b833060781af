"""Running a search: the orchestrator (the tutorial's), the trial loop of a worker, the end of a search,
worker processes on this machine and workers that join a study from elsewhere."""

from flair_hpo.orchestration.joining import join_study
from flair_hpo.orchestration.orchestrator import Orchestrator

__all__ = ["Orchestrator", "join_study"]
