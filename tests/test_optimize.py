"""Integration tests: real Flair models trained on TREC_6 and WNUT_17 with tiny budgets."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

import flair_hpo.parameters as parameter
from flair_hpo import Configuration, orchestrator, search_spaces, search_strategies, train
from flair_hpo.errors import CorpusError, InputError, StudyMismatchError
from flair_hpo.orchestration.progress import ProgressDisplay
from flair_hpo.results.study_view import open_for_reading

from .helpers import child_command, copy_study, small_trec_search, steered

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[1]


def leaderboard(base_path: Path) -> list[dict[str, str]]:
    with open(base_path / "leaderboard.csv", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def spy_on_evaluations(monkeypatch, corpus) -> list[str]:
    """Record which split every Flair evaluation runs on."""
    import flair.nn

    seen: list[str] = []
    original = flair.nn.Classifier.evaluate

    def evaluate(self, data_points, *args, **kwargs):
        split = "test" if data_points is corpus.test else "dev" if data_points is corpus.dev else "other"
        seen.append(split)
        return original(self, data_points, *args, **kwargs)

    monkeypatch.setattr(flair.nn.Classifier, "evaluate", evaluate)
    return seen


def test_tutorial_on_trec6_with_three_document_embedding_classes(
    trec_corpus, trec_vectors, minilm_path, tmp_path, monkeypatch
):
    from flair.data import Sentence
    from flair.embeddings import WordEmbeddings
    from flair.models import TextClassifier

    evaluated = spy_on_evaluations(monkeypatch, trec_corpus)
    corpus = trec_corpus

    # The tutorial's code, with its imports changed (and offline embeddings).
    search_space = search_spaces.TextClassifierSearchSpace()
    search_strategy = search_strategies.EvolutionarySearch(population_size=4, seed=2)
    search_space.add_budget(parameter.Budget.GENERATIONS, 2)
    search_space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    search_space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    search_space.add_max_epochs_per_training_run(2)
    search_space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1, 0.05, 0.01, 3e-5])
    search_space.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[32, 64])
    search_space.add_word_embeddings(
        parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(trec_vectors))]]
    )
    search_space.add_word_embeddings(
        parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(trec_vectors))]]
    )
    search_space.add_parameter(parameter.TransformerDocumentEmbeddings.MODEL, options=[minilm_path])
    search_space.add_parameter(parameter.TransformerDocumentEmbeddings.FINE_TUNE, options=[False])
    search_strategy.make_configurations(search_space)

    runner = orchestrator.Orchestrator(
        corpus=corpus, base_path=tmp_path / "trec6", search_space=search_space, search_strategy=search_strategy
    )
    result = runner.optimize()

    rows = leaderboard(tmp_path / "trec6")
    # The default pruner (successive halving from epoch 1) may stop the weaker ones after their first epoch.
    statuses = [row["status"] for row in rows]
    assert len(rows) == 8 and set(statuses) <= {"complete", "pruned"} and "complete" in statuses
    assert len({row["document_embeddings"] for row in rows}) >= 2
    scores = [float(row["dev micro_f1_score"]) for row in rows]
    assert rows[0]["rank"] == "1" and int(rows[0]["trial"]) == result.best_trial
    assert result.dev_score == pytest.approx(max(scores), abs=1e-4)
    assert scores == sorted(scores, reverse=True)

    # Selection used dev only; the test split was evaluated once, for the final model, at the end.
    assert evaluated.count("test") == 1 and evaluated[-1] == "test"
    assert evaluated.count("dev") == sum(int(row["epochs"]) for row in rows)

    model = TextClassifier.load(result.model_path)
    sentence = Sentence("How far is the moon from the earth ?")
    model.predict(sentence)
    assert sentence.get_label("question_class").value in model.label_dictionary.get_items()
    test = model.evaluate(corpus.test, gold_label_type="question_class", mini_batch_size=32)
    assert result.test_score == pytest.approx(test.main_score, abs=1e-4)

    saved = Configuration.load(result.configuration_path)
    expected = Configuration.from_labels(search_space, result.best_configuration, "question_class")
    assert saved.parameters == expected.parameters and saved.label_type == "question_class"
    assert sorted(p.name for p in (tmp_path / "trec6").rglob("*.pt")) == ["best-model.pt"]
    assert "Best configuration (trial" in (tmp_path / "trec6" / "flair-hpo.log").read_text()
    assert str(result).startswith(f"Best configuration (trial {result.best_trial}")


def test_sequence_tagger_on_wnut17(wnut_corpus, wnut_vectors, minilm_path, tmp_path):
    from flair.data import Sentence
    from flair.embeddings import TransformerWordEmbeddings, WordEmbeddings
    from flair.models import SequenceTagger

    search_space = search_spaces.SequenceTaggerSearchSpace()
    search_strategy = search_strategies.EvolutionarySearch(population_size=4, seed=1)
    search_space.add_tag_type("ner")
    search_space.add_budget(parameter.Budget.GENERATIONS, 2)
    search_space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    search_space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    search_space.add_max_epochs_per_training_run(2)
    search_space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1, 0.05])
    search_space.add_parameter(parameter.SequenceTagger.HIDDEN_SIZE, low=16, high=64, log=True)
    search_space.add_parameter(parameter.SequenceTagger.USE_CRF, options=[True, False])
    search_space.add_parameter(parameter.TransformerWordEmbeddings.LAYERS, options=["-1", "-1,-2"])
    search_space.add_word_embeddings(
        options=[[WordEmbeddings(str(wnut_vectors))], [TransformerWordEmbeddings(minilm_path, fine_tune=False)]]
    )
    search_strategy.make_configurations(search_space)

    result = orchestrator.Orchestrator(wnut_corpus, tmp_path / "wnut", search_space, search_strategy).optimize()

    rows = leaderboard(tmp_path / "wnut")
    assert len(rows) == 8 and {row["status"] for row in rows} == {"complete"}
    assert int(rows[0]["trial"]) == result.best_trial
    assert result.dev_score == max(float(row["dev micro_f1_score"]) for row in rows)
    tagger = SequenceTagger.load(result.model_path)
    sentence = Sentence("I went to Paris with Barack Obama to see the new iPhone .")
    tagger.predict(sentence)
    assert all(span.get_label("ner").value in tagger.label_dictionary.get_items() for span in sentence.get_spans("ner"))
    assert result.test_score is not None and 0.0 <= result.test_score <= 1.0


def test_dev_loss_is_minimized(trec_corpus, trec_vectors, tmp_path):
    from flair.embeddings import WordEmbeddings

    search_space = steered(
        search_spaces.TextClassifierSearchSpace(),
        (parameter.Budget.RUNS, 3),
        parameter.EvaluationMetric.MACRO_F1_SCORE,
        parameter.OptimizationValue.DEV_LOSS,
        epochs=1,
    )
    search_space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.5, 0.05, 0.0001])
    search_space.add_word_embeddings(
        parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(trec_vectors))]]
    )
    result = orchestrator.Orchestrator(
        trec_corpus, tmp_path / "loss", search_space, search_strategies.GridSearch()
    ).optimize()
    rows = leaderboard(tmp_path / "loss")
    losses = [float(row["dev loss"]) for row in rows]
    assert len(set(losses)) == 3 and losses == sorted(losses)
    assert result.objective == "dev loss" and result.dev_score == pytest.approx(min(losses), abs=1e-4)
    assert int(rows[0]["trial"]) == result.best_trial


def test_a_failing_configuration_is_recorded_and_the_search_goes_on(trec_corpus, minilm_path, tmp_path):
    search_space = steered(
        search_spaces.TextClassifierSearchSpace(),
        (parameter.Budget.RUNS, 10),
        parameter.EvaluationMetric.MICRO_ACCURACY,
        epochs=1,
    )
    search_space.add_parameter(parameter.TransformerDocumentEmbeddings.MODEL, options=[minilm_path])
    search_space.add_parameter(parameter.TransformerDocumentEmbeddings.FINE_TUNE, options=[False])
    # MiniLM has 6 layers: asking for layer 12 fails in training, the configuration's own failure.
    search_space.add_parameter(parameter.TransformerDocumentEmbeddings.LAYERS, options=["12", "-1"])
    result = orchestrator.Orchestrator(
        trec_corpus, tmp_path / "failing", search_space, search_strategies.GridSearch(), pruner="none"
    ).optimize()
    rows = {row["trial"]: row for row in leaderboard(tmp_path / "failing")}
    assert rows["0"]["status"] == "failed" and "IndexError: index 12 is out of bounds" in rows["0"]["error"]
    assert rows["1"]["status"] == "complete" and result.best_trial == 1
    assert result.trials == {"complete": 1, "failed": 1, "pruned": 0}
    assert "trial 0 failed: IndexError" in (tmp_path / "failing" / "flair-hpo.log").read_text()


def test_nan_loss_fails_the_trial():
    import math

    from flair.trainers.plugins.metric_records import MetricRecord

    from flair_hpo.errors import TrialError
    from flair_hpo.training.monitor import TrialMonitor
    from flair_hpo.training.scoring import Objective

    monitor = TrialMonitor(Objective(parameter.EvaluationMetric.MICRO_F1_SCORE, parameter.OptimizationValue.DEV_SCORE))
    with pytest.raises(TrialError, match="training loss became nan in epoch 3"):
        monitor.metric_recorded(MetricRecord.scalar(("train", "loss"), math.nan, 3))


def test_interrupted_search_resumes_without_retraining(trec_corpus, trec_vectors, tmp_path, monkeypatch):
    base_path = tmp_path / "resume"
    original = ProgressDisplay.epoch_ended

    def interrupt(self, event):
        original(self, event)
        if (event.trial, event.epoch) == (2, 1):
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of trial 2

    monkeypatch.setattr(ProgressDisplay, "epoch_ended", interrupt)
    with pytest.raises(KeyboardInterrupt):
        small_trec_search(trec_corpus, base_path, trec_vectors).optimize()
    before = {row["trial"]: row for row in leaderboard(base_path)}
    assert set(before) == {"0", "1"}
    monkeypatch.setattr(ProgressDisplay, "epoch_ended", original)

    result = small_trec_search(trec_corpus, base_path, trec_vectors).optimize()
    after = {row["trial"]: row for row in leaderboard(base_path)}
    assert {k: v for k, v in after.items() if k in before} == before  # finished trials were not retrained
    # Trial 2 was interrupted; trial 3 trained its configuration again.
    assert {k: row["status"] for k, row in after.items()} == {
        "0": "complete",
        "1": "complete",
        "2": "interrupted",
        "3": "complete",
        "4": "complete",
    }
    assert after["2"]["error"] == "interrupted by the user"
    interrupted = open_for_reading(base_path).history.records[2]
    assert {k: after["3"][k] for k in interrupted.labels} == {k: str(v) for k, v in interrupted.labels.items()}
    assert result.trials["complete"] == 4


def test_killed_search_resumes_without_retraining(trec_corpus, trec_vectors, tmp_path):
    base_path = tmp_path / "killed"
    child = subprocess.run(
        child_command("die-at", base_path, trec_vectors, "--trial", 2, "--epoch", 1),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -9, child.stderr[-2000:]
    before = {row["trial"]: row for row in leaderboard(base_path)}
    assert set(before) == {"0", "1"}

    result = small_trec_search(trec_corpus, base_path, trec_vectors).optimize()
    after = {row["trial"]: row for row in leaderboard(base_path)}
    assert {k: v for k, v in after.items() if k in before} == before
    assert after["2"]["status"] == "interrupted" and result.trials["complete"] == 4
    assert [after[k]["ModelTrainer.learning_rate"] for k in "23"] == [after["2"]["ModelTrainer.learning_rate"]] * 2
    assert "trial 2 was interrupted" in (base_path / "flair-hpo.log").read_text()


def test_time_budget_stops_a_trial_at_an_epoch_boundary(trec_corpus, trec_vectors, tmp_path):
    from flair.embeddings import WordEmbeddings

    search_space = steered(
        search_spaces.TextClassifierSearchSpace(), (parameter.Budget.TIME_IN_H, 1.5 / 3600), epochs=50
    )
    search_space.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[16, 32, 64])
    search_space.add_word_embeddings(
        parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(trec_vectors))]]
    )
    base_path = tmp_path / "time"
    runner = orchestrator.Orchestrator(trec_corpus, base_path, search_space, search_strategies.RandomSearch(seed=1))
    result = runner.optimize()
    rows = leaderboard(base_path)
    assert len(rows) == 1 and rows[0]["status"] == "stopped"  # complete, but cut short by the deadline
    assert 1 <= int(rows[0]["epochs"]) < 50
    assert result.best_trial == 0 and (base_path / "best-model.pt").exists()
    # the model a user gets was not trained to the end: the result says so
    assert result.stopped_early == f"stopped by the time budget after {rows[0]['epochs']} of 50 epochs"
    assert "not trained to the end: stopped by the time budget" in str(result)
    runner.optimize()  # resuming: the time is spent, so nothing more is trained
    assert len(leaderboard(base_path)) == 1


def _tree(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() for p in path.rglob("*") if p.is_file()
    }


def test_reopening_with_a_different_search_space_is_refused_and_changes_nothing(
    trec_corpus, trec_vectors, finished_study, tmp_path
):
    base_path = copy_study(finished_study, tmp_path / "study")  # small_trec_search(..., runs=1), finished
    before = _tree(base_path)
    changed = small_trec_search(trec_corpus, base_path, trec_vectors, runs=1)
    changed.search_space.add_parameter(parameter.ModelTrainer.PATIENCE, options=[1, 2])
    with pytest.raises(StudyMismatchError, match=r"ModelTrainer.patience: absent in the study, \[1, 2\] now"):
        changed.optimize()
    assert _tree(base_path) == before


def test_a_study_resumed_with_a_start_added_trains_the_start_next(trec_corpus, trec_vectors, finished_study, tmp_path):
    """Starts say what is trained first, not what is searched: a study is continued with one added."""
    base_path = copy_study(finished_study, tmp_path / "study")  # small_trec_search(..., runs=1), finished
    (first,) = leaderboard(base_path)
    rate = 0.1 if float(first["ModelTrainer.learning_rate"]) == 0.05 else 0.05  # one not trained yet
    start = {parameter.ModelTrainer.LEARNING_RATE: rate, parameter.DocumentRNNEmbeddings.HIDDEN_SIZE: 16}
    resumed = small_trec_search(trec_corpus, base_path, trec_vectors, runs=2)
    resumed.search_space.add_start(start)
    resumed.optimize()
    rows = sorted(leaderboard(base_path), key=lambda row: int(row["trial"]))
    assert [row["status"] for row in rows] == ["complete", "complete"]
    assert float(rows[1]["ModelTrainer.learning_rate"]) == rate
    assert int(rows[1]["DocumentRNNEmbeddings.hidden_size"]) == 16


def test_bad_input_is_refused_before_anything_is_written(trec_corpus, wnut_corpus, trec_vectors, tmp_path):
    from flair.embeddings import WordEmbeddings

    tagger_space = steered(search_spaces.SequenceTaggerSearchSpace(), (parameter.Budget.RUNS, 1), epochs=1)
    tagger_space.add_tag_type("pos")  # WNUT_17 has only ner
    tagger_space.add_word_embeddings(options=[[WordEmbeddings(str(trec_vectors))]])
    with pytest.raises(CorpusError, match="no tag type 'pos' in its train split; it has 'ner'"):
        orchestrator.Orchestrator(wnut_corpus, tmp_path / "a", tagger_space, search_strategies.RandomSearch())
    assert not (tmp_path / "a").exists()

    a_file = tmp_path / "file"
    a_file.write_text("keep me")
    with pytest.raises(InputError, match="is a file"):
        small_trec_search(trec_corpus, a_file, trec_vectors)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "best-model.pt").write_text("someone else's model")
    with pytest.raises(InputError, match="other files in it"):
        small_trec_search(trec_corpus, foreign, trec_vectors).optimize()
    assert a_file.read_text() == "keep me" and _tree(foreign) == {
        "best-model.pt": hashlib.sha256(b"someone else's model").hexdigest()
    }


def test_any_optuna_storage_url_holds_the_study(trec_corpus, trec_vectors, tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    small_trec_search(trec_corpus, tmp_path / "rdb", trec_vectors, runs=1, storage=url).optimize()
    assert not (tmp_path / "rdb" / "study.journal").exists()
    result = small_trec_search(
        trec_corpus, tmp_path / "rdb", trec_vectors, runs=2, storage=url
    ).optimize()  # resumes from the database: one more trial makes two
    assert result.trials["complete"] == 2
    view = open_for_reading(tmp_path / "rdb", storage=url)
    assert [record.status for record in view.history.records] == ["complete", "complete"]


def test_the_best_configuration_file_trains_the_same_model_again(trec_corpus, trec_vectors, tmp_path):
    from flair_hpo.training.scoring import Objective

    result = small_trec_search(trec_corpus, tmp_path / "search", trec_vectors, runs=2).optimize()
    configuration = Configuration.load(result.configuration_path)
    assert configuration.seed is not None
    model = train(configuration, trec_corpus, tmp_path / "again")
    score = Objective.of(configuration).test_score(model, configuration, trec_corpus.dev)
    assert score == pytest.approx(result.dev_score, abs=1e-9)  # the seed reproduces the trial's model
    assert (tmp_path / "again" / "best-model.pt").exists()


def test_a_lost_best_model_is_rebuilt_from_the_epochs_its_trial_trained(trec_corpus, trec_vectors, tmp_path):
    """The only trial is pruned after its first epoch; its weights are lost; the search, resumed, trains that
    configuration again for that one epoch, so the rebuilt model is the trial's, with the recorded score."""
    import optuna
    from flair.models import TextClassifier

    from flair_hpo.training.scoring import Objective

    always = optuna.pruners.ThresholdPruner(lower=1.1)  # no dev score reaches 1.1: pruned after epoch 1
    search = small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=1)
    pruned = orchestrator.Orchestrator(
        trec_corpus, tmp_path, search.search_space, search.search_strategy, pruner=always
    ).optimize()
    assert pruned.trials["pruned"] == 1
    (tmp_path / "best-model.pt").unlink()
    (tmp_path / "best-configuration.yaml").unlink()
    search = small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=1)
    result = orchestrator.Orchestrator(
        trec_corpus, tmp_path, search.search_space, search.search_strategy, pruner=always
    ).optimize()
    assert "training it again from its seed for the 1 epochs it trained" in (tmp_path / "flair-hpo.log").read_text()
    model = TextClassifier.load(tmp_path / "best-model.pt")
    configuration = Configuration.load(tmp_path / "best-configuration.yaml")
    dev = Objective.of(configuration).test_score(model, configuration, trec_corpus.dev)
    assert dev == pytest.approx(result.dev_score, abs=1e-9) == pruned.dev_score


