"""Many workers on one study, on a real PostgreSQL server and on the journal file: each configuration is
trained once, killed and frozen workers are noticed by their heartbeat or their pid, and nothing finished
is ever lost. Workers are real ``flair-hpo worker`` processes; the study is created by ``flair-hpo run
--workers 0``, which waits for them and writes the results."""

from __future__ import annotations

import os
import signal
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from flair_hpo.optuna_internals import study_id, trial_id
from flair_hpo.records import keys
from flair_hpo.records.keys import SUPERSEDED
from flair_hpo.study.requeue import requeue, requeue_dead
from flair_hpo.study.storages import open_storage
from flair_hpo.study.trial_store import TrialStore

from .helpers import (
    PASSWORD,
    Place,
    assert_no_secret_in,
    completed,
    creator,
    finish,
    journal_study,
    search_yaml,
    start,
    trained,
    wait_for_running_trial,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def place(tmp_path) -> Place:
    """A study in the journal file of a folder the workers share. A scenario runs on one storage unless the
    storage is what it tests: the soak below runs the grid and the kills on PostgreSQL."""
    return Place(None, f"study-{uuid.uuid4().hex[:8]}", tmp_path / "search")


@pytest.fixture(params=["postgresql", "journal"])
def either_place(request, tmp_path) -> Place:
    """A study in PostgreSQL, then in a journal file: for what is kept in the storage itself."""
    storage = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    return Place(storage, f"study-{uuid.uuid4().hex[:8]}", tmp_path / "search")


# -------------------------------------------------------------------------------------------- grid
@pytest.mark.integration
def test_four_workers_train_a_24_point_grid_exactly_once(place, tmp_path, trec_vectors):
    parameters = {
        "ModelTrainer.learning_rate": [0.3, 0.2, 0.1, 0.05, 0.02, 0.01],
        "ModelTrainer.mini_batch_size": [8, 16, 32, 64],
        "DocumentRNNEmbeddings.hidden_size": [8],
    }
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 24}, parameters, epochs=1)
    logs = [tmp_path / f"worker-{i}.log" for i in range(4)]
    workers = [start(place.worker_command(), log) for log in logs]  # started before the study exists
    codes = finish([creator(config, tmp_path / "creator.log"), *workers])
    assert codes == [0] * 5, [log.read_text()[-2000:] for log in [tmp_path / "creator.log", *logs]]

    study = place.study()
    trials = trained(study)
    configurations = Counter(tuple(sorted(t.params.items())) for t in trials)
    assert (
        len(configurations) == 24 and max(configurations.values()) == 1
    )  # 24 distinct configurations, none trained twice
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 24
    assert len({t.user_attrs[keys.OWNER]["pid"] for t in trials}) >= 3  # the workers shared the grid
    done = [int(log.read_text().split("trained ")[1].split(" ")[0]) for log in logs]
    assert sum(done) == 24, done
    # The creator waited for the workers and wrote the results of all 24 trials.
    assert (place.base_path / "leaderboard.csv").read_text().count("\n") == 25
    assert (place.base_path / "best-model.pt").is_file() and (place.base_path / "report.html").is_file()


