"""The search in MLflow: one parent run per study, one nested run per trial (docs/tracking.md).

The parent's run id is noted on the study, so a resumed study and every worker of it log into one tree. Calls
go through :class:`mlflow.MlflowClient` with explicit run ids (never MLflow's global active run) and fail
fast: MLflow never stops a search that runs.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from flair_hpo.errors import one_line
from flair_hpo.records import TrialStatus, keys
from flair_hpo.results.events import (
    EpochEnded,
    SearchListener,
    SearchStarted,
    SearchStopped,
    TrialFinished,
    TrialStarted,
)
from flair_hpo.study import redact
from flair_hpo.study.storages import without_secrets
from flair_hpo.tracking.values import epoch_metrics, hyperparameters, plain, result_metric, trial_metrics

log = logging.getLogger("flair_hpo")

#: MLflow's limits: characters of a parameter's value, parameters per request.
_VALUE_CHARS, _PARAMS_PER_REQUEST = 6000, 100
#: Fail fast when the server is down (MLflow's defaults retry for minutes), and print no link to every run that
#: ends amid the progress lines; the user's own settings of these win.
_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
}
_RUN_STATUS = {
    TrialStatus.COMPLETE: "FINISHED",
    TrialStatus.PRUNED: "FINISHED",
    TrialStatus.FAILED: "FAILED",
}
#: The tags of flair-hpo's runs.
STUDY_TAG, TRIAL_TAG, RETRY_TAG, STATUS_TAG = "flair_hpo.study", "flair_hpo.trial", "flair_hpo.retry_of", "status"
_PARENT_TAG = "mlflow.parentRunId"  # MLflow's own: how its UI nests a run under another


class TrackingError(RuntimeError):
    """An experiment tracker cannot be used; the search goes on without it."""


class MlflowTracker(SearchListener):
    """Logs the search to the MLflow tracking server at ``uri`` (None: MLflow's default, ``$MLFLOW_TRACKING_URI``)."""

    def __init__(self, uri: str | None) -> None:
        self.client = mlflow_client(uri)
        self.parent: str | None = None
        self.experiment: str | None = None
        self.runs: dict[int, str] = {}  # this worker's trials: number -> run id

    # ------------------------------------------------------------------------------ events
    def search_started(self, event: SearchStarted) -> None:
        try:
            self.experiment = self._experiment(event.study_name)
            self.parent = self._parent(event)
        except Exception as error:  # said in one line, the URI's password hidden (hence no chained traceback)
            raise TrackingError(
                f"MLflow at {redact(self.client.tracking_uri)} cannot be used ({redact(one_line(error))[:300]}); the "
                "search goes on without it: start the server and run the search again to log its next trials"
            ) from None

    def trial_started(self, event: TrialStarted) -> None:
        tags = {_PARENT_TAG: self.parent, TRIAL_TAG: str(event.trial)}
        if event.retry_of is not None:
            tags[RETRY_TAG] = str(event.retry_of)
            self._close_stale(event.retry_of)
        run = self.client.create_run(self.experiment, tags=tags, run_name=f"trial-{event.trial:04d}")
        self.runs[event.trial] = run.info.run_id
        self._log_params(run.info.run_id, hyperparameters(event.labels, event.seed, event.replicate))

    def epoch_ended(self, event: EpochEnded) -> None:
        run = self.runs.get(event.trial)
        if run is not None:
            self._log(run, metrics=epoch_metrics(event), step=event.epoch)

    def trial_finished(self, event: TrialFinished) -> None:
        record = event.record
        run = self.runs.pop(record.number, None)
        if run is None:  # it never started here (stopped before it trained)
            return
        tags = {STATUS_TAG: record.status.value} | ({"error": record.error} if record.error else {})
        self._log(run, metrics=trial_metrics(record), tags=tags)
        self.client.set_terminated(run, _RUN_STATUS.get(record.status, "KILLED"))

    def search_finished(self, result: Any) -> None:
        if result is None or self.parent is None:  # a worker's part ended; the study's creator reports
            return
        if result.best_trial is not None:
            best = {f"best.{name}": plain(value) for name, value in result.best_configuration.items()}
            scores = {result_metric(result.objective): result.dev_score, "best_test_score": result.test_score}
            scores["final_model_test_score"] = result.final_test_score
            self._log(self.parent, metrics=scores, tags={**best, "best.trial": result.best_trial})
            if result.model_path is not None and result.model_path.is_file():
                self.client.log_artifact(self.parent, str(result.model_path))
        self.client.set_terminated(self.parent, "FINISHED")

    def search_stopped(self, event: SearchStopped) -> None:
        """Runs this process left open end as killed: its trial's (if its end was not logged), and the parent
        unless other workers' trials still run in it. A resumed search sets the parent running again."""
        for run in self.runs.values():
            self.client.set_terminated(run, "KILLED")
        self.runs.clear()
        if self.parent is not None and not event.others_running:
            self.client.set_terminated(self.parent, "KILLED")

    # ------------------------------------------------------------------------------ the parent
    def _experiment(self, name: str) -> str:
        """The id of the experiment named after the study, made (or restored) if needed."""
        from mlflow.exceptions import MlflowException

        experiment = self.client.get_experiment_by_name(name)
        if experiment is None:
            try:
                return self.client.create_experiment(name)
            except MlflowException:  # another worker made it meanwhile
                experiment = self.client.get_experiment_by_name(name)
                if experiment is None:
                    raise
        if experiment.lifecycle_stage == "deleted":
            self.client.restore_experiment(experiment.experiment_id)
        return experiment.experiment_id

    def _parent(self, event: SearchStarted) -> str:
        """The study's parent run: the one the study notes (a resumed study, a worker that joins it), else a new
        one, agreed on by every worker that made one at the same time."""
        study = event.store.study
        noted = study.user_attrs.get(keys.MLFLOW_PARENT_RUN)
        if noted and self._alive(noted):
            self.client.update_run(noted, status="RUNNING")
            return noted
        token = str(event.store.attributes().get(keys.CREATOR, {}).get("token") or event.study_name)
        mine = self.client.create_run(
            self.experiment,
            tags={STUDY_TAG: token, "objective": event.objective, "corpus": json.dumps(event.run.get("corpus"))},
            run_name=event.study_name,
        ).info.run_id
        self._log_params(mine, _search_params(event))
        runs = self.client.search_runs([self.experiment], filter_string=f"tags.`{STUDY_TAG}` = '{token}'")
        first = min(runs, key=lambda run: (run.info.start_time, run.info.run_id)).info.run_id
        if first != mine:
            self.client.delete_run(mine)
        study.set_user_attr(keys.MLFLOW_PARENT_RUN, first)
        return first

    def _alive(self, run_id: str) -> bool:
        """Whether the run exists on this server (a study tracked elsewhere before does not)."""
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_run(run_id).info.lifecycle_stage == "active"
        except MlflowException as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                return False
            raise

    def _close_stale(self, trial: int) -> None:
        """The run of a trial whose worker died is left running: it ends as killed when its retry starts."""
        where = f"tags.`{_PARENT_TAG}` = '{self.parent}' and tags.`{TRIAL_TAG}` = '{trial}'"
        for run in self.client.search_runs([self.experiment], filter_string=where):
            if run.info.status == "RUNNING":
                self.client.set_terminated(run.info.run_id, "KILLED")

    # ------------------------------------------------------------------------------ requests
    def _log_params(self, run: str, params: dict[str, Any]) -> None:
        from mlflow.entities import Param

        items = [Param(_key(name), str(value)[:_VALUE_CHARS]) for name, value in params.items()]
        for start in range(0, len(items), _PARAMS_PER_REQUEST):
            self.client.log_batch(run, params=items[start : start + _PARAMS_PER_REQUEST])

    def _log(self, run: str, metrics: dict[str, Any], tags: dict[str, Any] | None = None, step: int = 0) -> None:
        """Metrics (those that are not None) and tags of ``run``, in one request."""
        from mlflow.entities import Metric, RunTag

        now = int(time.time() * 1000)
        batch = [Metric(_key(name), float(value), now, step) for name, value in metrics.items() if value is not None]
        labels = [RunTag(_key(name), str(value)[:_VALUE_CHARS]) for name, value in (tags or {}).items()]
        if batch or labels:
            self.client.log_batch(run, metrics=batch, tags=labels)


def mlflow_client(uri: str | None) -> Any:
    """An ``MlflowClient`` of the tracking store at ``uri`` (None: MLflow's default), failing fast."""
    for name, value in _DEFAULTS.items():
        os.environ.setdefault(name, value)
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri or None)


