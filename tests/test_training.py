"""Training a trial: annealing follows the objective, restarts go back to the best epoch, and an Optuna user
can train flair-hpo trials in a study of their own."""

from __future__ import annotations

from types import SimpleNamespace

import optuna
import pytest
import torch

import flair_hpo.parameters as parameter
from flair_hpo.training import Objective, TrialMonitor
from flair_hpo.training.annealing import ObjectiveAnnealing


def annealing(objective: Objective, values: list[float], restarts: bool = False, patience: int = 1):
    """Step an ObjectiveAnnealing through ``values`` (one per epoch); the learning rates after each epoch."""
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    monitor = TrialMonitor(objective)
    plugin = ObjectiveAnnealing(monitor, anneal_factor=0.5, patience=patience, anneal_with_restarts=restarts)
    trainer = SimpleNamespace(optimizer=optimizer, model=model, append_plugin=lambda _: None)
    plugin.attach_to(SimpleNamespace(**vars(trainer), register_hook=lambda *_: None))
    plugin.after_setup()
    rates = []
    for epoch, value in enumerate(values, start=1):
        monitor.history.append(value)
        monitor.last_loss = value if objective.minimize else 1.0
        if objective.is_better(value, monitor.best_value):
            monitor.best_value = value
            monitor.best_state = {k: v.clone() for k, v in model.state_dict().items()}
        plugin.after_evaluation(epoch=epoch)
        rates.append(optimizer.param_groups[0]["lr"])
        with torch.no_grad():
            model.weight.add_(1.0)  # the weights move on every epoch
    return rates, model, monitor


def test_annealing_on_the_dev_loss_lowers_the_rate_when_the_loss_stops_falling():
    loss = Objective(parameter.EvaluationMetric.MICRO_F1_SCORE, parameter.OptimizationValue.DEV_LOSS)
    rates, _, _ = annealing(loss, [1.0, 0.8, 0.9, 0.95, 0.7])
    assert rates == [0.1, 0.1, 0.1, 0.05, 0.05]  # two epochs above 0.8 (patience 1): halved once
    # Flair would have followed micro-F1 here; a falling loss never anneals:
    assert annealing(loss, [1.0, 0.9, 0.8, 0.7])[0] == [0.1] * 4


def test_annealing_on_an_accuracy_follows_the_accuracy():
    accuracy = Objective(parameter.EvaluationMetric.MICRO_ACCURACY, parameter.OptimizationValue.DEV_SCORE)
    assert annealing(accuracy, [0.5, 0.6, 0.6, 0.55])[0] == [0.1, 0.1, 0.1, 0.05]


def test_annealing_with_restarts_goes_back_to_the_best_epoch():
    accuracy = Objective(parameter.EvaluationMetric.MICRO_ACCURACY, parameter.OptimizationValue.DEV_SCORE)
    rates, model, monitor = annealing(accuracy, [0.5, 0.7, 0.6, 0.6], restarts=True)
    assert rates[-1] == 0.05
    # Restored to epoch 2's weights after epoch 4, then moved once more by the loop above.
    assert torch.allclose(model.weight, monitor.best_state["weight"] + 1.0)


def test_too_small_a_learning_rate_ends_training():
    from flair.trainers.plugins.base import TrainingInterrupt

    accuracy = Objective(parameter.EvaluationMetric.MICRO_ACCURACY, parameter.OptimizationValue.DEV_SCORE)
    with pytest.raises(TrainingInterrupt, match="learning rate too small"):
        annealing(accuracy, [0.5] + [0.4] * 40, patience=0)


def pool_space(vectors, epochs: int = 4):
    from flair.embeddings import WordEmbeddings

    from flair_hpo import search_spaces

    space = search_spaces.TextClassifierSearchSpace()
    space.add_budget(parameter.Budget.RUNS, 3)
    space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_ACCURACY)
    space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    space.add_max_epochs_per_training_run(epochs)
    space.add_word_embeddings(
        parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(vectors))]]
    )
    return space


@pytest.mark.integration
def test_a_trial_anneals_with_restarts_on_its_objective(trec_corpus, trec_vectors, tmp_path):
    from flair_hpo.space import Configuration
    from flair_hpo.training import train_configuration

    space = pool_space(trec_vectors, epochs=6)
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[2.0])
    space.add_parameter(parameter.ModelTrainer.PATIENCE, options=[0])
    space.add_parameter(parameter.ModelTrainer.ANNEAL_WITH_RESTARTS, options=[True])
    labels = next(space.grid())
    configuration = Configuration.from_labels(space, labels, "question_class", seed=1)
    outcome = train_configuration(configuration, trec_corpus, tmp_path)
    log_text = (tmp_path / "training.log").read_text()
    annealed = log_text.count("dev micro_accuracy did not improve: annealing the learning rate")
    assert annealed >= 1, outcome.history  # a high rate: some epoch does not improve the accuracy
    assert log_text.count("resetting to the best epoch's weights") == annealed  # each time, back to the best
    rates = [float(line.split("\t")[2]) for line in (tmp_path / "loss.tsv").read_text().splitlines()[1:]]
    assert rates[0] == 2.0 and min(rates) < 2.0


@pytest.mark.integration
def test_an_optuna_study_trains_flair_hpo_trials_with_its_own_sampler_and_pruner(trec_corpus, trec_vectors, tmp_path):
    from flair_hpo.training import TrialObjective
    from flair_hpo.training.embedding_store import cache_directory

    space = pool_space(trec_vectors)
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, low=0.01, high=0.5, log=True)
    study = optuna.create_study(
        direction=space.direction,
        sampler=optuna.samplers.TPESampler(seed=1, n_startup_trials=2),
        pruner=optuna.pruners.ThresholdPruner(lower=0.5),  # a trial below 0.5 after an epoch is stopped
    )
    study.optimize(TrialObjective(trec_corpus, space, tmp_path), n_trials=4)
    assert len(study.trials) == 4 and all(t.state.is_finished() for t in study.trials)
    for trial in study.trials:
        assert trial.intermediate_values  # every epoch reported
        if trial.state == optuna.trial.TrialState.PRUNED:
            assert min(trial.intermediate_values.values()) < 0.5
        else:
            assert len(trial.intermediate_values) == 4 and trial.value == max(trial.intermediate_values.values())
    assert (tmp_path / "trial-0000" / "training.log").exists()
    assert list(cache_directory().glob("*.index"))  # the frozen vectors, in the machine's cache
