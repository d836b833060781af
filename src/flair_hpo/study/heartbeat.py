"""Is a running trial's worker alive? Heartbeats written into the trial through the study's own storage, process
identities, and watching both, each watcher by its own clock (docs/reliability.md)."""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from optuna.storages import BaseStorage

from flair_hpo.files import boot_id, pid_namespace
from flair_hpo.records import TrialRecord, keys
from flair_hpo.records.keys import HEARTBEAT
from flair_hpo.study.memory_kills import oom_counter

log = logging.getLogger("flair_hpo")

GRACE_INTERVALS = 3
#: Without a heartbeat written for this many intervals, a trial stops itself (others wait GRACE_INTERVALS).
LOST_INTERVALS = 2
_TOKEN = uuid.uuid4().hex


def this_process(interval: int) -> dict[str, Any]:
    """Who runs a trial: its unique identity, its heartbeat interval and its cgroup's out-of-memory kills so far."""
    return {
        "boot": boot_id(),
        "pidns": pid_namespace(),
        "pid": os.getpid(),
        "start_ticks": _start_ticks(os.getpid()),
        "token": _TOKEN,
        "interval": interval,
        "oom": oom_counter(),
    }


#: What :func:`_start_ticks` says of a process that does not exist.
_GONE = -1


def _start_ticks(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (immune to clock steps); ``_GONE`` if there is
    no such process; None if this process cannot tell (no /proc, or a process it may not look into)."""
    try:
        os.kill(pid, 0)  # exists? (EPERM: it does, but belongs to someone else)
    except ProcessLookupError:
        return _GONE
    except OSError as error:
        if error.errno != errno.EPERM:
            return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22, counted after the command name in parentheses (which may itself hold spaces or parentheses).
    return int(stat.rpartition(")")[2].split()[19])


def surely_dead(owner: dict[str, Any]) -> bool:
    """Whether the owner is known to be gone: on this very machine and PID namespace, its process ended (or
    its pid now belongs to a later process). Anywhere else, or when unsure: not known."""
    here = boot_id()
    if not here or owner.get("boot") != here or owner.get("pidns") != pid_namespace():
        return False
    if owner.get("token") == _TOKEN:
        return False  # this process
    ticks = _start_ticks(owner["pid"])
    if ticks == _GONE:
        return True
    recorded = owner.get("start_ticks")  # absent in identities written by earlier versions: unsure
    return ticks is not None and recorded is not None and ticks != recorded


class Heartbeat:
    """Beats for one trial while the ``with`` block runs."""

    def __init__(
        self, storage: BaseStorage, trial_id: int, interval: int, also: Callable[[], None] | None = None
    ) -> None:
        self.storage = storage
        self.trial_id = trial_id
        self.interval = interval
        self.also = also  # done at every beat (the search notes that its session still runs)
        self.taken_over = False
        self._last_beat = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"flair-hpo-heartbeat-{trial_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._last_beat = time.monotonic()
        self._thread.start()
        return self

    @property
    def lost(self) -> bool:
        """Whether the trial should stop: another worker took it over, or no beat was written for
        ``LOST_INTERVALS`` intervals (judged here, by the caller's thread, even while a write hangs)."""
        return self.taken_over or time.monotonic() - self._last_beat > LOST_INTERVALS * self.interval

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        counter, failing = 0, False
        while not self._stop.is_set():
            try:
                counter += 1
                write = getattr(self.storage, "without_retries", self.storage).set_trial_system_attr
                write(self.trial_id, HEARTBEAT, counter)
                self._last_beat = time.monotonic()
                if self.also is not None:
                    self.also()
                if failing:
                    log.info("trial heartbeat written again")
                    failing = False
                wait = self.interval
            except Exception as error:  # a storage hiccup: try again soon, say so once
                if type(error).__name__ == "UpdateFinishedTrialError":
                    self.taken_over = True  # another worker took it for dead and failed it
                    return
                if not failing:
                    log.warning(
                        "the heartbeat of a trial could not be written (%s); trying again", type(error).__name__
                    )
                    failing = True
                wait = max(0.5, self.interval / 4)
            self._stop.wait(wait)


class Watch:
    """What one process has seen of other trials' heartbeats, to tell which stopped."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[Any, float]] = {}

    def forget(self) -> None:
        """Start watching afresh: after this process could not read the study for a while (an outage that may
        have kept the owners from writing their heartbeats too), a counter that stood still says nothing."""
        self._seen.clear()

    def dead(self, running: list[TrialRecord], default_interval: int) -> list[TrialRecord]:
        """The running trials whose worker is gone: surely dead here, or whose heartbeat stood still."""
        now = time.monotonic()
        dead = []
        for record in running:
            owner = record.user_attrs.get(keys.OWNER) or {}
            beat = record.heartbeat
            seen = self._seen.get(record.number)
            if seen is None or seen[0] != beat:
                self._seen[record.number] = (beat, now)
                seen = self._seen[record.number]
            interval = owner.get("interval") or default_interval
            if (owner and surely_dead(owner)) or now - seen[1] > GRACE_INTERVALS * interval:
                dead.append(record)
        for number in set(self._seen) - {r.number for r in running}:
            del self._seen[number]
        return dead
