"""A PostgreSQL server that stops answering for longer than a search retries its calls, and one whose disk is full,
with real servers (scripts/postgres.sh on a port of the test's own). Reproduced against an earlier version: an
outage of 85 s during a trial (calls retried for 60 s) failed the trial as the configuration's fault
("StorageInternalError: An exception is raised during the commit ..."), counted it, and never trained it again;
a server whose disk was full (SQLSTATE 53100), or an SQLite file on a full disk, was waited on as an outage."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from flair_hpo.errors import DiskFullError, StorageOutage
from flair_hpo.orchestrator import join_study
from flair_hpo.records import keys
from flair_hpo.study import open_storage

from .faults import fill_disk
from .helpers import Place, finish, search_yaml, small_trec_search, start, trained

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
LEARNING_RATES = {"ModelTrainer.learning_rate": [0.1, 0.05, 0.02], "DocumentRNNEmbeddings.hidden_size": [16]}
#: What a search logs each time one of its calls to the storage finds it silent.
SILENT = "the storage does not answer"
#: Seconds the outage searches retry each storage call (storage_patience): a quarter of the default 60 s, and
#: still three of their heartbeat intervals.
PATIENCE = 15


def outage_search(tmp_path: Path, url: str, vectors: Path) -> tuple[Place, Path]:
    """A grid of 3 configurations of 3 epochs on PostgreSQL, heartbeats every 5 s, calls retried for PATIENCE s."""
    place = Place(url, f"outage-{uuid.uuid4().hex[:8]}", tmp_path / "search")
    config = search_yaml(tmp_path, place, vectors, "grid", {"runs": 3}, LEARNING_RATES, epochs=3, fraction=0.05)
    text = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**text, "heartbeat_interval": 5, "storage_patience": PATIENCE}))
    return place, config


def halting_at_trial_1(url: str, config: Path, log: Path) -> subprocess.Popen:
    """``flair-hpo run CONFIG``, which stops the server (as a crash would) when trial 1 ends its first epoch."""
    port = str(urlparse(url).port)
    return start([sys.executable, "-m", "tests.fault_runs", "halt-postgres", "1", "1", port, str(config)], log)


def wait_for(condition, process: subprocess.Popen, log: Path, timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    while not condition(log.read_text()):
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)


def assert_each_configuration_complete_once(place: Place) -> list[optuna.trial.FrozenTrial]:
    trials = trained(place.study())
    complete = Counter(tuple(sorted(t.params.items())) for t in trials if t.state == TrialState.COMPLETE)
    assert len(complete) == 3 and max(complete.values()) == 1, trials
    return trials


def test_an_outage_past_the_retry_window_queues_the_trial_again_and_counts_nothing(
    own_postgres, tmp_path, trec_vectors
):
    """The server stops as trial 1 ends its first epoch, and starts again only after the trial's next call to it
    gave up (PATIENCE s): the trial is queued again as the machine's fault, the budget of 3 trains 3 configurations."""
    url, script = own_postgres
    place, config = outage_search(tmp_path, url, trec_vectors)
    log = tmp_path / "run.log"
    run = halting_at_trial_1(url, config, log)
    wait_for(lambda text: text.count(SILENT) >= 2, run, log)  # the trial's call gave up; the next one waits
    script("resume")
    assert finish([run]) == [0], log.read_text()[-3000:]

    trials = assert_each_configuration_complete_once(place)
    (given_back,) = [t for t in trials if t.number == 1]
    assert given_back.state == TrialState.FAIL and given_back.system_attrs.get(keys.SUPERSEDED)  # interrupted
    assert "StorageOutage: the study's storage postgresql://flair:***@" in given_back.user_attrs[keys.ERROR]
    assert f"did not answer for {PATIENCE} s" in given_back.user_attrs[keys.ERROR]
    assert "trial 1 failed" not in log.read_text()


def test_an_outage_that_outlasts_the_patience_stops_in_one_line_and_the_same_command_resumes(
    own_postgres, tmp_path, trec_vectors
):
    """The server stays down: the search waits (each call PATIENCE s, logged), then stops with one line and exit code
    1, no traceback. Started again once the server is back, the same command trains the trial it held again
    (not counted as a death of its configuration) and completes the budget."""
    url, script = own_postgres
    place, config = outage_search(tmp_path, url, trec_vectors)
    log = tmp_path / "run.log"
    run = halting_at_trial_1(url, config, log)
    assert run.wait(timeout=600) == 1
    text = log.read_text()
    assert "Traceback" not in text and SILENT in text
    assert text.splitlines()[-1].startswith("flair-hpo: error: the study's storage postgresql://flair:***@")
    last = text.splitlines()[-1]
    assert f"did not answer for {PATIENCE} s" in last and "run the same command again" in last

    script("resume")
    again = subprocess.run([sys.executable, "-m", "flair_hpo.cli", "run", str(config)], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-3000:]
    trials = assert_each_configuration_complete_once(place)
    (held,) = [t for t in trials if t.number == 1]
    assert held.state == TrialState.FAIL and held.system_attrs.get(keys.SUPERSEDED)
    assert not held.user_attrs.get(keys.KILLED)  # its worker stopped on its own: no death of the configuration