@pytest.mark.integration
def test_workers_with_folders_of_their_own_and_the_creator_gets_the_best_model(postgres_url, tmp_path, trec_vectors):
    """As on machines that share nothing but the database: each worker writes to its own folder, and the
    creator retrains the best configuration from its seed, which reproduces the best trial's model."""
    from flair.models import TextClassifier

    from flair_hpo.training.corpus_reference import load_corpus

    place = Place(postgres_url, f"apart-{uuid.uuid4().hex[:8]}", tmp_path / "creator")
    parameters = {"ModelTrainer.learning_rate": [0.2, 0.1, 0.05, 0.02], "DocumentRNNEmbeddings.hidden_size": [16]}
    # Trials of a few seconds (not the 0.3 s of 5% of TREC_6 for one epoch): both workers are up before the first
    # has trained all four.
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 4}, parameters, epochs=2, fraction=0.2)
    folders = [tmp_path / f"machine-{i}" for i in range(2)]
    workers = [
        start([*place.worker_command(), "--base-path", str(folder)], tmp_path / f"worker-{i}.log")
        for i, folder in enumerate(folders)
    ]
    codes = finish([creator(config, tmp_path / "creator.log"), *workers])
    assert codes == [0, 0, 0], (tmp_path / "creator.log").read_text()[-3000:]

    for folder in folders:  # each machine kept its own trial logs
        assert list((folder / "trials").iterdir())
    best = place.study().best_trial
    log = (place.base_path / "flair-hpo.log").read_text()
    assert f"the weights of the best trial {best.number} are not in" in log
    corpus = load_corpus({"dataset": "TREC_6", "downsample": 0.2})
    model = TextClassifier.load(place.base_path / "best-model.pt")
    dev = model.evaluate(corpus.dev, gold_label_type=model.label_type, mini_batch_size=32)
    assert dev.main_score == pytest.approx(best.value, abs=1e-9)


# ---------------------------------------------------------------------------------- dead workers


@pytest.mark.integration
def test_killed_and_frozen_workers_lose_nothing(place, tmp_path, trec_vectors):
    parameters = {
        "ModelTrainer.learning_rate": [0.3, 0.1, 0.05, 0.02],
        "ModelTrainer.mini_batch_size": [8, 16, 32],
        "DocumentRNNEmbeddings.hidden_size": [8, 16],
    }
    runs = 10
    strategy = {"name": "random", "seed": 3}
    config = search_yaml(tmp_path, place, trec_vectors, strategy, {"runs": runs}, parameters, 4, fraction=0.2)
    run = creator(config, tmp_path / "creator.log")
    workers = {i: start(place.worker_command(), tmp_path / f"worker-{i}.log") for i in range(3)}
    interrupted: list[int] = []
    snapshots: list[dict[int, float]] = []
    # Twice: kill -9 a worker in the middle of a trial, and start another in its place.
    for kill in range(2):
        number, pid = wait_for_running_trial(place, {w.pid for w in workers.values()}, set(interrupted))
        snapshots.append(completed(place))
        os.kill(pid, signal.SIGKILL)
        interrupted.append(number)
        index = next(i for i, w in workers.items() if w.pid == pid)
        workers[index].wait()
        workers[3 + kill] = start(place.worker_command(), tmp_path / f"worker-{3 + kill}.log")
    # Then freeze one (its pid lives on, as on a hung machine): only its silent heartbeat gives it away.
    number, pid = wait_for_running_trial(place, {w.pid for w in workers.values() if w.poll() is None}, set(interrupted))
    snapshots.append(completed(place))
    os.kill(pid, signal.SIGSTOP)
    interrupted.append(number)
    deadline = time.time() + 120
    while next(t for t in place.study().get_trials() if t.number == number).state == TrialState.RUNNING:
        assert time.time() < deadline, "the frozen worker's trial was never taken for dead"
        time.sleep(0.5)
    os.kill(pid, signal.SIGCONT)  # it wakes up, finds its trial taken over, drops the result, goes on

    alive = [w for w in workers.values() if w.returncode is None]
    codes = finish([run, *alive])
    assert codes == [0] * len(codes), (tmp_path / "creator.log").read_text()[-3000:]

    study = place.study()
    final = completed(place)
    for snapshot in snapshots:  # every trial finished before a kill is still there, unchanged
        assert {n: final[n] for n in snapshot} == snapshot
    assert len(final) == runs  # the budget counts each retry once
    by_number = {t.number: t for t in study.get_trials()}
    for number in interrupted:
        assert by_number[number].state == TrialState.FAIL and by_number[number].system_attrs.get(SUPERSEDED)
    retried = {tuple(sorted(by_number[n].params.items())) for n in interrupted}
    complete_keys = Counter(tuple(sorted(by_number[n].params.items())) for n in final)
    assert retried <= set(complete_keys) and max(complete_keys.values()) == 1
    frozen_log = next(
        p.read_text() for p in tmp_path.glob("worker-*.log") if f"trial {number} was taken for dead" in p.read_text()
    )
    assert "Worker done" in frozen_log
    assert (place.base_path / "leaderboard.csv").read_text().count(",complete,") == runs


