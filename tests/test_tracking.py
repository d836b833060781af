"""Experiment tracking: searches logged to a real MLflow server (read back with MLflow's own client) and to
TensorBoard event files (read back with TensorBoard's own event reader)."""

from __future__ import annotations

import contextlib
import logging
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import optuna
import pytest
import yaml

from flair_hpo.errors import SettingsError
from flair_hpo.records import keys

from .conftest import SERVER_START_S, free_port
from .helpers import Place, creator, finish, search_yaml, small_trec_search, start, trained, wait_for_running_trial

REPO = Path(__file__).resolve().parents[1]


def _client(uri: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri)


def _tree(uri: str, study: optuna.Study) -> tuple:
    """The study's parent run (the one the study notes), the active runs of its experiment without a parent
    (which must be that one alone), and the runs nested under it, by trial number."""
    client = _client(uri)
    experiment = client.get_experiment_by_name(study.study_name).experiment_id
    runs = client.search_runs([experiment])
    parent = client.get_run(study.user_attrs[keys.MLFLOW_PARENT_RUN])
    tops = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    nested = {int(r.data.tags["flair_hpo.trial"]): r for r in runs if r not in tops}
    assert all(r.data.tags["mlflow.parentRunId"] == parent.info.run_id for r in nested.values())
    return parent, tops, nested


def _history(uri: str, run, metric: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in _client(uri).get_metric_history(run.info.run_id, metric)]


@pytest.mark.integration
def test_mlflow_holds_one_parent_run_a_nested_run_per_trial_and_the_best_model(
    mlflow_server, trec_corpus, trec_vectors, tmp_path
):
    name = f"tracked-{uuid.uuid4().hex[:8]}"
    search = small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=3, study_name=name, mlflow=mlflow_server)
    result = search.optimize()
    study = optuna.load_study(study_name=name, storage=search.open_store().storage)

    parent, tops, nested = _tree(mlflow_server, study)
    assert [r.info.run_id for r in tops] == [parent.info.run_id]
    assert parent.info.status == "FINISHED" and parent.info.run_name == name
    assert parent.data.params["space.ModelTrainer.learning_rate"] == "[0.1, 0.05]"
    assert parent.data.params["strategy"] == "RandomSearch" and parent.data.params["run.pruner"] == "none"
    trials = {t.number: t for t in study.trials}
    assert sorted(nested) == sorted(trials) == [0, 1, 2]
    for number, run in nested.items():
        trial = trials[number]
        assert run.info.status == "FINISHED" and run.data.tags["status"] == "complete"
        assert {k: run.data.params[k] for k in trial.params} == {k: str(v) for k, v in trial.params.items()}
        assert run.data.params["seed"] == str(trial.user_attrs[keys.SEED])
        assert run.data.params["replicate"] == "0"
        dev = _history(mlflow_server, run, "dev_score")
        assert [step for step, _ in dev] == [1, 2]
        assert max(value for _, value in dev) == pytest.approx(trial.value)
        assert [step for step, _ in _history(mlflow_server, run, "dev_loss")] == [1, 2]
        assert [step for step, _ in _history(mlflow_server, run, "train_loss")] == [1, 2]
        assert run.data.metrics["seconds"] == pytest.approx(trial.user_attrs[keys.DURATION])

    assert {k: parent.data.tags[f"best.{k}"] for k in result.best_configuration} == {
        k: str(v) for k, v in result.best_configuration.items()
    }
    assert parent.data.tags["best.trial"] == str(result.best_trial)
    assert parent.data.metrics["best_dev_score"] == pytest.approx(result.dev_score)
    assert parent.data.metrics["best_test_score"] == pytest.approx(result.test_score)
    artifacts = {a.path: a.file_size for a in _client(mlflow_server).list_artifacts(parent.info.run_id)}
    assert artifacts == {"best-model.pt": result.model_path.stat().st_size}


