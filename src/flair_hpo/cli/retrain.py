"""``flair-hpo train``: the best configuration of a search trained again, on the corpus the search ran on.

::

    flair-hpo train hyperopt/ner-tagger-frozen                  # -> hyperopt/ner-tagger-frozen/retrained/
    flair-hpo train hyperopt/ner-tagger-frozen --final          # on train + dev -> .../final/final-model.pt
    flair-hpo train BEST.yaml --corpus-from CONFIG.yaml --base-path OUT   # any configuration file
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from flair_hpo.cli.nearby import require_search
from flair_hpo.errors import ConfigError, InputError

#: Where the model goes in the search's folder when no --base-path is given.
RETRAINED, FINAL = "retrained", "final"


def add_train_command(commands: Any, remote_code_argument: Any) -> None:
    train = commands.add_parser(
        "train", help="train the best configuration of a search again (flair-hpo train BASE_PATH), or any one"
    )
    train.add_argument(
        "search", metavar="BASE_PATH", help="the search's folder, or a configuration file (best-configuration.yaml)"
    )
    train.add_argument("--corpus-from", help="a run YAML file whose corpus to train on (default: the search's)")
    train.add_argument("--base-path", help="a new folder for the model (default: BASE_PATH/retrained or /final)")
    train.add_argument(
        "--final", action="store_true", help="train on train + dev for all its epochs, saved as final-model.pt"
    )
    remote_code_argument(train)
    train.set_defaults(handler=retrain)


def retrain(args: argparse.Namespace) -> int:
    from flair_hpo.results.best import BEST_CONFIGURATION
    from flair_hpo.space import Configuration

    source = Path(args.search)
    if source.is_file():
        configuration_path = source
        if not (args.corpus_from and args.base_path):
            raise ConfigError(
                f"{source} is a file: give --corpus-from CONFIG.yaml and --base-path, or the search's folder"
            )
    else:
        require_search(source, "train", "a search's folder (its base_path) or a configuration file")
        configuration_path = source / BEST_CONFIGURATION
        if not configuration_path.is_file():
            raise InputError(f"{source} holds no {BEST_CONFIGURATION}: no trial of that search has finished yet")
    out = Path(args.base_path) if args.base_path else source / (FINAL if args.final else RETRAINED)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out} is not an empty folder; give a new folder with --base-path")
    configuration = Configuration.load(configuration_path)
    _check_paths_exist(_stored_parameters(configuration_path), configuration_path)
    reference, corpus = _corpus(args, source)
    print(f"Training {configuration_path} into {out} (Flair's log: {out / 'training.log'})", flush=True)
    _train_and_score(configuration, reference, corpus, out, args.final)
    return 0


def _train_and_score(configuration: Any, reference: dict[str, Any], corpus: Any, out: Path, final: bool) -> None:
    """Train ``configuration`` into ``out`` with Flair's log in its file, and say the model's scores and place."""
    from flair_hpo.cli.model_files import score_splits
    from flair_hpo.results.best import BEST_MODEL, FINAL_MODEL
    from flair_hpo.training import train
    from flair_hpo.training.corpus_file import keep_corpus_reference
    from flair_hpo.training.flair_console import flair_console_quieted

    with flair_console_quieted():
        model = train(configuration, corpus, out, final=final)
    # Scored as the search scores its best model: dev (not for a model trained on it) and test.
    scores = score_splits(model, corpus, ("test",) if final else ("dev", "test"), configuration.evaluation_metric)
    model_path = out / (FINAL_MODEL if final else BEST_MODEL)
    keep_corpus_reference(out, reference)  # for `flair-hpo evaluate OUT`
    result = {f"{s.split} {s.metric}": s.score for s in scores}
    _write_configuration(out, configuration, {**result, "model": model_path.name})
    shown = ", ".join(f"{name} {value:.4f}" for name, value in result.items()) or "no dev or test split to score"
    print(f"Retrained ({'train + dev, ' if final else ''}{configuration.max_epochs} epochs at most): {shown}")
    print(f"Model saved to {model_path}")


def _write_configuration(out: Path, configuration: Any, result: dict[str, Any]) -> None:
    import yaml

    from flair_hpo.files import atomic_write_text

    text = "# The configuration trained into this folder, and its model's scores.\n" + yaml.safe_dump(
        {"configuration": configuration.to_dict(out), "result": result}, sort_keys=False
    )
    atomic_write_text(out / "configuration.yaml", text)


def _corpus(args: argparse.Namespace, source: Path) -> tuple[dict[str, Any], Any]:
    from flair_hpo.cli.model_files import folder_corpus, loaded_corpus

    if args.corpus_from:
        reference = corpus_section_of(Path(args.corpus_from))
        return reference, loaded_corpus(reference)
    return folder_corpus(source)


def corpus_section_of(path: Path) -> dict[str, Any]:
    """The ``corpus:`` section of a YAML file, completed and checked as ``flair-hpo run`` does."""
    from flair_hpo.cli.run_config import read_yaml
    from flair_hpo.training.corpus_folder import completed_section
    from flair_hpo.training.corpus_reference import check_corpus_section

    data = read_yaml(path)
    if "corpus" not in data:
        raise ConfigError(f"{path}: no corpus: section (e.g. corpus: {{folder: data/ner}})")
    try:
        return check_corpus_section(completed_section(data["corpus"], data.get("tag_type")))
    except InputError as error:
        raise ConfigError(f"{path}: {error}") from None


def _stored_parameters(path: Path) -> Any:
    """The parameters as the configuration file writes them (a path relative to it as it is written there)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))  # read by Configuration.load just before
    return data.get("configuration", data)["parameters"]


def _check_paths_exist(value: Any, where: Path, key: str = "") -> None:
    """A file or folder the configuration names by a path (a model, word vectors; absolute, or relative to the
    file) must be on this machine: said in one line, not as a traceback from the middle of Flair."""
    from flair_hpo.files import local_path

    if isinstance(value, dict):
        for name, inner in value.items():
            _check_paths_exist(inner, where, key or name)  # the parameter's name
    elif isinstance(value, list):
        for inner in value:
            _check_paths_exist(inner, where, key)
    elif isinstance(value, str) and (here := local_path(value, where.parent)) and not os.path.exists(here):
        named = value if here == value else f"{value} ({here})"
        raise InputError(
            f"{where}: {key or 'a parameter'} names {named}, which does not exist on this machine; put it there "
            "or write its place on this machine into the file"
        )
