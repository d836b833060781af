"""Optuna's TPE with one of its pruners, in the loop a user writes: ask, train reporting each epoch, prune.

The sampler and pruners are Optuna's own, with their shipped settings (``TPESampler(seed=...)``,
``SuccessiveHalvingPruner()``, ``HyperbandPruner()``, ``MedianPruner()``); the loop returns
``study.best_trial`` (the best completed trial: a pruned one never counts), as such a loop does. A trial
under way when the budget runs out ends there and counts with its best epoch so far, as flair-hpo's does.
"""

from __future__ import annotations

from collections.abc import Callable

import optuna
from quality_replay import Replayed, Table

from flair_hpo.space import SearchSpace

from .bench import Bench, Training

optuna.logging.set_verbosity(optuna.logging.WARNING)

#: The pruners, by the name the peer gets.
PRUNERS: dict[str, Callable[[], optuna.pruners.BasePruner]] = {
    "optuna-tpe+halving": optuna.pruners.SuccessiveHalvingPruner,
    "optuna-tpe+hyperband": optuna.pruners.HyperbandPruner,
    "optuna-tpe+median": optuna.pruners.MedianPruner,
}


def search(name: str, table: Table, space: SearchSpace, budget: float, seed: int) -> Replayed:
    """One search of peer ``name`` (a key of :data:`PRUNERS`)."""
    bench = Bench(table, budget, seed)
    # Named: HyperbandPruner assigns a trial's bracket from a hash of the study's name and the trial's number.
    study = optuna.create_study(
        study_name=f"{name}-{seed}",
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=PRUNERS[name](),
    )
    trainings: dict[int, Training] = {}
    while not bench.spent:
        trial = study.ask()
        training = trainings[trial.number] = bench.start(space.suggest(trial))
        pruned = False
        while (value := bench.step(training)) is not None:
            trial.report(value, training.epochs)
            if training.epochs < table.max_epochs and trial.should_prune():
                pruned = True
                break
        if training.best is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        elif pruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, training.best)
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    return bench.outcome(trainings[study.best_trial.number] if complete else None)