@pytest.mark.integration
def test_a_resumed_study_continues_its_parent_run_and_a_retry_is_a_new_nested_run(
    mlflow_server, trec_corpus, trec_vectors, tmp_path, monkeypatch
):
    """The first search is killed (SIGKILL) in trial 1's first epoch; run again, it logs into the same parent,
    its retry of trial 1 is a new nested run tagged as one, and the killed trial's run ends as killed. The
    second run is given ``mlflow=True``: MLflow's default, here ``$MLFLOW_TRACKING_URI``."""
    name = f"resumed-{uuid.uuid4().hex[:8]}"
    from .helpers import child_command

    die = ["--trial", 1, "--epoch", 1, "--mlflow", mlflow_server, "--study-name", name]
    command = child_command("die-at", tmp_path, trec_vectors, *die)
    killed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    search = small_trec_search(trec_corpus, tmp_path, trec_vectors, study_name=name, mlflow=True)
    study = optuna.load_study(study_name=name, storage=search.open_store().storage)
    first_parent = study.user_attrs[keys.MLFLOW_PARENT_RUN]

    search.optimize()
    parent, tops, nested = _tree(mlflow_server, study)
    assert parent.info.run_id == first_parent and [r.info.run_id for r in tops] == [first_parent]
    assert parent.info.status == "FINISHED"
    retry = next(t for t in study.trials if t.number > 1 and t.params == study.trials[1].params)
    assert nested[retry.number].data.tags["flair_hpo.retry_of"] == "1"
    assert [step for step, _ in _history(mlflow_server, nested[retry.number], "dev_score")] == [1, 2]
    assert nested[1].info.status == "KILLED"  # left running by the killed process, ended when its retry started
    assert len(nested) == len(study.trials) == 5  # four runs of the budget and the retry


@pytest.mark.integration
def test_two_workers_on_postgresql_log_into_one_parent_run(mlflow_server, postgres_url, tmp_path, trec_vectors):
    """The creator (``mlflow:`` in its YAML file, training nothing) and two ``flair-hpo worker --mlflow``
    processes, started at once: one parent run, every trained trial nested under it."""
    place = Place(postgres_url, f"tracked-{uuid.uuid4().hex[:8]}", tmp_path / "search")
    parameters = {"ModelTrainer.learning_rate": [0.2, 0.1, 0.05, 0.02], "DocumentRNNEmbeddings.hidden_size": [16]}
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 4}, parameters, epochs=1)
    config.write_text(yaml.safe_dump({**yaml.safe_load(config.read_text()), "mlflow": mlflow_server}))
    workers = [start([*place.worker_command(), "--mlflow", mlflow_server], tmp_path / f"w{i}.log") for i in range(2)]
    codes = finish([creator(config, tmp_path / "creator.log"), *workers])
    assert codes == [0, 0, 0], (tmp_path / "creator.log").read_text()[-3000:]

    study = place.study()
    parent, tops, nested = _tree(mlflow_server, study)
    assert [r.info.run_id for r in tops] == [parent.info.run_id] and parent.info.status == "FINISHED"
    assert sorted(nested) == sorted(t.number for t in trained(study)) and len(nested) == 4
    assert all(r.info.status == "FINISHED" for r in nested.values())
    assert parent.data.tags["best.trial"] == str(study.best_trial.number)


def test_a_tracker_setting_of_the_wrong_kind_is_refused_before_anything_is_trained(trec_corpus, trec_vectors, tmp_path):
    with pytest.raises(SettingsError, match="mlflow must be an MLflow tracking URI"):
        small_trec_search(trec_corpus, tmp_path / "a", trec_vectors, mlflow=5000)
    with pytest.raises(SettingsError, match="wandb must be a W&B project name"):
        small_trec_search(trec_corpus, tmp_path / "a", trec_vectors, wandb=["project"])
    (tmp_path / "file").write_text("")
    with pytest.raises(SettingsError, match=r"tensorboard: .* is a file"):
        small_trec_search(trec_corpus, tmp_path / "b", trec_vectors, tensorboard=tmp_path / "file")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.integration