def check_mlflow(uri: str | None) -> str | None:
    """Why the tracking store at ``uri`` cannot be used, or None: one request, before the study is created."""
    try:
        mlflow_client(uri).search_experiments(max_results=1)
    except Exception as error:  # MLflow's errors, refused connections, a store that refuses to open
        where = uri or os.environ.get("MLFLOW_TRACKING_URI") or "its default store"
        reason = without_secrets(redact(one_line(error)), where).split(". ")[0][:200]
        return f"MLflow at {redact(where)} cannot be used ({type(error).__name__}: {reason})"
    return None


class UntrackedParent(SearchListener):
    """In a process started without MLflow, on a study that logs to MLflow: says in one line that its trials
    are not logged there, or, when it finishes the search, that the parent run was not given the result."""

    def __init__(self) -> None:
        self.store: Any = None
        self.said = False

    def search_started(self, event: SearchStarted) -> None:
        self.store = event.store
        parent = self.store.study.user_attrs.get(keys.MLFLOW_PARENT_RUN)
        if parent and not self.said:
            self.said = True
            log.warning(
                "the study logs to MLflow (parent run %s), but this process was started without --mlflow: the "
                "trials it trains are not logged there, nor is the result; run it with --mlflow URI (or mlflow: "
                "in the YAML file) to log them",
                parent,
            )

    def search_finished(self, result: Any) -> None:
        if result is None or self.store is None or self.said:  # a worker's part ended, or it was said
            return
        parent = self.store.study.user_attrs.get(keys.MLFLOW_PARENT_RUN)  # noted by a worker since the start
        if parent:
            log.warning(
                "the study's MLflow parent run %s was not finished with the best configuration and model: this "
                "process was started without --mlflow (its workers log to MLflow); run the same command again with "
                "--mlflow URI (or mlflow: in the YAML file) to finish it",
                parent,
            )


def _search_params(event: SearchStarted) -> dict[str, Any]:
    """The parent run's parameters: ``space.NAME``, ``strategy.NAME``, ``run.NAME``."""
    space = dict(event.search_space)
    params: dict[str, Any] = {f"space.{d.get('name')}": plain(_domain(d)) for d in space.pop("dimensions", [])}
    params.update({f"space.{name}": plain(value) for name, value in space.items()})
    strategy = dict(event.strategy)
    params["strategy"] = plain(strategy.pop("strategy", None))  # its class; then its settings
    params.update({f"strategy.{name}": plain(value) for name, value in strategy.items()})
    params.update({f"run.{name}": plain(value) for name, value in event.run.items()})
    params["objective"] = event.objective
    return params


def _domain(dimension: dict[str, Any]) -> Any:
    if "labels" in dimension:
        return dimension["labels"]
    return {key: value for key, value in dimension.items() if key != "name"}


def _key(name: str) -> str:
    """A name MLflow accepts as a key (letters, digits and ``_-. /``)."""
    return "".join(c if c.isalnum() or c in "_-. /" else "_" for c in name)[:250]
