"""``flair-hpo train``: the best configuration of a search trained again, on the corpus the search ran on.

::

    flair-hpo train hyperopt/ner-tagger-frozen                  # -> hyperopt/ner-tagger-frozen/retrained/
    flair-hpo train hyperopt/ner-tagger-frozen --final          # on train + dev -> .../final/final-model.pt
    flair-hpo train BEST.yaml --corpus-from CONFIG.yaml --base-path OUT   # any configuration file

The search's folder holds both: ``best-configuration.yaml`` and ``corpus.yaml`` (written when the search
started; for a search of an earlier version, taken from its study and written then).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

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
    from flair_hpo.results.best import BEST_CONFIGURATION, BEST_MODEL, FINAL_MODEL
    from flair_hpo.space import Configuration

    source = Path(args.search)
    if source.is_dir():
        configuration_path = source / BEST_CONFIGURATION
        if not configuration_path.is_file():
            raise InputError(f"{source} holds no {BEST_CONFIGURATION}: no trial of that search has finished yet")
    elif source.is_file():
        configuration_path = source
        if not (args.corpus_from and args.base_path):
            raise ConfigError(
                f"{source} is a file: give --corpus-from CONFIG.yaml and --base-path, or the search's folder"
            )
    else:
        raise InputError(f"{source} does not exist: give a search's folder (its base_path) or a configuration file")
    out = Path(args.base_path) if args.base_path else source / (FINAL if args.final else RETRAINED)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out} is not an empty folder; give a new folder with --base-path")
    configuration = Configuration.load(configuration_path)
    _check_paths_exist(_stored_parameters(configuration_path), configuration_path)
    corpus = _corpus(args, source)
    from flair_hpo.training import train

    train(configuration, corpus, out, final=args.final)
    print(f"Model saved to {out / (FINAL_MODEL if args.final else BEST_MODEL)}")
    return 0


def _corpus(args: argparse.Namespace, source: Path) -> Any:
    from flair_hpo.training.corpus_file import CORPUS_FILE, keep_corpus_reference, read_corpus_reference
    from flair_hpo.training.corpus_reference import load_corpus

    if args.corpus_from:
        return load_corpus(_corpus_section_of(Path(args.corpus_from)))
    reference = read_corpus_reference(source)
    if reference is None:
        from flair_hpo.results.study_view import stored_corpus

        stored = stored_corpus(source)
        if stored is None:
            raise InputError(
                f"{source} has no {CORPUS_FILE}, and its study stores no corpus (it was given a corpus object in "
                "Python): give --corpus-from CONFIG.yaml"
            )
        keep_corpus_reference(source, stored)
        reference = read_corpus_reference(source)
    return load_corpus(reference)


def _corpus_section_of(path: Path) -> dict[str, Any]:
    """The ``corpus:`` section of a YAML file (a run's, or one that holds only that), completed and checked as
    ``flair-hpo run`` does."""
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