def test_tensorboard_has_a_run_folder_per_trial_with_epoch_scalars_and_hparams(mlflow_server, tmp_path, trec_vectors):
    """``flair-hpo run CONFIG --tensorboard --mlflow URI``: the event files read back with TensorBoard's own
    event reader; both trackers at once."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

    from flair_hpo.cli import main

    place = Place(None, f"tb-{uuid.uuid4().hex[:8]}", tmp_path / "search")
    parameters = {"ModelTrainer.learning_rate": [0.1, 0.05], "DocumentRNNEmbeddings.hidden_size": [16]}
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 2}, parameters, epochs=2)
    assert main(["run", str(config), "--tensorboard", "--mlflow", mlflow_server]) == 0

    study = place.study()
    parent, tops, nested = _tree(mlflow_server, study)
    assert [r.info.run_id for r in tops] == [parent.info.run_id] and sorted(nested) == [0, 1]
    folders = sorted((place.base_path / "tensorboard").iterdir())
    assert [f.name for f in folders] == ["trial-0000", "trial-0001"]
    for folder, trial in zip(folders, study.trials, strict=True):
        events = EventAccumulator(str(folder))
        events.Reload()
        dev = [(s.step, s.value) for s in events.Scalars("dev/score")]
        assert [step for step, _ in dev] == [1, 2]
        assert max(value for _, value in dev) == pytest.approx(trial.value, abs=1e-6)
        assert [s.step for s in events.Scalars("dev/loss")] == [1, 2]
        assert [s.step for s in events.Scalars("train/loss")] == [1, 2]
        batches = [s.step for s in events.Scalars("train/batch_loss")]  # at least each epoch's last batch
        assert batches == sorted(set(batches)) and batches[-1] % 2 == 0 and batches[-1] // 2 in batches
        plugin = {tag: HParamsPluginData.FromString(data) for tag, data in events.PluginTagToContent("hparams").items()}
        session = next(p.session_start_info for p in plugin.values() if p.HasField("session_start_info"))
        hparams = {name: getattr(value, value.WhichOneof("kind")) for name, value in session.hparams.items()}
        assert hparams["ModelTrainer.learning_rate"] == pytest.approx(trial.params["ModelTrainer.learning_rate"])
        assert hparams["seed"] == trial.user_attrs[keys.SEED]
        assert any(p.HasField("session_end_info") for p in plugin.values())

    # TensorBoard's own HParams view, as its page asks a real `tensorboard` for it: one row per trial.
    groups = {g["name"]: g for g in _hparams_view(place.base_path / "tensorboard")}
    assert sorted(groups) == ["trial-0000", "trial-0001"]
    for trial in study.trials:
        group = groups[f"trial-{trial.number:04d}"]
        rate = "ModelTrainer.learning_rate"
        assert group["hparams"][rate] == pytest.approx(trial.params[rate])
        metrics = {m["name"]["tag"]: m["value"] for m in group["metricValues"]}
        assert metrics["trial/best_dev_score"] == pytest.approx(trial.value, abs=1e-6)
        assert {"dev/score", "dev/loss", "train/loss"} <= set(metrics)


def _hparams_view(logdir: Path) -> list[dict]:
    """The session groups (rows) of TensorBoard's HParams view of ``logdir``, from a real ``tensorboard``."""
    import json

    port = free_port()
    command = [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--port", str(port)]
    server = subprocess.Popen([*command, "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    query = {
        "experimentName": "",
        "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"],
        "colParams": [],
        "startIndex": 0,
        "sliceSize": 100,
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/data/plugin/hparams/session_groups",
        data=json.dumps(query).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        deadline = time.time() + SERVER_START_S
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    return json.load(answer)["sessionGroups"]
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise
                time.sleep(1)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.integration
def test_a_search_stopped_by_sigterm_ends_its_runs_as_killed_and_a_resumed_search_runs_its_parent_again(
    mlflow_server, tmp_path, trec_vectors
):
    """``flair-hpo run CONFIG --mlflow URI`` is sent SIGTERM in the middle of a trial: the trial's nested run and
    the parent run end as KILLED (not left RUNNING); the same command resumes the parent, which ends FINISHED."""
    place = Place(None, f"stopped-{uuid.uuid4().hex[:8]}", tmp_path / "search")
    parameters = {"ModelTrainer.learning_rate": [0.2, 0.1], "DocumentRNNEmbeddings.hidden_size": [16]}
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 2}, parameters, epochs=8, fraction=0.1)
    command = [sys.executable, "-m", "flair_hpo.cli", "run", str(config), "--mlflow", mlflow_server]
    run = start(command, tmp_path / "run.log")
    number, _ = wait_for_running_trial(place, {run.pid}, set())
    run.send_signal(signal.SIGTERM)
    assert run.wait(timeout=120) == 143, (tmp_path / "run.log").read_text()[-3000:]

    study = place.study()
    parent, tops, nested = _tree(mlflow_server, study)
    assert [r.info.run_id for r in tops] == [parent.info.run_id]
    assert parent.info.status == "KILLED" and nested[number].info.status == "KILLED"
    assert all(r.info.status != "RUNNING" for r in nested.values())

    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    parent, tops, nested = _tree(mlflow_server, study)
    assert [r.info.run_id for r in tops] == [parent.info.run_id] and parent.info.status == "FINISHED"
    assert nested[number].info.status == "KILLED"
    assert sorted(r.info.status for r in nested.values()).count("FINISHED") == 2
    assert parent.data.tags["best.trial"] == str(study.best_trial.number)


