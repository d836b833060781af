"""Parallel workers on one machine: N trials at once, each in a fresh process (one GPU each where there are
GPUs; else the cores shared out).

Why processes: Flair's device and PyTorch's thread pool are global to a process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

from flair_hpo.checks import is_whole_number
from flair_hpo.errors import InputError, MachineError, SettingsError, Terminated, one_line
from flair_hpo.files import atomic_write, writer_tag
from flair_hpo.orchestration.console import LOG_FILE

log = logging.getLogger("flair_hpo")


class Work(Protocol):
    """What a worker process runs: a picklable object whose ``work()`` trains trials."""

    def work(self, *, quiet: bool = False) -> int: ...

    def with_storage(self, storage: str | None) -> Work: ...


_STORAGE_VARIABLE = "FLAIR_HPO_WORKER_STORAGE"
#: A worker's exit codes: it refused the study (bad input), or it was stopped by Ctrl-C or SIGTERM.
EXIT_REFUSED, EXIT_INTERRUPTED, EXIT_TERMINATED = 2, 130, 143
_POLL_SECONDS = 0.5
#: Seconds stopped workers get to queue their trials again before they are killed.
_GRACE_SECONDS = 10
#: Worker processes on one machine, at most (one per GPU, or per core).
MAX_WORKERS = 1024


def check_workers(workers: Any, storage: Any) -> None:
    """Refuse a worker count or storage that parallel workers cannot use."""
    if workers == "auto":
        workers = 2  # perhaps several
    elif not is_whole_number(workers) or not 0 <= workers <= MAX_WORKERS:
        raise SettingsError(
            f"workers must be a whole number up to {MAX_WORKERS}: 1 or more trains that many trials at once, 0 only "
            f"waits for workers elsewhere; or auto (as many as is measured to be faster); not {workers!r}"
        )
    if workers > 1 and storage is not None and not isinstance(storage, str):
        raise SettingsError(
            "parallel workers open the study themselves: give the storage as a URL (or leave it out for the "
            "journal file in base_path), not as a storage object"
        )


def visible_gpus() -> list[str]:
    """The GPUs this process may use, as CUDA_VISIBLE_DEVICES names them."""
    import torch

    if not torch.cuda.is_available():
        return []
    given = os.environ.get("CUDA_VISIBLE_DEVICES")
    if given:
        return [gpu.strip() for gpu in given.split(",") if gpu.strip()]
    return [str(i) for i in range(torch.cuda.device_count())]


def worker_environments(workers: int) -> list[dict[str, str]]:
    """The environment of each worker: its GPU, or its share of the CPU cores."""
    gpus = visible_gpus()
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    environments = []
    for i in range(workers):
        env = dict(os.environ)
        if gpus:
            env["CUDA_VISIBLE_DEVICES"] = gpus[i % len(gpus)]
        else:
            env["FLAIR_HPO_THREADS"] = threads
        environments.append(env)
    return environments


def run_workers(work: Work, workers: int, base_path: Path, storage: str | None, restarts: int | None = None) -> None:
    """Run ``workers`` processes of ``work`` and wait for them all; a worker that dies is replaced, ``restarts``
    times in all, then the others are stopped and :class:`MachineError` says so."""
    limit = 2 * workers if restarts is None else restarts
    payload = base_path / f".workers.{writer_tag()}-{uuid.uuid4().hex[:8]}.pickle"
    # The storage URL may hold a password: it goes to the workers in their environment, not into a file. The
    # payload holds the corpus: readable by its owner only, and removed by the next search if this one is killed.
    atomic_write(payload, lambda tmp: tmp.write_bytes(pickle.dumps(work)), private=True)
    environments = worker_environments(workers)
    if storage is not None:
        for env in environments:
            env[_STORAGE_VARIABLE] = storage

    def start(i: int) -> subprocess.Popen:
        command = [sys.executable, "-m", "flair_hpo.orchestration.workers", str(payload), str(i)]
        return subprocess.Popen(command, env=environments[i])

    log.info("starting %d workers", workers)
    running: dict[int, subprocess.Popen] = {}
    try:
        running = {i: start(i) for i in range(workers)}
        replaced = 0
        while running:
            for i, process in list(running.items()):
                code = process.poll()
                if code is None:
                    continue
                del running[i]
                if code == 0:
                    continue
                if code == EXIT_REFUSED or replaced >= limit:
                    raise MachineError(_workers_failed(i, code, replaced, base_path))
                replaced += 1
                log.warning(
                    "worker %d ended with exit code %s; starting another in its place (%d of %d)",
                    i,
                    code,
                    replaced,
                    limit,
                )
                running[i] = start(i)
            time.sleep(_POLL_SECONDS)
    except KeyboardInterrupt as stop:
        # A Ctrl-C in the terminal reached the workers too; a SIGTERM (or a Ctrl-C they missed) is passed on.
        if not isinstance(stop, Terminated):
            _wait_all(running.values(), _GRACE_SECONDS)
        for process in running.values():
            if process.poll() is None:
                with contextlib.suppress(OSError):
                    process.send_signal(signal.SIGTERM)
        _wait_all(running.values(), _GRACE_SECONDS * 6)
        raise
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        payload.unlink(missing_ok=True)


def _wait_all(processes: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))


def _workers_failed(index: int, code: int, replaced: int, base_path: Path) -> str:
    if code == EXIT_REFUSED:
        return f"worker {index} refused the study (exit code 2, its message is above); the search stops"
    return (
        f"the workers keep dying (worker {index}: exit code {code}, after {replaced} replaced); the search stops. "
        f"See {base_path / LOG_FILE}; run the same command again to resume"
    )


def _main(payload: str, index: str) -> int:
    threads = os.environ.get("FLAIR_HPO_THREADS")
    if threads:
        import torch

        torch.set_num_threads(int(threads))
    with open(payload, "rb") as handle:
        work: Work = pickle.load(handle)
    work = work.with_storage(os.environ.get(_STORAGE_VARIABLE))
    log.debug("worker %s started (pid %d)", index, os.getpid())
    try:
        work.work(quiet=True)  # one line per trial: several workers write to one terminal
    except KeyboardInterrupt as stop:
        return EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED
    except (InputError, MachineError) as error:  # one line, as the command line prints it
        print(f"flair-hpo worker {index}: error: {one_line(error)}", file=sys.stderr)
        return EXIT_REFUSED if isinstance(error, InputError) else 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(*sys.argv[1:3]))
