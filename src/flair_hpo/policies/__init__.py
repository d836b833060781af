"""Search policies that work around any strategy: reseeding the finalists and data halving (see
:mod:`flair_hpo.policies.base`)."""

from flair_hpo.policies.base import Move, Policies, Queued, ask
from flair_hpo.policies.fidelity import DataFidelity
from flair_hpo.policies.reseeding import Reseeding

__all__ = ["DataFidelity", "Move", "Policies", "Queued", "Reseeding", "ask"]
