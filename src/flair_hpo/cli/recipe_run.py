"""``flair-hpo run`` without a YAML file: a recipe on a Flair dataset (``--dataset``) or on a corpus folder
(``--corpus``), turned into the mapping a YAML file would hold and checked by the same code::

    flair-hpo run --corpus data/ner --recipe tagger-frozen --epochs 5 --runs 10
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from flair_hpo.cli import arguments
from flair_hpo.errors import ConfigError

#: The strategy of a search started from a recipe on the command line (the search-quality benchmark's pick).
RECOMMENDED_STRATEGY = "bayesian"
#: The options that describe a search without a YAML file.
RECIPE_OPTIONS = (
    "dataset",
    "corpus",
    "recipe",
    "model",
    "downsample",
    "runs",
    "hours",
    "epochs",
    "strategy",
    "metric",
    "columns",
    "tag_type",
    "label_type",
)


def add_recipe_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("--dataset", help="without a YAML file: a flair.datasets class, e.g. WNUT_17")
    run.add_argument(
        "--corpus",
        metavar="DIR",
        help="without a YAML file: a folder of FastText lines (__label__X text: classification) or of column "
        "files (CoNLL: sequence labeling); train/dev/test files found as Flair finds them",
    )
    run.add_argument("--recipe", help="without a YAML file: ner-fine-tune, tagger-frozen, classifier-fine-tune, ...")
    run.add_argument("--model", help="the recipe's transformer: a model name or folder")
    run.add_argument("--columns", help="the columns of column files, e.g. 0:text,1:ner (default: text 1st, tags last)")
    run.add_argument("--tag-type", help="the column to predict in column files (default: ner)")
    run.add_argument("--label-type", help="the name of the labels of FastText lines (default: class)")
    run.add_argument("--downsample", type=arguments.fraction, help="keep this fraction of every split of the corpus")
    run.add_argument("--runs", type=arguments.positive_count, help="the recipe's budget in trials (default 20)")
    run.add_argument("--hours", type=arguments.hours, help="the recipe's budget in hours")
    run.add_argument("--epochs", type=arguments.positive_count, help="the most epochs per trial (default: recipe's)")
    run.add_argument("--strategy", help=f"grid, random, evolutionary or bayesian (default {RECOMMENDED_STRATEGY})")
    run.add_argument("--metric", help="micro_f1_score (default), macro_f1_score, micro_accuracy or macro_accuracy")


def recipe_run_data(args: argparse.Namespace) -> dict[str, Any]:
    """The mapping a YAML file would hold for the search the options describe."""
    if not args.recipe or bool(args.dataset) == bool(args.corpus):
        raise ConfigError(
            "give a YAML file, or --dataset NAME --recipe NAME (e.g. --dataset WNUT_17 --recipe ner-fine-tune), "
            "or --corpus DIR --recipe NAME"
        )
    if args.runs and args.hours:
        raise ConfigError("give --runs or --hours, not both")
    if args.dataset and (args.columns or args.tag_type or args.label_type):
        raise ConfigError("--columns, --tag-type and --label-type are for --corpus DIR; a dataset knows its own")
    corpus, tag_type = ({"dataset": args.dataset}, None) if args.dataset else _folder_section(args)
    if args.downsample:
        corpus["downsample"] = args.downsample
    data: dict[str, Any] = {
        "corpus": corpus,
        "recipe": {"name": args.recipe, **({"model": args.model} if args.model else {})},
        "base_path": str(default_base_path(args)),
        "strategy": args.strategy or RECOMMENDED_STRATEGY,
    }
    if tag_type:
        data["tag_type"] = tag_type
    if args.runs or args.hours:
        data["budget"] = {"runs": args.runs} if args.runs else {"time_in_h": args.hours}
    if args.epochs:
        data["max_epochs_per_training_run"] = args.epochs
    if args.metric:
        data["evaluation_metric"] = args.metric
    return data


def _folder_section(args: argparse.Namespace) -> tuple[dict[str, Any], str | None]:
    """The reference of the ``--corpus`` folder, and the tag type to predict in column files."""
    from flair_hpo.training.corpus_folder import parse_columns, read_corpus_folder

    columns = parse_columns(args.columns) if args.columns else None
    found = read_corpus_folder(args.corpus, columns, args.tag_type, args.label_type)
    return found.section, found.label_type if found.section["format"] == "column" else None


def default_base_path(args: argparse.Namespace) -> Path:
    """``hyperopt/CORPUS-RECIPE``, so that the command that shows or resumes a search is known before it starts."""
    corpus = args.dataset or Path(args.corpus).resolve().name
    return Path("hyperopt") / re.sub(r"[^A-Za-z0-9._-]+", "_", f"{corpus.lower()}-{args.recipe}")
