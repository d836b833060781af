"""The CPU threads of a search's trials: measured once on the model at hand, the faster count used and noted
with every trial; ``--workers auto`` starts as many workers as that says. What is faster is measured, so these
tests check what the search does with the measurement, never a timing (the figures: benchmarks/threads.py)."""

from __future__ import annotations

import re

import optuna
import pytest
import torch
import yaml

from flair_hpo.cli import main
from flair_hpo.records import keys
from flair_hpo.study import open_storage
from flair_hpo.training.threads import USER_THREADS, usable_cores

from .helpers import search_log, small_trec_search, trec_config, write

MEASURED = re.compile(
    r"threads: a mini-batch took [\d.]+ ms with 1 thread and [\d.]+ ms with (\d+) \(median of (\d+) pairs, "
    r"1 thread / \d+ = ([\d.]+)\)(?:, (\d+) core\(s\) free)?: "
    r"(?:each trial trains with (\d+) thread\(s\)|(\d+) workers of 1 thread\(s\) each)"
)
GIVEN = re.compile(
    r"threads: 1 per trial, as set in the environment, (\d+) core\(s\) free: "
    r"(?:each trial trains with 1 thread\(s\)|(\d+) workers of 1 thread\(s\) each)"
)


@pytest.fixture
def threads_of_torch_default(monkeypatch):
    """No thread count given by the environment (the test command gives one); torch's threads as they were after."""
    for variable in ("FLAIR_HPO_THREADS", *USER_THREADS):
        monkeypatch.delenv(variable, raising=False)
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.integration
@pytest.mark.skipif(usable_cores() < 2, reason="one core: there is nothing to choose")
def test_the_faster_thread_count_is_measured_once_used_and_noted_with_each_trial(
    threads_of_torch_default, trec_corpus, trec_vectors, tmp_path
):
    small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=2).optimize()
    said = MEASURED.findall(search_log(tmp_path))
    assert len(said) == 1, search_log(tmp_path)  # once per search
    cores, pairs, ratio, _, threads, _ = said[0]
    assert int(cores) == usable_cores() and int(pairs) >= 3
    assert int(threads) == (1 if float(ratio) <= 1 else usable_cores())  # the faster of the two
    study = optuna.load_study(study_name=tmp_path.name, storage=open_storage(None, tmp_path, heartbeat_interval=None))
    assert [trial.user_attrs[keys.THREADS] for trial in study.trials] == [int(threads)] * 2
    assert torch.get_num_threads() == int(threads)
    saved = yaml.safe_load((tmp_path / "best-configuration.yaml").read_text())
    assert saved["result"]["threads"] == int(threads)


@pytest.mark.integration
@pytest.mark.skipif(usable_cores() < 2, reason="one core: one worker")
@pytest.mark.parametrize("given", [None, "1"], ids=["measured", "one thread given"])
def test_workers_auto_starts_as_many_workers_as_the_measurement_says(
    threads_of_torch_default, trec_vectors, tmp_path, monkeypatch, given
):
    if given:
        monkeypatch.setenv("FLAIR_HPO_THREADS", given)
    config = write(tmp_path / "trec.yaml", trec_config(tmp_path, trec_vectors, budget={"runs": 4}, report=False))
    assert main(["run", str(config), "--workers", "auto", "--quiet"]) == 0
    log = search_log(tmp_path / "trec")
    if given:
        ((free, started),) = GIVEN.findall(log)
        workers, threads = int(started or 1), 1
        assert workers == int(free)  # one-thread workers, one per free core
    else:
        ((_, _, ratio, free, alone, started),) = MEASURED.findall(log)
        workers = int(started or 1)
        threads = 1 if started else int(alone)
        assert workers == (int(free) if int(free) > 1 and float(ratio) < int(free) else 1)
    assert (f"starting {workers} workers" in log) == (workers > 1), log
    study = optuna.load_study(study_name="trec", storage=open_storage(None, tmp_path / "trec", heartbeat_interval=None))
    noted = {trial.user_attrs.get(keys.THREADS) for trial in study.trials if trial.user_attrs.get(keys.DURATION)}
    assert noted == {threads}
    processes = {trial.user_attrs[keys.OWNER]["pid"] for trial in study.trials}
    assert len(processes) <= workers


def test_one_thread_workers_only_where_they_make_more_trials_an_hour_on_free_cores():
    """The rule ``--workers auto`` follows, on figures as the timing gives them: one worker per free core when a
    mini-batch at one thread takes less than that many times one at every core's thread; else one trial."""
    from flair_hpo.training.threads import ThreadTiming

    one_faster = ThreadTiming(cores=4, one=0.010, all=0.020, ratio=0.5, pairs=8)
    assert (one_faster.threads, one_faster.workers(4), one_faster.workers(2), one_faster.workers(1)) == (1, 4, 2, 1)
    all_faster = ThreadTiming(cores=4, one=0.030, all=0.010, ratio=3.0, pairs=8)
    assert (all_faster.threads, all_faster.workers(4), all_faster.workers(3), all_faster.workers(2)) == (4, 4, 1, 1)
