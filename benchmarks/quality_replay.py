"""Replay searches against a scenario's table: the strategy asks, the table answers; nothing is trained.

A replayed search is flair-hpo's own search loop (:mod:`flair_hpo.search.loop`), with its driver, strategies,
policies, budget and Optuna's pruners, on an in-memory Optuna study; only the trial is simulated: a
configuration "trains" by reading its row of the table, epoch by epoch (reported to the pruner, stopped at
the deadline), and costs the row's seconds plus a fixed overhead per trial (what a real search spends
outside training). Each configuration's seeds come in an
order drawn per replayed search, so the seed noise a search sees is the table's.

A search is judged by the model it returns, the one a user gets: the returned trial's configuration,
trained as far as that trial went (a pruned trial or one cut by the deadline stopped early) and kept at its
best epoch. The model's *true* quality is estimated on the seeds the search did not see: the mean, over the
table's seeds the search never trained that configuration with, of the best dev score up to the epoch where the
trial stopped (the seeds the search trained are left out, since the search chose the configuration partly for
their luck). Its regret is the distance to the best true quality in the grid (each configuration trained to the
end, the mean over all its seeds). A search that trained every seed of the configuration leaves none to judge
on: its model is judged on its own test score, against the best configuration's mean test score (nothing was
chosen on test); ``judged_on_test`` counts those searches.
"""

from __future__ import annotations

import json
import math
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna

from flair_hpo.policies import Policies, Reseeding
from flair_hpo.records import History
from flair_hpo.records.keys import STOPPED_BY_TIME_BUDGET
from flair_hpo.search import BudgetState, Driver, Loop, Opened
from flair_hpo.search.earlier import KEPT
from flair_hpo.space import SearchSpace, configuration_key
from flair_hpo.strategies import as_strategy

optuna.logging.set_verbosity(optuna.logging.WARNING)

#: Seconds (as the table counts them) a real search spends per trial beyond the table's training: the study's
#: reports and pruning decisions, the events of each batch, and the gap to the next trial (the study, the
#: leaderboard, the best model's file, collecting the trial's garbage). The median measured in real TREC_6
#: searches (``search_quality.py real trec``: ``measured_overhead_table_s`` in quality-real-trec.json).
OVERHEAD_S = 0.08


@dataclass
class Row:
    dev: list[float]
    test: list[float]
    seconds: list[float]
    error: str | None

    @property
    def value(self) -> float:
        """What a trial reports: its best epoch's dev score (0 for a training that diverged)."""
        return max(self.dev) if self.dev and not self.error else 0.0

    def value_after(self, epochs: int) -> float:
        """The dev score of the model kept after ``epochs`` epochs: the best epoch's so far."""
        return max(self.dev[:epochs]) if self.dev and not self.error else 0.0

    @property
    def test_at_best(self) -> float:
        return self.test_after(len(self.dev))

    def test_after(self, epochs: int) -> float:
        """The test score of the model kept after ``epochs`` epochs (its best dev epoch so far)."""
        if not self.dev or self.error:
            return 0.0
        kept = self.dev[:epochs]
        return self.test[kept.index(max(kept))]


@dataclass
class Table:
    """A scenario's grid, every configuration trained with several seeds on several fractions of train."""

    scenario: str
    title: str
    max_epochs: int
    replicates: int
    fractions: list[float]
    rows: dict[tuple[str, float, int], Row]
    keys: list[str]
    true_dev: dict[str, float] = field(default_factory=dict)
    true_test: dict[str, float] = field(default_factory=dict)
    grid_seconds: float = 0.0

    @classmethod
    def load(cls, path: Path) -> Table:
        data = json.loads(path.read_text())
        rows = {}
        for item in data["rows"]:
            key = configuration_key(item["labels"])
            rows[(key, round(item["fraction"], 6), item["replicate"])] = Row(
                item["dev"], item["test"], item["seconds"], item["error"]
            )
        keys = sorted({key for key, _, _ in rows})
        table = cls(
            data["scenario"], data["title"], data["max_epochs"], data["replicates"], data["fractions"], rows, keys
        )
        for key in keys:
            full = [rows[(key, 1.0, r)] for r in range(table.replicates)]
            table.true_dev[key] = statistics.mean(row.value for row in full)
            table.true_test[key] = statistics.mean(row.test_at_best for row in full)
            table.grid_seconds += statistics.mean(row.seconds[-1] if row.seconds else 0.0 for row in full)
        return table

    def row(self, key: str, replicate: int, fraction: float = 1.0) -> Row:
        return self.rows[(key, round(fraction, 6), replicate)]

    @property
    def best_dev(self) -> float:
        return max(self.true_dev.values())

    @property
    def best_key(self) -> str:
        """The grid's best configuration: the best mean dev score over all seeds, trained to the end."""
        return max(self.keys, key=lambda key: self.true_dev[key])

    def regret(self, key: str | None) -> float:
        """The configuration's regret: dev points (x 100) of its mean over all seeds, trained to the end,
        below the grid's best; 100 points for no result."""
        return 100.0 if key is None else 100.0 * (self.best_dev - self.true_dev[key])

    def model_dev(self, key: str, epochs: int, seen: tuple[int, ...]) -> float | None:
        """The true quality of a model of ``key`` trained for ``epochs`` epochs and kept at its best one: the
        mean over the seeds not in ``seen``; None when the search trained every seed of ``key``."""
        held_out = [r for r in range(self.replicates) if r not in seen]
        return statistics.mean(self.row(key, r).value_after(epochs) for r in held_out) if held_out else None

    def model_regret(self, key: str | None, epochs: int, seen: tuple[int, ...], own: int = 0) -> float:
        """Points (x 100) of the returned model below the grid's best; 100 points for no result. Judged on the
        seeds the search did not train ``key`` with (dev); when it trained them all, on the model's own test
        score (seed ``own``) against the best configuration's mean test score: nothing was chosen on test."""
        if key is None:
            return 100.0
        dev = self.model_dev(key, epochs, seen)
        if dev is not None:
            return 100.0 * (self.best_dev - dev)
        return 100.0 * (self.true_test[self.best_key] - self.row(key, own).test_after(epochs))


