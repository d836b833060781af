"""One conformance suite, run over every strategy of flair-hpo and one plain Optuna sampler (TPE): what the
search asks of a strategy, and the policies that work around any of them (starts, reseeding, the last call).

The search's own loop and driver run (:mod:`flair_hpo.search`); only the training is replaced by a
synthetic score, so that the suite is fast. The real thing, a TPE sampler followed by reseeding with real
Flair training, is ``test_optimize.py::test_an_optuna_sampler_gets_reseeding``.
"""

from __future__ import annotations

import hashlib

import optuna
import pytest

from flair_hpo.policies import Policies, Reseeding
from flair_hpo.records import History, TrialRecord, TrialStatus, keys
from flair_hpo.search import Action, BudgetState, Driver, Loop
from flair_hpo.space import SearchSpace
from flair_hpo.strategies import (
    BayesianSearch,
    EvolutionarySearch,
    GridSearch,
    RandomSearch,
    as_strategy,
    strategy_from_settings,
    strategy_settings,
)

from .helpers import conditional_space

optuna.logging.set_verbosity(optuna.logging.WARNING)

STRATEGIES = {
    "grid": GridSearch,
    "random": lambda: RandomSearch(seed=3),
    "evolutionary": lambda: EvolutionarySearch(population_size=4, seed=3),
    "bayesian": lambda: BayesianSearch(seed=3),
    "optuna-tpe": lambda: optuna.samplers.TPESampler(seed=3),
}
every_strategy = pytest.mark.parametrize("make", list(STRATEGIES.values()), ids=list(STRATEGIES))


def score(record: TrialRecord) -> float:
    """A fixed, made-up quality of a configuration, shifted a little by the seed."""
    quality = int(hashlib.sha256(record.labels.__repr__().encode()).hexdigest()[:6], 16) / 0xFFFFFF
    return quality + 0.01 * record.replicate


