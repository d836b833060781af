"""What an embedding specification written as text may ask of this machine: only named constructor arguments,
files only in allowed folders, remote code only when allowed.

Why: arguments reach code that unpickles files or runs a model's own Python. A process's :class:`Allowance` is
set by the person who starts it, never read from a study::

    flair-hpo worker --base-path /shared/search --allow-path /data/vectors --trust-remote-code
    flair_hpo.allow(["/data/vectors"], trust_remote_code=True)       # in Python, for this process
"""

from __future__ import annotations

import ast
import inspect
import os
import textwrap
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flair_hpo.errors import EmbeddingSpecError, UntrustedInputError

REMOTE_CODE = "trust_remote_code"
#: The variable that lists further allowed folders (separated by os.pathsep), for every process started with it.
ALLOW_PATHS_VARIABLE = "FLAIR_HPO_ALLOW_PATHS"
#: Arguments Flair records that describe loaded state, not how to build the embedding.
STATE_ARGUMENTS = frozenset({"saved_config", "tokenizer_data", "feature_extractor_data", "self", "__class__"})
#: Keys Hugging Face's ``from_pretrained`` reads that change where code and weights come from; refused inside
#: a named argument's mapping too (``transformers_model_kwargs: {cache_dir: ...}``).
PASS_THROUGH = frozenset(
    {REMOTE_CODE, "cache_dir", "revision", "code_revision", "token", "use_auth_token", "force_download", "proxies"}
)
_HOW_TO_ALLOW_CODE = (
    "start the process with --trust-remote-code (flair-hpo run/worker/train; in Python: "
    "flair_hpo.allow(trust_remote_code=True) or join_study(..., trust_remote_code=True))"
)


@dataclass(frozen=True)
class Allowance:
    """The folders whose files may be named by a stored study, and whether a model's own code may run."""

    roots: tuple[str, ...] = ()
    trust_remote_code: bool = False

    def widened(self, paths: Iterable[str | Path] = (), trust_remote_code: bool = False) -> Allowance:
        """This allowance with more folders (made real paths) and, if asked, remote code."""
        roots = list(self.roots)
        for path in paths:
            if str(path).strip():
                real = os.path.realpath(os.fspath(path))
                if real not in roots:
                    roots.append(real)
        return Allowance(tuple(roots), self.trust_remote_code or bool(trust_remote_code))

    def holds(self, real: str) -> bool:
        """Whether the real path ``real`` lies in (or is) one of the allowed folders."""
        return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots)


_process = Allowance()


def allow(paths: Iterable[str | Path] = (), *, trust_remote_code: bool = False) -> Allowance:
    """Allow, for this process and the worker processes it starts, stored studies to name files in ``paths``
    and (``trust_remote_code=True``) embeddings to run their model's own code; returns what is now allowed."""
    global _process
    if isinstance(paths, str | Path):
        paths = [paths]
    _process = _process.widened(paths, trust_remote_code)
    return _process


def allowance() -> Allowance:
    """What this process allows."""
    return _process


def machine_allowance(*extra: str | Path) -> Allowance:
    """What a stored study may name here: this process's allowance, Flair's and Hugging Face's caches, the
    folders of ``$FLAIR_HPO_ALLOW_PATHS`` and ``extra`` (the embedding cache, known to the layers above)."""
    import flair
    from huggingface_hub.constants import HF_HUB_CACHE

    listed = [p for p in os.environ.get(ALLOW_PATHS_VARIABLE, "").split(os.pathsep) if p.strip()]
    return _process.widened([flair.cache_root, HF_HUB_CACHE, *listed, *extra])


def named_arguments(cls: type) -> set[str]:
    """The constructor arguments a text may give ``cls``: the named parameters of its ``__init__`` and of the
    parents it passes ``**kwargs`` on to, up the MRO; never what ends up unnamed in ``**kwargs``."""
    named: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            break
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        named |= {p.name for p in parameters if p.kind in kinds}
        rest = [p.name for p in parameters if p.kind is inspect.Parameter.VAR_KEYWORD]
        if not rest or not _passes_on(init, rest[0]):
            break
    return named - STATE_ARGUMENTS


def _passes_on(init: Any, kwargs: str) -> bool:
    """Whether ``init`` calls an ``__init__`` with ``**kwargs`` (its source read, never run)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    except (OSError, TypeError, SyntaxError):
        return False
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "__init__"
        and any(k.arg is None and isinstance(k.value, ast.Name) and k.value.id == kwargs for k in node.keywords)
        for node in ast.walk(tree)
    )


def _takes_any(cls: type) -> bool:
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(cls.__init__).parameters.values())


def check_arguments(cls: type, what: str, args: Mapping[str, Any], allowed: Allowance) -> None:
    """Refuse an argument a text may not give ``cls``: unnamed ones, pass-through keys of Hugging Face inside
    a named argument's mapping, and ``trust_remote_code`` unless ``allowed``."""
    named = named_arguments(cls)
    if REMOTE_CODE in args and _takes_any(cls):
        named.add(REMOTE_CODE)  # a keyword Hugging Face reads: checked below
    unknown = [key for key in args if key not in named]
    if unknown and not _takes_any(cls):
        raise EmbeddingSpecError(f"{what} has no argument(s) {', '.join(unknown)}")
    if unknown:
        raise UntrustedInputError(
            f"{what}: {', '.join(unknown)} is not a named argument of {what}, and a file or a study may give it "
            "only those, never what it passes on unnamed to other code (such as cache_dir or revision for "
            "Hugging Face); build the embedding object in Python to pass it"
        )
    for key, value in args.items():
        for inner, _ in _mapping_items(value):
            if inner in PASS_THROUGH - {REMOTE_CODE}:
                raise UntrustedInputError(f"{what}: {key} may not set {inner} from a file or a study")
    check_remote_code(args, what, allowed)


def check_remote_code(value: Any, what: str, allowed: Allowance) -> None:
    """Refuse ``trust_remote_code`` set anywhere in ``value`` unless ``allowed``."""
    if allowed.trust_remote_code:
        return
    for key, inner in _mapping_items(value):
        if key == REMOTE_CODE and inner not in (False, None):
            raise UntrustedInputError(
                f"{what}: trust_remote_code runs the model's own Python code, which this process does not allow; "
                f"if you trust the model, {_HOW_TO_ALLOW_CODE}"
            )


def check_paths(value: Any, what: str, allowed: Allowance) -> None:
    """Refuse a string in ``value`` that names a file or folder of this machine outside the allowed folders
    (its file may be unpickled); a string that names nothing here is a model name, left to Flair."""
    for text in _strings(value):
        if not text or "\x00" in text or not os.path.lexists(text):
            continue
        real = os.path.realpath(text)
        if not allowed.holds(real):
            folder = real if os.path.isdir(real) else os.path.dirname(real)
            raise UntrustedInputError(
                f"{what} names {text!r}{'' if real == text else f' ({real})'}, a file of this machine outside the "
                f"folders it allows models to be loaded from; if you trust it, start the worker with --allow-path "
                f"{folder} (Python: join_study(..., allow_paths=[...]); or list it in ${ALLOW_PATHS_VARIABLE})"
            )


def _mapping_items(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) of every mapping nested in ``value``."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield str(key), inner
            yield from _mapping_items(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _mapping_items(inner)


def _strings(value: Any) -> Iterator[str]:
    """Every string nested in ``value`` (mapping values, not keys)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _strings(inner)
