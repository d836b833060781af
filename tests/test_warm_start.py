"""Earlier studies on the machine, and the warm start a search takes from them (flair_hpo.search.earlier): a real
search leaves its record in the machine's cache, and a later search of the same task trains that search's best
configuration first."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import flair_hpo.parameters as parameter
from flair_hpo import search_spaces
from flair_hpo.cli.main import main
from flair_hpo.results.study_view import open_for_reading
from flair_hpo.search.earlier import EarlierStudy, earlier_studies, remember, warm_starts
from flair_hpo.space.dimensions import Choice, Range
from flair_hpo.space.starts import projected_start
from tests.helpers import WORDS, search_log, small_trec_search, steered, trec_config, write


@pytest.mark.integration
def test_a_search_of_the_same_task_trains_the_earlier_studys_best_configuration_first(
    trec_corpus, trec_vectors, tmp_path, monkeypatch
):
    monkeypatch.setenv("FLAIR_HPO_CACHE", str(tmp_path / "cache"))
    first = small_trec_search(trec_corpus, tmp_path / "first", trec_vectors, runs=3).optimize()
    records = list((tmp_path / "cache" / "studies").glob("*.json"))
    assert len(records) == 1
    kept = json.loads(records[0].read_text())
    assert kept["task"] == "text_classification" and kept["ranked"][0] == first.best_configuration

    second = small_trec_search(trec_corpus, tmp_path / "second", trec_vectors, runs=2, warm_start=True).optimize()
    trials = open_for_reading(tmp_path / "second").study.trials
    # The driver queues every trial (Optuna's enqueue_trial): the earlier best first, exactly; then the
    # strategy's own proposal, another configuration.
    assert trials[0].system_attrs.get("fixed_params") == first.best_configuration
    assert trials[1].system_attrs.get("fixed_params") not in (None, first.best_configuration)
    assert "warm start: 1 configuration(s) from 1 earlier text_classification studies" in search_log(
        tmp_path / "second"
    )
    assert second.trials["complete"] == 2

    # From the command line, into another space of the task (pooled word vectors, a mini-batch size range): the
    # earlier best's learning rate, and Flair's default mini-batch size, which the earlier study did not tune.
    config = write(tmp_path / "trec.yaml", trec_config(tmp_path, trec_vectors, budget={"runs": 1}))
    assert main(["run", str(config), "--warm-start", "--quiet"]) == 0
    queued = open_for_reading(tmp_path / "trec").study.trials[0].system_attrs.get("fixed_params")
    assert queued is not None
    assert queued["ModelTrainer.learning_rate"] == first.best_configuration["ModelTrainer.learning_rate"]
    assert queued["ModelTrainer.mini_batch_size"] == 32

    # Without the setting, the same search trains what its strategy proposes.
    small_trec_search(trec_corpus, tmp_path / "third", trec_vectors, runs=1).optimize()
    assert "configuration(s) from" not in search_log(tmp_path / "third")  # no start queued


def test_the_removed_prior_is_refused_in_one_line_before_anything_is_written(trec_vectors, tmp_path, capsys):
    config = write(tmp_path / "prior.yaml", trec_config(tmp_path, trec_vectors, warm_start="prior"))
    assert main(["run", str(config)]) == 2
    assert "warm_start: 'prior' is no longer offered (it gained nowhere on held-out corpora); use true" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "trec").exists()
    plain = write(tmp_path / "plain.yaml", trec_config(tmp_path, trec_vectors))
    assert main(["run", str(plain), "--warm-start-prior"]) == 2  # the flag went with it
    assert "unrecognized arguments: --warm-start-prior" in capsys.readouterr().err
    assert not (tmp_path / "trec").exists()


def _study(task: str, ranked: list[dict], finished: float = 1.0, source: str = "s") -> EarlierStudy:
    return EarlierStudy(task, "ner", "micro_f1_score", finished, ranked, source)


def _tagger_space() -> search_spaces.SequenceTaggerSearchSpace:
    space = steered(search_spaces.SequenceTaggerSearchSpace())
    space.add_tag_type("ner")
    space.add_word_embeddings(options=[WORDS])
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.05, 0.1, 0.5])
    space.add_parameter(parameter.SequenceTagger.HIDDEN_SIZE, options=[64, 256])
    return space


def test_only_studies_of_the_same_task_other_than_this_one_are_read_newest_first(tmp_path):
    rate = {"ModelTrainer.learning_rate": 0.1, "SequenceTagger.hidden_size": 64}
    remember(_study("sequence_labeling", [rate], finished=1.0, source="old"), tmp_path)
    remember(_study("sequence_labeling", [rate], finished=2.0, source="new"), tmp_path)
    remember(_study("text_classification", [rate], finished=3.0, source="classifier"), tmp_path)
    remember(_study("sequence_labeling", [rate], finished=4.0, source="this one"), tmp_path)
    found = earlier_studies(_tagger_space(), "this one", tmp_path)
    assert [s.source for s in found] == ["new", "old"]


def test_a_damaged_or_foreign_record_is_skipped_and_an_unwritable_cache_costs_one_warning(tmp_path, caplog):
    good = remember(_study("sequence_labeling", [{"ModelTrainer.learning_rate": 0.1}], source="good"), tmp_path)
    assert good is not None
    (tmp_path / "torn.json").write_text(good.read_text()[:40])  # a writer killed mid-way (never by us: atomic)
    (tmp_path / "future.json").write_text(json.dumps({**json.loads(good.read_text()), "format": 99}))
    assert [s.source for s in earlier_studies(_tagger_space(), "other", tmp_path)] == ["good"]

    (tmp_path / "a file").write_text("")
    with caplog.at_level(logging.WARNING, logger="flair_hpo"):
        assert remember(_study("sequence_labeling", [{"x": 1}]), tmp_path / "a file" / "studies") is None
    assert "this study is not kept for later warm starts" in caplog.text


def test_an_earlier_best_is_moved_onto_this_space_or_left_out():
    rate = Choice("ModelTrainer.learning_rate", labels=(0.05, 0.1, 0.5), values=(0.05, 0.1, 0.5))
    crf = Choice("SequenceTagger.use_crf", labels=(True, False), values=(True, False))
    dropout = Range("SequenceTagger.dropout", low=0.0, high=0.5)
    one = Choice("ModelTrainer.mini_batch_size", labels=(32,), values=(32,))
    earlier = {"ModelTrainer.learning_rate": 0.4, "SequenceTagger.use_crf": False, "SequenceTagger.dropout": 0.7}
    # 0.4 is nearer 0.5 than 0.1 on a log scale; 0.7 is above the range; the batch size has one option here.
    assert projected_start([rate, crf, dropout, one], {**earlier, "SequenceTagger.hidden_size": 512}) == {
        "ModelTrainer.learning_rate": 0.5,
        "SequenceTagger.use_crf": False,
        "SequenceTagger.dropout": 0.5,
        "ModelTrainer.mini_batch_size": 32,
    }
    # A parameter the earlier study did not tune takes Flair's default (SequenceTagger's use_crf=True)...
    assert projected_start([rate, crf], {"ModelTrainer.learning_rate": 0.1}) == {
        "ModelTrainer.learning_rate": 0.1,
        "SequenceTagger.use_crf": True,
    }
    # ... and with no default to take, or a value this space does not have, there is no counterpart.
    branch = Choice("document_embeddings", labels=("DocumentRNNEmbeddings", "DocumentPoolEmbeddings"), values=(1, 2))
    assert projected_start([rate, branch], {"ModelTrainer.learning_rate": 0.1}) is None
    rnn = Choice("DocumentRNNEmbeddings.rnn_type", labels=("GRU", "LSTM"), values=("GRU", "LSTM"))
    assert projected_start([rnn], {"DocumentRNNEmbeddings.rnn_type": "RNN"}) is None


def test_a_warm_start_takes_each_earlier_studys_best_once(tmp_path):
    space = _tagger_space()
    best = {"ModelTrainer.learning_rate": 0.4, "SequenceTagger.hidden_size": 512}
    studies = [
        _study("sequence_labeling", [best, {"ModelTrainer.learning_rate": 0.05}], source="a"),
        _study("sequence_labeling", [{**best, "ModelTrainer.learning_rate": 0.5}], source="b"),  # the same, here
        _study("sequence_labeling", [{"ModelTrainer.learning_rate": 0.05, "SequenceTagger.hidden_size": 64}]),
    ]
    starts = warm_starts(space, studies)
    assert [{k: s[k] for k in best} for s in starts] == [
        {"ModelTrainer.learning_rate": 0.5, "SequenceTagger.hidden_size": 256},
        {"ModelTrainer.learning_rate": 0.05, "SequenceTagger.hidden_size": 64},
    ]


@pytest.mark.parametrize("value", ["yes", 1, "starts"])
def test_warm_start_must_be_true_or_false(value, tmp_path: Path):
    from flair_hpo.errors import SettingsError
    from flair_hpo.search.settings import RunSettings

    with pytest.raises(SettingsError, match="warm_start"):
        RunSettings(base_path=tmp_path, warm_start=value)