@pytest.mark.integration
def test_a_worker_stopped_while_another_trains_leaves_the_parent_run_running(
    mlflow_server, postgres_url, tmp_path, trec_vectors
):
    """Two ``flair-hpo worker --mlflow`` on a PostgreSQL study; one is sent SIGTERM while the other trains: its
    trial's run ends as KILLED, the parent stays RUNNING for the other, and ends FINISHED with the search."""
    from optuna.trial import TrialState

    place = Place(postgres_url, f"stop-one-{uuid.uuid4().hex[:8]}", tmp_path / "search")
    parameters = {"ModelTrainer.learning_rate": [0.2, 0.1, 0.05], "DocumentRNNEmbeddings.hidden_size": [16]}
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 3}, parameters, epochs=20, fraction=0.1)
    config.write_text(yaml.safe_dump({**yaml.safe_load(config.read_text()), "mlflow": mlflow_server}))
    made = creator(config, tmp_path / "creator.log")
    workers = [start([*place.worker_command(), "--mlflow", mlflow_server], tmp_path / f"w{i}.log") for i in range(2)]
    stopped, going = workers
    deadline, early = time.time() + 240, {}  # both in the first epochs of a trial (20 take seconds)
    while set(early) != {stopped.pid, going.pid}:
        assert time.time() < deadline, "the workers never trained at the same time"
        time.sleep(0.1)
        with contextlib.suppress(KeyError):  # the creator has not made the study yet
            running = place.study().get_trials(states=(TrialState.RUNNING,))
            owner = {t.number: t.user_attrs.get(keys.OWNER, {}).get("pid") for t in running}
            early = {owner[t.number]: t.number for t in running if 1 <= len(t.intermediate_values) <= 6}
    number = early[stopped.pid]
    stopped.send_signal(signal.SIGTERM)
    assert stopped.wait(timeout=120) == 143, (tmp_path / "w0.log").read_text()[-3000:]
    parent, _, nested = _tree(mlflow_server, place.study())
    assert nested[number].info.status == "KILLED" and parent.info.status == "RUNNING"

    assert finish([made, going]) == [0, 0], (tmp_path / "creator.log").read_text()[-3000:]
    parent, tops, nested = _tree(mlflow_server, place.study())
    assert [r.info.run_id for r in tops] == [parent.info.run_id] and parent.info.status == "FINISHED"
    assert nested[number].info.status == "KILLED"


