"""Train a scenario's whole grid once and keep it as a table, in the style of tabular HPO benchmarks.

For every configuration of the grid, every training seed (replicate ``r`` trains with the seed a search
gives the configuration's ``r``-th training) and every size of the training split in
:data:`quality_scenarios.FRACTIONS`, a row holds the dev score, dev loss and test score after each epoch
and the seconds spent up to that epoch. Training is flair-hpo's own trial training (embedding store
included), so a search with the same settings trains exactly what the table holds.

Rows are appended to ``benchmarks/tables/SCENARIO.partial.jsonl`` as they are trained (an interrupted run
continues where it stopped) and collected into ``benchmarks/tables/SCENARIO.json`` at the end.

    .venv/bin/python benchmarks/search_quality.py tabulate trec
"""

from __future__ import annotations

import json
import platform
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from quality_scenarios import REPO, SCENARIOS, Scenario

from flair_hpo.flair_internals import TrainerPlugin

TABLES = REPO / "benchmarks" / "tables"
#: The new corpora's tables hold the whole training split only, and time epochs in CPU seconds.
FULL_ONLY = (1.0,)


class TestPerEpoch(TrainerPlugin):
    """Scores the test split after every dev evaluation (the benchmark's table only: a search never looks at
    test). Its own time is left out of the seconds it records for each epoch: wall seconds, and the CPU
    seconds of the one-thread process (``cpu_clock``), which other work on the machine does not inflate."""

    def __init__(self, objective: Any, configuration: Any, test: Any, started: float, cpu_started: float = 0.0) -> None:
        super().__init__()
        self.objective, self.configuration, self.test = objective, configuration, test
        self.started, self.cpu_started = started, cpu_started
        self.scores: list[float] = []
        self.seconds: list[float] = []
        self.cpu_seconds: list[float] = []
        self.spent = 0.0
        self.cpu_spent = 0.0

    @TrainerPlugin.hook
    def after_evaluation(self, epoch: int, **_: Any) -> None:
        begin, cpu_begin = time.perf_counter(), time.process_time()
        self.seconds.append(begin - self.started - self.spent)
        self.cpu_seconds.append(cpu_begin - self.cpu_started - self.cpu_spent)
        # Evaluating draws from torch's random generator (each DataLoader takes a seed): restore it, so that
        # training goes on exactly as in a search, which does not evaluate test.
        state = torch.get_rng_state(), random.getstate()
        self.scores.append(self.objective.test_score(self.model, self.configuration, self.test))
        torch.set_rng_state(state[0])
        random.setstate(state[1])
        self.spent += time.perf_counter() - begin
        self.cpu_spent += time.process_time() - cpu_begin


def _key(labels: dict[str, Any], fraction: float, replicate: int) -> str:
    return json.dumps([labels, round(fraction, 6), replicate], sort_keys=True)


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def _round(values: list[float], digits: int = 6) -> list[float]:
    return [round(float(v), digits) for v in values]


def tabulate(scenario: Scenario, threads: int = 1) -> Path:
    """Train the scenario's grid into its table; return the table's path."""
    torch.set_num_threads(threads)
    TABLES.mkdir(parents=True, exist_ok=True)
    partial = TABLES / f"{scenario.name}.partial.jsonl"
    done = set()
    if partial.exists():
        lines = partial.read_text().splitlines()
        kept = [line for line in lines if _parses(line)]  # a run killed while writing leaves half a line
        if len(kept) < len(lines):
            partial.write_text("".join(line + "\n" for line in kept))
        for line in kept:
            row = json.loads(line)
            done.add(_key(row["labels"], row["fraction"], row["replicate"]))
    context = training_context(scenario, Path(tempfile.gettempdir()) / f"flair-hpo-quality-store-{scenario.name}")
    context["cpu_clock"] = scenario.fractions == FULL_ONLY
    corpus, space, label_type = context["corpus"], context["space"], context["label_type"]
    total = len(context["grid"]) * len(scenario.fractions) * scenario.replicates
    print(
        f"{scenario.name}: {len(context['grid'])} configurations x {len(scenario.fractions)} fractions x "
        f"{scenario.replicates} seeds = {total} trainings; {len(done)} done",
        flush=True,
    )
    with partial.open("a") as out:
        for replicate in range(scenario.replicates):
            for fraction in scenario.fractions:
                for labels in context["grid"]:
                    if _key(labels, fraction, replicate) in done:
                        continue
                    row = train_row(context, labels, fraction, replicate)
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                    done.add(_key(labels, fraction, replicate))
                    print(
                        f"{len(done)}/{total} r{replicate} f{fraction:.3f} {labels} dev {row['dev'][-1:]} "
                        f"{row['seconds'][-1:]} s",
                        flush=True,
                    )
    return collect(scenario, corpus, space, label_type, threads)


