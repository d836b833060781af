"""The device trials train on (``flair.device``), what only a GPU can do, and the CPU threads of workers."""

from __future__ import annotations

from flair_hpo.errors import SettingsError
from flair_hpo.space import Choice, SearchSpace
from flair_hpo.space import parameter_enums as p
from flair_hpo.training.environment import worker_threads


def check_device(space: SearchSpace) -> None:
    """Refuse, before anything is trained, what this machine's device cannot do: mixed precision
    (``ModelTrainer.USE_AMP``) needs a GPU; and a ``$FLAIR_HPO_THREADS`` that worker processes could not use."""
    import flair

    worker_threads()

    amp = next((d for d in space.dimensions if d.name == p.parameter_key(p.ModelTrainer.USE_AMP)), None)
    if isinstance(amp, Choice) and True in amp.labels and flair.device.type != "cuda":
        raise SettingsError(
            f"ModelTrainer.use_amp (mixed precision) needs a GPU, and flair.device is {flair.device} here: "
            "leave use_amp out (or [False]) on this machine"
        )
