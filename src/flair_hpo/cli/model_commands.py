"""``flair-hpo evaluate`` and ``predict``: what a user does next with the model a search (or ``flair-hpo train``)
wrote::

    flair-hpo evaluate hyperopt/questions-classifier-frozen               # its test score, Flair's report
    flair-hpo predict retrained/questions --file questions.txt        # a line of text a line; - reads stdin
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from flair_hpo.cli.model_files import (
    MODEL_FILES,
    folder_corpus,
    load_model,
    loaded_corpus,
    model_file,
    score_splits,
    search_metric,
)
from flair_hpo.errors import ConfigError, InputError

SPLITS = ("test", "dev")


def add_model_commands(commands: Any) -> None:
    evaluate = commands.add_parser("evaluate", help="score a search's (or a retrained) model on test or dev")
    evaluate.add_argument("model", metavar="BASE_PATH", help="a search's or retrained model's folder, or a .pt file")
    evaluate.add_argument("--split", choices=SPLITS, default="test", help="the split to score (default test)")
    evaluate.add_argument("--corpus-from", help="a run YAML file whose corpus to score on (default: the folder's)")
    evaluate.set_defaults(handler=_evaluate)
    predict = commands.add_parser("predict", help="label text with a search's (or a retrained) model")
    predict.add_argument("model", metavar="BASE_PATH", help="a search's or retrained model's folder, or a .pt file")
    predict.add_argument("text", nargs="*", help="sentences to label, each one argument")
    predict.add_argument("--file", help="a file of sentences, one a line (- for standard input)")
    predict.set_defaults(handler=_predict)


def _evaluate(args: argparse.Namespace) -> int:
    path = model_file(Path(args.model), "evaluate")
    folder = path.parent
    metric = search_metric(folder)
    if args.corpus_from:
        from flair_hpo.cli.retrain import corpus_section_of

        corpus = loaded_corpus(corpus_section_of(Path(args.corpus_from)))
    else:
        _, corpus = folder_corpus(folder)
    model = load_model(path)
    scores = score_splits(model, corpus, (args.split,), metric)
    if not scores:
        raise ConfigError(f"the corpus of {folder} has no {args.split} split")
    found = scores[0]
    print(found.result.detailed_results.strip())
    print(f"\n{found.split} {found.metric} {found.score:.4f} on {found.sentences} sentences ({path})")
    if args.split == "dev" and path.name == MODEL_FILES[1]:
        print("(a final model was trained on train + dev: its dev score is no estimate of anything)")
    return 0


def _predict(args: argparse.Namespace) -> int:
    # The usage errors first: they are said before Flair loads.
    if bool(args.text) == bool(args.file):
        raise ConfigError('give the text to label ("Who wrote the Iliad?") or --file FILE, one of the two')
    path = model_file(Path(args.model), "predict")
    lines = args.text or _read_lines(args.file)
    from flair.data import Sentence

    from flair_hpo.training.flair_console import flair_console_quieted

    model = load_model(path)
    sentences = [Sentence(line) if line.strip() else None for line in lines]  # a blank line keeps its place
    with flair_console_quieted():
        model.predict([s for s in sentences if s is not None], mini_batch_size=32)
    for line, sentence in zip(lines, sentences, strict=True):
        print(f"{_predictions(sentence, model.label_type) if sentence else '-'}\t{line}")
    return 0


def _read_lines(name: str) -> list[str]:
    if name == "-":
        return sys.stdin.read().splitlines()
    path = Path(name)
    if not path.is_file():
        raise InputError(f"--file {name}: no such file")
    return path.read_text(encoding="utf-8").splitlines()


def _predictions(sentence: Any, label_type: str) -> str:
    """A sentence's labels (``LABEL (0.97)``) or tagged spans (``Paris/LOC (0.99)``), ``-`` for none."""
    shown = []
    for label in sentence.get_labels(label_type):
        span = "" if label.data_point is sentence else f"{label.data_point.text}/"
        shown.append(f"{span}{label.value} ({label.score:.2f})")
    return ", ".join(shown) or "-"
