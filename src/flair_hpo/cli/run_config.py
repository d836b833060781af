"""``flair-hpo run CONFIG.yaml``: a search described in YAML, read into the Python API's objects.

Example (``examples/trec6.yaml`` is a complete one)::

    task: text_classification            # or sequence_labeling
    corpus:
      dataset: TREC_6                    # a class of flair.datasets ...
      args: {}                           # ... with its keyword arguments
      # or: folder: data/, format: column, columns: {0: text, 1: ner}
    base_path: hyperopt/trec6
    strategy: {name: evolutionary, population_size: 4, seed: 1}
    budget: {generations: 2}             # or {runs: 20} or {time_in_h: 1.5}
    evaluation_metric: micro_f1_score
    optimization_value: dev_score
    max_epochs_per_training_run: 2
    parameters:
      ModelTrainer.learning_rate: [0.1, 0.05]                # options
      ModelTrainer.mini_batch_size: {low: 8, high: 64, log: true}   # a range
      DocumentRNNEmbeddings.hidden_size: [64, 128]
      DocumentRNNEmbeddings.word_embeddings:
        - [{class: WordEmbeddings, embeddings: glove}]       # each option: a list of embeddings
    start:                               # trained first (optional): known-good configurations
      - {ModelTrainer.learning_rate: 0.1, ModelTrainer.mini_batch_size: 32, DocumentRNNEmbeddings.hidden_size: 128}

Every mistake is reported with the key it concerns before anything is loaded or trained.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from flair_hpo.checks import flag
from flair_hpo.cli.yaml_space import build_space
from flair_hpo.errors import ConfigError, InputError, did_you_mean
from flair_hpo.orchestration.workers import check_workers
from flair_hpo.space import SearchSpace
from flair_hpo.strategies import STRATEGIES, SearchStrategy
from flair_hpo.study import RunSettings
from flair_hpo.training.corpus_reference import check_corpus_section, load_corpus

_TOP_KEYS = {
    "task": "text_classification or sequence_labeling",
    "corpus": "the corpus: a Flair dataset or a folder",
    "base_path": "the folder for results",
    "storage": "an Optuna storage URL (optional)",
    "study_name": "the study's name in the storage (optional)",
    "label_type": "the label type to predict (text classification, optional)",
    "tag_type": "the tag type (sequence labeling)",
    "multi_label": "whether sentences may carry several labels",
    "strategy": "grid, random, evolutionary or bayesian",
    "budget": "{runs: N}, {generations: N} or {time_in_h: H}",
    "evaluation_metric": "micro_f1_score, macro_f1_score, micro_accuracy or macro_accuracy",
    "optimization_value": "dev_score or dev_loss",
    "max_epochs_per_training_run": "the most epochs per trial",
    "parameters": "the parameters to tune",
    "start": "configurations to train first, each a mapping of parameter names to values (optional)",
    "pruner": "auto, successive_halving, hyperband, median or none (optional)",
    "embedding_store": "true (the machine's cache), false, or a folder: compute frozen embeddings once (optional)",
    "workers": "how many trials train at once on this machine; 0 only waits for workers elsewhere (optional)",
    "heartbeat_interval": "seconds between a running trial's heartbeats (optional, default 30)",
    "final_model": "true: after the search, train the best configuration on train + dev (optional)",
    "report": "true: write report.html after the search (optional, default true)",
    "recipe": "a ready search space: ner-fine-tune, tagger-frozen, classifier-fine-tune, classifier-frozen "
    "(or {name: ..., model: ...}); the keys above override it (optional)",
    "training_mode": "fine_tune or train (optional; by default fine_tune when an embedding is fine-tuned)",
    "reseeding": "{finalists: N, seeds: S}: train the N best configurations with S seeds in all at the end (optional)",
}
_REQUIRED = ("corpus", "base_path", "strategy")


def _strategy(value: Any) -> SearchStrategy:
    if not isinstance(value, str | Mapping):
        raise ConfigError(f"strategy: {value!r} is not {', '.join(STRATEGIES)}, or a mapping with name: and settings")
    settings = {"name": value} if isinstance(value, str) else dict(value)
    name = str(settings.pop("name", "")).lower().removesuffix("search").removesuffix("_")
    if name not in STRATEGIES:
        raise ConfigError(f"strategy: {value!r} is not {', '.join(STRATEGIES)}{did_you_mean(name, STRATEGIES)}")
    try:
        return STRATEGIES[name](**settings)
    except TypeError as error:
        raise ConfigError(f"strategy: {error}") from None


@dataclass
class RunConfig:
    """A search read from YAML: what an :class:`~flair_hpo.orchestration.orchestrator.Orchestrator` needs
    (``settings.corpus`` is the corpus reference), and how to run it here."""

    path: Path
    search_space: SearchSpace
    search_strategy: SearchStrategy
    settings: RunSettings
    workers: int = 1
    report: bool = True

    def load_corpus(self) -> Any:
        """Load the corpus the configuration names."""
        return load_corpus(self.settings.corpus)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Parse a YAML mapping, turning file and syntax problems into :class:`ConfigError`."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not readable YAML: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings (task:, corpus:, ...), not {type(data).__name__}")
    return data


def load_run_config(path: str | Path) -> RunConfig:
    """Read and check a run configuration; every error names the key at fault."""
    path = Path(path)
    return parse_run_config(read_yaml(path), path)


def parse_run_config(data: dict[str, Any], source: Path | str) -> RunConfig:
    """Check a run configuration given as a mapping (a YAML file's, or the command line's); errors start
    with ``source``."""
    try:
        return _parse(data, Path(source))
    except InputError as error:  # the file's own mistakes, and those the Python API finds in its values
        raise ConfigError(f"{source}: {error}") from None


def _parse(data: dict[str, Any], path: Path) -> RunConfig:
    for key in data:
        if key not in _TOP_KEYS:
            raise ConfigError(f"unknown key '{key}'{did_you_mean(key, _TOP_KEYS)} (known keys: {', '.join(_TOP_KEYS)})")
    for key in _REQUIRED:
        if key not in data:
            raise ConfigError(f"missing key '{key}': {_TOP_KEYS[key]}")
    check_corpus_section(data["corpus"])  # a mapping here: None would mean a corpus object in Python
    space = build_space(data)
    strategy = _strategy(data["strategy"])
    strategy.make_configurations(space)
    # The run settings have the YAML keys' names; RunSettings checks them (its messages name the key).
    settings = RunSettings(**{key: data[key] for key in RunSettings.names() if key in data})
    workers = data.get("workers", 1)
    check_workers(workers, None)
    return RunConfig(path, space, strategy, settings, workers, flag(data.get("report", True), "report", ConfigError))
