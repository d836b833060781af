"""The end of a search: the best trial's model, scored once on test (selection was on dev), and result files
that agree; with ``final_model=True`` also trained on train + dev."""

from __future__ import annotations

import dataclasses
import logging
import math

from flair_hpo.files import TRIALS_DIR
from flair_hpo.orchestration.setup import SearchSetup
from flair_hpo.orchestration.trial_turn import free_memory
from flair_hpo.records import History, TrialRecord, TrialStatus, keys
from flair_hpo.results.best import (
    BEST_CONFIGURATION,
    BEST_MODEL,
    FINAL_MODEL,
    locked,
    model_trial,
    save_model,
    write_best_configuration,
)
from flair_hpo.results.leaderboard import LEADERBOARD, LeaderboardFile
from flair_hpo.results.outcome import OptimizationResult
from flair_hpo.results.text import clock_text
from flair_hpo.search.earlier import EarlierStudy, remember, study_source
from flair_hpo.space import Configuration, SearchSpace
from flair_hpo.space import parameter_enums as p
from flair_hpo.study import TrialStore
from flair_hpo.training.monitor import TrialMonitor
from flair_hpo.training.trial_runner import served_embeddings, train_configuration, train_final_model

log = logging.getLogger("flair_hpo")


def stopped_early(best: TrialRecord, max_epochs: int) -> str | None:
    """How ``best``'s training was stopped before ``max_epochs`` (pruned, or by the time budget), or None."""
    epochs = best.epochs
    if epochs is None or epochs >= max_epochs:
        return None
    if best.status is TrialStatus.PRUNED:
        how = "pruned"
    elif best.user_attrs.get(keys.STOPPED_BY_TIME_BUDGET):
        how = "stopped by the time budget"
    else:
        return None
    return f"{how} after {epochs} of {max_epochs} epochs"


def budget_shorter_than_a_training(space: SearchSpace, history: History) -> str | None:
    """For a time budget that one trial outlasted on its own: what that trial took, for people; else None."""
    kind, hours = space.budget
    if kind is not p.Budget.TIME_IN_H:
        return None
    budget_s = float(hours) * 3600
    over = [r for r in history.records if r.duration_s is not None and r.duration_s > budget_s]
    if not over:
        return None
    trial = min(over, key=lambda record: record.number)
    epochs = f"{trial.epochs} of its {space.max_epochs} epochs" if trial.epochs else "before its first epoch ended"
    return (
        f"the time budget ({_duration(budget_s)}) is smaller than one training: trial {trial.number} took "
        f"{_duration(trial.duration_s or 0)} ({epochs}); give a budget of several trainings"
    )


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else clock_text(seconds)