def test_a_trial_of_a_silent_machine_is_queued_again(either_place):
    """A trial owned by a process on another machine (its pid means nothing here) is given up when its
    heartbeat stops, and only then; its configuration is queued for another worker. The heartbeat is a
    counter kept in the storage: both storages are tested."""
    from flair_hpo.records import History
    from flair_hpo.study.heartbeat import Heartbeat, Watch

    place = either_place
    place.base_path.mkdir(parents=True)
    storage = open_storage(place.storage, place.base_path, heartbeat_interval=1)
    study = optuna.create_study(storage=storage, study_name=place.study_name)
    store = TrialStore(study, storage, study_id(study), created=True, heartbeat_interval=1)
    silent, beating = study.ask(), study.ask()
    elsewhere = {"boot": "another-machine", "pidns": "pid:[1]", "pid": 1, "started": 0, "token": "x", "interval": 1}
    for trial in (silent, beating):
        trial.suggest_categorical("ModelTrainer.learning_rate", [0.1, 0.2])
        trial.set_user_attr(keys.OWNER, elsewhere)
    watch = Watch()
    with Heartbeat(storage, trial_id(beating), 1):
        first_look = time.monotonic()
        assert requeue_dead(store, History.of(study), watch) == []
        while not (requeued := requeue_dead(store, History.of(study), watch)):
            assert time.monotonic() < first_look + 60, "the silent trial was never given up"
            time.sleep(0.2)
        assert requeued == [silent.number]
        assert time.monotonic() - first_look >= 3  # only after three heartbeat intervals of silence
        assert requeue_dead(store, History.of(study), watch) == []  # a second look re-queues nothing more
    trials = {t.number: t for t in study.get_trials()}
    assert trials[silent.number].state == TrialState.FAIL and trials[silent.number].system_attrs[SUPERSEDED]
    assert trials[beating.number].state == TrialState.RUNNING
    waiting = [t for t in trials.values() if t.state == TrialState.WAITING]
    assert [t.system_attrs["fixed_params"] for t in waiting] == [silent.params]


def test_a_trial_that_finishes_as_it_is_taken_for_dead_keeps_its_result(tmp_path):
    """The race between a worker that wakes up and finishes its trial and another that is re-queuing it."""
    from flair_hpo.records import History

    storage, study, store = journal_study(tmp_path, "race")
    trial = study.ask()
    trial.suggest_categorical("ModelTrainer.learning_rate", [0.1, 0.2])
    record = History.of(study).records[0]
    storage.set_trial_system_attr(trial_id(trial), SUPERSEDED, True)  # the other worker's first step ...
    study.tell(trial, 0.5)  # ... and the owner finishes before the other worker fails the trial
    assert requeue(store, record, "interrupted") is False  # nothing queued again
    assert [r.status for r in History.of(study).records] == ["complete"]
    assert study.get_trials(states=(TrialState.WAITING,)) == []


def test_a_wrong_password_is_refused_without_showing_it(postgres_url):
    from sqlalchemy.engine import make_url

    from flair_hpo.study.storages import StorageError

    wrong = make_url(postgres_url).set(password="wrong-Pa55word").render_as_string(hide_password=False)
    with pytest.raises(StorageError) as raised:
        open_storage(wrong, Path("."))
    message = str(raised.value)
    assert "password authentication failed" in message and ":***@" in message
    assert "wrong-Pa55word" not in message and PASSWORD not in message


