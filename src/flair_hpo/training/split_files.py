"""The train, dev and test files of a corpus folder, found by Flair's rules without loading Flair, so that a
mistake is said before torch loads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_IGNORED = {".gz", ".swp"}


@dataclass(frozen=True)
class SplitFiles:
    """The files Flair reads as each split of a folder; None for a split it samples or cannot find."""

    train: Path | None
    dev: Path | None
    test: Path | None


def find_split_files(
    folder: str | Path, train_file: str | None = None, dev_file: str | None = None, test_file: str | None = None
) -> SplitFiles:
    """The files of ``folder`` that Flair's corpora read as train, dev and test (names given taken as they are)."""
    folder = Path(folder)
    train, dev, test = (folder / name if name is not None else None for name in (train_file, dev_file, test_file))
    if train is None:
        files = [file for file in folder.iterdir() if _IGNORED.isdisjoint(file.suffixes)]
        for file in files:  # the last file that matches wins, as in Flair
            if "train" in file.name and "54019" not in file.name:
                train = file
            if "dev" in file.name or "testa" in file.name:
                dev = file
            if "testb" in file.name:
                test = file
        if test is None:
            test = next((file for file in reversed(files) if "test" in file.name), None)
    return SplitFiles(train, dev, test)
