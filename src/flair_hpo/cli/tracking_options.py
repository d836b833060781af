"""How a search is watched, for ``flair-hpo run`` and ``flair-hpo worker``: ``--quiet`` on the terminal,
``--mlflow [URI]``, ``--tensorboard [DIR]`` and ``--wandb [PROJECT]`` in experiment trackers."""

from __future__ import annotations

import argparse
from typing import Any


def add_tracking_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quiet", action="store_true", help="a line per trial; no live status on a terminal, no line per epoch"
    )
    parser.add_argument(
        "--mlflow",
        nargs="?",
        const=True,
        metavar="URI",
        help="log the search to MLflow: one parent run per study, a nested run per trial (without URI: "
        "$MLFLOW_TRACKING_URI or MLflow's default; overrides mlflow of the YAML file)",
    )
    parser.add_argument(
        "--tensorboard",
        nargs="?",
        const=True,
        metavar="DIR",
        help="write TensorBoard event files, one run folder per trial with its hyper-parameters (without DIR: "
        "BASE_PATH/tensorboard; overrides tensorboard of the YAML file)",
    )
    parser.add_argument(
        "--wandb",
        nargs="?",
        const=True,
        metavar="PROJECT",
        help="log each trial as a Weights & Biases run, grouped by study, under BASE_PATH/wandb (offline unless "
        "WANDB_MODE says otherwise; without PROJECT: flair-hpo; overrides wandb of the YAML file)",
    )


def tracking_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The trackers the command line asks for, as run settings (none given: none changed)."""
    return {name: getattr(args, name) for name in ("mlflow", "tensorboard", "wandb") if getattr(args, name) is not None}
