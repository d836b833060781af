"""Is a running trial's worker alive? Heartbeats, process identities, and watching both.

While a trial trains, a thread of its worker writes a counter into the trial (the system attribute
``flair_hpo:heartbeat``) every ``interval`` seconds, through the study's own storage (a journal file or a
database: one mechanism for both). Another process judges the trial dead when it has watched the counter
stand still for three of the *owner's* intervals, by its own clock: no two machines' clocks are compared,
and a trial killed before its first beat (no counter at all) is judged the same way. A process that could
not read the study itself (a storage outage) starts watching afresh, so an outage both sides saw never
passes for a death.

On the machine that runs it, a dead worker is recognised at once: a process identity (boot id, PID
namespace, pid, start time) that no other machine or container shares; where the identity is not this
machine's (cloned hosts, containers with the same host name), only the heartbeat decides.

A heartbeat that cannot be written (the storage is down) is retried with backoff and reported once; after
two intervals without one, :attr:`Heartbeat.lost` is set, and the trial stops itself at its next batch
rather than be trained again by a worker that took it for dead.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from optuna.storages import BaseStorage

from flair_hpo.strategies.history import HEARTBEAT, TrialRecord

log = logging.getLogger("flair_hpo")

OWNER = "flair_hpo:owner"
GRACE_INTERVALS = 3
#: Without a heartbeat written for this many intervals, a trial stops itself (others wait GRACE_INTERVALS).
LOST_INTERVALS = 2
_TOKEN = uuid.uuid4().hex


@cache
def _machine() -> dict[str, str]:
    """This machine's boot id and this process's PID namespace ("" where the system does not say)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return {"boot": boot, "pidns": namespace}


def this_process(interval: int) -> dict[str, Any]:
    """Who runs a trial: an identity no other process shares, and the interval its heartbeat keeps."""
    return {
        **_machine(),
        "pid": os.getpid(),
        "started": _start_time(os.getpid()),
        "token": _TOKEN,
        "interval": interval,
    }


def _start_time(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def surely_dead(owner: dict[str, Any]) -> bool:
    """Whether the owner is known to be gone: on this very machine and PID namespace, its process ended (or
    its pid now belongs to a later process). Anywhere else: not known."""
    here = _machine()
    if not here["boot"] or owner.get("boot") != here["boot"] or owner.get("pidns") != here["pidns"]:
        return False
    if owner.get("token") == _TOKEN:
        return False  # this process
    started = _start_time(owner["pid"])
    return started is None or abs(started - (owner.get("started") or started)) >= 1.0


class Heartbeat:
    """Beats for one trial while the ``with`` block runs."""

    def __init__(
        self, storage: BaseStorage, trial_id: int, interval: int, also: Callable[[], None] | None = None
    ) -> None:
        self.storage = storage
        self.trial_id = trial_id
        self.interval = interval
        self.also = also  # done at every beat (the search notes that its session still runs)
        self.lost = False
        self.taken_over = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"flair-hpo-heartbeat-{trial_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        counter, last_beat, failing = 0, time.monotonic(), False
        while not self._stop.is_set():
            try:
                counter += 1
                write = getattr(self.storage, "without_retries", self.storage).set_trial_system_attr
                write(self.trial_id, HEARTBEAT, counter)
                if self.also is not None:
                    self.also()
                last_beat = time.monotonic()
                if failing:
                    log.info("trial heartbeat written again")
                    failing = False
                wait = self.interval
            except Exception as error:  # a storage hiccup: try again soon, say so once
                if type(error).__name__ == "UpdateFinishedTrialError":
                    self.taken_over = self.lost = True  # another worker took it for dead and failed it
                    return
                if not failing:
                    log.warning(
                        "the heartbeat of a trial could not be written (%s); trying again", type(error).__name__
                    )
                    failing = True
                wait = max(0.5, self.interval / 4)
            if time.monotonic() - last_beat > LOST_INTERVALS * self.interval:
                self.lost = True
            self._stop.wait(wait)


class Watch:
    """What one process has seen of other trials' heartbeats, to tell which stopped."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[Any, float]] = {}

    def forget(self) -> None:
        """Start watching afresh (after this process could not read the study for a while)."""
        self._seen.clear()

    def dead(self, running: list[TrialRecord], default_interval: int) -> list[TrialRecord]:
        """The running trials whose worker is gone: surely dead here, or whose heartbeat stood still."""
        now = time.monotonic()
        dead = []
        for record in running:
            owner = record.user_attrs.get(OWNER) or {}
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
