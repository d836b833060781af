"""Every error flair-hpo raises on purpose, each for one cause.

:class:`InputError`: a mistake in the input, said before anything is trained (exit code 2). :class:`TrialError`:
a configuration that could not be trained; the search records it as failed and goes on. :class:`MachineError`:
a fault of the machine (exit code 1).
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Iterator
from typing import Any


class InputError(ValueError):
    """Input flair-hpo cannot work with, reported before anything is trained or written."""


class ConfigError(InputError):
    """A YAML run configuration that cannot be used; the message names the file and the key."""


class SearchSpaceError(InputError):
    """A search space that cannot be searched: a malformed option or range, a missing steering parameter."""


class EmbeddingSpecError(SearchSpaceError):
    """An embedding option that cannot be written down as a specification, or names an unknown class."""


class StrategyError(InputError):
    """A search strategy with impossible settings, or one that does not fit the search space."""


class EmbeddingLoadError(InputError):
    """An embedding or model of the search space that cannot be loaded on this machine (found before the search)."""


class CorpusError(InputError):
    """A corpus a search cannot run on: no dev split, a label type it lacks, a missing folder."""


class SettingsError(InputError):
    """A run setting out of its domain: base_path, workers, heartbeat interval, study name, pruner."""


class StorageError(InputError):
    """A storage that cannot be opened: unreachable server, unknown database kind, missing driver."""


class StudyMismatchError(InputError):
    """The study here was created for another search; ``differences``: (name, in the study, now)."""

    def __init__(self, message: str, differences: Iterable[tuple[str, Any, Any]] = ()) -> None:
        super().__init__(message)
        self.differences = tuple(differences)


class UntrustedInputError(InputError):
    """A stored study or file asks this machine for something its user did not allow: a file outside the
    allowed folders, remote code, an argument a class may not be given from a study."""


class TrialError(RuntimeError):
    """A configuration that could not be trained to a score (NaN loss, no finished epoch, ...)."""


class TrialAbandoned(RuntimeError):
    """A trial stopped by its own worker because its heartbeat could not be written: other workers may take
    it for dead and train it again, so its result must not count."""


class MachineError(RuntimeError):
    """A fault of this machine, not of the input or of a configuration: the process stops with a message that
    says what to fix; trials it held are queued again, nothing finished is lost."""


class DiskFullError(MachineError):
    """No space is left where the study or the results are written."""


class StorageOutage(MachineError):
    """The study's storage did not answer for longer than a search waits for it."""


class CacheDamagedError(MachineError):
    """An embedding-cache entry changed on disk after it was written (a failing disk, a stray write);
    ``again``: it did so after it was computed anew, so the disk, not the entry, is at fault."""

    def __init__(self, message: str, again: bool = False) -> None:
        super().__init__(message)
        self.again = again


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by SIGTERM: treated like Ctrl-C, the command line exits with 143."""


def one_line(error: BaseException) -> str:
    """An error message on one line (a list of problems joined with semicolons), as the command line prints it."""
    return " ".join(str(error).replace("\n  - ", "; ").split())


def did_you_mean(word: str, choices: Iterable[object]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class Mistakes:
    """Every mistake of an input at once: each check runs in :meth:`check`, and :meth:`raise_found` raises one
    :class:`ConfigError` that lists them all (a user fixes a file once, not once per mistake)."""

    def __init__(self) -> None:
        self.found: list[str] = []

    @contextlib.contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except InputError as error:
            self.found.append(str(error))

    def raise_found(self) -> None:
        if len(self.found) == 1:
            raise ConfigError(self.found[0])
        if self.found:
            raise ConfigError(f"{len(self.found)} mistakes" + "".join(f"\n  - {found}" for found in self.found))
