"""The study: where trials are stored (an Optuna study in a journal file or a database), with what flair-hpo
keeps beside them (the search space, the strategy, the run settings), and how much budget is left."""

from flair_hpo.study.budget import BudgetState, runs_allowed, space_exhausted
from flair_hpo.study.names import EARLIER_DEFAULT, folder_name, searches_in, study_name_for
from flair_hpo.study.settings import RunSettings
from flair_hpo.study.storages import JOURNAL_FILE, open_storage, redact, study_exists
from flair_hpo.study.trial_store import TrialStore

__all__ = [
    "EARLIER_DEFAULT",
    "JOURNAL_FILE",
    "BudgetState",
    "RunSettings",
    "TrialStore",
    "folder_name",
    "open_storage",
    "redact",
    "runs_allowed",
    "searches_in",
    "space_exhausted",
    "study_exists",
    "study_name_for",
]
