"""Parallel workers on one machine: N trials at once, each in a process of its own.

Why processes: Flair's device (``flair.device``) and PyTorch's thread pool are global to a process, so
two trials in one process would share them. Each worker is a fresh ``python -m
flair_hpo.orchestration.workers`` process (no ``if __name__ == "__main__"`` guard is needed in the user's
script) that unpickles the orchestrator (corpus, search space, strategy, settings) and runs its trial loop
on the same study store and the same embedding store as the others. The study store hands out the work:
the grid's queue gives each point to one worker, and random and evolutionary search claim each
configuration before training it, so no generation waits for its slowest trial.

Hardware: with GPUs, worker i sees only GPU ``i mod #GPUs`` (``CUDA_VISIBLE_DEVICES``), so 8 workers on
8 GPUs train one trial per GPU. Without GPUs, the CPU cores are shared out evenly between the workers.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Protocol

from flair_hpo.checks import is_whole_number
from flair_hpo.errors import SettingsError
from flair_hpo.files import atomic_write, writer_tag
from flair_hpo.orchestration.console import LOG_FILE

log = logging.getLogger("flair_hpo")


class Work(Protocol):
    """What a worker process runs: a picklable object (the orchestrator) whose ``work()`` trains trials, and
    whose settings can take the storage URL the process is given."""

    def work(self) -> int: ...

    def with_storage(self, storage: str | None) -> Work: ...


_STORAGE_VARIABLE = "FLAIR_HPO_WORKER_STORAGE"
#: Worker processes on one machine, at most (one per GPU, or per core).
MAX_WORKERS = 1024


def check_workers(workers: Any, storage: Any) -> None:
    """Refuse a worker count or storage that parallel workers cannot use."""
    if not is_whole_number(workers) or not 0 <= workers <= MAX_WORKERS:
        raise SettingsError(
            f"workers must be a whole number up to {MAX_WORKERS}: 1 or more trains that many trials at once, 0 only "
            f"waits for workers elsewhere; not {workers!r}"
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


def run_workers(work: Work, workers: int, base_path: Path, storage: str | None) -> None:
    """Run ``workers`` processes of ``work`` (which pickles without its storage URL) and wait for them all."""
    payload = base_path / f".workers.{writer_tag()}-{uuid.uuid4().hex[:8]}.pickle"
    # The storage URL may hold a password: it goes to the workers in their environment, not into a file. The
    # payload holds the corpus: readable by its owner only, and removed by the next search if this one is killed.
    atomic_write(payload, lambda tmp: tmp.write_bytes(pickle.dumps(work)), private=True)
    log.info("starting %d workers", workers)
    processes = []
    try:
        for i, env in enumerate(worker_environments(workers)):
            if storage is not None:
                env[_STORAGE_VARIABLE] = storage
            command = [sys.executable, "-m", "flair_hpo.orchestration.workers", str(payload), str(i)]
            processes.append(subprocess.Popen(command, env=env))
        try:
            codes = [process.wait() for process in processes]
        except KeyboardInterrupt:  # the workers got the Ctrl-C too; they re-queue their trials and stop
            for process in processes:
                process.wait()
            raise
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        payload.unlink(missing_ok=True)
    failed = [f"worker {i} (exit code {code})" for i, code in enumerate(codes) if code != 0]
    if failed:
        log.warning("%s ended with an error; see %s", ", ".join(failed), base_path / LOG_FILE)


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
        work.work()
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(_main(*sys.argv[1:3]))
