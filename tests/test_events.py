"""The search's events: listeners hear them in order, and a listener that fails never stops a search."""

from __future__ import annotations

import logging

import pytest

from flair_hpo.records import TrialStatus
from flair_hpo.results.events import EpochEnded, Listeners, SearchListener, TrialFinished, TrialStarted

from .helpers import small_trec_search


class Recorder(SearchListener):
    def __init__(self) -> None:
        self.heard: list[str] = []

    def search_started(self, event) -> None:
        self.heard.append(f"search {event.study_name}")

    def trial_started(self, event: TrialStarted) -> None:
        self.heard.append(f"start {event.trial} seed {event.seed is not None} replicate {event.replicate}")

    def epoch_ended(self, event: EpochEnded) -> None:
        losses = event.dev_loss is not None and event.train_loss is not None
        self.heard.append(f"epoch {event.trial}.{event.epoch} losses {losses} score {event.dev_score is not None}")

    def trial_finished(self, event: TrialFinished) -> None:
        self.heard.append(f"end {event.record.number} {event.record.status}")

    def search_finished(self, result) -> None:
        self.heard.append(f"done {result.best_trial is not None}")


class Broken(SearchListener):
    def epoch_ended(self, event: EpochEnded) -> None:
        raise ConnectionError("the tracking server is down")


@pytest.mark.integration
def test_listeners_hear_a_search_in_order_and_a_broken_one_is_left_out(
    trec_corpus, trec_vectors, tmp_path, monkeypatch, caplog
):
    from flair_hpo.orchestration.setup import SearchSetup

    recorder = Recorder()
    monkeypatch.setattr(SearchSetup, "trackers", lambda self: [Broken(), recorder])
    with caplog.at_level(logging.WARNING, logger="flair_hpo"):
        result = small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=2).optimize()
    assert result.trials["complete"] == 2
    assert recorder.heard == [
        f"search {tmp_path.name}",  # a study is named after its folder
        "start 0 seed True replicate 0",
        "epoch 0.1 losses True score True",
        "epoch 0.2 losses True score True",
        f"end 0 {TrialStatus.COMPLETE}",
        "start 1 seed True replicate 0",
        "epoch 1.1 losses True score True",
        "epoch 1.2 losses True score True",
        f"end 1 {TrialStatus.COMPLETE}",
        "done True",
    ]
    said = [r.getMessage() for r in caplog.records if "stopped listening" in r.getMessage()]
    assert said == ["Broken stopped listening to the search (ConnectionError: the tracking server is down)"]


def test_a_listener_that_fails_is_said_once_and_left_out(caplog):
    recorder = Recorder()
    listeners = Listeners([Broken(), recorder])
    event = EpochEnded(trial=0, epoch=1, value=0.5, dev_score=0.5, dev_loss=1.0, train_loss=1.2)
    with caplog.at_level(logging.WARNING, logger="flair_hpo"):
        listeners.epoch_ended(event)
        listeners.epoch_ended(event)
    assert len(recorder.heard) == 2 and len(listeners.listeners) == 1
    assert sum("stopped listening" in r.getMessage() for r in caplog.records) == 1
