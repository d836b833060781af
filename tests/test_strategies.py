"""Strategies against cheap synthetic objectives (no training): coverage, duplicates, evolution."""

from __future__ import annotations

import math
import statistics
import threading

import optuna
import pytest

import flair_hpo.parameters as parameter
from flair_hpo.errors import StrategyError
from flair_hpo.optuna_internals import storage_of, trial_id
from flair_hpo.records import History
from flair_hpo.search import Driver, Loop, runs_allowed
from flair_hpo.search_spaces import TextClassifierSearchSpace, configuration_key
from flair_hpo.strategies import EvolutionarySearch, GridSearch, RandomSearch

from .helpers import OTHER_WORDS, WORDS, conditional_space, steered

optuna.logging.set_verbosity(optuna.logging.WARNING)


def run(strategy, space, objective, trials, storage=None):
    """A search of at most ``trials`` trials by the search loop, each scored by ``objective`` in place of training."""
    space.add_budget(parameter.Budget.RUNS, trials)
    strategy.make_configurations(space)
    study = optuna.create_study(direction=space.direction, sampler=strategy, storage=storage)
    Loop(Driver(space, strategy), study, lambda opened: study.tell(opened.trial, objective(opened.record.labels))).run()
    return study


def keys(study):
    return [configuration_key(t.params) for t in study.get_trials() if t.state.is_finished() and t.params]


def constant(_labels):
    return 0.0


def test_grid_trains_every_point_of_a_conditional_grid_once():
    space = conditional_space()
    study = run(GridSearch(), space, constant, trials=100)
    assert sorted(keys(study)) == sorted(configuration_key(c) for c in space.grid())
    assert len(study.trials) == 27


def test_grid_refuses_ranges_and_generations():
    space = conditional_space()
    space.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, low=8, high=64)
    with pytest.raises(StrategyError, match=r"ModelTrainer\.mini_batch_size is a range"):
        GridSearch().make_configurations(space)
    generations = steered(TextClassifierSearchSpace(), (parameter.Budget.GENERATIONS, 2))
    generations.add_word_embeddings(parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[WORDS])
    for strategy in (GridSearch(), RandomSearch()):
        with pytest.raises(StrategyError, match="GENERATIONS budget needs EvolutionarySearch"):
            strategy.make_configurations(generations)


def test_random_search_never_repeats_and_stops_when_the_space_is_exhausted():
    space = conditional_space()
    study = run(RandomSearch(seed=3), space, constant, trials=100)
    assert len(keys(study)) == 27 == len(set(keys(study)))
    assert len(study.trials) == 27  # it stopped by itself, without an extra trial


def test_seeded_random_search_is_reproducible():
    first = keys(run(RandomSearch(seed=7), conditional_space(), constant, trials=10))
    second = keys(run(RandomSearch(seed=7), conditional_space(), constant, trials=10))
    other = keys(run(RandomSearch(seed=8), conditional_space(), constant, trials=10))
    assert first == second != other


def rich_space():
    """A space with options, ranges, two word-embedding options and two document-embedding classes."""
    space = steered(TextClassifierSearchSpace())
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, low=1e-4, high=1.0, log=True)
    space.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, options=[8, 16, 32, 64])
    space.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, low=16, high=512)
    space.add_parameter(parameter.DocumentRNNEmbeddings.DROPOUT, low=0.0, high=0.5)
    space.add_word_embeddings(parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[WORDS, OTHER_WORDS])
    space.add_parameter(parameter.DocumentPoolEmbeddings.POOLING, options=["mean", "min", "max"])
    space.add_word_embeddings(parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[WORDS, OTHER_WORDS])
    return space


def synthetic_score(labels):
    """Best at lr 0.05, batch 16, hidden 256, dropout 0.2, DocumentRNNEmbeddings over the second vectors."""
    score = -abs(math.log10(labels["ModelTrainer.learning_rate"] / 0.05))
    score -= abs(math.log2(labels["ModelTrainer.mini_batch_size"] / 16)) / 2
    if labels["document_embeddings"] == "DocumentRNNEmbeddings":
        score += 1.0 - abs(math.log2(labels["DocumentRNNEmbeddings.hidden_size"] / 256)) / 4
        score -= abs(labels["DocumentRNNEmbeddings.dropout"] - 0.2)
        score += 0.5 if labels["DocumentRNNEmbeddings.embeddings"] == "WordEmbeddings(en)" else 0.0
    return score


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_evolution_improves_on_its_first_generation(seed):
    population = 8
    study = run(EvolutionarySearch(population_size=population, seed=seed), rich_space(), synthetic_score, 48)
    values = [t.value for t in study.trials]
    generations = [values[i : i + population] for i in range(0, len(values), population)]
    assert statistics.mean(generations[-1]) > statistics.mean(generations[0])
    assert max(values) > max(generations[0])
    assert len(set(keys(study))) == len(keys(study)) == 48


def test_evolution_never_trains_a_configuration_twice_in_a_small_space():
    space = conditional_space()  # 27 configurations
    study = run(EvolutionarySearch(population_size=4, mutation_rate=0.1, seed=1), space, constant, trials=100)
    assert len(keys(study)) == 27 == len(set(keys(study)))


def test_generations_budget_counts_generations_of_population_size():
    space = steered(TextClassifierSearchSpace(), (parameter.Budget.GENERATIONS, 3))
    space.add_word_embeddings(parameter.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[WORDS])
    strategy = EvolutionarySearch(population_size=5)
    strategy.make_configurations(space)
    assert runs_allowed(space, strategy) == 15


