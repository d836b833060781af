"""Nothing lost, nothing run twice, nobody let in: each hole found when the study store, the workers and the
command line were attacked, closed (kill tests run the search in a child process that kills itself)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_strategies
from flair_hpo.optuna_internals import study_id, trial_id
from flair_hpo.records import History, keys
from flair_hpo.study import open_storage
from flair_hpo.study.heartbeat import Heartbeat, Watch, surely_dead, this_process
from flair_hpo.study.requeue import repair, requeue_dead
from flair_hpo.study.trial_store import TrialStore

from .helpers import child_command, journal_study, small_trec_search

REPO = Path(__file__).resolve().parents[1]


def child(base_path: Path, vectors: Path, die: str, runs: int = 4) -> int:
    """Run tests.helpers in a child process that kills itself (SIGKILL) at ``die``; its exit code."""
    command = child_command("die-while", die, base_path, vectors, "--runs", runs)
    return subprocess.run(command, cwd=REPO, capture_output=True, timeout=600).returncode


def statuses(base_path: Path) -> list[str]:
    from flair_hpo.results.study_view import open_for_reading

    return [r.status for r in open_for_reading(base_path).history.records]


# ------------------------------------------------------------------------------- losing or repeating work
@pytest.mark.integration
def test_a_study_whose_creator_died_halfway_is_completed_and_searched(trec_corpus, trec_vectors, tmp_path):
    assert child(tmp_path, trec_vectors, "creating") == -9
    storage = open_storage(None, tmp_path)
    study_id = storage.get_study_id_from_name(tmp_path.name)  # named after its folder
    assert keys.RUN not in storage.get_study_system_attrs(study_id)  # killed before it was complete
    result = small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=4).optimize()
    assert result.trials["complete"] == 4
    assert keys.RUN in open_storage(None, tmp_path).get_study_system_attrs(study_id)


@pytest.mark.integration
def test_a_configuration_failed_but_not_yet_queued_again_is_trained(trec_corpus, trec_vectors, tmp_path):
    """Killed between failing a dead trial and queueing its retry: the next process to open the study queues
    the configuration again, and it is trained once."""
    assert child(tmp_path, trec_vectors, "requeueing") == -9
    assert "interrupted" in statuses(tmp_path) and "waiting" not in statuses(tmp_path)
    small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=4).optimize()
    records = History.of(optuna.load_study(study_name=tmp_path.name, storage=open_storage(None, tmp_path))).records
    complete = [r.key for r in records if r.status == "complete"]
    interrupted = next(r for r in records if r.status == "interrupted")
    assert len(complete) == 4 == len(set(complete)) and interrupted.key in complete


@pytest.mark.integration
def test_a_grid_point_refused_in_a_race_for_the_last_run_is_trained_later(trec_corpus, trec_vectors, tmp_path):
    from flair.embeddings import WordEmbeddings

    from .helpers import steered

    def grid(runs: int) -> orchestrator.Orchestrator:
        space = steered(search_spaces_module().TextClassifierSearchSpace(), (parameter.Budget.RUNS, runs), epochs=1)
        space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.3, 0.2, 0.1, 0.05, 0.02, 0.01])
        space.add_parameter(parameter.DocumentPoolEmbeddings.POOLING, options=["mean", "max"])
        space.add_word_embeddings(
            parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(trec_vectors))]]
        )
        strategy = search_strategies.GridSearch()
        strategy.make_configurations(space)
        return orchestrator.Orchestrator(trec_corpus, tmp_path, space, strategy)

    grid(4).optimize(workers=2)  # two workers racing for the last of 4 runs
    result = grid(100).optimize()
    records = History.of(optuna.load_study(study_name=tmp_path.name, storage=open_storage(None, tmp_path))).records
    complete = [r.key for r in records if r.status == "complete"]
    assert result.trials["complete"] == 12 == len(complete) == len(set(complete))


def test_an_interrupted_retry_queued_twice_is_trained_once(tmp_path):
    """Two processes repairing at once queue the same configuration twice: the second copy is skipped."""
    from flair_hpo.records.keys import SUPERSEDED

    storage, study, store = journal_study(tmp_path, "s")
    trial = study.ask()
    trial.suggest_categorical("x", [1, 2])
    storage.set_trial_system_attr(trial_id(trial), SUPERSEDED, True)
    storage.set_trial_state_values(trial_id(trial), TrialState.FAIL)
    history = History.of(study)
    assert [r.number for r in repair(store, history)] == [0] and [r.number for r in repair(store, history)] == [0]
    first, second = study.ask(), study.ask()  # both copies popped from the queue
    now = History.of(study)
    records = {r.number: r for r in now.records}
    assert now.holder(records[first.number]) is None  # the first copy trains ...
    assert now.holder(records[second.number]).number == first.number  # ... the second is held by it


# ---------------------------------------------------------------------------------------------- heartbeats
class FlakyStorage:
    """A storage whose writes fail ``failures`` times (a database restarting), then work."""

    def __init__(self, failures: int) -> None:
        self.failures, self.beats = failures, []

    def set_trial_system_attr(self, trial_id: int, key: str, value: object) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise OSError("the storage does not answer")
        self.beats.append(value)


def test_a_heartbeat_rides_out_a_short_outage(caplog):
    storage = FlakyStorage(failures=2)
    with caplog.at_level("INFO", logger="flair_hpo"), Heartbeat(storage, 7, interval=1) as heart:
        time.sleep(2.5)
    assert storage.beats and not heart.lost
    warnings = [r for r in caplog.records if "could not be written" in r.getMessage()]
    assert len(warnings) == 1  # said once, not at every retry


def test_a_heartbeat_lost_for_long_stops_its_trial():
    storage = FlakyStorage(failures=10**6)
    with Heartbeat(storage, 7, interval=1) as heart:
        time.sleep(3.5)  # more than two intervals without a beat
    assert heart.lost


@pytest.mark.integration
def test_a_trial_whose_heartbeat_is_lost_is_abandoned_not_counted(trec_corpus, trec_vectors, tmp_path):
    from flair_hpo.errors import TrialAbandoned
    from flair_hpo.space import Configuration
    from flair_hpo.training import Objective, TrialMonitor, train_configuration
    from flair_hpo.training.corpus import label_dictionary

    search = small_trec_search(trec_corpus, tmp_path / "s", trec_vectors)
    labels = next(search.search_space.grid())
    configuration = Configuration.from_labels(search.search_space, labels, "question_class", seed=1)
    dictionary = label_dictionary(trec_corpus, "question_class")
    with pytest.raises(TrialAbandoned):
        monitor = TrialMonitor(Objective.of(configuration), keep_going=lambda: False)
        train_configuration(configuration, trec_corpus, tmp_path, label_dictionary=dictionary, monitor=monitor)


def test_a_dead_worker_is_told_by_its_identity_here_and_only_by_its_heartbeat_elsewhere():
    here = this_process(30)
    assert not surely_dead(here)  # this very process
    gone = {**here, "token": "another", "pid": 2**22 - 7, "started": 1.0}  # this machine, a pid that is not running
    assert surely_dead(gone)
    clone = {**gone, "boot": "another-boot"}  # a cloned machine or a container with the same host name
    assert not surely_dead(clone)
    neighbour = {**gone, "pidns": "pid:[1]"}  # another PID namespace on this machine
    assert not surely_dead(neighbour)


def test_a_trial_killed_before_its_first_heartbeat_is_taken_for_dead(tmp_path):
    _storage, study, store = journal_study(tmp_path, "s", heartbeat_interval=1)
    trial = study.ask()  # no owner, no heartbeat: its worker died right after ask()
    trial.suggest_categorical("x", [1, 2])
    watch = Watch()
    assert requeue_dead(store, History.of(study), watch) == []
    time.sleep(3.5)
    assert requeue_dead(store, History.of(study), watch) == [trial.number]


def test_the_heartbeat_interval_is_the_studys(trec_corpus, trec_vectors, tmp_path):
    """A resumed run asking another interval keeps the study's: every process judges others by the same."""
    first = small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=1)
    runner = orchestrator.Orchestrator(
        trec_corpus, tmp_path, first.search_space, first.search_strategy, heartbeat_interval=7
    )
    store = runner.open_store()
    again = orchestrator.Orchestrator(
        trec_corpus, tmp_path, first.search_space, first.search_strategy, heartbeat_interval=1
    )
    assert store.heartbeat_interval == 7 == again.open_store().heartbeat_interval
    watched = Watch()
    record = History.of(store.study).records  # nothing runs: nothing judged
    assert watched.dead([r for r in record if r.status == "running"], 1) == []


