"""Train one configuration with Flair's ModelTrainer and score it on dev.

The :class:`TrialMonitor` trainer plugin does the per-epoch work by hooking Flair's events rather than
editing its loop: it reads each dev evaluation, keeps the weights of the best epoch in memory, reports the
epoch's value (for progress and per-epoch history), and ends training at an epoch boundary when the time
budget runs out or the pruner judges the trial hopeless.
"""

from __future__ import annotations

import contextlib
import math
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flair.trainers.plugins.base import TrainerPlugin, TrainingInterrupt

from flair_hpo.corpus_checks import reset_corpus
from flair_hpo.embedding_store import EmbeddingStore
from flair_hpo.model_factory import training_arguments
from flair_hpo.scoring import Objective

if TYPE_CHECKING:
    import flair

    from flair_hpo.configuration import Configuration

#: Called after each epoch with (epoch, value of that epoch).
EpochCallback = Callable[[int, float], None]
#: Asked after each epoch's report whether to stop the trial now (the pruner's verdict).
PruneCheck = Callable[[int], bool]


class TrialError(RuntimeError):
    """A configuration that could not be trained to a score (NaN loss, no finished epoch, ...)."""


class TrialMonitor(TrainerPlugin):
    """Scores every dev evaluation and keeps the best epoch's weights."""

    def __init__(
        self,
        objective: Objective,
        on_epoch: EpochCallback | None = None,
        deadline: float | None = None,
        should_prune: PruneCheck | None = None,
    ):
        super().__init__()
        self.objective = objective
        self.on_epoch = on_epoch
        self.deadline = deadline
        self.should_prune = should_prune
        self.pruned = False
        self.history: list[float] = []
        self.best_value: float | None = None
        self.best_epoch = 0
        self.best_scores: dict[tuple[str, ...], float] = {}
        self.best_state: dict[str, Any] | None = None
        self.stopped_by_deadline = False
        self._dev_scores: dict[tuple[str, ...], float] = {}

    @TrainerPlugin.hook
    def metric_recorded(self, record: Any) -> None:
        name = tuple(record.name)
        if name == ("train", "loss") and not math.isfinite(record.value):
            raise TrialError(f"the training loss became {record.value} in epoch {record.global_step}")
        if name[0] == "dev" and isinstance(record.value, int | float):
            self._dev_scores[name[1:]] = float(record.value)

    @TrainerPlugin.hook
    def after_evaluation(self, epoch: int, **_: Any) -> None:
        value = self.objective.value_of(self._dev_scores)
        if not math.isfinite(value):
            raise TrialError(f"the {self.objective.name} was {value} after epoch {epoch}")
        self.history.append(value)
        if self.objective.is_better(value, self.best_value):
            self.best_value, self.best_epoch, self.best_scores = value, epoch, dict(self._dev_scores)
            # A CPU copy: the next epoch changes the weights in place.
            self.best_state = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}
        if self.on_epoch is not None:
            self.on_epoch(epoch, value)
        if self.should_prune is not None and self.should_prune(epoch):
            self.pruned = True
            raise TrainingInterrupt(f"flair-hpo: pruned after epoch {epoch}; other trials did better by now")
        if self.deadline is not None and time.time() >= self.deadline:
            self.stopped_by_deadline = True
            raise TrainingInterrupt("flair-hpo: the time budget is spent; stopping after this epoch")


@dataclass
class TrialOutcome:
    """What a trained configuration achieved; ``model`` holds the weights of its best epoch."""

    value: float
    dev_score: float
    dev_loss: float
    epochs: int
    best_epoch: int
    history: list[float]
    model: flair.nn.Model
    stopped_by_deadline: bool = False
    pruned: bool = False


def train_subset(train: Any, fraction: float) -> Any:
    """The first ``fraction`` of the training split in a fixed random order: smaller fractions are subsets of
    larger ones, and every process picks the same sentences."""
    if fraction >= 1.0:
        return train
    from torch.utils.data import Subset

    order = list(range(len(train)))
    random.Random(0).shuffle(order)
    return Subset(train, sorted(order[: max(1, round(fraction * len(order)))]))


def _without_test(corpus: flair.data.Corpus, train_fraction: float = 1.0) -> flair.data.Corpus:
    """The corpus minus its test split (trials never look at test), with a fraction of its training split."""
    from flair.data import Corpus

    train = train_subset(corpus.train, train_fraction)
    return Corpus(train=train, dev=corpus.dev, test=None, name=corpus.name, sample_missing_splits=False)


