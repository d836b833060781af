"""``flair-hpo run CONFIG.yaml``: a search described in YAML, read into the Python API's objects.

Example (``examples/trec6.yaml`` is a complete one)::

    task: text_classification            # or sequence_labeling
    corpus:
      dataset: TREC_6                    # a class of flair.datasets ...
      args: {}                           # ... with its keyword arguments
      # or: folder: data/              # format (column or classification) and columns told from its files
      # or: folder: data/, format: column, columns: {0: text, 1: ner}
    base_path: hyperopt/trec6
    strategy: {name: evolutionary, population_size: 4, seed: 1}
    budget: {generations: 2}             # or {runs: 20} or {time_in_h: 1.5}
    evaluation_metric: micro_f1_score    # the default, as is optimization_value: dev_score
    max_epochs_per_training_run: 2       # or max_epochs: 2
    parameters:
      ModelTrainer.learning_rate: [0.1, 0.05]                # options
      ModelTrainer.mini_batch_size: {low: 8, high: 64, log: true}   # a range
      DocumentRNNEmbeddings.hidden_size: [64, 128]
      DocumentRNNEmbeddings.word_embeddings:
        - [{class: WordEmbeddings, embeddings: glove}]       # each option: a list of embeddings
    start:                               # trained first (optional): known-good configurations
      - {ModelTrainer.learning_rate: 0.1, ModelTrainer.mini_batch_size: 32, DocumentRNNEmbeddings.hidden_size: 128}

Every mistake of a file is reported at once, each with the key it concerns, before anything is trained.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from flair_hpo.checks import flag
from flair_hpo.cli.yaml_space import DEFAULTS, build_space, check_names
from flair_hpo.errors import ConfigError, InputError, Mistakes, did_you_mean
from flair_hpo.orchestration.workers import check_workers
from flair_hpo.search.settings import RunSettings
from flair_hpo.space import SEQUENCE_LABELING, SearchSpace
from flair_hpo.space.recipes import RECIPES, recipe_task
from flair_hpo.strategies import STRATEGIES, SearchStrategy
from flair_hpo.training.corpus_folder import TASKS, completed_section
from flair_hpo.training.corpus_reference import check_corpus_section, load_corpus

# The keys of the search itself; the run settings' keys are RunSettings' fields (RunSettings.described()).
_TOP_KEYS = {
    "task": "text_classification or sequence_labeling",
    "corpus": "",  # described by RunSettings (below); listed first
    "base_path": "",
    "label_type": "the label type to predict (text classification, optional)",
    "tag_type": "the tag type (sequence labeling)",
    "multi_label": "whether sentences may carry several labels",
    "strategy": "grid, random, evolutionary or bayesian",
    "budget": "{runs: N}, {generations: N} or {time_in_h: H}",
    "evaluation_metric": "micro_f1_score (default), macro_f1_score, micro_accuracy or macro_accuracy",
    "optimization_value": "dev_score (default) or dev_loss",
    "max_epochs_per_training_run": "the most epochs per trial",
    "max_epochs": "the same as max_epochs_per_training_run (as best-configuration.yaml names it)",
    "parameters": "the parameters to tune",
    "start": "configurations to train first, each a mapping of parameter names to values (optional)",
    "workers": "how many trials train at once on this machine; auto: as many as is measured to be faster; 0 only "
    "waits for workers elsewhere (optional)",
    "report": "true: write report.html after the search (optional, default true)",
    "recipe": "a ready search space: ner-fine-tune, tagger-frozen, classifier-fine-tune, classifier-frozen "
    "(or {name: ..., model: ...}); the other keys override it (optional)",
    "training_mode": "fine_tune or train (optional; by default fine_tune when an embedding is fine-tuned)",
    **RunSettings.described(),
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
    """A search read from YAML: what an :class:`~flair_hpo.orchestration.search_run.Orchestrator` needs
    (``settings.corpus`` is the corpus reference), and how to run it here."""

    path: Path
    search_space: SearchSpace
    search_strategy: SearchStrategy
    settings: RunSettings
    workers: int | str = 1
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


def load_run_config(path: str | Path, machine_checks: Callable[[dict[str, Any]], None] | None = None) -> RunConfig:
    """Read and check a run configuration; every error names the key at fault."""
    path = Path(path)
    return parse_run_config(read_yaml(path), path, machine_checks)


def parse_run_config(
    data: dict[str, Any], source: Path | str, machine_checks: Callable[[dict[str, Any]], None] | None = None
) -> RunConfig:
    """Check a run configuration given as a mapping (a YAML file's, or the command line's); errors start
    with ``source``.

    The file's mistakes are found all at once, first those that need no Flair or torch (a second instead of
    ten), then the options against Flair's classes; ``machine_checks`` is called last, with the checked mapping.
    """
    try:
        return _parse(data, Path(source), machine_checks)
    except InputError as error:  # the file's own mistakes, and those the Python API finds in its values
        raise ConfigError(f"{source}: {error}") from None


def _parse(data: dict[str, Any], path: Path, machine_checks: Callable[[dict[str, Any]], None] | None) -> RunConfig:
    mistakes = Mistakes()
    data, strategy, settings = _first_checks(data, mistakes)
    mistakes.raise_found()
    if "dataset" in data["corpus"]:  # a class of flair.datasets: looked up there
        with mistakes.check():
            check_corpus_section(data["corpus"])
    space = build_space(data, mistakes)
    if space is not None and not mistakes.found:  # a strategy checks a space that has no mistakes
        with mistakes.check():
            strategy.make_configurations(space)
    mistakes.raise_found()
    assert space is not None  # else a mistake was raised
    if machine_checks is not None:
        machine_checks(data)
    return RunConfig(path, space, strategy, settings, data.get("workers", 1), data["report"])


def _first_checks(data: dict[str, Any], mistakes: Mistakes) -> tuple[dict[str, Any], Any, Any]:
    """What can be checked without Flair's classes; the mapping completed, the strategy and the settings."""
    for key in data:
        if key not in _TOP_KEYS:
            mistakes.found.append(
                f"unknown key '{key}'{did_you_mean(key, _TOP_KEYS)} (known keys: {', '.join(_TOP_KEYS)})"
            )
    mistakes.found += [f"missing key '{key}': {_TOP_KEYS[key]}" for key in _REQUIRED if key not in data]
    data = {**DEFAULTS, **data}
    with mistakes.check():
        data["corpus"] = completed_section(data.get("corpus"), data.get("tag_type"))
        _task_of_folder(data)
    if "corpus" in data and not (isinstance(data["corpus"], Mapping) and "dataset" in data["corpus"]):
        with mistakes.check():
            check_corpus_section(data["corpus"])  # a mapping here: None would mean a corpus object in Python
    check_names(data, mistakes)
    strategy = settings = None
    if "strategy" in data:
        with mistakes.check():
            strategy = _strategy(data["strategy"])
    if "base_path" in data:  # else reported as missing
        with mistakes.check():
            # The run settings have the YAML keys' names; RunSettings checks them (its messages name the key).
            settings = RunSettings(**{key: data[key] for key in RunSettings.names() if key in data})
    with mistakes.check():
        check_workers(data.get("workers", 1), None)
    with mistakes.check():
        data["report"] = flag(data.get("report", True), "report", ConfigError)
    return data, strategy, settings


def _task_of_folder(data: dict[str, Any]) -> None:
    """The task and tag type a corpus folder's format implies, where the file leaves them out; a recipe of
    another task is a mistake."""
    section = data["corpus"]
    if not isinstance(section, dict) or section.get("format") not in TASKS:
        return
    task = TASKS[section["format"]]
    tags = [name for name in section.get("columns", {}).values() if name != "text"]
    if task == SEQUENCE_LABELING and "tag_type" not in data and len(tags) == 1:
        data["tag_type"] = tags[0]
    if task == SEQUENCE_LABELING and data.get("tag_type") not in (None, *tags):
        raise ConfigError(f"tag_type: {data['tag_type']} is not among the columns of corpus: {', '.join(tags)}")
    named = data.get("recipe")
    name = named.get("name") if isinstance(named, Mapping) else named
    if name in RECIPES and recipe_task(name) != task:
        fitting = [other for other in RECIPES if recipe_task(other) == task]
        raise ConfigError(
            f"recipe: {name} is for {recipe_task(name)}, but the corpus {section['folder']} holds "
            f"{section['format']} files ({task}); use {' or '.join(fitting)}"
        )
    data.setdefault("task", task)