def test_a_best_model_cut_short_is_trained_to_the_end_in_a_last_call(trec_corpus, trec_vectors, tmp_path):
    """Every trial is pruned after its first epoch; the last run trains the best one's configuration again with
    the same seed, to its last epoch and without the pruner, and the search returns that model."""
    import optuna
    from flair.models import TextClassifier
    from optuna.trial import TrialState

    from flair_hpo.results.best import model_trial
    from flair_hpo.training.scoring import Objective

    always = optuna.pruners.ThresholdPruner(lower=1.1)  # no dev score reaches 1.1: pruned after epoch 1
    search = small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=3)
    result = orchestrator.Orchestrator(
        trec_corpus, tmp_path, search.search_space, search.search_strategy, pruner=always
    ).optimize()
    trials = open_for_reading(tmp_path).study.get_trials()
    assert [t.state for t in trials] == [TrialState.PRUNED, TrialState.PRUNED, TrialState.COMPLETE]
    redone = max(trials[:2], key=lambda t: (t.user_attrs["value"], -t.number))
    last = trials[2]
    assert last.user_attrs["last_call"] and last.user_attrs["epochs"] == 2 and len(last.intermediate_values) == 2
    assert last.params == redone.params and last.user_attrs["seed"] == redone.user_attrs["seed"]
    assert last.intermediate_values[1] == pytest.approx(redone.user_attrs["value"], abs=1e-6)  # the same seed
    assert result.best_trial == 2 and result.stopped_early is None and result.dev_score == last.value
    assert model_trial(tmp_path / "best-model.pt") == 2
    configuration = Configuration.load(result.configuration_path)
    model = TextClassifier.load(tmp_path / "best-model.pt")
    assert Objective.of(configuration).test_score(model, configuration, trec_corpus.dev) == pytest.approx(
        result.dev_score, abs=1e-9
    )
    log_text = (tmp_path / "flair-hpo.log").read_text()
    assert f"last call: the best model, trial {redone.number}'s, was pruned after epoch 1" in log_text
    assert "training it again" not in log_text  # the last call's model was kept as the best one


