"""Every name flair-hpo stores in an Optuna study (its and its trials' attributes), in one place: what stores
a note and what reads it both import its name from here."""

from __future__ import annotations

#: The version of what flair-hpo stores in a study; a study records the version that created it, and
#: studies written by earlier versions are kept as fixtures that the tests open (``tests/fixtures``).
FORMAT_VERSION = 2

# ------------------------------------------------------------------------ trial system attributes
#: The configuration (labels) a strategy proposed for a trial, in studies of earlier versions (the search
#: now queues each proposal: Optuna's ``fixed_params``).
PROPOSAL = "flair_hpo:proposal"
#: A counter the trial's worker raises while it trains (see :mod:`flair_hpo.study.heartbeat`).
HEARTBEAT = "flair_hpo:heartbeat"
#: The trial was interrupted and its configuration queued again, so the retry counts instead of it.
SUPERSEDED = "flair_hpo:superseded"
#: The trial was opened when nothing was left to propose (or what it was given was held) and never trained.
SKIPPED = "flair_hpo:skipped"
#: Optuna's own: the parameters of a queued trial (``enqueue_trial``).
FIXED_PARAMS = "fixed_params"

# -------------------------------------------------------------------------- trial user attributes
#: Who runs the trial: its worker's process identity and heartbeat interval.
OWNER = "flair_hpo:owner"
#: Which training of its configuration the trial is: 0 for the first, 1, 2, ... for further seeds.
REPLICATE = "replicate"
#: The fraction of the training split the trial trained on: 1, unless data halving (offered by earlier
#: versions) screened it on less.
FRACTION = "fraction"
#: The objective value of the trial's best epoch (also of a pruned trial, whose Optuna value is empty).
VALUE = "value"
DEV_SCORE = "dev_score"
DEV_LOSS = "dev_loss"
#: The trial trains again, to its last epoch and with the pruner off, the configuration and seed of a trial
#: that was pruned or cut short by the deadline and whose model the search would return (the last call).
LAST_CALL = "last_call"
#: Epochs trained, and the epoch whose weights the trial kept.
EPOCHS = "epochs"
BEST_EPOCH = "best_epoch"
#: Seconds the trial took.
DURATION = "duration_s"
#: The CPU threads the trial trained with (see flair_hpo.training.threads).
THREADS = "threads"
#: The time budget ran out during the trial, which stopped at an epoch boundary.
STOPPED_BY_TIME_BUDGET = "stopped_by_time_budget"
#: The training seed of the trial.
SEED = "seed"
#: Why a trial failed or was interrupted (its first line in the leaderboard, all of it in the log).
ERROR = "error"
#: Its worker was killed while training it and, as far as its machine could tell, for memory (or it could
#: not tell): such deaths are counted per configuration (see :mod:`flair_hpo.study.requeue`).
KILLED = "killed"
#: The trial was refused before it was built: its configuration is not one of the space's (it was queued from
#: outside the search). It is failed, and uses no budget.
REFUSED = "refused"

# -------------------------------------------------------------------------- study system attributes
#: The search space, the strategy's settings, the label type and a fingerprint of the corpus.
SEARCH_SPACE = "flair_hpo:search_space"
STRATEGY = "flair_hpo:strategy"
LABEL_TYPE = "flair_hpo:label_type"
CORPUS = "flair_hpo:corpus"
#: What a worker elsewhere needs to run the search (stored last: a study without it is being created).
RUN = "flair_hpo:run"
#: The process that created the study.
CREATOR = "flair_hpo:creator"
#: :data:`FORMAT_VERSION` of the flair-hpo that created the study (absent: version 1).
FORMAT = "flair_hpo:format"
#: ``SESSION_PREFIX + id``: when a worker session ran, by the study's clock (for the time budget).
SESSION_PREFIX = "flair_hpo:session:"
#: The best model's test score, and the final model's, each with the trial they are for.
TEST_SCORE = "flair_hpo:test_score"
FINAL_MODEL = "flair_hpo:final_model"

# ---------------------------------------------------------------------------- study user attributes
#: The MLflow run of the whole study, which every worker's trial runs nest under (see flair_hpo.tracking).
MLFLOW_PARENT_RUN = "flair_hpo:mlflow_parent_run"
