"""The best model and its configuration: ``best-model.pt`` and ``best-configuration.yaml`` in base_path.

Both are written atomically and carry the trial's number, so a pair that a crash left mismatched is repaired
when the search resumes or ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from flair_hpo.files import atomic_write, atomic_write_text, file_lock
from flair_hpo.records import ConfigurationScore, TrialRecord
from flair_hpo.space import Configuration
from flair_hpo.training.scoring import Objective

BEST_MODEL = "best-model.pt"
FINAL_MODEL = "final-model.pt"
BEST_CONFIGURATION = "best-configuration.yaml"
_LOCK = ".flair-hpo.lock"


@contextlib.contextmanager
def locked(base_path: Path) -> Iterator[None]:
    """Serialize result writing between the workers of one machine."""
    with file_lock(base_path / _LOCK):
        yield


def write_best_configuration(
    path: Path,
    configuration: Configuration,
    record: TrialRecord,
    objective: Objective,
    test_score: float | None,
    final_test_score: float | None = None,
    score: ConfigurationScore | None = None,
) -> None:
    """``best-configuration.yaml``: the configuration, the seed and trial of ``record``, and its scores."""
    result = {
        "trial": record.number,
        objective.name: record.value,
        f"dev {objective.evaluation_metric.value}": record.dev_score,
        "dev loss": record.dev_loss,
        "epochs": record.epochs,
        "model": BEST_MODEL,
    }
    if record.threads is not None:  # the same count trains the same model again (OMP_NUM_THREADS=N)
        result["threads"] = record.threads
    if score is not None and score.seeds > 1:
        result[f"mean {objective.name} over seeds"] = score.value
        result["sd over seeds"] = score.sd
        result["seeds"] = score.seeds
        result["trials of the seeds"] = [r.number for r in score.records]
    if test_score is not None:
        result[f"test {objective.evaluation_metric.value}"] = test_score
    if final_test_score is not None:
        result["final model"] = f"{FINAL_MODEL} (trained on train + dev for {configuration.max_epochs} epochs)"
        result[f"final model test {objective.evaluation_metric.value}"] = final_test_score
    text = (
        "# The best configuration flair-hpo found. Train it again with:\n"
        "#   flair-hpo train BASE_PATH   (this folder: its corpus.yaml names the corpus)\n"
        "#   or, in Python: flair_hpo.train(Configuration.load('best-configuration.yaml'), corpus, 'retrained/')\n"
        + yaml.safe_dump({"configuration": configuration.to_dict(path.parent), "result": result}, sort_keys=False)
    )
    atomic_write_text(path, text)


def save_model(model: Any, path: Path, trial: int | None = None) -> None:
    """Save a Flair model atomically; with ``trial``, its number goes into the model's card, so that the model
    and ``best-configuration.yaml`` can be checked against each other (:func:`model_trial`)."""
    if trial is not None:
        model.model_card = {**(model.model_card or {}), "flair_hpo": {"trial": trial}}
    atomic_write(path, lambda tmp: model.save(tmp))


def model_trial(path: Path) -> int | None:
    """The trial a saved model is from, as its card says (None for a model saved without one)."""
    from flair_hpo.flair_internals import saved_model_card  # Flair loads slowly; `flair-hpo show` does without

    if not path.exists():
        return None
    return (saved_model_card(path).get("flair_hpo") or {}).get("trial")


def saved_best(base_path: Path) -> dict[str, Any] | None:
    """The ``result`` part of ``best-configuration.yaml`` (trial number, scores), or None."""
    path = base_path / BEST_CONFIGURATION
    if not path.exists():
        return None
    saved = yaml.safe_load(path.read_text(encoding="utf-8"))
    return saved.get("result") if isinstance(saved, dict) else None


class BestModelKeeper:
    """Keeps ``best-model.pt`` and ``best-configuration.yaml`` those of the best trial trained here."""

    def __init__(self, base_path: Path, objective: Objective) -> None:
        self.base_path = base_path
        self.objective = objective
        self.model_path = base_path / BEST_MODEL

    def offer(self, record: TrialRecord, model: Any, configuration: Configuration) -> bool:
        """Write ``model`` and ``configuration`` if ``record`` beats the best so far; whether it did."""
        with locked(self.base_path):
            holder = saved_best(self.base_path)
            if holder is not None and not self._beats(record, holder):
                return False
            save_model(model, self.base_path / BEST_MODEL, record.number)
            write_best_configuration(self.base_path / BEST_CONFIGURATION, configuration, record, self.objective, None)
            return True

    def _beats(self, record: TrialRecord, holder: dict[str, Any]) -> bool:
        value = holder.get(self.objective.name)
        if record.number == holder.get("trial") or value is None:
            return True
        if record.value == value:  # the earlier wins; a last call replaces the training it redoes, cut short
            return record.number < holder["trial"] or record.last_call
        return self.objective.is_better(record.value, value)
