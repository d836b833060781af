"""Which Optuna pruner stops the hopeless trials of a search: ``"auto"`` (successive halving when trials train
at least 2 epochs), ``"successive_halving"``, ``"hyperband"``, ``"median"``, ``"none"``, or a pruner instance.

Example::

    Orchestrator(corpus, "hyperopt/trec", search_space, search_strategy, pruner="hyperband").optimize()
"""

from __future__ import annotations

from typing import Any

from optuna import pruners

from flair_hpo.errors import SettingsError, did_you_mean

PRUNER_NAMES = ("auto", "successive_halving", "hyperband", "median", "none")
AUTO_MIN_EPOCHS = 2
#: A setting earlier versions offered: screening configurations on parts of the training split.
DATA_HALVING = "data_halving"


def check_pruner(setting: Any) -> Any:
    """``setting`` if it names a pruner (or is one); else a :class:`SettingsError` naming the choices."""
    if isinstance(setting, pruners.BasePruner) or setting in (None, False, True) or setting in PRUNER_NAMES:
        return setting
    if setting == DATA_HALVING:
        raise SettingsError(
            f'pruner="{DATA_HALVING}" is no longer offered: screening configurations on parts of the training '
            'split never found better models than the default in the search-quality benchmark; use pruner="auto" '
            "(the default)"
        )
    raise SettingsError(
        f"pruner must be one of {', '.join(PRUNER_NAMES)} or an optuna pruner, not {setting!r}"
        + did_you_mean(str(setting), PRUNER_NAMES)
    )


def _named(setting: Any, max_epochs: int) -> str:
    """The scheme ``setting`` names, ``"auto"`` resolved for trials of ``max_epochs`` epochs."""
    if setting is None or setting is False:
        return "none"
    if setting is True or setting == "auto":
        return "successive_halving" if max_epochs >= AUTO_MIN_EPOCHS else "none"
    return setting


def make_pruner(setting: Any, max_epochs: int) -> pruners.BasePruner:
    """The Optuna pruner that ``setting`` names, for trials of at most ``max_epochs`` epochs."""
    if isinstance(check_pruner(setting), pruners.BasePruner):
        return setting
    setting = _named(setting, max_epochs)
    if setting == "successive_halving":
        return pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=4)
    if setting == "hyperband":
        return pruners.HyperbandPruner(min_resource=1, max_resource=max(max_epochs, 1), reduction_factor=3)
    if setting == "median":
        return pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=0)
    return pruners.NopPruner()
