"""Syne Tune 0.13's multi-fidelity schedulers, driven through their own API as Syne Tune's Tuner drives them
with one worker: ``suggest`` a trial (or a paused one to resume), report each epoch to ``on_trial_result``,
stop or pause when it says so (``on_trial_remove``), ``on_trial_complete`` at the last epoch.

Each scheduler keeps its shipped settings (grace period 1, reduction factor 3, its searcher's defaults); the
``shipped start`` evaluates the centre of the space first (Syne Tune's ``points_to_evaluate=None``: the
middle option of each ordinal, the first of each categorical), the ``random start`` does not
(``points_to_evaluate=[]``). Numeric options are an ``ordinal`` (nearest-neighbour in value when they
increase, by position otherwise), others a ``choice``. The search returns the trial with the best dev score
reported at any epoch, as Syne Tune's results (``best_config``) name it, trained as far as it went.
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

from quality_replay import Replayed, Table

from flair_hpo.space import Label, SearchSpace

from .bench import Bench, Training, numeric, tuned

#: The schedulers (their class in syne_tune.optimizer.baselines), by the name the peer gets (without its start).
SCHEDULERS = {
    "syne-tune-asha": "ASHA",
    "syne-tune-bohb": "BOHB",
    "syne-tune-mobster": "MOBSTER",
    "syne-tune-hypertune": "HyperTune",
    "syne-tune-dyhpo": "DyHPO",
}
#: The starts: Syne Tune's shipped one (the centre of the space), or none (random configurations).
STARTS = {"": None, "+random-start": []}
METRIC, RESOURCE = "dev", "epoch"


def _config_space(space: SearchSpace) -> tuple[dict[str, Any], dict[str, dict[Any, Label]]]:
    """Syne Tune's configuration space for ``space``, and for each categorical the label of each of its values."""
    from syne_tune.config_space import choice, ordinal

    dimensions, fixed = tuned(space)
    config_space: dict[str, Any] = dict(fixed)
    names: dict[str, dict[Any, Label]] = {}
    for name, labels in dimensions.items():
        if numeric(labels):
            config_space[name] = ordinal(list(labels))
        else:
            names[name] = {json.dumps(label): label for label in labels}
            config_space[name] = choice(list(names[name]))
    return config_space, names


def _labels(config: dict[str, Any], space: SearchSpace, names: dict[str, dict[Any, Label]]) -> dict[str, Label]:
    dimensions, fixed = tuned(space)
    labels = dict(fixed)
    for name, options in dimensions.items():
        value = config[name]
        labels[name] = names[name][value] if name in names else min(options, key=lambda o: abs(o - float(value)))
    return labels


def scheduler(peer: str, space: SearchSpace, max_epochs: int, seed: int) -> tuple[Any, dict]:
    """The scheduler of ``peer`` (a name of :data:`SCHEDULERS` with one of :data:`STARTS`)."""
    from syne_tune.optimizer import baselines

    base = next(name for name in SCHEDULERS if peer.startswith(name))
    config_space, names = _config_space(space)
    points = STARTS[peer[len(base) :]]
    found = getattr(baselines, SCHEDULERS[base])(
        config_space,
        metric=METRIC,
        mode="max",
        resource_attr=RESOURCE,
        max_t=max_epochs,
        random_seed=seed,
        points_to_evaluate=points,
        search_options={"debug_log": False},
    )
    return found, names


def search(peer: str, table: Table, space: SearchSpace, budget: float, seed: int) -> Replayed:
    """One search of ``peer`` (e.g. ``syne-tune-mobster`` or ``syne-tune-mobster+random-start``)."""
    from syne_tune.backend.trial_status import Trial
    from syne_tune.optimizer.scheduler import SchedulerDecision

    logging.getLogger("syne_tune").setLevel(logging.ERROR)
    bench = Bench(table, budget, seed)
    found, names = scheduler(peer, space, table.max_epochs, seed)
    trials: dict[int, tuple[Any, Training]] = {}
    while not bench.spent:
        suggestion = found.suggest(len(trials))
        if suggestion is None:  # nothing left to try
            break
        if suggestion.spawn_new_trial_id:
            trial = Trial(len(trials), suggestion.config, datetime.datetime.now())
            found.on_trial_add(trial)
            training = bench.start(_labels(suggestion.config, space, names))
            trials[trial.trial_id] = (trial, training)
        else:
            trial, training = trials[suggestion.checkpoint_trial_id]
            bench.resume(training)
        while (value := bench.step(training)) is not None:
            result = {METRIC: value, RESOURCE: training.epochs}
            decision = found.on_trial_result(trial, result)
            if training.epochs == table.max_epochs and decision == SchedulerDecision.CONTINUE:
                found.on_trial_complete(trial, result)
                break
            if decision in (SchedulerDecision.STOP, SchedulerDecision.PAUSE):
                found.on_trial_remove(trial)
                break
    return bench.outcome(bench.best_reported())