@pytest.mark.integration
def test_a_creator_without_mlflow_says_it_left_the_workers_parent_run_unfinished(
    mlflow_server, trec_corpus, trec_vectors, tmp_path, caplog
):
    """A worker logs the study's trials with ``mlflow``; the creator, without it, finishes the search and says in
    one line that neither its trials nor the result go to the parent run, and how to log them; doing so finishes
    it."""
    from flair_hpo.orchestration.joining import join_study

    name = f"untracked-{uuid.uuid4().hex[:8]}"
    search = small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=2, study_name=name)
    search.open_store()  # the study, created as the creator creates it
    worker = join_study(
        base_path=tmp_path, study_name=name, corpus=trec_corpus, allow_paths=[trec_vectors.parent], mlflow=mlflow_server
    )
    assert worker.work() == 2
    study = optuna.load_study(study_name=name, storage=search.open_store().storage)
    parent, _, nested = _tree(mlflow_server, study)
    assert parent.info.status == "RUNNING" and sorted(nested) == [0, 1]

    with caplog.at_level(logging.WARNING, logger="flair_hpo"):
        result = search.optimize()
    said = [r.getMessage() for r in caplog.records if "MLflow" in r.getMessage()]
    assert said == [
        f"the study logs to MLflow (parent run {parent.info.run_id}), but this process was started without --mlflow: "
        "the trials it trains are not logged there, nor is the result; run it with --mlflow URI (or mlflow: in the "
        "YAML file) to log them"
    ]
    assert _client(mlflow_server).get_run(parent.info.run_id).info.status == "RUNNING"

    small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=2, study_name=name, mlflow=mlflow_server).optimize()
    parent, tops, _ = _tree(mlflow_server, study)
    assert [r.info.run_id for r in tops] == [parent.info.run_id] and parent.info.status == "FINISHED"
    assert parent.data.tags["best.trial"] == str(result.best_trial)


@pytest.mark.integration
def test_wandb_has_an_offline_run_per_trial_grouped_by_study_with_config_and_epoch_metrics(
    tmp_path, trec_vectors, monkeypatch
):
    """``flair-hpo run CONFIG --wandb PROJECT`` without ``WANDB_MODE`` (offline, the default): the runs' files
    under BASE_PATH/wandb read back record by record (W&B's protobuf records, wandb.proto)."""
    from flair_hpo.cli import main

    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    place = Place(None, f"wb-{uuid.uuid4().hex[:8]}", tmp_path / "search")
    parameters = {"ModelTrainer.learning_rate": [0.1, 0.05], "DocumentRNNEmbeddings.hidden_size": [16]}
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 2}, parameters, epochs=2)
    assert main(["run", str(config), "--wandb", "hpo-test"]) == 0

    study = place.study()
    runs = [_wandb_run(path) for path in sorted((place.base_path / "wandb").glob("offline-run-*/run-*.wandb"))]
    assert sorted(run["name"] for run in runs) == ["trial-0000", "trial-0001"]
    for run in runs:
        trial = study.trials[run["config"]["trial"]]
        assert run["name"] == f"trial-{trial.number:04d}"
        assert (run["project"], run["group"], run["exit_code"]) == ("hpo-test", place.study_name, 0)
        rate = "ModelTrainer.learning_rate"
        assert run["config"][rate] == trial.params[rate] and run["config"]["seed"] == trial.user_attrs[keys.SEED]
        dev = [(step["_step"], step["dev/score"]) for step in run["history"]]
        assert [step for step, _ in dev] == [1, 2]
        assert max(value for _, value in dev) == pytest.approx(trial.value, abs=1e-6)
        assert all({"dev/loss", "train/loss"} <= set(step) for step in run["history"])
        assert run["summary"]["status"] == "complete" and run["summary"]["best_dev_score"] == pytest.approx(trial.value)


