"""Search policies that work around any strategy: starts, reseeding the finalists and the last call (see
:mod:`flair_hpo.policies.base`)."""

from flair_hpo.policies.base import Policies
from flair_hpo.policies.reseeding import Reseeding

__all__ = ["Policies", "Reseeding"]