def test_the_time_budget_counts_a_session_in_the_middle_of_a_trial(tmp_path):
    storage = open_storage(None, tmp_path, heartbeat_interval=10)
    study = optuna.create_study(storage=storage, study_name="s")
    store = TrialStore(study, storage, study_id(study), created=True, heartbeat_interval=10)
    now = time.time()
    store.record_session("a", now - 100, now - 5)  # noted 5 s ago, in a trial: still running
    store.record_session("b", now - 300, now - 250)  # ended long ago
    assert store.time_used(now) == pytest.approx(150, abs=0.01)


# ------------------------------------------------------------------------------------------ letting nobody in
@pytest.mark.parametrize(
    "url",
    [
        "postgresql://user:s3cret@host:badport/db",
        "postgresql://user:s3cret@ho st/db",
        "postgresql://user:s3@cret@host/db",
        "mysql+pymysql://user:s3cret@[::1:3306/db",
    ],
)
def test_a_password_is_hidden_even_in_a_malformed_url(url):
    from flair_hpo.study.storages import redact

    shown = redact(url)
    assert "s3cret" not in shown and "cret" not in shown and ":***@" in shown


@pytest.mark.parametrize(
    "spec",
    [
        {"class": "subprocess.Popen", "args": "touch pwned", "shell": True},
        {"class": "os.system"},
        {"class": "flair.embeddings.token.TransformerWordEmbeddings.__init__"},
    ],
)
def test_a_stored_study_cannot_name_code_to_run(spec):
    from flair_hpo.errors import EmbeddingSpecError
    from flair_hpo.space.embedding_specs import build_embedding, validate_spec

    with pytest.raises(EmbeddingSpecError, match=r"not an embedding class of flair\.embeddings"):
        validate_spec(spec)
    with pytest.raises(EmbeddingSpecError):
        build_embedding(spec)


