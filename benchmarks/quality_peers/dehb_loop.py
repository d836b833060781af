"""DEHB (Awad et al., 2021) through its ask/tell interface: ``ask`` a configuration and a fidelity (epochs),
train it from scratch to that many epochs, ``tell`` its fitness (minus the dev score) and cost (seconds).

Shipped settings (``eta=3``, its differential-evolution defaults, one worker), fidelities from 1 epoch to the
scenario's epochs, each rounded to whole epochs. The search returns DEHB's incumbent: the job with the best
fitness at any fidelity (the first to reach it), the model trained for that job's epochs. Numeric options are
an ``OrdinalHyperparameter``, others a ``CategoricalHyperparameter``, in the space's order.
"""

from __future__ import annotations

import json
import tempfile
from typing import Any

from quality_replay import Replayed, Table

from flair_hpo.space import Label, SearchSpace

from .bench import Bench, Training, numeric, tuned


def configuration_space(space: SearchSpace, seed: int) -> Any:
    """``space``'s tuned dimensions as a ConfigSpace (categorical values as JSON strings)."""
    from ConfigSpace import CategoricalHyperparameter, ConfigurationSpace, OrdinalHyperparameter

    found = ConfigurationSpace(seed=seed)
    for name, labels in tuned(space)[0].items():
        if numeric(labels):
            found.add(OrdinalHyperparameter(name, list(labels)))
        else:
            found.add(CategoricalHyperparameter(name, [json.dumps(label) for label in labels]))
    return found


def labels_of(config: Any, space: SearchSpace) -> dict[str, Label]:
    """The configuration's labels, the space's fixed values included."""
    dimensions, fixed = tuned(space)
    labels = dict(fixed)
    for name, options in dimensions.items():
        value = config[name]
        labels[name] = json.loads(value) if not numeric(options) else min(options, key=lambda o: abs(o - value))
    return labels


def epochs_of(fidelity: float, max_epochs: int) -> int:
    return min(max_epochs, max(1, round(fidelity)))


def search(peer: str, table: Table, space: SearchSpace, budget: float, seed: int) -> Replayed:
    """One search of DEHB (``peer`` is ``dehb``)."""
    from dehb import DEHB
    from loguru import logger

    logger.remove()
    bench = Bench(table, budget, seed)
    best: Training | None = None
    with tempfile.TemporaryDirectory(prefix="dehb-") as folder:
        optimizer = DEHB(
            cs=configuration_space(space, seed),
            min_fidelity=1,
            max_fidelity=table.max_epochs,
            eta=3,
            n_workers=1,
            seed=seed,
            output_path=folder,
            save_freq=None,
        )
        while not bench.spent:
            job = optimizer.ask()
            training = bench.start(labels_of(job["config"], space))
            started = bench.clock
            score = bench.train(training, epochs_of(job["fidelity"], table.max_epochs))
            fitness = -(score if score is not None else 0.0)
            optimizer.tell(job, {"fitness": fitness, "cost": bench.clock - started})
            if score is not None and (best is None or score > best.best):
                best = training
    return bench.outcome(best)