class Finisher:
    """Writes the final files of a search from its study and hands back the result."""

    def __init__(self, setup: SearchSetup, store: TrialStore) -> None:
        self.setup = setup
        self.store = store
        self.base_path = setup.settings.base_path

    def finish(self) -> OptimizationResult:
        """Make sure best-model.pt is the best trial's, score it once on test, write the final files."""
        history = self.store.history()
        reseeding = self.setup.settings.reseeding
        with locked(self.base_path):
            LeaderboardFile(self.base_path, self.setup.search_space, self.setup.objective, reseeding).write(history)
        setup = self.setup
        source = study_source(setup.settings)  # kept for later studies' warm starts
        remember(EarlierStudy.of(setup.search_space, setup.label_type, setup.objective.name, history, source))
        winner = reseeding.winner(history)
        best = winner.best if winner else None  # the winning configuration's best seed
        counts = history.counts(TrialStatus.COMPLETE, TrialStatus.FAILED, TrialStatus.PRUNED)
        storage = self.setup.settings.storage
        common = {
            "budget_note": budget_shorter_than_a_training(self.setup.search_space, history),
            "objective": self.setup.objective.name,
            "leaderboard_path": self.base_path / LEADERBOARD,
            "trials": counts,
            "base_path": self.base_path,
            "storage": storage if isinstance(storage, str) else None,
            "study_name": self.setup.settings.study_name,
        }
        if best is None:
            return OptimizationResult(
                {}, dev_score=None, test_score=None, best_trial=None, model_path=None, configuration_path=None, **common
            )
        configuration = self.setup.configuration(best.labels, best.replicate)
        self._restore_best_model(best, configuration)
        test_score = self._test_score(best, configuration)
        final_test_score = self._final_model(best, configuration) if self.setup.settings.final_model else None
        with locked(self.base_path):
            write_best_configuration(
                self.base_path / BEST_CONFIGURATION,
                configuration,
                best,
                self.setup.objective,
                test_score,
                final_test_score,
                winner,
            )
        return OptimizationResult(
            best_configuration=dict(best.labels),
            dev_score=winner.value,
            seeds=winner.seeds,
            dev_sd=winner.sd,
            test_score=test_score,
            best_trial=best.number,
            model_path=self.base_path / BEST_MODEL,
            configuration_path=self.base_path / BEST_CONFIGURATION,
            final_model_path=self.base_path / FINAL_MODEL if self.setup.settings.final_model else None,
            final_test_score=final_test_score,
            stopped_early=stopped_early(best, configuration.max_epochs),
            **common,
        )

    def _restore_best_model(self, best: TrialRecord, configuration: Configuration) -> None:
        """Retrain the best trial if its weights are not here (another machine, a crash): its seed and the
        epochs it trained reproduce its model, checked against the recorded dev value."""
        if model_trial(self.base_path / BEST_MODEL) == best.number:
            return  # best-configuration.yaml is written for it just after
        epochs = int(best.epochs or configuration.max_epochs)
        log.warning(
            "the weights of the best trial %d are not in %s (trained on another machine, or lost in a crash); "
            "training it again from its seed for the %d epochs it trained",
            best.number,
            self.base_path,
            epochs,
        )
        outcome = train_configuration(
            dataclasses.replace(configuration, max_epochs=epochs),
            self.setup.corpus,
            self.base_path / TRIALS_DIR / f"trial-{best.number:04d}-again",
            label_dictionary=self.setup.label_dictionary,
            monitor=TrialMonitor(self.setup.objective, max_epochs=epochs),
            embedding_store=self.setup.embedding_store,
        )
        if not math.isclose(outcome.value, best.value, rel_tol=1e-6, abs_tol=1e-9):
            log.warning(
                "trial %d trained again scores %s %.6f on dev, not %.6f as recorded (training is not deterministic "
                "here, e.g. on a GPU); its model is kept, the recorded score stays the trial's",
                best.number,
                self.setup.objective.name,
                outcome.value,
                best.value,
            )
        with locked(self.base_path):
            save_model(outcome.model, self.base_path / BEST_MODEL, best.number)

    def _test_score(self, best: TrialRecord, configuration: Configuration) -> float | None:
        """The best model's score on the test split, computed once per best trial."""
        corpus = self.setup.corpus
        if corpus.test is None or len(corpus.test) == 0:
            return None
        cached = self.store.test_score_for(best.number)
        if cached is not False:
            return cached
        from flair.models import SequenceTagger, TextClassifier

        model_class = TextClassifier if configuration.document_embeddings else SequenceTagger
        # A loaded model's embeddings record other arguments (and Flair renames stacked ones), so they
        # would not match their store entries: the test split is embedded here, once.
        model = model_class.load(self.base_path / BEST_MODEL)
        score = self.setup.objective.test_score(model, configuration, corpus.test)
        self.store.note_test_score(best.number, score)
        del model
        free_memory()
        return score

    def _final_model(self, best: TrialRecord, configuration: Configuration) -> float | None:
        """Train the best configuration on train + dev (once per best trial); its test score."""
        done = self.store.final_model_score_for(best.number)
        if done is not False and (self.base_path / FINAL_MODEL).exists():
            return done
        log.info("training the final model: trial %d's configuration on train + dev", best.number)
        corpus, store = self.setup.corpus, self.setup.embedding_store
        model = train_final_model(
            configuration,
            corpus,
            self.base_path / TRIALS_DIR / "final-model",
            label_dictionary=self.setup.label_dictionary,
            embedding_store=store,
        )
        with locked(self.base_path):
            save_model(model, self.base_path / FINAL_MODEL)
        score = None
        if corpus.test is not None and len(corpus.test) > 0:
            with served_embeddings(store, model, corpus):
                score = self.setup.objective.test_score(model, configuration, corpus.test)
        self.store.note_final_model_score(best.number, score)
        log.info("final model saved to %s (test %s)", self.base_path / FINAL_MODEL, score)
        del model
        free_memory()
        return score