@dataclass
class Replayed:
    """The outcome of one replayed search: the returned model's configuration (``key``), the epochs its
    trial trained and the table's seeds the search trained that configuration with (``seen``), its model
    regret (``regret``) and, for comparison, the configuration's regret over all seeds and epochs."""

    key: str | None
    regret: float
    test: float | None
    seconds: float
    trials: int
    epochs: int = 0
    seen: tuple[int, ...] = ()
    configuration_regret: float = 100.0
    #: The table's seed the returned model was trained with.
    replicate: int = 0
    #: The configurations (keys) the search scored on the whole split, best first: what its study's record
    #: keeps for later warm starts (flair_hpo.search.earlier).
    ranked: tuple[str, ...] = ()


@dataclass
class Variant:
    """A way to search: a strategy (a flair-hpo strategy or an Optuna sampler), a pruner, reseeding."""

    name: str
    strategy: Callable[[int], Any]
    pruner: Callable[[], optuna.pruners.BasePruner] | None = None
    reseeding: Reseeding = field(default_factory=lambda: Reseeding(finalists=0))
    #: How the search's result is chosen: "flair-hpo" (its reseeding's winner, its best seed's trial) or
    #: "best-trial" (``study.best_trial``, as a user's hand-written Optuna loop returns it).
    selection: str = "flair-hpo"
    #: Configurations (labels) trained first, as ``search_space.add_start`` makes a search do.
    starts: tuple[dict[str, Any], ...] = ()
    #: Further configurations trained first, which depend on the search's seed (a warm start from earlier
    #: searches, themselves replayed with that seed: quality_earlier.py).
    starts_of: Callable[[int], tuple[dict[str, Any], ...]] | None = None


def replay(
    table: Table,
    space: SearchSpace,
    variant: Variant,
    budget: float,
    seed: int,
    overhead: float = OVERHEAD_S,
    trace: bool = False,
    seed_order: str = "random",
) -> Any:
    """Replay one search of ``variant`` that may spend ``budget`` (a fraction of the grid's time).

    Each configuration's seeds come in a random order per search (``seed_order="random"``), or in the
    table's order (``"table"``: a configuration's first training uses the seed a real search gives it).
    With ``trace``, also the trials, in order (what ``quality_real`` compares with a real search).
    """
    strategy = as_strategy(variant.strategy(seed))
    strategy.search_space = None
    strategy.make_configurations(space)
    starts = tuple(space.starts) + variant.starts + (variant.starts_of(seed) if variant.starts_of else ())
    pruner = variant.pruner() if variant.pruner else optuna.pruners.NopPruner()
    study = optuna.create_study(direction="maximize", sampler=strategy, pruner=pruner)
    noise = random.Random(f"noise:{seed}")
    orders: dict[str, list[int]] = {}  # the order in which a configuration's seeds come, per search
    clock = [0.0]
    deadline = budget * table.grid_seconds
    state = BudgetState(space.budget[0], None, deadline, clock=lambda: clock[0])
    trained: dict[int, tuple[str, int, int]] = {}  # trial number: configuration, table seed, epochs trained
    steps: list[dict[str, Any]] = []

    def train(opened: Opened) -> None:
        """The trial trains by reading its row of the table."""
        trial, record = opened.trial, opened.record
        key = configuration_key(record.labels)
        shuffled = noise.sample(range(table.replicates), table.replicates)
        order = orders.setdefault(key, shuffled if seed_order == "random" else list(range(table.replicates)))
        replicate = record.replicate % table.replicates  # a sampler may repeat a configuration past the seeds
        row = table.row(key, order[replicate])
        prune = not record.last_call  # a last call trains to the end, as the search loop does
        epochs = _train(trial, study, row, table.max_epochs if prune else 0, clock, deadline, overhead)
        trained[trial.number] = (key, order[replicate], epochs)
        step = {"key": key, "replicate": replicate, "seed": order[replicate]}
        steps.append({**step, "value": _kept_value(study.trials[-1]), "last_call": not prune})

    Loop(Driver(space, strategy, Policies(variant.reseeding, starts), state), study, train).run()
    trials = len(trained)
    returned = _returned(study, variant)
    ranked = tuple(configuration_key(c.labels) for c in History.of(study).configurations()[:KEPT])
    model = None if returned is None else trained[returned]
    outcome = judged(table, model, [(key, seed) for key, seed, _ in trained.values()], clock[0], trials, ranked)
    return (outcome, steps) if trace else outcome


