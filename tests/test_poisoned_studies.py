"""A study that holds values outside its own search space, put there through Optuna's own API or by editing the
stored space: the search refuses them at the door with one line and goes on. Reproduced against an earlier
version: a queued ``mini_batch_size=7`` (options 16 and 32) made every later run print a traceback, exit 1 and
leave the trial running; a stored range tampered to a hidden size of -5 reached the model builder."""

from __future__ import annotations

import json

import optuna
import pytest
from optuna.trial import TrialState

from flair_hpo.cli import main
from flair_hpo.records import keys
from flair_hpo.study import open_storage

from .helpers import trec_config, write

pytestmark = pytest.mark.integration

POISON = [
    ({"ModelTrainer.mini_batch_size": 7}, "ModelTrainer.mini_batch_size=7 is not one of 16, 32"),
    ({"ModelTrainer.learning_rate": -1.0}, "ModelTrainer.learning_rate=-1.0 is not a number from 0.01 to 0.2"),
]


def small_config(tmp_path, vectors, runs: int):
    config = trec_config(tmp_path, vectors, budget={"runs": runs}, corpus={"dataset": "TREC_6", "downsample": 0.05})
    config["parameters"] = {
        "ModelTrainer.learning_rate": {"low": 0.01, "high": 0.2, "log": True},
        "ModelTrainer.mini_batch_size": [16, 32],
        "DocumentRNNEmbeddings.hidden_size": {"low": 8, "high": 32},
        "DocumentRNNEmbeddings.word_embeddings": [[{"class": "WordEmbeddings", "embeddings": str(vectors)}]],
    }
    return write(tmp_path / "c.yaml", config)


def study_of(tmp_path) -> optuna.Study:
    storage = open_storage(None, tmp_path / "trec", heartbeat_interval=None)
    return optuna.load_study(study_name="trec", storage=storage)  # named after its folder


def test_values_queued_through_optunas_api_are_refused_in_one_line_and_the_search_goes_on(
    tmp_path, trec_vectors, capsys
):
    assert main(["run", str(small_config(tmp_path, trec_vectors, runs=1))]) == 0
    study = study_of(tmp_path)
    for values, _ in POISON:  # a learning rate and a hidden size of the space, and one value outside it
        study.enqueue_trial({"ModelTrainer.learning_rate": 0.05, "DocumentRNNEmbeddings.hidden_size": 16, **values})
    capsys.readouterr()

    assert main(["run", str(small_config(tmp_path, trec_vectors, runs=3))]) == 0
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    trials = study_of(tmp_path).get_trials()
    refused = [t for t in trials if t.user_attrs.get(keys.REFUSED)]
    assert [t.state for t in refused] == [TrialState.FAIL, TrialState.FAIL]
    for trial, (_, said) in zip(refused, POISON, strict=True):
        assert trial.user_attrs[keys.ERROR].startswith("refused: its configuration is not one of the search space's")
        assert said in trial.user_attrs[keys.ERROR]
    # The budget of 3 is trained: the refused trials use none of it; nothing is left running.
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 3
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    assert (tmp_path / "trec" / "leaderboard.csv").read_text().count(",failed,") == 2

    # The same command again: nothing is queued again, nothing more is trained.
    assert main(["run", str(small_config(tmp_path, trec_vectors, runs=3))]) == 0
    assert len(study_of(tmp_path).get_trials()) == len(trials)


@pytest.mark.parametrize(("low", "high"), [(-5, 32), (8, 10**9)], ids=["below-1", "a-billion"])
def test_a_stored_range_tampered_out_of_its_domain_is_refused_at_the_door(tmp_path, trec_vectors, capsys, low, high):
    """A worker joining the study reads a hidden size range of -5 .. 32 (or 8 .. 10^9), which the study's
    creator could never have stored: one line naming the range, exit code 2, nothing trained."""
    assert main(["run", str(small_config(tmp_path, trec_vectors, runs=1))]) == 0
    storage = open_storage(None, tmp_path / "trec", heartbeat_interval=None)
    study_id = storage.get_study_id_from_name("trec")
    space = json.loads(json.dumps(storage.get_study_system_attrs(study_id)[keys.SEARCH_SPACE]))
    (hidden,) = [d for d in space["dimensions"] if d["name"] == "DocumentRNNEmbeddings.hidden_size"]
    hidden.update(low=low, high=high)
    storage.set_study_system_attr(study_id, keys.SEARCH_SPACE, space)
    trials = len(study_of(tmp_path).get_trials())
    capsys.readouterr()

    code = main(["worker", "--base-path", str(tmp_path / "trec"), "--allow-path", str(trec_vectors.parent)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith(
        "flair-hpo: error: the study 'trec' is not joined: DocumentRNNEmbeddings.hidden_size must lie in "
        f"[1, 100000], not {low if low < 0 else high}"
    )
    assert "the study was changed outside flair-hpo" in err and err.count("\n") == 1
    assert len(study_of(tmp_path).get_trials()) == trials
