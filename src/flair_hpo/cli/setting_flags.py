"""The command-line flags of the run settings, made from :class:`~flair_hpo.search.settings.RunSettings`'s
fields: ``--base-path``, ``--study-name``, ``--final-model``, ``--warm-start``, ``--mlflow [URI]``,
``--tensorboard [DIR]`` and ``--wandb [PROJECT]`` (a setting given a flag there has one here)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from flair_hpo.search.settings import RunSettings

#: The settings a worker may set for itself: where its trials are logged.
TRACKERS = ("mlflow", "tensorboard", "wandb")


def add_setting_flags(
    parser: argparse.ArgumentParser, names: Iterable[str] | None = None, *, over_yaml: bool = False
) -> None:
    """Add the flags of the settings ``names`` (None: every setting that has one); ``over_yaml``: say that a
    flag overrides the YAML key of the same name."""
    for name, flag in RunSettings.flags().items():
        if names is not None and name not in names:
            continue
        if over_yaml:
            flag["help"] = f"{flag['help']}; overrides {name} of the YAML file"
        parser.add_argument(f"--{name.replace('_', '-')}", default=None, **flag)


def given_settings(args: argparse.Namespace, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The settings ``names`` (None: all with a flag) that the command line gives; a flag left out changes
    nothing."""
    names = RunSettings.flags() if names is None else names
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