def test_the_same_configuration_trains_to_the_same_score_in_two_studies(trec_corpus, trec_vectors, tmp_path):
    """The training seed comes from the configuration alone, not from the strategy's seed."""
    first = small_trec_search(trec_corpus, tmp_path / "a", trec_vectors, runs=4).optimize()
    search = small_trec_search(trec_corpus, tmp_path / "b", trec_vectors, runs=4)
    other_seed = search_strategies.RandomSearch(seed=99)
    other_seed.make_configurations(search.search_space)
    second = orchestrator.Orchestrator(
        trec_corpus,
        tmp_path / "b",
        search.search_space,
        other_seed,
        pruner="none",  # as in small_trec_search
    ).optimize()
    scores = [
        {json.dumps(r.labels, sort_keys=True): r.value for r in open_for_reading(path).history.records}
        for path in (tmp_path / "a", tmp_path / "b")
    ]
    assert set(scores[0]) == set(scores[1]) and len(scores[0]) == 4  # the whole space, in another order
    assert scores[0] == scores[1]
    assert first.dev_score == second.dev_score


def test_reseeding_trains_the_finalists_again_and_the_best_mean_wins(trec_corpus, trec_vectors, tmp_path):
    import yaml
    from flair.models import TextClassifier

    from flair_hpo.space import configuration_seed
    from flair_hpo.strategies import Reseeding
    from flair_hpo.training.scoring import Objective

    search = small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=6)
    result = orchestrator.Orchestrator(
        trec_corpus, tmp_path, search.search_space, search.search_strategy, reseeding=Reseeding(finalists=2, seeds=2)
    ).optimize()
    view = open_for_reading(tmp_path)
    records = view.history.records
    assert len(records) == 6 and [r.replicate for r in records].count(1) == 2  # 4 configurations, 2 trained again
    finalists = [c for c in view.history.configurations() if c.seeds == 2]
    assert len(finalists) == 2
    for finalist in finalists:  # trained again with another seed
        assert sorted(r.user_attrs["seed"] for r in finalist.records) == sorted(
            configuration_seed(finalist.labels, replicate) for replicate in (0, 1)
        )
    winner = max(finalists, key=lambda c: c.value)
    assert result.seeds == 2 and result.dev_score == pytest.approx(winner.value)
    assert result.best_trial == winner.best.number  # the winner's better seed is the model shipped
    saved = yaml.safe_load((tmp_path / "best-configuration.yaml").read_text())
    assert saved["result"]["seeds"] == 2 and saved["result"]["trials of the seeds"] == [
        r.number for r in winner.records
    ]
    configuration = Configuration.load(tmp_path / "best-configuration.yaml")
    model = TextClassifier.load(tmp_path / "best-model.pt")
    dev = Objective.of(configuration).test_score(model, configuration, trec_corpus.dev)
    assert dev == pytest.approx(winner.best.value, abs=1e-9)
    with open(tmp_path / "leaderboard.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["rank"] == "1" and rows[0]["seeds"] == "2"
    assert float(rows[0]["mean"]) == pytest.approx(winner.value, abs=1e-4)


def test_any_optuna_sampler_can_be_the_strategy(trec_corpus, trec_vectors, tmp_path):
    """An Optuna sampler samples the space value by value; a configuration it chooses again is trained with its
    next seed, never twice with the same one."""
    import optuna

    search = small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=3)
    sampler = optuna.samplers.RandomSampler(seed=1)
    result = orchestrator.Orchestrator(trec_corpus, tmp_path, search.search_space, sampler, pruner="none").optimize()
    view = open_for_reading(tmp_path)
    trained = [r for r in view.history.records if r.status == "complete"]
    assert result.trials["complete"] == 3 == len(trained) == len({r.key for r in trained})
    assert view.strategy == {"strategy": "optuna", "sampler": "optuna.samplers._random.RandomSampler"}
    assert all(r.status in ("complete", "skipped") for r in view.history.records)