def train_configuration(
    configuration: Configuration,
    corpus: flair.data.Corpus,
    label_dictionary: flair.data.Dictionary,
    base_path: Path,
    objective: Objective,
    on_epoch: EpochCallback | None = None,
    deadline: float | None = None,
    should_prune: PruneCheck | None = None,
    embedding_store: EmbeddingStore | None = None,
    train_fraction: float = 1.0,
    plugins: list[Any] | None = None,
) -> TrialOutcome:
    """Build and train ``configuration`` for at most its max epochs; score each epoch on dev.

    Training starts from the configuration's seed, when it has one. Frozen embeddings come from
    ``embedding_store`` when one is given. Flair writes its ``training.log`` and ``loss.tsv`` into
    ``base_path``; no weights are written there. ``train_fraction`` trains on that fraction of the training
    split (a cheap, less exact estimate of the configuration's quality).
    """
    import flair
    from flair.trainers import ModelTrainer

    reset_corpus(corpus)
    if configuration.seed is not None:
        flair.set_seed(configuration.seed)
    model = configuration.build_model(label_dictionary)
    monitor = TrialMonitor(objective, on_epoch, deadline, should_prune)
    try:
        with _ctrl_c_reaches_caller(), served_embeddings(embedding_store, model, corpus):
            ModelTrainer(model, _without_test(corpus, train_fraction)).train(
                base_path=base_path,
                max_epochs=configuration.max_epochs,
                main_evaluation_metric=objective.flair_main_metric,
                # flair-hpo keeps the best epoch itself (by the objective, which may be the loss).
                use_final_model_for_eval=True,
                save_final_model=False,
                plugins=[monitor, *(plugins or [])],
                **training_arguments(configuration),
            )
    finally:
        reset_corpus(corpus)
        (base_path / "dev.tsv").unlink(missing_ok=True)  # Flair's predictions on dev: not needed
    if monitor.best_state is None:
        raise TrialError("training ended before the first dev evaluation")
    model.load_state_dict(monitor.best_state)
    return TrialOutcome(
        value=monitor.best_value,
        dev_score=objective.metric_of(monitor.best_scores),
        dev_loss=monitor.best_scores.get(("loss",), math.nan),
        epochs=len(monitor.history),
        best_epoch=monitor.best_epoch,
        history=monitor.history,
        model=model,
        stopped_by_deadline=monitor.stopped_by_deadline,
        pruned=monitor.pruned,
    )


def train_final_model(
    configuration: Configuration,
    corpus: flair.data.Corpus,
    label_dictionary: flair.data.Dictionary,
    base_path: Path,
    embedding_store: EmbeddingStore | None = None,
) -> flair.nn.Model:
    """Train ``configuration`` on train + dev for all its epochs, as Flair users do for the model they ship.

    There is no dev split left to select an epoch by, so the model is the last epoch's.
    """
    import flair
    from flair.data import Corpus
    from flair.trainers import ModelTrainer
    from torch.utils.data import ConcatDataset

    reset_corpus(corpus)
    if configuration.seed is not None:
        flair.set_seed(configuration.seed)
    model = configuration.build_model(label_dictionary)
    train_and_dev = Corpus(
        train=ConcatDataset([corpus.train, corpus.dev]), dev=None, test=None, sample_missing_splits=False
    )
    try:
        with _ctrl_c_reaches_caller(), served_embeddings(embedding_store, model, corpus):
            ModelTrainer(model, train_and_dev).train(
                base_path=base_path,
                max_epochs=configuration.max_epochs,
                save_final_model=False,
                **training_arguments(configuration),
            )
    finally:
        reset_corpus(corpus)
    return model


def served_embeddings(store: EmbeddingStore | None, model: flair.nn.Model, corpus: flair.data.Corpus) -> Any:
    """While the block runs, ``model``'s frozen embeddings come from ``store`` (when there is one)."""
    if store is None:
        return contextlib.nullcontext()
    return store.serving(model.embeddings, corpus.get_all_sentences())


@contextlib.contextmanager
def _ctrl_c_reaches_caller() -> Iterator[None]:
    """Re-raise a Ctrl-C that Flair's trainer caught: it ends training early and returns as if done,
    but a person pressing Ctrl-C during a search means to stop the search, not to finish this trial."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = False

    def on_sigint(signum: int, frame: Any) -> None:
        nonlocal pressed
        pressed = True
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt
