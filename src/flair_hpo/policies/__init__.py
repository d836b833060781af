"""Search policies that work around any strategy: reseeding the finalists and the last call (see
:mod:`flair_hpo.policies.base`)."""

from flair_hpo.policies.base import Move, Policies, Queued, ask
from flair_hpo.policies.reseeding import Reseeding

__all__ = ["Move", "Policies", "Queued", "Reseeding", "ask"]