def search(make, policies: Policies, runs: int, space: SearchSpace | None = None, prune: bool = False) -> History:
    """A search of ``runs`` trials by the search loop, each scored by :func:`score`; with ``prune``, every trial
    is pruned after its first epoch but a last call (which the search trains without the pruner)."""
    space = space or conditional_space()
    space.add_budget(space.budget[0], runs)
    strategy = as_strategy(make())
    strategy.make_configurations(space)
    study = optuna.create_study(direction="maximize", sampler=strategy)

    def train(opened) -> None:
        record = opened.record
        if prune and not record.last_call:
            opened.trial.set_user_attr(keys.VALUE, score(record))
            opened.trial.set_user_attr(keys.EPOCHS, 1)
            study.tell(opened.trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(opened.trial, score(record))

    Loop(Driver(space, strategy, policies), study, train).run()
    return History.of(study)


@every_strategy
def test_a_strategy_proposes_configurations_of_the_space_none_twice_with_one_seed(make):
    history = search(make, Policies(), runs=12)
    complete = [r for r in history.records if r.status is TrialStatus.COMPLETE]
    grid = {str(sorted(c.items())) for c in conditional_space().grid()}
    assert len(complete) == 12
    assert all(str(sorted(r.labels.items())) in grid for r in complete)  # valid points, inactive ones left out
    assert len({r.key for r in complete}) == 12


@every_strategy
def test_a_strategy_is_followed_by_reseeding(make):
    """At the end of the budget the finalists are trained again with further seeds; the winner has them all."""
    reseeding = Reseeding(finalists=2, seeds=3)
    history = search(make, Policies(reseeding=reseeding), runs=12)
    winner = reseeding.winner(history)
    assert winner is not None and winner.seeds == 3
    assert sorted(r.replicate for r in winner.records) == [0, 1, 2]
    finalists = reseeding.ranked(history)[:2]
    assert [c.seeds for c in finalists] == [3, 3]


@every_strategy
def test_the_same_seed_makes_the_same_search(make):
    first, second = (search(make, Policies(), runs=8) for _ in range(2))
    assert [r.key for r in first.records] == [r.key for r in second.records]


@every_strategy
def test_a_strategy_is_rebuilt_from_what_a_study_stores(make):
    strategy = as_strategy(make())
    sampler = getattr(strategy, "sampler", None)  # an Optuna sampler's own object must be given again
    rebuilt = strategy_from_settings(strategy_settings(strategy), sampler)
    assert strategy_settings(rebuilt) == strategy_settings(strategy)


@every_strategy
def test_a_strategy_trains_the_starts_first(make):
    """Known-good configurations (search_space.add_start) are the first trials, whatever the strategy; the
    strategy never proposes them again."""
    space = conditional_space()
    space.add_start(
        {
            "document_embeddings": "DocumentPoolEmbeddings",
            "ModelTrainer.learning_rate": 0.01,
            "DocumentPoolEmbeddings.pooling": "max",
        }
    )
    space.add_start(
        {
            "document_embeddings": "TransformerDocumentEmbeddings",
            "ModelTrainer.learning_rate": 0.1,
            "TransformerDocumentEmbeddings.model": "roberta-base",
        }
    )
    history = search(make, Policies(starts=tuple(space.starts)), runs=10, space=space)
    first = history.records[:2]
    assert [r.labels for r in first] == space.starts
    keys_of = [r.key for r in history.records if r.status is TrialStatus.COMPLETE]
    assert len(keys_of) == len(set(keys_of)) == 10


@every_strategy
@pytest.mark.parametrize("reseeding", [Reseeding(finalists=0), Reseeding(finalists=2, seeds=2)], ids=["", "reseed"])
def test_a_strategy_is_followed_by_the_last_call(make, reseeding):
    """When the model the search would return is from a pruned trial, the last run trains its configuration
    again with the same seed, to the end (the pruner off), once; that training's model is the one returned."""
    policies = Policies(reseeding=reseeding)
    history = search(make, policies, runs=8, prune=True)
    *before, last = [r for r in history.records if r.status is not TrialStatus.SKIPPED]
    assert len(before) == 7 and all(r.status is TrialStatus.PRUNED for r in before)
    assert last.last_call and last.status is TrialStatus.COMPLETE
    redone = next(r for r in before if r.labels == last.labels and r.replicate == last.replicate)
    earlier = History(before, minimize=False)
    assert reseeding.winner(earlier).best.number == redone.number  # the model the search would have returned
    winner = reseeding.winner(history)
    assert winner.best.number == last.number and redone.number not in [r.number for r in winner.records]
    assert policies.cut_short(history) is None  # once: no further last call

    without = search(make, Policies(reseeding=reseeding, last_call=False), runs=8, prune=True)
    assert not any(r.last_call for r in without.records) and reseeding.winner(without).best.cut_short


def test_a_time_budget_keeps_back_a_training_to_the_end_for_the_last_call():
    """Before a trial starts, a time budget makes the last call once what a typical trial would leave is less
    than a training to the last epoch takes (medians of the trials so far); a best trial that the deadline
    stopped is cut short too."""
    from flair_hpo.space import parameter_enums as p

    space = conditional_space()
    space.add_budget(p.Budget.TIME_IN_H, 1)
    strategy = RandomSearch(seed=1)
    strategy.make_configurations(space)
    now = [0.0]
    budget = BudgetState(p.Budget.TIME_IN_H, None, deadline=100.0, clock=lambda: now[0])

    def trial(number: int, status: TrialStatus, value: float, seconds: float, **notes) -> TrialRecord:
        labels = {"document_embeddings": "DocumentPoolEmbeddings", "ModelTrainer.learning_rate": 0.1 * (number + 1)}
        return TrialRecord(number, status, labels, value, {keys.DURATION: seconds, **notes}, None, None)

    def action(history: History, policies: Policies | None = None) -> Action:
        return Driver(space, strategy, policies, budget).next(history).action

    full, cut = trial(0, TrialStatus.COMPLETE, 0.5, 30.0), trial(1, TrialStatus.PRUNED, 0.9, 10.0, epochs=1)
    history = History([full, cut, trial(2, TrialStatus.PRUNED, 0.4, 10.0)], minimize=False)
    now[0] = 55.0  # 45 s left: a typical trial (10 s) still leaves a training to the end (30 s)
    assert action(history) is Action.PROPOSAL
    now[0] = 61.0  # 39 s left
    step = Driver(space, strategy, Policies(), budget).next(history)
    assert (step.action, step.labels, step.replicate) == (Action.LAST_CALL, cut.labels, 0)
    assert action(history, Policies(last_call=False)) is Action.PROPOSAL

    stopped = trial(1, TrialStatus.COMPLETE, 0.9, 10.0, epochs=1, **{keys.STOPPED_BY_TIME_BUDGET: True})
    assert action(History([full, stopped], minimize=False)) is Action.LAST_CALL

    # A best configuration slower than the others (20 s for 1 of 3 epochs) keeps back its own pace: 60 s.
    slow = trial(1, TrialStatus.PRUNED, 0.9, 20.0, epochs=1)
    history = History([full, slow, trial(2, TrialStatus.PRUNED, 0.4, 10.0)], minimize=False)
    now[0] = 25.0  # 75 s left: a typical trial (20 s) leaves 55 s, more than the median (30 s), less than 60 s
    assert action(history) is Action.LAST_CALL
    now[0] = 5.0  # 95 s left
    assert action(history) is Action.PROPOSAL


def test_the_driver_waits_while_other_trials_run_and_says_why_it_stops():
    """Nothing left to train: the driver waits while another worker's trial runs (it may die and come back),
    then stops, saying why; a spent budget stops it before anything else."""
    space = conditional_space()
    space.add_budget(space.budget[0], 100)
    strategy = GridSearch()
    strategy.make_configurations(space)
    done = [TrialRecord(n, TrialStatus.COMPLETE, labels, 0.5, {}, None, None) for n, labels in enumerate(space.grid())]
    running = TrialRecord(len(done), TrialStatus.RUNNING, done[-1].labels, None, {keys.REPLICATE: 1}, None, None)
    driver = Driver(space, strategy)
    step = driver.next(History([*done, running], minimize=False))
    assert (step.action, step.why) == (Action.WAIT, "every configuration of the search space has been tried")
    step = driver.next(History(done, minimize=False))
    assert (step.action, step.why) == (Action.STOP, "every configuration of the search space has been tried")
    space.add_budget(space.budget[0], 3)
    step = Driver(space, strategy).next(History(done[:3], minimize=False))
    assert (step.action, step.why) == (Action.STOP, "the budget is spent")


def test_a_proposal_is_queued_once_and_the_strategy_is_never_asked_for_a_value():
    """The driver queues each proposal (Optuna's fixed parameters) and Optuna hands it out: the study's sampler
    is never asked for a value, and no other copy of the configuration is written."""
    history = search(STRATEGIES["bayesian"], Policies(), runs=6)
    assert [r.status for r in history.records] == [TrialStatus.COMPLETE] * 6
    study = optuna.create_study()
    space = conditional_space()
    strategy = BayesianSearch(seed=1)
    strategy.make_configurations(space)
    driver = Driver(space, strategy)
    opened = driver.open(study, driver.next(History.of(study)))
    frozen = study.get_trials()[0]
    assert frozen.system_attrs == {"fixed_params": opened.record.labels} and frozen.params == opened.record.labels