def training_context(scenario: Scenario, store_dir: Path) -> dict[str, Any]:
    """What training a row needs: the corpus, the space and its grid, the objective and an embedding store
    at ``store_dir`` holding every configuration's frozen embeddings (computed before any training is timed)."""
    from flair_hpo.training.corpus import check_corpus, label_dictionary
    from flair_hpo.training.embedding_store import EmbeddingStore
    from flair_hpo.training.scoring import Objective

    corpus = scenario.load_corpus()
    space = scenario.build_space()
    label_type = check_corpus(corpus, space)
    dictionary = label_dictionary(corpus, label_type)
    grid = list(space.grid())
    store = EmbeddingStore(store_dir)
    build_store_entries(store, grid, space, label_type, dictionary, corpus)
    return {
        "space": space,
        "grid": grid,
        "label_type": label_type,
        "corpus": corpus,
        "dictionary": dictionary,
        "objective": Objective.of(space),
        "store": store,
    }


def train_row(context: dict[str, Any], labels: dict[str, Any], fraction: float, replicate: int) -> dict[str, Any]:
    """One row of the table: ``labels`` trained as a search trains its ``replicate``-th seed, on ``fraction``."""
    from flair_hpo.errors import TrialError
    from flair_hpo.space import Configuration, configuration_seed
    from flair_hpo.training.monitor import TrialMonitor
    from flair_hpo.training.trial_runner import train_configuration

    seed = configuration_seed(labels, replicate)
    configuration = Configuration.from_labels(context["space"], labels, context["label_type"], seed)
    corpus, objective = context["corpus"], context["objective"]
    started, cpu = time.perf_counter(), time.process_time()
    tester = TestPerEpoch(objective, configuration, corpus.test, started, cpu)
    dev: list[float] = []
    row: dict[str, Any] = {"labels": labels, "fraction": fraction, "replicate": replicate, "seed": seed}
    with tempfile.TemporaryDirectory() as trial_dir:
        try:
            outcome = train_configuration(
                configuration,
                train_part(corpus, fraction),
                Path(trial_dir),
                label_dictionary=context["dictionary"],
                monitor=TrialMonitor(objective, on_epoch=lambda epoch, value: dev.append(value)),
                embedding_store=context["store"],
                plugins=[tester],
            )
            assert outcome.history == dev
            row["error"] = None
        except TrialError as error:  # a diverged configuration: a search records it as failed
            row["error"] = str(error)
    row["dev"] = _round(dev)
    row["test"] = _round(tester.scores)
    # Tables trained beside other work (the new corpora's) time epochs by the process's CPU seconds.
    row["seconds"] = _round(tester.cpu_seconds if context.get("cpu_clock") else tester.seconds, 3)
    row["wall_seconds"] = _round(tester.seconds, 3)
    row["cpu_seconds"] = round(time.process_time() - cpu, 3)
    return row


def train_part(corpus: Any, fraction: float) -> Any:
    """``corpus`` with the first ``fraction`` of its training split in a fixed random order: smaller fractions
    are subsets of larger ones (as data halving, which flair-hpo offered, trained them)."""
    if fraction >= 1.0:
        return corpus
    from flair.data import Corpus
    from torch.utils.data import Subset

    order = list(range(len(corpus.train)))
    random.Random(0).shuffle(order)
    train = Subset(corpus.train, sorted(order[: max(1, round(fraction * len(order)))]))
    return Corpus(train=train, dev=corpus.dev, test=corpus.test, name=corpus.name, sample_missing_splits=False)


def build_store_entries(store: Any, grid: list[Any], space: Any, label_type: str, dictionary: Any, corpus: Any) -> None:
    """Compute the embedding store's entries before any training is timed: a study computes them once."""
    from flair_hpo.space import Configuration
    from flair_hpo.training.model_factory import build_model

    sentences = list(corpus.get_all_sentences())
    for labels in grid:
        model = build_model(Configuration.from_labels(space, labels, label_type), dictionary)
        with store.serving(model.embeddings, sentences):
            pass


def collect(scenario: Scenario, corpus: Any, space: Any, label_type: str, threads: int) -> Path:
    """Gather the partial rows into the scenario's table."""
    import flair

    rows = [json.loads(line) for line in (TABLES / f"{scenario.name}.partial.jsonl").read_text().splitlines()]
    table = {
        "scenario": scenario.name,
        "title": scenario.title,
        "objective": f"dev {space.evaluation_metric.value}",
        "label_type": label_type,
        "corpus": {"train": len(corpus.train), "dev": len(corpus.dev), "test": len(corpus.test)},
        "max_epochs": scenario.max_epochs,
        "fractions": list(scenario.fractions),
        "replicates": scenario.replicates,
        "dimensions": [{"name": d.name, "labels": d.grid_values()} for d in space.dimensions],
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "torch_threads": threads,
            "clock": "cpu" if scenario.fractions == FULL_ONLY else "wall",
            "flair": flair.__version__,
        },
        "rows": rows,
    }
    path = TABLES / f"{scenario.name}.json"
    path.write_text(json.dumps(table, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({len(rows)} rows)")
    return path


def run(name: str, threads: int = 1) -> Path:
    return tabulate(SCENARIOS[name], threads)