# ------------------------------------------------------------------------------------ evolution
@pytest.mark.integration
def test_evolution_with_three_workers_improves_and_never_repeats(postgres_url, tmp_path, minilm_path):
    place = Place(postgres_url, f"evo-{uuid.uuid4().hex[:8]}", tmp_path / "search")
    parameters = {  # a linear classifier on frozen MiniLM: the learning rate makes or breaks it in 2 epochs
        "ModelTrainer.learning_rate": [0.5, 0.2, 0.1, 0.01, 0.001, 0.0001, 0.00003],
        "ModelTrainer.mini_batch_size": [8, 16, 32, 64],
        "TransformerDocumentEmbeddings.model": [minilm_path],
        "TransformerDocumentEmbeddings.fine_tune": [False],
        "TransformerDocumentEmbeddings.cls_pooling": ["cls", "mean"],
    }
    strategy = {"name": "evolutionary", "population_size": 4, "seed": 7}
    place.allowed.append(Path(minilm_path))  # the model's folder, outside the folders allowed by default
    config = search_yaml(tmp_path, place, Path(), strategy, {"generations": 4}, parameters, 2, fraction=0.2)
    logs = [tmp_path / f"worker-{i}.log" for i in range(3)]
    workers = [start(place.worker_command(), log) for log in logs]
    codes = finish([creator(config, tmp_path / "creator.log"), *workers])
    assert codes == [0] * 4, [log.read_text()[-2000:] for log in [tmp_path / "creator.log", *logs]]

    trials = sorted(trained(place.study()), key=lambda t: t.number)
    assert len(trials) == 16 and all(t.state == TrialState.COMPLETE for t in trials)
    configurations = [tuple(sorted(t.params.items())) for t in trials]
    assert len(set(configurations)) == 16  # never a duplicate
    first, bred = [t.value for t in trials[:4]], [t.value for t in trials[4:]]
    # The population got better: its best four now beat the first (random) four, and children bred from it
    # beat the first population's median. (The mean of the last four alone is noise: 3 of the 7 learning rates
    # train nothing in 2 epochs, and a tournament may still pick a poor parent.)
    assert sum(sorted(first + bred)[-4:]) > sum(first), (first, bred)
    assert sum(value > statistics.median(first) for value in bred) >= 2, (first, bred)


# ---------------------------------------------------------------------------------- outages and soak
@pytest.mark.integration
def test_a_storage_outage_during_a_trial_loses_nothing_and_trains_nothing_twice(own_postgres, tmp_path, trec_vectors):
    url, script = own_postgres
    place = Place(url, f"outage-{uuid.uuid4().hex[:8]}", tmp_path / "search")
    parameters = {"ModelTrainer.learning_rate": [0.1, 0.05, 0.02], "DocumentRNNEmbeddings.hidden_size": [16]}
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 3}, parameters, epochs=6, fraction=0.2)
    text = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**text, "heartbeat_interval": 5}))
    run = start([sys.executable, "-m", "flair_hpo.cli", "run", str(config)], tmp_path / "run.log")
    number, _ = wait_for_running_trial(place, {run.pid}, set())
    script("halt")  # the database is gone, in the middle of trial `number`, until the search notices
    deadline = time.time() + 120
    while "the storage does not answer" not in (tmp_path / "run.log").read_text():
        assert time.time() < deadline and run.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
        time.sleep(0.2)
    script("resume")
    assert finish([run]) == [0], (tmp_path / "run.log").read_text()[-3000:]
    log_text = (tmp_path / "run.log").read_text()
    assert "the storage does not answer" in log_text and "the storage answers again" in log_text
    assert "was interrupted" not in log_text and "abandoned" not in log_text
    trials = trained(place.study())
    configurations = Counter(tuple(sorted(t.params.items())) for t in trials)
    assert (
        [t.state for t in trials] == [TrialState.COMPLETE] * 3
        and len(configurations) == 3
        and max(configurations.values()) == 1
    )
    assert len(next(t for t in trials if t.number == number).intermediate_values) == 6  # it trained to the end


