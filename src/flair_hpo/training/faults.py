"""Whose fault is a failed trial: the configuration's (recorded as failed, counts against the budget) or the
machine's (queued again for another worker, uses no budget)."""

from __future__ import annotations

from flair_hpo.errors import CacheDamagedError, DiskFullError, MachineError

# Messages of torch's RuntimeErrors that say the GPU or its driver failed, not the configuration.
_DEVICE_FAULTS = ("CUDA error", "CUDA driver", "cuDNN error", "CUBLAS_STATUS", "NCCL error", "no CUDA GPUs")


def machine_fault(error: BaseException) -> bool:
    """Whether ``error`` is a fault of the machine rather than of the configuration being trained."""
    if isinstance(error, MachineError | OSError):
        return True  # full disks, missing files, unreachable model hubs (transformers raises OSError)
    message = str(error)
    if "out of memory" in message:
        return False  # the configuration is too large for this device
    return isinstance(error, RuntimeError) and any(fault in message for fault in _DEVICE_FAULTS)


def stops_the_worker(error: BaseException | None) -> bool:
    """Whether, after the machine fault ``error``, no trial can train on this machine: a full disk, or an
    embedding cache damaged again after its entry was computed anew (a failing disk)."""
    return isinstance(error, DiskFullError) or (isinstance(error, CacheDamagedError) and error.again)