def test_by_default_a_call_waits_four_heartbeat_intervals_and_60_s_at_least(own_postgres, tmp_path, caplog):
    """Without storage_patience the retry window is what it always was: 60 s for heartbeats every 5 s, 80 s for
    every 20 s (said as each call begins to wait; the server is back before either window ends)."""
    url, script = own_postgres
    storages = [open_storage(url, tmp_path, heartbeat_interval=interval) for interval in (5, 20)]
    script("halt")
    with caplog.at_level(logging.WARNING, logger="flair_hpo"), ThreadPoolExecutor(2) as calls:
        waiting = [calls.submit(storage.get_all_studies) for storage in storages]
        deadline = time.monotonic() + 30
        while len([r for r in caplog.records if SILENT in r.getMessage()]) < 2:
            assert time.monotonic() < deadline and not any(call.done() for call in waiting), caplog.text
            time.sleep(0.1)
        script("resume")
        assert [call.result(timeout=60) for call in waiting] == [[], []]  # the outage was ridden out
    said = sorted(r.getMessage().rsplit("; ", 1)[-1] for r in caplog.records if SILENT in r.getMessage())
    assert said == ["trying again for 60 s", "trying again for 80 s"]


def test_storage_patience_is_the_retry_window_of_the_search_and_of_the_workers_that_join_it(
    own_postgres, trec_corpus, trec_vectors, tmp_path
):
    """storage_patience is stored with the study: the search and a worker that joins it each give up a call
    after that many seconds (here 2, not the default 60), with the figure in the message."""
    url, script = own_postgres
    search = small_trec_search(trec_corpus, tmp_path / "search", trec_vectors, storage=url, storage_patience=2)
    store = search.open_store()
    assert store.run_settings()["storage_patience"] == 2
    worker = join_study(url, search.settings.study_name, corpus=trec_corpus, allow_paths=[trec_vectors.parent])
    assert worker.settings.storage_patience == 2
    stores = [store, worker.open_store()]
    script("halt")
    for opened in stores:
        began = time.monotonic()
        with pytest.raises(StorageOutage, match=r"postgresql://flair:\*\*\*@.* did not answer for 2 s"):
            opened.storage.get_all_studies()
        assert time.monotonic() - began < 10


def fill_tables(url: str) -> None:
    """In another study of the same database (its tables are the search's), add rows until even the smallest
    finds no room: every table the search writes to then needs a new page, which the full disk refuses."""
    storage = optuna.storages.RDBStorage(url)
    study_id = storage.create_new_study([optuna.study.StudyDirection.MAXIMIZE], "filler")
    trial_id = storage.create_new_trial(study_id)
    writes = [
        lambda key, value: storage.set_study_user_attr(study_id, key, value),
        lambda key, value: storage.set_study_system_attr(study_id, key, value),
        lambda key, value: storage.set_trial_user_attr(trial_id, key, value),
        lambda key, value: storage.set_trial_system_attr(trial_id, key, value),
        lambda key, value: storage.create_new_trial(study_id),
    ]
    for write in writes:
        for length in (256, 16, 1):
            for i in range(100_000):
                try:
                    write(f"padding-{length}-{i}", "x" * length)
                except optuna.exceptions.StorageInternalError:
                    break
    for step in range(100_000):
        try:
            storage.set_trial_intermediate_value(trial_id, step, 0.5)
        except optuna.exceptions.StorageInternalError:
            break


def test_a_database_server_whose_disk_is_full_is_reported_as_a_full_disk_not_waited_on(
    own_postgres, small_disk, tmp_path, trec_vectors
):
    import psycopg

    url, _ = own_postgres
    server_folder = Path(f"/tmp/flair-hpo-postgres-{urlparse(url).port}.dir").read_text().strip()  # postgres.sh's
    disk = small_disk(32, at=Path(server_folder) / "small-disk")  # where the server's user may go
    subprocess.run(["chown", "postgres:postgres", str(disk)], check=True)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE TABLESPACE small LOCATION '{disk}'")
        admin.execute("CREATE DATABASE on_small_disk TABLESPACE small")
    database = url.rsplit("/", 1)[0] + "/on_small_disk"
    place = Place(database, "full", tmp_path / "search")
    config = search_yaml(tmp_path, place, trec_vectors, "grid", {"runs": 1}, LEARNING_RATES, epochs=1, fraction=0.05)
    command = [sys.executable, "-m", "flair_hpo.cli", "run", str(config)]
    assert subprocess.run(command, capture_output=True, text=True).returncode == 0
    filler = fill_disk(disk)
    fill_tables(database)

    config.write_text(yaml.safe_dump({**yaml.safe_load(config.read_text()), "budget": {"runs": 3}}))
    full = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert full.returncode == 1, full.stderr[-3000:]
    assert full.stderr.splitlines()[-1].startswith(
        "flair-hpo: error: no space left on the disk of the study's database (postgresql://flair:***@"
    ), full.stderr[-3000:]
    assert "No space left on device" in full.stderr and "Traceback" not in full.stderr
    assert SILENT not in full.stdout + full.stderr  # not waited on as an outage

    filler.unlink()
    assert subprocess.run(command, capture_output=True, text=True).returncode == 0
    storage = open_storage(database, tmp_path, heartbeat_interval=None)
    trials = optuna.load_study(study_name="full", storage=storage).get_trials(states=(TrialState.COMPLETE,))
    assert len(trials) == 3


def test_an_sqlite_study_on_a_full_disk_is_reported_as_a_full_disk_at_once(small_disk, tmp_path):
    """SQLite's "database or disk is full" is no outage either: the first write that meets it says so."""
    disk = small_disk(2)
    storage = open_storage(f"sqlite:///{disk / 'study.db'}", tmp_path, heartbeat_interval=5)
    study_id = storage.create_new_study([optuna.study.StudyDirection.MAXIMIZE], "full")
    fill_disk(disk)
    said = r"no space left on the disk of the study's database \(sqlite:///.*: database or disk is full\)"
    with pytest.raises(DiskFullError, match=said):
        for i in range(100_000):
            storage.set_study_user_attr(study_id, f"padding-{i}", "x" * 256)
