"""What a search's records are called in MLflow: one metric name per meaning, as docs/tracking.md lists them;
and a search resumed without MLflow says in one line that its trials are not logged there."""

from __future__ import annotations

import logging
import uuid

import optuna
import pytest

from flair_hpo.records import keys
from flair_hpo.study import open_storage

from .helpers import small_trec_search

#: A trial's metrics: after every epoch, then when it ends (docs/tracking.md).
EPOCH_METRICS = {"dev_score", "dev_loss", "train_loss"}
TRIAL_METRICS = {"best_dev_score", "best_dev_loss", "best_epoch", "epochs", "seconds"}


@pytest.mark.integration
def test_a_trial_has_one_metric_per_meaning_and_a_resume_without_mlflow_says_its_trials_are_not_logged(
    mlflow_server, trec_corpus, trec_vectors, tmp_path, caplog
):
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_server)
    name = f"names-{uuid.uuid4().hex[:8]}"
    small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=2, study_name=name, mlflow=mlflow_server).optimize()
    experiment = client.get_experiment_by_name(name).experiment_id
    runs = client.search_runs([experiment])
    parent = next(run for run in runs if "mlflow.parentRunId" not in run.data.tags)
    trials = {int(run.data.tags["flair_hpo.trial"]): run for run in runs if run is not parent}
    study = optuna.load_study(study_name=name, storage=open_storage(None, tmp_path, heartbeat_interval=None))
    assert sorted(trials) == [0, 1]
    for trial in study.trials:
        run = trials[trial.number]
        assert set(run.data.metrics) == EPOCH_METRICS | TRIAL_METRICS
        assert run.data.metrics["best_dev_score"] == pytest.approx(trial.value)  # the trial's value: its best epoch
        assert run.data.metrics["best_epoch"] == trial.user_attrs[keys.BEST_EPOCH]
        epochs = client.get_metric_history(run.info.run_id, "dev_score")
        assert max(m.value for m in epochs) == pytest.approx(trial.value) and len(epochs) == 2
    assert {"best_dev_score", "best_test_score"} <= set(parent.data.metrics)

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="flair_hpo"):
        small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=3, study_name=name).optimize()
    said = [record.getMessage() for record in caplog.records if "MLflow" in record.getMessage()]
    assert said == [
        f"the study logs to MLflow (parent run {parent.info.run_id}), but this process was started without --mlflow: "
        "the trials it trains are not logged there, nor is the result; run it with --mlflow URI (or mlflow: in the "
        "YAML file) to log them"
    ]
    assert len(client.search_runs([experiment])) == 3  # the parent and the two trials logged before
