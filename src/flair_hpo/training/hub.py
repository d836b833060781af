"""Whether a transformer named by its Hugging Face hub name can be loaded on this machine, found in seconds.

Why: when the hub cannot be reached, transformers retries each file for a minute or more.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path

#: Seconds to wait for the hub's answer.
TIMEOUT_S = 3.0


def is_hub_name(model: str) -> bool:
    """Whether ``model`` names a model on the hub (``org/name`` or ``name``), not a path on this machine."""
    if os.path.exists(os.path.expanduser(model)):
        return False
    return not model.startswith(("/", "./", "../", "~")) and model.count("/") <= 1


def hub_problem(model: str) -> str | None:
    """Why the hub model ``model`` cannot be loaded here, with what to do; None when it can be (a local folder,
    a copy in the cache the hub cannot be asked about, or a hub that answers)."""
    if not is_hub_name(model):
        return None
    from huggingface_hub import constants

    cached = _in_cache(model, Path(constants.HF_HUB_CACHE))
    local_copy = (
        f"give --model DIR, a folder of the model (`hf download {model} --local-dir DIR` where the hub is "
        "reachable, then copy DIR here; in a YAML file, the folder in place of the name)"
    )
    if constants.HF_HUB_OFFLINE:
        if cached:
            return None
        return f"{model} is not in the Hugging Face cache and HF_HUB_OFFLINE is set: {local_copy}"
    unreachable = _hub_unreachable(constants.ENDPOINT)
    if unreachable is None:
        return None
    hub = f"the model hub {constants.ENDPOINT} cannot be reached ({unreachable})"
    if cached:
        return f"{hub}; {model} is in the Hugging Face cache: set HF_HUB_OFFLINE=1 to load it from there"
    return f"{model} is not on this machine and {hub}: {local_copy}"


def _in_cache(model: str, cache_folder: Path) -> bool:
    """Whether the Hugging Face cache holds a snapshot of ``model`` with its ``config.json``."""
    snapshots = cache_folder / f"models--{model.replace('/', '--')}" / "snapshots"
    return snapshots.is_dir() and any((snapshot / "config.json").is_file() for snapshot in snapshots.iterdir())


@cache
def _hub_unreachable(endpoint: str) -> str | None:
    """Why ``endpoint`` did not answer within :data:`TIMEOUT_S` (asked once per process), or None."""
    try:
        with urllib.request.urlopen(urllib.request.Request(endpoint, method="HEAD"), timeout=TIMEOUT_S):
            return None
    except urllib.error.HTTPError:
        return None  # an answer: the hub is there
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return " ".join(f"{type(reason).__name__}: {reason}".split())[:160] if str(reason) else type(reason).__name__
