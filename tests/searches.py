"""Searches the integration tests run, in-process or in a child process (``python -m tests.searches``)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_spaces, search_strategies
from flair_hpo.orchestration.progress import ProgressDisplay


def trec_corpus():
    import flair
    from flair.datasets import TREC_6

    flair.set_seed(1)
    return TREC_6().downsample(0.1)


def small_trec_search(
    corpus, base_path: Path, vectors: Path, runs: int = 4, storage: str | None = None
) -> orchestrator.Orchestrator:
    """Random search over two learning rates and two hidden sizes of an RNN over small word vectors."""
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
        corpus=corpus, base_path=base_path, search_space=search_space, search_strategy=search_strategy, storage=storage
    )


def die_at(trial_number: int, epoch: int) -> None:
    """Make this process kill itself (SIGKILL, no clean-up) when a trial reaches an epoch."""
    original = ProgressDisplay.epoch_finished

    def epoch_finished(self, number, reached, value):
        original(self, number, reached, value)
        if (number, reached) == (trial_number, epoch):
            os.kill(os.getpid(), signal.SIGKILL)

    ProgressDisplay.epoch_finished = epoch_finished


if __name__ == "__main__":
    base_path, vectors, trial, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    die_at(trial, epoch)
    small_trec_search(trec_corpus(), Path(base_path), Path(vectors)).optimize()
