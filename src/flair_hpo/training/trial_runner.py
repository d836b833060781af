"""Where a trial is trained: one configuration, built as a Flair model and trained with Flair's ModelTrainer."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flair_hpo.errors import MachineError, TrialAbandoned, TrialError
from flair_hpo.files import disk_full, out_of_space
from flair_hpo.signals import stops_reach_caller
from flair_hpo.space import Configuration
from flair_hpo.space.parameter_enums import TrainingMode
from flair_hpo.training.annealing import ANNEALING_ARGUMENTS, ObjectiveAnnealing
from flair_hpo.training.corpus import label_dictionary as labels_of
from flair_hpo.training.corpus import reset_corpus, without_test
from flair_hpo.training.embedding_store import EmbeddingStore, store_for
from flair_hpo.training.model_factory import build_model, training_arguments
from flair_hpo.training.monitor import TrialMonitor
from flair_hpo.training.scoring import Objective

if TYPE_CHECKING:
    import flair


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
    #: The CPU threads it trained with.
    threads: int = 1


def train_configuration(
    configuration: Configuration,
    corpus: flair.data.Corpus,
    base_path: Path,
    *,
    label_dictionary: flair.data.Dictionary | None = None,
    monitor: TrialMonitor | None = None,
    embedding_store: EmbeddingStore | None = None,
    plugins: Sequence[Any] = (),
) -> TrialOutcome:
    """Build and train ``configuration`` for at most its max epochs, from its seed; score each epoch on dev.

    ``monitor`` (by default one that only scores) stops the trial for the pruner, the time budget or a lost
    heartbeat; a trial told to stop raises :class:`TrialAbandoned`. No weights are written to ``base_path``.
    """
    import torch
    from flair.trainers import ModelTrainer

    monitor = monitor or TrialMonitor(Objective.of(configuration), max_epochs=configuration.max_epochs)
    objective = monitor.objective
    arguments = training_arguments(configuration)
    common = {
        "base_path": base_path,
        "max_epochs": configuration.max_epochs,
        "main_evaluation_metric": objective.flair_main_metric,
        # flair-hpo keeps the best epoch itself (by the objective, which may be the loss).
        "use_final_model_for_eval": True,
        "save_final_model": False,
    }
    try:
        with _training(configuration, corpus, base_path, label_dictionary, embedding_store) as model:
            trainer = ModelTrainer(model, without_test(corpus))
            if configuration.training_mode == TrainingMode.FINE_TUNE.value:
                # Flair's fine-tuning: AdamW by default, a linear schedule with warm-up (its default plugin).
                trainer.fine_tune(**common, plugins=[monitor, *plugins], **arguments)
            else:
                annealing_arguments = {k: arguments.pop(k) for k in ANNEALING_ARGUMENTS if k in arguments}
                annealing = ObjectiveAnnealing(monitor, **annealing_arguments)
                trainer.train(
                    **common,
                    attach_default_scheduler=False,  # annealing follows the objective, not Flair's main metric
                    plugins=[monitor, annealing, *plugins],
                    **arguments,
                )
    finally:
        (base_path / "dev.tsv").unlink(missing_ok=True)  # Flair's predictions on dev: not needed
    if monitor.abandoned:
        raise TrialAbandoned("the trial's heartbeat could not be written; it was abandoned")
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
        threads=torch.get_num_threads(),
    )


def train_final_model(
    configuration: Configuration,
    corpus: flair.data.Corpus,
    base_path: Path,
    *,
    label_dictionary: flair.data.Dictionary | None = None,
    embedding_store: EmbeddingStore | None = None,
) -> flair.nn.Model:
    """Train ``configuration`` on train + dev for all its epochs; the model is the last epoch's."""
    from flair.trainers import ModelTrainer

    fine_tune = configuration.training_mode == TrainingMode.FINE_TUNE.value
    with _training(configuration, corpus, base_path, label_dictionary, embedding_store) as model:
        trainer = ModelTrainer(model, without_test(corpus))
        (trainer.fine_tune if fine_tune else trainer.train)(
            base_path=base_path,
            max_epochs=configuration.max_epochs,
            train_with_dev=True,
            save_final_model=False,
            **training_arguments(configuration),
        )
    return model


@contextlib.contextmanager
def _training(
    configuration: Configuration,
    corpus: flair.data.Corpus,
    base_path: Path,
    dictionary: flair.data.Dictionary | None,
    store: EmbeddingStore | None,
) -> Iterator[flair.nn.Model]:
    """A fresh model of ``configuration``, from its seed, to train in the block; faults of the machine (a full
    disk, stored vectors damaged meanwhile) are reported as such, not as the configuration's failure."""
    import flair

    reset_corpus(corpus)
    if configuration.seed is not None:
        flair.set_seed(configuration.seed)
    model = build_model(configuration, dictionary or labels_of(corpus, configuration.label_type))
    try:
        with stops_reach_caller(), served_embeddings(store, model, corpus):
            yield model
    except OSError as error:  # Flair's files (dev.tsv, loss.tsv): a full disk is no failure of the configuration
        if out_of_space(error):
            raise disk_full(base_path) from error
        raise
    except Exception as error:  # e.g. a NaN loss: was it the configuration, or vectors damaged on disk?
        if store is not None and not isinstance(error, MachineError | TrialAbandoned):
            store.check_served(error)
        raise
    finally:
        reset_corpus(corpus)


def served_embeddings(store: EmbeddingStore | None, model: flair.nn.Model, corpus: flair.data.Corpus) -> Any:
    """While the block runs, ``model``'s frozen embeddings come from ``store`` (when there is one)."""
    if store is None:
        return contextlib.nullcontext()
    return store.serving(model.embeddings, corpus.get_all_sentences())


def train(
    configuration: Configuration,
    corpus: flair.data.Corpus,
    base_path: str | Path,
    embedding_store: bool | str | Path = True,
    final: bool = False,
) -> flair.nn.Model:
    """Train ``configuration`` on ``corpus`` as a trial does and save ``best-model.pt`` in ``base_path``; with
    ``final``, on train + dev for all its epochs as ``final-model.pt``.

    Example::

        model = train(Configuration.load("hyperopt/trec6/best-configuration.yaml"), corpus, "retrained/")

    Pass ``embedding_store=False`` for a search that ran without the store.
    """
    base_path = Path(base_path)
    if final:
        model = train_final_model(configuration, corpus, base_path, embedding_store=store_for(embedding_store))
        model.save(base_path / "final-model.pt")
        return model
    outcome = train_configuration(configuration, corpus, base_path, embedding_store=store_for(embedding_store))
    outcome.model.save(base_path / "best-model.pt")
    return outcome.model
