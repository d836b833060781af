"""Searches the integration tests run, in-process or in a child process (``python -m tests.searches``)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_spaces, search_strategies
from flair_hpo.optuna_internals import study_id
from flair_hpo.orchestration.progress import ProgressDisplay


def journal_study(base_path: Path, name: str, **store_settings):
    """An empty study in a journal file under ``base_path``, with the TrialStore that flair-hpo keeps beside it:
    ``(storage, study, store)``."""
    import optuna

    from flair_hpo.study import open_storage
    from flair_hpo.study.trial_store import TrialStore

    storage = open_storage(None, base_path, heartbeat_interval=1)
    study = optuna.create_study(storage=storage, study_name=name)
    return storage, study, TrialStore(study, storage, study_id(study), created=True, **store_settings)


def trec_corpus():
    import flair
    from flair.datasets import TREC_6

    flair.set_seed(1)
    return TREC_6().downsample(0.1)


def small_trec_search(
    corpus, base_path: Path, vectors: Path, runs: int = 4, storage: str | None = None
) -> orchestrator.Orchestrator:
    """Random search over two learning rates and two hidden sizes of an RNN over small word vectors, without
    pruning: the tests that use it count the trials that train all their epochs."""
    from flair.embeddings import WordEmbeddings

    search_space = search_spaces.TextClassifierSearchSpace()
    search_space.add_budget(parameter.Budget.RUNS, runs)
    search_space.add_evaluation_metric(parameter.EvaluationMetric.MICRO_F1_SCORE)
    search_space.add_optimization_value(parameter.OptimizationValue.DEV_SCORE)
    search_space.add_max_epochs_per_training_run(2)
    search_space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, options=[0.1, 0.05])
    search_space.add_parameter(parameter.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[16, 32])
    search_space.add_word_embeddings(
        parameter.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[WordEmbeddings(str(vectors))]]
    )
    search_strategy = search_strategies.RandomSearch(seed=5)
    search_strategy.make_configurations(search_space)
    return orchestrator.Orchestrator(
        corpus=corpus,
        base_path=base_path,
        search_space=search_space,
        search_strategy=search_strategy,
        storage=storage,
        pruner="none",
    )


def die_at(trial_number: int, epoch: int) -> None:
    """Make this process kill itself (SIGKILL, no clean-up) when a trial reaches an epoch."""
    original = ProgressDisplay.epoch_finished

    def epoch_finished(self, number, reached, value):
        original(self, number, reached, value)
        if (number, reached) == (trial_number, epoch):
            os.kill(os.getpid(), signal.SIGKILL)

    ProgressDisplay.epoch_finished = epoch_finished


def die_while(step: str) -> None:
    """Make this process kill itself in the middle of ``step``: "creating" the study (before its run settings
    are stored), or "requeueing" a trial (failed as interrupted, its configuration not yet queued again: the
    requeue that follows a Ctrl-C in trial 1)."""
    from flair_hpo.records import keys

    def kill(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if step == "creating":  # (the journal storage's own method: it is wrapped when the search opens it)
        from optuna.storages.journal import JournalStorage

        original_set = JournalStorage.set_study_system_attr

        def set_study_system_attr(self, study_id, key, value):
            return kill() if key == keys.RUN else original_set(self, study_id, key, value)

        JournalStorage.set_study_system_attr = set_study_system_attr
    else:
        original = ProgressDisplay.epoch_finished

        def interrupt(self, number, reached, value):
            original(self, number, reached, value)
            if number == 1:
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C: the trial is failed as interrupted, then queued

        ProgressDisplay.epoch_finished = interrupt
        import optuna

        optuna.Study.enqueue_trial = kill  # the requeue's second step


def race_at_creation(barrier: Path, me: str, racers: int = 2) -> None:
    """Hold this process just before it opens (creates) the study until every racer has reached that point,
    so that all create the study at the same moment."""
    import time

    from flair_hpo.study.trial_store import TrialStore

    original = TrialStore.open.__func__

    def open_when_all_are_there(cls, *args, **kwargs):
        (barrier / me).touch()
        while len(list(barrier.iterdir())) < racers:
            time.sleep(0.005)
        return original(cls, *args, **kwargs)

    TrialStore.open = classmethod(open_when_all_are_there)


def fill_disk_at_first_best_model() -> None:
    """Fill the disk of base_path just before the first best model is written (a real full file system)."""
    from flair_hpo.results.best import BestModelKeeper

    from .faults import fill_disk

    original = BestModelKeeper.offer

    def offer(self, *args, **kwargs):
        fill_disk(self.base_path)
        return original(self, *args, **kwargs)

    BestModelKeeper.offer = offer


def fill_disk_at(folder: Path, trial_number: int, epoch: int | None = None) -> None:
    """Fill the file system of ``folder`` (a small tmpfs) when a trial reaches an epoch (``None``: right after it
    is recorded complete), and the journal's last block too, so that the study's next record is a write that
    fails (files written later, or new ones, fail as well). The fault is real; only its moment is chosen."""
    from .faults import fill_disk

    def fill() -> None:
        fill_disk(folder)
        fill_journal(folder)

    if epoch is None:
        original_trained = ProgressDisplay.trial_trained

        def trial_trained(self, number, outcome, seconds):
            original_trained(self, number, outcome, seconds)
            if number == trial_number:
                fill()

        ProgressDisplay.trial_trained = trial_trained
    else:
        original_epoch = ProgressDisplay.epoch_finished

        def epoch_finished(self, number, reached, value):
            original_epoch(self, number, reached, value)
            if (number, reached) == (trial_number, epoch):
                fill()

        ProgressDisplay.epoch_finished = epoch_finished


def fill_journal(folder: Path) -> None:
    """On a full disk, append records to the study in ``folder`` until even the smallest one finds no room."""
    from flair_hpo.errors import DiskFullError
    from flair_hpo.study import open_storage

    storage = open_storage(None, folder, heartbeat_interval=None)
    study_id = storage.get_study_id_from_name("flair-hpo")
    for length in (256, 16, 1):
        for i in range(10_000):
            try:
                storage.set_study_user_attr(study_id, f"test:padding-{length}-{i}", "x" * length)
            except (DiskFullError, OSError):  # OSError: Optuna's own backend (before flair-hpo's journal)
                break


def as_the_command_line_does(search: orchestrator.Orchestrator) -> int:
    """Run ``search`` and end as ``flair-hpo run`` does: a fault of the machine in one line on stderr, exit 1."""
    from flair_hpo.cli.main import EXIT_FAILURE, one_line
    from flair_hpo.errors import MachineError

    try:
        search.optimize()
    except MachineError as error:
        print(f"flair-hpo: error: {one_line(error)}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


if __name__ == "__main__":
    if sys.argv[1] in ("race", "fill-at-best"):  # flair-hpo run CONFIG, with a fault prepared
        from flair_hpo.cli import main

        if sys.argv[1] == "race":
            race_at_creation(Path(sys.argv[2]), sys.argv[3])
        else:
            fill_disk_at_first_best_model()
        sys.exit(main(["run", sys.argv[-1]]))
    base_path, vectors = Path(sys.argv[1]), Path(sys.argv[2])
    if sys.argv[3].isdigit():  # die when trial T reaches epoch E
        die_at(int(sys.argv[3]), int(sys.argv[4]))
        small_trec_search(trec_corpus(), base_path, vectors).optimize()
    elif sys.argv[3] == "fill-disk":  # fill base_path's disk when trial T reaches epoch E ("recorded": is done)
        fill_disk_at(base_path, int(sys.argv[5]), None if sys.argv[6] == "recorded" else int(sys.argv[6]))
        sys.exit(as_the_command_line_does(small_trec_search(trec_corpus(), base_path, vectors, runs=int(sys.argv[4]))))
    else:
        die_while(sys.argv[3])
        small_trec_search(trec_corpus(), base_path, vectors, runs=int(sys.argv[4])).optimize()