def test_optimizers_come_from_torch_or_are_registered_in_code(monkeypatch):
    import torch

    from flair_hpo.errors import SearchSpaceError
    from flair_hpo.space import registry
    from flair_hpo.space.registry import optimizer_class, register

    monkeypatch.setattr(registry, "_REGISTERED", {})  # this test's class is gone afterwards

    assert optimizer_class("AdamW") is torch.optim.AdamW is optimizer_class("torch.optim.adamw.AdamW")
    with pytest.raises(SearchSpaceError, match=r"not an optimizer of torch\.optim"):
        optimizer_class("subprocess.Popen")

    class Mine(torch.optim.SGD):
        pass

    name = f"{Mine.__module__}.{Mine.__qualname__}"
    with pytest.raises(SearchSpaceError):
        optimizer_class(name)
    register(Mine)
    assert optimizer_class(name) is Mine


def test_files_that_may_hold_data_are_the_owners_only(tmp_path):
    storage = open_storage(None, tmp_path, heartbeat_interval=30)
    optuna.create_study(storage=storage, study_name="s")
    assert (tmp_path / "study.journal").stat().st_mode & 0o077 == 0
    from flair_hpo.files import atomic_write

    atomic_write(tmp_path / "payload", lambda tmp: tmp.write_bytes(b"corpus"), private=True)
    assert (tmp_path / "payload").stat().st_mode & 0o077 == 0


def test_only_this_machines_dead_writers_temporaries_are_removed(tmp_path):
    from flair_hpo.files import pid_namespace, remove_stale_temporaries, writer_tag

    boot = writer_tag().split("-")[0]
    here = f"{boot}-p{pid_namespace()}"
    dead = tmp_path / f".vectors.{here}-{2**22 - 3}.tmp"
    elsewhere = tmp_path / ".vectors.0badc0de-p4026531836-12345.tmp"  # a process of another machine writing here
    other_container = tmp_path / f".vectors.{boot}-p1234567-{2**22 - 3}.tmp"  # same host, another PID namespace
    alive = tmp_path / f".vectors.{writer_tag()}.tmp"
    payload = tmp_path / f".workers.{here}-{2**22 - 3}-abcd1234.pickle"
    unnamespaced_fresh = tmp_path / f".leaderboard.csv.{boot}-{2**22 - 3}.tmp"  # an earlier version's name
    unnamespaced_old = tmp_path / f".best-model.pt.{boot}-{2**22 - 3}.tmp"
    for path in (dead, elsewhere, other_container, alive, payload, unnamespaced_fresh, unnamespaced_old):
        path.write_bytes(b"half")
    two_days_ago = time.time() - 2 * 86_400
    os.utime(unnamespaced_old, (two_days_ago, two_days_ago))
    assert sorted(remove_stale_temporaries(tmp_path)) == sorted([dead, payload, unnamespaced_old])
    assert elsewhere.exists() and other_container.exists() and alive.exists() and unnamespaced_fresh.exists()


def search_spaces_module():
    from flair_hpo import search_spaces

    return search_spaces


def test_owner_of_a_trial_is_recorded_by_claim(tmp_path):
    storage = open_storage(None, tmp_path, heartbeat_interval=5)
    study = optuna.create_study(storage=storage, study_name="s")
    store = TrialStore(study, storage, study_id(study), created=True, heartbeat_interval=5)
    trial = study.ask()
    store.claim(trial)
    owner = storage.get_trial(trial_id(trial)).user_attrs[keys.OWNER]
    assert owner["pid"] == os.getpid() and owner["interval"] == 5 and owner["boot"] and owner["token"]


def test_every_method_of_the_storage_interface_rides_out_outages(tmp_path, postgres_url):
    """The retried methods are read from Optuna's storage interface, so none is left out, for both storages; and
    a database storage's methods that Optuna's cache calls instead (asking for a trial among them) too."""
    from optuna.storages import BaseStorage

    from flair_hpo.optuna_internals import CACHED_STORAGE_CALLS
    from flair_hpo.study.resilience import storage_methods

    interface = {name for name in dir(BaseStorage) if not name.startswith("_") and callable(getattr(BaseStorage, name))}
    assert set(storage_methods()) == interface | set(CACHED_STORAGE_CALLS) and "get_all_trials" in interface
    journal, database = open_storage(None, tmp_path, heartbeat_interval=5), open_storage(postgres_url, tmp_path, 5)
    for storage, methods in ((journal, interface), (database, interface | set(CACHED_STORAGE_CALLS))):
        retried = vars(type(storage))
        assert methods <= set(retried), methods - set(retried)
        assert all(retried[name].__wrapped__ is getattr(type(storage).__base__, name) for name in methods)
