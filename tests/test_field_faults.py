"""The first faults of a real machine, injected for real (real processes, signals, clocks, file systems and
locks): a model missing on a worker, a full disk, a hanging database, a clock step or a skewed clock, two
creators at once, SIGTERM, workers that keep dying. Each was reproduced against an earlier version."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from flair_hpo.cli import main
from flair_hpo.optuna_internals import trial_id
from flair_hpo.results.best import model_trial
from flair_hpo.study import open_storage
from flair_hpo.study.heartbeat import Heartbeat, surely_dead

from .faults import FILLER, faketime_env, step_boot_time
from .helpers import (
    Place,
    creator,
    finish,
    search_log,
    search_yaml,
    start,
    trained,
    trec_config,
    wait_for_running_trial,
    write,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "flair_hpo.cli", *args]


def complete_keys(study: optuna.Study) -> Counter:
    return Counter(tuple(sorted(t.params.items())) for t in trained(study) if t.state == TrialState.COMPLETE)


# ------------------------------------------------------------------------------ models that cannot load
def test_a_model_that_cannot_load_stops_the_search_before_anything_is_written(tmp_path, trec_vectors, capsys):
    missing = tmp_path / "moved-away.kv"
    config = trec_config(tmp_path, trec_vectors)
    config["parameters"]["DocumentPoolEmbeddings.word_embeddings"].append(
        [{"class": "WordEmbeddings", "embeddings": str(missing)}]
    )
    assert main(["run", str(write(tmp_path / "c.yaml", config))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flair-hpo: error: DocumentPoolEmbeddings.embeddings: the option WordEmbeddings(")
    assert "cannot be loaded on this machine" in err and err.count("\n") == 1
    assert not (tmp_path / "trec").exists()  # nothing written: no study, no budget burnt


def test_a_hub_name_on_a_machine_without_the_hub_is_refused_at_the_door(tmp_path, trec_vectors):
    config = trec_config(tmp_path, trec_vectors)
    config["parameters"] = {"TransformerDocumentEmbeddings.model": ["bert-base-cased"]}
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}  # as a machine without a model hub answers (at once, not after retries)
    done = subprocess.run(cli("run", str(write(tmp_path / "c.yaml", config))), capture_output=True, text=True, env=env)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "TransformerDocumentEmbeddings.model: bert-base-cased is not in the Hugging Face cache and " in done.stderr
    assert "HF_HUB_OFFLINE is set: give --model DIR, a folder of the model" in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "trec").exists()


def test_a_search_in_which_no_trial_finished_exits_non_zero(tmp_path, trec_vectors, minilm_path, capsys):
    config = trec_config(tmp_path, trec_vectors, budget={"runs": 1})
    config["parameters"] = {  # MiniLM has 6 layers: layer 12 fails every trial, in training
        "TransformerDocumentEmbeddings.model": [minilm_path],
        "TransformerDocumentEmbeddings.fine_tune": [False],
        "TransformerDocumentEmbeddings.layers": ["12"],
    }
    assert main(["run", str(write(tmp_path / "c.yaml", config))]) == 1
    assert "flair-hpo: error: no trial finished" in capsys.readouterr().err
    assert "No trial finished" in search_log(tmp_path / "trec")  # the summary, as the search showed it


def test_a_worker_whose_disk_fails_queues_its_trials_again_and_stops(postgres_url, small_disk, tmp_path, trec_vectors):
    """A worker whose trial folder sits on a disk the kernel turned read-only fails every trial it starts:
    each is queued again and uses no budget, and the worker stops after three in a row; a healthy worker
    then trains the budget."""
    place = Place(postgres_url, f"full-{uuid.uuid4().hex[:8]}", tmp_path / "search")
    parameters = {"ModelTrainer.learning_rate": [0.2, 0.1, 0.05, 0.02], "DocumentRNNEmbeddings.hidden_size": [16]}
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 4}, parameters, epochs=1)
    waiting = creator(config, tmp_path / "creator.log")
    small_disk(8, at=tmp_path / "worker" / "trials", read_only=True)  # a failed partition under its folder
    allow = ["--allow-path", str(trec_vectors.parent)]
    broken = start([*place.worker_command(), *allow, "--base-path", str(tmp_path / "worker")], tmp_path / "broken.log")
    assert finish([broken]) == [1]
    said = (tmp_path / "broken.log").read_text()
    assert "flair-hpo: error: this machine failed 3 trials in a row" in said and "Traceback" not in said
    failed = trained(place.study())
    assert len(failed) == 3 and all(t.user_attrs["error"].startswith("machine fault: ") for t in failed)

    healthy = start([*place.worker_command(), *allow], tmp_path / "healthy.log")
    assert finish([waiting, healthy]) == [0, 0], (tmp_path / "creator.log").read_text()[-3000:]
    keys = complete_keys(place.study())
    assert len(keys) == 4 and max(keys.values()) == 1  # the budget of 4 runs was not burnt by the broken worker


# ----------------------------------------------------------------------------------------- the heartbeat
def test_a_heartbeat_whose_write_hangs_is_lost_after_two_intervals(postgres_url):
    """A database that takes a write and never answers (here: a table another session holds locked): the trial
    must still learn, from outside the hanging call, that its heartbeat is lost."""
    import sqlalchemy

    storage = open_storage(postgres_url, Path("."), heartbeat_interval=1)
    name = f"hang-{uuid.uuid4().hex[:8]}"
    study = optuna.create_study(storage=storage, study_name=name)
    trial = study.ask()
    engine = sqlalchemy.create_engine(postgres_url)
    try:
        with engine.connect() as blocker:
            transaction = blocker.begin()
            blocker.execute(sqlalchemy.text("LOCK TABLE trial_system_attributes IN ACCESS EXCLUSIVE MODE"))
            with Heartbeat(storage, trial_id(trial), interval=1) as heart:
                time.sleep(3)
                lost = heart.lost  # the first write still hangs
                transaction.rollback()
        assert lost
    finally:
        engine.dispose()
        optuna.delete_study(study_name=name, storage=storage)


def test_a_live_worker_is_not_taken_for_dead_after_a_clock_step(monkeypatch):
    """A step of the wall clock (NTP, a resumed VM) moves the boot time the kernel reports; a worker's identity
    must not depend on it."""

    code = (
        "import json, time; from flair_hpo.study.heartbeat import this_process\n"
        "print(json.dumps(this_process(30)), flush=True); time.sleep(60)"
    )
    worker = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        owner = json.loads(worker.stdout.readline())
        assert not surely_dead(owner)
        step_boot_time(monkeypatch, 1.0)  # the clock stepped back by one second: the kernel's btime moves
        assert not surely_dead(owner)
        worker.kill()
        worker.wait()
        assert surely_dead(owner)  # and a worker that is gone is still known to be gone
    finally:
        worker.kill()


def test_a_temporary_of_another_container_is_left_alone(tmp_path):
    """A writer in another PID namespace of the same host (a second container) whose pid means nothing here:
    a search cleaning up here must not delete the file it is writing."""
    from flair_hpo.files import remove_stale_temporaries

    code = (
        "import os, sys, time; from pathlib import Path; from flair_hpo.files import atomic_write\n"
        "outside = set(map(int, sys.argv[2].split(',')))\n"
        "while os.getpid() in outside:  # become a pid that no process outside this namespace has\n"
        "    child = os.fork()\n"
        "    if child: os.waitpid(child, 0); sys.exit(0)\n"
        "def slow(tmp):\n"
        "    tmp.write_text('half'); print(tmp.name, flush=True); time.sleep(60)\n"
        "atomic_write(Path(sys.argv[1]) / 'best-model.pt', slow)\n"
    )
    import psutil

    outside = ",".join(str(pid) for pid in psutil.pids())
    writer = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", code, str(tmp_path), outside],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        name = writer.stdout.readline().strip()
        assert name.startswith(".best-model.pt.")
        assert remove_stale_temporaries(tmp_path) == []
        assert (tmp_path / name).exists()
    finally:
        writer.kill()
        writer.wait()


# ------------------------------------------------------------------------------------------- clocks
def test_the_time_budget_counts_on_one_clock_when_a_worker_runs_ahead(postgres_url, tmp_path, trec_vectors):
    """Two workers on one PostgreSQL study, one of them on a machine whose clock is 10 minutes ahead
    (libfaketime): the study's time used is the wall time that passed, not that plus the skew, because
    sessions are stamped by the database server's clock."""
    place = Place(postgres_url, f"clock-{uuid.uuid4().hex[:8]}", tmp_path / "search")
    parameters = {
        "ModelTrainer.learning_rate": [0.3, 0.2, 0.1, 0.05, 0.02, 0.01],
        "ModelTrainer.mini_batch_size": [8, 16, 32, 64],
        "DocumentRNNEmbeddings.hidden_size": [8],
    }
    budget_s = 12.0  # less than the grid takes (trials of about 2 s)
    budget = {"time_in_h": budget_s / 3600}
    config = search_yaml(tmp_path, place, trec_vectors, "grid", budget, parameters, epochs=3, fraction=0.2)
    began = time.monotonic()
    run = start(cli("run", str(config)), tmp_path / "run.log")
    ahead = start(place.worker_command(), tmp_path / "ahead.log", faketime_env("+10m"))
    assert finish([run, ahead]) == [0, 0], (tmp_path / "run.log").read_text()[-3000:]
    elapsed = time.monotonic() - began
    storage = open_storage(postgres_url, tmp_path, heartbeat_interval=None)
    attributes = storage.get_study_system_attrs(storage.get_study_id_from_name(place.study_name))
    sessions = sorted(v for k, v in attributes.items() if k.startswith("flair_hpo:session:"))
    assert len(sessions) >= 2
    used, end = 0.0, -float("inf")
    for start_s, stop_s in sessions:
        if stop_s > end:
            used += stop_s - max(start_s, end)
            end = stop_s
    assert budget_s - 1 <= used <= elapsed + 1, (used, elapsed, sessions)