def test_an_optuna_sampler_gets_reseeding(trec_corpus, trec_vectors, tmp_path):
    """The search's policies work around any sampler: a plain TPESampler's finalist is trained again with a
    further seed, and the best mean wins."""
    import optuna

    from flair_hpo.policies import Reseeding

    space = small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=5).search_space
    result = orchestrator.Orchestrator(
        trec_corpus,
        tmp_path,
        space,
        optuna.samplers.TPESampler(seed=2),
        reseeding=Reseeding(finalists=1, seeds=2),
    ).optimize()
    history = open_for_reading(tmp_path).history
    winner = Reseeding(finalists=1, seeds=2).winner(history)
    assert sorted(r.replicate for r in winner.records) == [0, 1]  # trained again with a further seed
    assert result.seeds == 2 and result.best_trial in [r.number for r in winner.records]


def test_the_study_history_is_read_twice_per_trial(trec_corpus, trec_vectors, tmp_path, monkeypatch):
    """Once by the search loop (budget, progress, leaderboard and the strategy's proposal all use that read),
    once by the strategy to confirm that no other worker claimed the same configuration meanwhile."""
    from flair_hpo.records import History

    reads = []
    original = History.of.__func__

    def counted(cls, study):
        reads.append(1)
        return original(cls, study)

    monkeypatch.setattr(History, "of", classmethod(counted))
    runs = 4
    small_trec_search(trec_corpus, tmp_path, trec_vectors, runs=runs).optimize()
    # Besides: the loop's last read (the budget is spent) and the winner's, when the search ends.
    assert len(reads) <= 2 * runs + 2


def test_a_best_model_that_did_not_train_to_the_end_is_named_so():
    from flair_hpo.orchestration.finishing import stopped_early
    from flair_hpo.records import TrialRecord, TrialStatus

    def record(status: TrialStatus, **notes) -> TrialRecord:
        return TrialRecord(0, status, {}, 0.5, {"epochs": 2, **notes}, None, None)

    assert stopped_early(record(TrialStatus.PRUNED), 5) == "pruned after 2 of 5 epochs"
    cut = record(TrialStatus.COMPLETE, stopped_by_time_budget=True)
    assert stopped_early(cut, 5) == "stopped by the time budget after 2 of 5 epochs"
    assert stopped_early(record(TrialStatus.COMPLETE), 5) is None  # annealing ended it: its own end
    assert stopped_early(record(TrialStatus.COMPLETE, epochs=5), 5) is None
