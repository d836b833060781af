"""Statuses that say what happened: a trial the deadline cut short is `stopped`, and in a study searched with
data halving the leaderboard lists every trial with its share of the training split (leaderboard.csv, `show`
and the report all read these rows)."""

from __future__ import annotations

import flair_hpo.parameters as parameter
from flair_hpo.records import History, TrialRecord, TrialStatus, keys
from flair_hpo.results.leaderboard import leaderboard_rows
from flair_hpo.search_spaces import TextClassifierSearchSpace
from flair_hpo.training.scoring import Objective

from .helpers import steered


def record(number, value, status=TrialStatus.COMPLETE, fraction=1.0, **notes) -> TrialRecord:
    attrs = {keys.FRACTION: fraction, keys.DEV_SCORE: value, keys.EPOCHS: 2, **notes}
    return TrialRecord(number, status, {"ModelTrainer.learning_rate": 0.1 * (number + 1)}, value, attrs, None, None)


def space():
    search_space = steered(TextClassifierSearchSpace(), (parameter.Budget.RUNS, 9), epochs=3)
    search_space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1 * n for n in range(1, 10)])
    return search_space


def test_a_trial_the_deadline_cut_short_is_stopped_not_complete():
    history = History([record(0, 0.8), record(1, 0.7, **{keys.STOPPED_BY_TIME_BUDGET: True})], minimize=False)
    rows = leaderboard_rows(history, space(), Objective.of(space()))
    assert [(row["trial"], row["status"]) for row in rows] == [(0, "complete"), (1, "stopped")]
    assert "share" not in rows[0]  # every trial on the whole training split: nothing to say
    assert history.records[1].status is TrialStatus.COMPLETE  # the study's status: its score counts
    # The report's summary line counts as people read the statuses.
    assert history.counts(TrialStatus.COMPLETE, TrialStatus.STOPPED, as_shown=True) == {"complete": 1, "stopped": 1}
    assert history.counts(TrialStatus.COMPLETE) == {"complete": 2}


def test_in_a_study_searched_with_data_halving_every_trial_is_listed_with_its_share_of_the_training_split():
    """Earlier versions offered data halving; the leaderboard of such a study lists its screening trials."""
    records = [
        record(0, 0.5, fraction=1 / 9),
        record(1, 0.6, fraction=1 / 9),
        record(2, 0.4, fraction=1 / 9),
        record(3, 0.7, fraction=1 / 3),
        record(4, None, TrialStatus.FAILED, fraction=1 / 9, **{keys.ERROR: "RuntimeError: out of memory"}),
        record(5, 0.8),
    ]
    rows = leaderboard_rows(History(records, minimize=False), space(), Objective.of(space()))
    shown = [(row["rank"], row["trial"], row["status"], row["share"]) for row in rows]
    assert shown == [
        (1, 5, "complete", "100%"),
        ("", 3, "complete", "33%"),
        ("", 1, "complete", "11%"),
        ("", 0, "complete", "11%"),
        ("", 2, "complete", "11%"),
        ("", 4, "failed", "11%"),
    ]
    assert rows[-1]["error"] == "RuntimeError: out of memory"
