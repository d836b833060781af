"""SMAC3's Hyperband facade (``HyperbandFacade``: random configurations raced by Hyperband) through its
ask/tell interface: ``ask`` a trial (configuration and budget in epochs), train it from scratch that far,
``tell`` its cost (minus the dev score).

Shipped settings (``eta=3``, one seed per configuration, its initial design: ConfigSpace's default
configuration, the first option of each dimension), budgets from 1 epoch to the scenario's epochs rounded to
whole epochs. The search returns SMAC's incumbent (the best configuration on the highest budget it has run),
the model of its training with the most epochs. The space is the one DEHB sees (dehb_loop.configuration_space).
"""

from __future__ import annotations

import logging
import tempfile

from quality_replay import Replayed, Table

from flair_hpo.space import SearchSpace, configuration_key

from .bench import Bench, Training
from .dehb_loop import configuration_space, epochs_of, labels_of


def search(peer: str, table: Table, space: SearchSpace, budget: float, seed: int) -> Replayed:
    """One search of SMAC3's Hyperband facade (``peer`` is ``smac-hyperband``)."""
    from smac import HyperbandFacade, Scenario
    from smac.runhistory.dataclasses import TrialValue

    logging.getLogger("smac").setLevel(logging.ERROR)
    bench = Bench(table, budget, seed)
    trained: dict[str, list[Training]] = {}
    with tempfile.TemporaryDirectory(prefix="smac-") as folder:
        scenario = Scenario(
            configuration_space(space, seed),
            deterministic=True,
            n_trials=10**6,
            min_budget=1,
            max_budget=table.max_epochs,
            seed=seed,
            output_directory=folder,
        )
        facade = HyperbandFacade(scenario, lambda config, seed=0, budget=None: 0.0, overwrite=True, logging_level=40)
        while not bench.spent:
            info = facade.ask()
            training = bench.start(labels_of(info.config, space))
            trained.setdefault(training.key, []).append(training)
            started = bench.clock
            score = bench.train(training, epochs_of(info.budget, table.max_epochs))
            facade.tell(info, TrialValue(cost=-(score if score is not None else 0.0), time=bench.clock - started))
        incumbent = facade.intensifier.get_incumbent()
    if incumbent is None:
        return bench.outcome(None)
    runs = trained[configuration_key(labels_of(incumbent, space))]
    return bench.outcome(max(runs, key=lambda t: (t.epochs, t.best or 0.0)))