# -------------------------------------------------------------------------------------- two creators
@pytest.mark.parametrize("same", [True, False], ids=["same-search", "different-searches"])
def test_two_creators_at_once(tmp_path, trec_vectors, same):
    """Two `flair-hpo run` processes create the same study at the very same moment (a barrier holds both
    just before): with the same search both go on and no configuration is trained twice; with different
    searches exactly one goes on, and the other says why in one line."""
    base = trec_config(tmp_path, trec_vectors, budget={"runs": 4}, pruner="none")
    other = {**base, "parameters": {**base["parameters"], "ModelTrainer.learning_rate": [0.3, 0.02]}}
    configs = [write(tmp_path / "a.yaml", base), write(tmp_path / "b.yaml", base if same else other)]
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    racers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.helpers", "race", str(barrier), str(i), str(config)],
            cwd=REPO,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        for i, config in enumerate(configs)
    ]
    codes = [racer.wait(timeout=600) for racer in racers]
    errors = [racer.stderr.read() for racer in racers]
    assert all("Traceback" not in e for e in errors), errors
    study = optuna.load_study(study_name="trec", storage=open_storage(None, tmp_path / "trec"))
    keys = complete_keys(study)
    assert max(keys.values()) == 1  # nothing trained twice
    if same:
        assert codes == [0, 0] and len(keys) == 4
    else:
        assert sorted(codes) == [0, 2], errors
        loser = errors[codes.index(2)]
        assert "holds the study of a search with other settings" in loser and loser.count("\n") == 1
        winner = [0.1, 0.05] if codes[0] == 0 else [0.3, 0.02]
        rates = {dict(key)["ModelTrainer.learning_rate"] for key in keys}
        assert rates <= set(winner)