def _wandb_run(path: Path) -> dict:
    """What an offline W&B run file holds: its name, project, group, config, history (a dict per step), summary
    and exit code. The file is a LevelDB log (32 KiB blocks; each record a 7-byte header, then its part) after
    W&B's 7-byte header, each record a ``wandb_internal_pb2.Record``."""
    import json

    from wandb.proto.wandb_internal_pb2 import Record

    data, block = path.read_bytes(), 32768
    assert data[:4] == b":W&B"
    position, part, found = 7, b"", {"history": [], "summary": {}}
    while position + 7 <= len(data):
        if block - position % block < 7:  # the rest of a block is padding
            position += block - position % block
            continue
        length, kind = int.from_bytes(data[position + 4 : position + 6], "little"), data[position + 6]
        part += data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind not in (1, 4):  # a record's first or middle part
            continue
        record = Record.FromString(part)
        part = b""

        def items(entries) -> dict:
            return {e.key or "/".join(e.nested_key): json.loads(e.value_json) for e in entries}

        if record.HasField("run"):
            run = record.run
            found.update(name=run.display_name, project=run.project, group=run.run_group)
            found["config"] = items(run.config.update)
        elif record.HasField("history"):
            found["history"].append(items(record.history.item))
        elif record.HasField("summary"):
            found["summary"].update(items(record.summary.update))
        elif record.HasField("exit"):
            found["exit_code"] = record.exit.exit_code
    return found


@pytest.mark.integration
def test_flairs_wandb_logger_cannot_be_attached_to_a_training_so_it_is_not_used(trec_corpus, trec_vectors, tmp_path):
    """Why flair_hpo.tracking.wandb logs from the search's events, not through Flair's plugin: Flair's trainer
    refuses the plugin (it hooks an event the trainer does not have). If Flair fixes it, this fails: see
    whether the plugin fits now."""
    import wandb
    from flair.trainers.plugins.loggers.wandb import WandbLogger

    from flair_hpo.training import train_configuration

    configuration = _one_configuration(trec_corpus, trec_vectors, tmp_path)
    with pytest.raises(RuntimeError, match="Event 'after_training_setup' not recognized"):
        train_configuration(configuration, trec_corpus, tmp_path / "trial", plugins=[WandbLogger(wandb)])


def _one_configuration(trec_corpus, trec_vectors, tmp_path: Path):
    """The first configuration of the small TREC_6 search (two epochs of a small RNN)."""
    from flair_hpo.space import Configuration

    space = small_trec_search(trec_corpus, tmp_path / "search", trec_vectors).search_space
    return Configuration.from_labels(space, next(space.grid()), "question_class", seed=1)


@pytest.mark.integration
def test_flairs_tensorboard_logger_writes_no_hparams_repeats_dev_loss_and_warns_in_every_trial(
    trec_corpus, trec_vectors, tmp_path
):
    """Why flair_hpo.tracking.tensorboard does not use Flair's TensorboardLogger plugin: attached to a trial's
    training it writes no HParams data, its epoch scalars use the tags ours do (``dev/loss``), and it warns
    that it cannot write the learning rate."""
    from flair.trainers.plugins.loggers.tensorboard import TensorboardLogger
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from flair_hpo.training import train_configuration

    configuration = _one_configuration(trec_corpus, trec_vectors, tmp_path)
    heard: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: heard.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("flair").addHandler(handler)
    try:
        plugin = TensorboardLogger(log_dir=str(tmp_path / "flair-tb"))
        train_configuration(configuration, trec_corpus, tmp_path / "trial", plugins=[plugin])
    finally:
        logging.getLogger("flair").removeHandler(handler)
    events = EventAccumulator(str(tmp_path / "flair-tb"))
    events.Reload()
    assert {"dev/loss", "train/loss", "train/batch_loss"} <= set(events.Tags()["scalars"])
    with pytest.raises(KeyError):  # ours are read with the same call
        events.PluginTagToContent("hparams")
    assert "Logging anything other than scalars to TensorBoard is currently not supported." in heard