#: How long the soak keeps killing workers (then the grid is finished in peace); FLAIR_HPO_SOAK_SECONDS for longer.
SOAK_SECONDS = float(os.environ.get("FLAIR_HPO_SOAK_SECONDS", "60"))
#: Kills the soak makes at the least, however long that takes.
SOAK_KILLS = 3


@pytest.mark.integration
@pytest.mark.soak
def test_soak_workers_killed_again_and_again_train_a_24_point_grid_exactly_once(postgres_url, tmp_path, trec_vectors):
    """Three workers on PostgreSQL, started before the study exists. For SOAK_SECONDS (and at least SOAK_KILLS
    kills), each time a trial has completed, one worker in the middle of a trial is killed with -9 and another
    started in its place; then the grid is finished: exactly 24 distinct configurations complete, none twice,
    each kill one trial interrupted and superseded, the creator writes the results of all 24, and the
    storage's password is in no file or log."""
    place = Place(postgres_url, f"soak-{uuid.uuid4().hex[:8]}", tmp_path / "search")
    parameters = {
        "ModelTrainer.learning_rate": [0.3, 0.2, 0.1, 0.05, 0.02, 0.01],
        "ModelTrainer.mini_batch_size": [8, 16],
        "DocumentRNNEmbeddings.hidden_size": [8, 16],
    }
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 24}, parameters, epochs=3, fraction=0.05)
    workers = [start(place.worker_command(), tmp_path / f"worker-{i}.log") for i in range(3)]
    run = creator(config, tmp_path / "creator.log")
    kills, soak_ends, hit = 0, time.time() + SOAK_SECONDS, set()
    while run.poll() is None and (time.time() < soak_ends or kills < SOAK_KILLS):
        alive = {w.pid: w for w in workers if w.poll() is None}
        try:
            done = len(completed(place))
            number, pid = wait_for_running_trial(place, set(alive), set(), timeout=20)
        except KeyError:  # the creator has not made the study yet
            time.sleep(0.1)
            continue
        except AssertionError:  # no worker is in the middle of a trial: the grid is nearly done
            continue
        os.kill(pid, signal.SIGKILL)  # at once: the trial seen running may still finish before the signal lands
        alive[pid].wait()
        kills += 1
        hit.add(number)
        workers.append(start(place.worker_command(), tmp_path / f"worker-{len(workers)}.log"))
        while len(completed(place)) == done and run.poll() is None:  # the grid moves on before the next kill
            time.sleep(0.1)
    assert finish([run]) == [0], (tmp_path / "creator.log").read_text()[-3000:]
    survivors = [w for w in workers if w.poll() is None]
    assert finish(survivors) == [0] * len(survivors)
    trials = trained(place.study())
    complete = Counter(tuple(sorted(t.params.items())) for t in trials if t.state == TrialState.COMPLETE)
    assert kills >= SOAK_KILLS, "the soak test killed too few workers to mean anything"
    assert len(complete) == 24 and max(complete.values()) == 1
    interrupted = [t for t in trials if t.state == TrialState.FAIL]
    assert all(t.system_attrs.get(SUPERSEDED) for t in interrupted)
    # Each kill interrupted the trial it hit, unless that trial finished before the signal landed (a loaded
    # machine reads the study slowly); no other trial failed.
    states = {t.number: t.state for t in trials}
    assert {t.number for t in interrupted} == {n for n in hit if states[n] != TrialState.COMPLETE}
    assert len(interrupted) > kills // 2, "most kills should land in the middle of a trial"
    # The creator waited for the workers and wrote the results of all 24 trials (and of each kill).
    assert (place.base_path / "leaderboard.csv").read_text().count(",complete,") == 24
    assert (place.base_path / "best-model.pt").is_file() and (place.base_path / "report.html").is_file()
    assert_no_secret_in(place.base_path, *tmp_path.glob("*.log"))