# ------------------------------------------------------------------------------------------- SIGTERM
@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_queues_the_trial_again_and_exits_143(tmp_path, trec_vectors, workers):
    place = Place(None, "flair-hpo", tmp_path / "search")
    parameters = {"ModelTrainer.learning_rate": [0.2, 0.1, 0.05], "DocumentRNNEmbeddings.hidden_size": [16]}
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 3}, parameters, epochs=8, fraction=0.1)
    run = start(cli("run", str(config), "--workers", str(workers)), tmp_path / "run.log")
    import psutil

    pids = {run.pid} if workers == 1 else set()
    while workers > 1 and len(pids) < 1:
        pids = {child.pid for child in psutil.Process(run.pid).children() if _is_worker(child)}
        time.sleep(0.2)
    number, _ = wait_for_running_trial(place, pids or {run.pid}, set())
    run.send_signal(signal.SIGTERM)
    assert run.wait(timeout=120) == 143, (tmp_path / "run.log").read_text()[-3000:]
    trials = {t.number: t for t in place.study().get_trials()}
    assert not [t for t in trials.values() if t.state == TrialState.RUNNING]  # none left for a heartbeat to time out
    assert trials[number].user_attrs["error"] == "stopped by SIGTERM"
    assert trials[number].params in [
        t.system_attrs["fixed_params"] for t in trials.values() if t.state == TrialState.WAITING
    ]

    again = start(cli("run", str(config)), tmp_path / "again.log")
    assert finish([again]) == [0]
    keys = complete_keys(place.study())
    assert len(keys) == 3 and max(keys.values()) == 1


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped exception, on purpose
def test_a_sigterm_whose_exception_python_drops_still_stops_the_search():
    """SIGTERM handled inside a ``__del__`` (as inside the garbage collector's callbacks): Python prints the
    exception and drops it; the search loop still finds the stop before its next turn."""
    from flair_hpo.errors import Terminated
    from flair_hpo.signals import raise_if_stopped, sigterm_stops_search

    class Dropped:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)  # its handler raises here, where the exception is dropped

    with sigterm_stops_search():
        raise_if_stopped()  # nothing yet
        Dropped()  # collected at once
        with pytest.raises(Terminated):
            raise_if_stopped()
    raise_if_stopped()  # a later search starts afresh


