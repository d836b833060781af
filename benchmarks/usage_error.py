"""Usage-error benchmark: the wall time from `flair-hpo run` with a mistake in its input to its exit.

Each case is a whole process, as a user starts it (``python -m flair_hpo.cli run ...``), timed from its start to
its exit over several runs after a warm-up run, with the process's CPU seconds (user + system) beside its wall
time; the median is what to quote. The cases are the mistakes people make first: a misspelt recipe, a column
that is not in the files, a classification folder with one label, a misspelt key of a YAML file. The floor is
the interpreter starting and exiting, which no command can beat.

The flair-hpo timed is this checkout's (``PYTHONPATH=src``, whichever one is installed); ``--src DIR`` times that
of another source tree, e.g. an earlier version checked out elsewhere, for a before/after comparison on the same
machine.

Usage (from the repository root, after ``bash scripts/setup.sh``)::

    bash scripts/benchmark.sh usage-error                      # 10 runs of each case
    bash scripts/benchmark.sh usage-error --runs 5 --src /tmp/old/src

It prints a Markdown table (and writes it with the raw figures to ``benchmarks/results/usage-error.*``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"

CASES = {
    "misspelt recipe": ["run", "--corpus", "questions", "--recipe", "clasifier-frozen"],
    "column not in the files": ["run", "--corpus", "tags", "--recipe", "tagger-frozen", "--columns", "0:text,2:ner"],
    "one label": ["run", "--corpus", "one-label", "--recipe", "classifier-frozen"],
    "misspelt YAML key": ["run", "search.yaml"],
}


def make_inputs(folder: Path) -> None:
    """A FastText folder, a two-column CoNLL folder, a one-label folder and a YAML file with a misspelt key."""
    for name, lines in (
        ("questions", [f"__label__{'AB'[i % 2]} question number {i} ?" for i in range(200)]),
        ("tags", ["EU B-ORG", "rejects O", "German B-MISC", "call O", "", "Peter B-PER", "Blackburn I-PER"]),
        ("one-label", [f"__label__A question number {i} ?" for i in range(200)]),
    ):
        (folder / name).mkdir()
        (folder / name / "train.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (folder / name / "test.txt").write_text("\n".join(lines[:20]) + "\n", encoding="utf-8")
    (folder / "search.yaml").write_text(
        "corpus: {folder: questions}\nrecipe: classifier-frozen\nbase_path: out\nstrategy: bayesian\nbudgt: 1\n",
        encoding="utf-8",
    )


def time_once(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system of the child) and exit code of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def measure(runs: int, src: str | None) -> dict[str, dict[str, object]]:
    # This checkout's source unless told otherwise: the flair-hpo installed may be another checkout's.
    env = {**os.environ, "PYTHONPATH": src or str(REPO / "src")}
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        make_inputs(cwd)
        commands = {"floor: python starts and exits": [sys.executable, "-c", "pass"]}
        commands |= {case: [sys.executable, "-m", "flair_hpo.cli", *argv] for case, argv in CASES.items()}
        for case, command in commands.items():
            time_once(command, cwd, env)  # warm-up: the OS's file cache
            timed = [time_once(command, cwd, env) for _ in range(runs)]
            results[case] = {
                "wall_s": [round(w, 3) for w, _, _ in timed],
                "cpu_s": [round(c, 3) for _, c, _ in timed],
                "exit_codes": sorted({code for _, _, code in timed}),
            }
    return results


def table(results: dict[str, dict[str, object]], runs: int, label: str) -> str:
    lines = [
        f"flair-hpo run with a usage error, {label}: {runs} runs each after a warm-up, {os.cpu_count()} CPU cores",
        "",
        "| case | wall median | wall min to max | CPU median | exit code |",
        "|---|---|---|---|---|",
    ]
    for case, found in results.items():
        wall, cpu = found["wall_s"], found["cpu_s"]
        codes = ", ".join(str(code) for code in found["exit_codes"])
        lines.append(
            f"| {case} | {statistics.median(wall):.2f} s | {min(wall):.2f} to {max(wall):.2f} s | "
            f"{statistics.median(cpu):.2f} s | {codes} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--src", help="time the flair-hpo of this source folder (PYTHONPATH) instead")
    args = parser.parse_args()
    results = measure(args.runs, args.src)
    label = f"flair-hpo from {args.src}" if args.src else "this checkout"
    text = table(results, args.runs, label)
    print(text)
    if not args.src:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "usage-error.md").write_text(text + "\n", encoding="utf-8")
        (RESULTS / "usage-error.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