def judged(
    table: Table,
    model: tuple[str, int, int] | None,
    trainings: list[tuple[str, int]],
    seconds: float,
    trials: int,
    ranked: tuple[str, ...] = (),
) -> Replayed:
    """The outcome of a search that returns ``model`` (configuration, table seed, epochs trained; None for no
    result) after training ``trainings`` (configuration, table seed) in ``seconds``."""
    if model is None:
        return Replayed(None, table.regret(None), None, seconds, trials, ranked=ranked)
    key, own, epochs = model
    seen = tuple(sorted({seed for k, seed in trainings if k == key}))
    regret = table.model_regret(key, epochs, seen, own)
    return Replayed(key, regret, table.true_test[key], seconds, trials, epochs, seen, table.regret(key), own, ranked)


def _returned(study: optuna.Study, variant: Variant) -> int | None:
    """The number of the trial whose model the search returns, or None."""
    if variant.selection == "best-trial":
        complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        return study.best_trial.number if complete else None
    winner = variant.reseeding.winner(History.of(study))
    return winner.best.number if winner else None


def _kept_value(trial: optuna.trial.FrozenTrial) -> float | None:
    if trial.state == optuna.trial.TrialState.PRUNED:
        return trial.user_attrs.get("value")
    return trial.value


def _train(
    trial: optuna.Trial,
    study: optuna.Study,
    row: Row,
    max_epochs: int,
    clock: list[float],
    deadline: float,
    overhead: float,
) -> int:
    """What TrialMonitor does with a real training, on a row of the table; the epochs it trained. The pruner
    is asked after every epoch before ``max_epochs`` (0: never, as for a last call)."""
    started = clock[0]
    best = None
    state = optuna.trial.TrialState.COMPLETE
    epoch = 0
    for epoch, (value, seconds) in enumerate(zip(row.dev, row.seconds, strict=True), start=1):
        clock[0] = started + seconds
        best = value if best is None else max(best, value)
        trial.report(value, epoch)
        if epoch < max_epochs and trial.should_prune():
            state = optuna.trial.TrialState.PRUNED
            break
        if clock[0] >= deadline:
            trial.set_user_attr(STOPPED_BY_TIME_BUDGET, epoch < len(row.dev))  # as TrialMonitor notes it
            break
    clock[0] += overhead
    trial.set_user_attr("duration_s", clock[0] - started)
    if row.error or best is None:
        clock[0] = max(clock[0], started + (row.seconds[-1] if row.seconds else 0.0) + overhead)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    elif state == optuna.trial.TrialState.PRUNED:
        trial.set_user_attr("value", best)
        study.tell(trial, state=state)
    else:
        study.tell(trial, best)
    return epoch


def summarize(table: Table, outcomes: list[Replayed]) -> dict[str, Any]:
    """A cell's figures: the model regret's median, 90th percentile and share within 0.5 point, the
    configuration regret's share for comparison, and each search's returned model (configuration index in
    ``table.keys``, epochs, seen seeds; None for no result), from which quality_stats recomputes regrets."""
    regrets = sorted(o.regret for o in outcomes)
    return {
        "searches": len(outcomes),
        "mean_regret": statistics.mean(regrets),
        "median_regret": statistics.median(regrets),
        "p90_regret": regrets[min(len(regrets) - 1, math.ceil(0.9 * len(regrets)) - 1)],
        "within_half_point": sum(r <= 0.5 for r in regrets) / len(regrets),
        "configuration_within_half_point": sum(o.configuration_regret <= 0.5 for o in outcomes) / len(outcomes),
        "returned_short": sum(o.key is not None and o.epochs < table.max_epochs for o in outcomes) / len(outcomes),
        # the model's own seed only where its search trained every seed (the model is judged on its test score)
        "returned": [
            None
            if o.key is None
            else [table.keys.index(o.key), o.epochs, list(o.seen)]
            + ([o.replicate] if len(o.seen) == table.replicates else [])
            for o in outcomes
        ],
        # searches that trained every seed of the returned configuration: judged on the model's own test score
        "judged_on_test": sum(len(o.seen) == table.replicates for o in outcomes) / len(outcomes),
        "mean_test": statistics.mean([o.test for o in outcomes if o.test is not None] or [math.nan]),
        "no_result": sum(o.key is None for o in outcomes) / len(outcomes),
        "mean_trials": statistics.mean(o.trials for o in outcomes),
    }