# ----------------------------------------------------------------------------------- dying workers
def test_workers_that_keep_dying_make_the_search_stop_not_wait_forever(tmp_path, trec_vectors):
    import psutil

    place = Place(None, "flair-hpo", tmp_path / "search")
    parameters = {"ModelTrainer.learning_rate": [0.2, 0.1, 0.05, 0.02], "DocumentRNNEmbeddings.hidden_size": [16]}
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 4}, parameters, epochs=1)
    run = start(cli("run", str(config), "--workers", "2"), tmp_path / "run.log")
    killed: set[int] = set()
    deadline = time.monotonic() + 300
    while run.poll() is None and time.monotonic() < deadline:
        for child in psutil.Process(run.pid).children():  # the out-of-memory killer, again and again
            if child.pid not in killed and _is_worker(child):
                killed.add(child.pid)
                os.kill(child.pid, signal.SIGKILL)
        time.sleep(0.2)
    assert run.wait(timeout=30) == 1
    log = (tmp_path / "run.log").read_text()
    assert "flair-hpo: error: the workers keep dying" in log and "Traceback" not in log
    assert len(killed) == 2 + 4  # two workers, replaced four times in all


def _is_worker(process) -> bool:
    """A worker process of a search, not a short-lived helper of its creator (platform's ``uname -p``)."""
    import psutil

    try:
        return "flair_hpo.orchestration.workers" in process.cmdline()
    except psutil.Error:  # gone already
        return False


def test_a_killed_worker_is_replaced_and_the_search_completes(tmp_path, trec_vectors):
    place = Place(None, "flair-hpo", tmp_path / "search")
    parameters = {"ModelTrainer.learning_rate": [0.2, 0.1, 0.05, 0.02], "DocumentRNNEmbeddings.hidden_size": [16]}
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 4}, parameters, epochs=6, fraction=0.1)
    run = start(cli("run", str(config), "--workers", "2"), tmp_path / "run.log")
    import psutil

    pids: set[int] = set()
    while len(pids) < 2:
        pids = {child.pid for child in psutil.Process(run.pid).children() if _is_worker(child)}
        time.sleep(0.2)
    number, pid = wait_for_running_trial(place, pids, set())
    os.kill(pid, signal.SIGKILL)
    assert finish([run]) == [0], (tmp_path / "run.log").read_text()[-3000:]
    assert "starting another in its place" in (tmp_path / "run.log").read_text()
    study = place.study()
    keys = complete_keys(study)
    assert len(keys) == 4 and max(keys.values()) == 1
    assert next(t for t in study.get_trials() if t.number == number).state == TrialState.FAIL


# --------------------------------------------------------------------------------- full disk, results
def test_a_full_disk_while_writing_the_best_model_is_one_clear_error_and_resumes(small_disk, tmp_path, trec_vectors):
    """The study is in a database on another disk; the results folder fills up just as the first best model
    is written: one line, exit 1, the study keeps the finished trial, and the resumed search completes with a
    best model and configuration of the same trial."""
    disk = small_disk(64)
    base_path = disk / "search"
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    config = trec_config(tmp_path, trec_vectors, base_path=str(base_path), storage=storage, budget={"runs": 3})
    config_path = write(tmp_path / "c.yaml", {**config, "pruner": "none"})
    command = [sys.executable, "-m", "tests.helpers", "fill-at-best", str(config_path)]
    failed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert failed.returncode == 1, failed.stderr[-3000:]
    assert "flair-hpo: error: no space left on the device of" in failed.stderr and "Traceback" not in failed.stderr
    assert not list(base_path.glob(".*.tmp")) and not (base_path / "best-model.pt").exists()
    study = optuna.load_study(study_name="search", storage=storage)
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE]

    (base_path / FILLER).unlink()  # the filler fill_disk left there
    assert main(["run", str(config_path)]) == 0
    study = optuna.load_study(study_name="search", storage=storage)
    assert len(complete_keys(study)) == 3
    best = yaml.safe_load((base_path / "best-configuration.yaml").read_text())["result"]["trial"]
    assert model_trial(base_path / "best-model.pt") == best == study.best_trial.number