def _seeded_history(space, labels, values):
    """A study whose finished trials have the given configurations and values."""
    study = optuna.create_study(direction="maximize")
    for config, value in zip(labels, values, strict=True):
        distributions = {d.name: d.distribution() for d in space.dimensions if d.name in config}
        study.add_trial(optuna.trial.create_trial(params=config, distributions=distributions, value=value))
    return History.of(study)


def test_mutation_reaches_every_parameter_including_embeddings_and_the_document_class():
    import random

    space = rich_space()
    strategy = EvolutionarySearch(population_size=4, mutation_rate=0.3, cross_rate=0.0, seed=1)
    strategy.make_configurations(space)
    rng = random.Random(0)
    parent = {
        "document_embeddings": "DocumentRNNEmbeddings",
        "ModelTrainer.learning_rate": 0.01,
        "ModelTrainer.mini_batch_size": 16,
        "DocumentRNNEmbeddings.hidden_size": 128,
        "DocumentRNNEmbeddings.dropout": 0.1,
        "DocumentRNNEmbeddings.embeddings": "WordEmbeddings(glove)",
    }
    pool = [dict(parent, **{"ModelTrainer.mini_batch_size": size}) for size in (8, 16, 32, 64)]
    history = _seeded_history(space, pool, [1.0, 0.9, 0.8, 0.7])
    changed = set()
    for _ in range(200):
        child = strategy.propose(history, rng)
        changed |= {name for name, value in child.items() if parent.get(name) != value}
        assert configuration_key(child) not in history.taken()
    assert {
        "document_embeddings",
        "ModelTrainer.learning_rate",
        "DocumentRNNEmbeddings.hidden_size",
        "DocumentRNNEmbeddings.dropout",
        "DocumentRNNEmbeddings.embeddings",
        "DocumentPoolEmbeddings.pooling",
        "DocumentPoolEmbeddings.embeddings",
    } <= changed


def test_crossover_mixes_both_parents_and_selection_prefers_the_best():
    import random

    space = rich_space()
    strategy = EvolutionarySearch(population_size=2, mutation_rate=0.0, cross_rate=1.0, seed=1)
    strategy.make_configurations(space)
    first = {
        "document_embeddings": "DocumentRNNEmbeddings",
        "ModelTrainer.learning_rate": 0.01,
        "ModelTrainer.mini_batch_size": 8,
        "DocumentRNNEmbeddings.hidden_size": 32,
        "DocumentRNNEmbeddings.dropout": 0.1,
        "DocumentRNNEmbeddings.embeddings": "WordEmbeddings(glove)",
    }
    second = {
        "document_embeddings": "DocumentRNNEmbeddings",
        "ModelTrainer.learning_rate": 0.5,
        "ModelTrainer.mini_batch_size": 64,
        "DocumentRNNEmbeddings.hidden_size": 500,
        "DocumentRNNEmbeddings.dropout": 0.4,
        "DocumentRNNEmbeddings.embeddings": "WordEmbeddings(en)",
    }
    worst = dict(first, **{"ModelTrainer.learning_rate": 0.0002})
    history = _seeded_history(space, [first, second, worst], [1.0, 0.9, 0.1])
    rng = random.Random(0)
    children = [strategy.propose(history, rng) for _ in range(100)]
    for name in first:
        if name != "document_embeddings":
            seen = {child[name] for child in children}
            assert {first[name], second[name]} <= seen, name
    # The pool is the best population_size trials: the worst trial's learning rate is never inherited.
    assert all(child["ModelTrainer.learning_rate"] != 0.0002 for child in children)


@pytest.mark.parametrize("strategy", [RandomSearch, EvolutionarySearch], ids=["random", "evolutionary"])
def test_concurrent_workers_never_claim_the_same_configuration(tmp_path, strategy):
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    space = conditional_space()  # 27 configurations, 4 workers racing for them
    space.add_budget(parameter.Budget.RUNS, 100)
    made = strategy(seed=None) if strategy is RandomSearch else strategy(population_size=4)
    made.make_configurations(space)
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "journal")))
    optuna.create_study(study_name="race", storage=storage, direction="maximize")

    def worker():
        study = optuna.load_study(study_name="race", storage=storage, sampler=made)
        Loop(Driver(space, made), study, lambda opened: study.tell(opened.trial, 0.0)).run()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    study = optuna.load_study(study_name="race", storage=storage)
    finished = keys(study)
    assert len(finished) == 27 == len(set(finished))


def test_an_interrupted_grid_point_is_retrained_before_the_next_new_point():
    from flair_hpo.records import queue_notes
    from flair_hpo.records.keys import SUPERSEDED

    space = conditional_space()
    strategy = GridSearch()
    strategy.make_configurations(space)
    study = optuna.create_study(direction="maximize", sampler=strategy)
    driver = Driver(space, strategy)
    first = driver.open(study, driver.next(History.of(study)))
    # What TrialStore.requeue does when a worker died: fail the trial as superseded, queue its configuration.
    storage_of(study).set_trial_system_attr(trial_id(first.trial), SUPERSEDED, True)
    study.tell(first.trial, state=optuna.trial.TrialState.FAIL)
    study.enqueue_trial(first.record.labels, user_attrs=queue_notes())
    retry = driver.open(study, driver.next(History.of(study)))
    assert retry.record.labels == first.record.labels == next(iter(space.grid()))
    study.tell(retry.trial, 1.0)
    following = driver.open(study, driver.next(History.of(study)))
    assert following.record.labels == list(space.grid())[1]
