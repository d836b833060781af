"""Why a table's row can score differently on another day: the stored embeddings depend on the thread count.

The search-quality tables were trained on embeddings stored once (the machine's embedding store); a later
real search reads whatever its store holds. MiniLM's vectors computed with one PyTorch thread and with two
are not bit for bit the same (matrix products add in another order), and training from slightly different
inputs goes another way for some configurations. This fills two embedding stores for the TREC_6 scenario,
with 1 and 2 threads, compares their vectors, then trains every configuration of the grid with its first
seed on each (one thread for training, as the tables do) and counts the rows whose dev scores differ; as a
control, it trains them on the first store a second time (training itself is deterministic):

    .venv/bin/python benchmarks/embedding_threads.py        # (FLAIR_CACHE_ROOT pointing at the corpora)

It writes benchmarks/results/embedding-threads.json; docs/search-quality.md states its figures (tested).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

RESULT = Path(__file__).resolve().parent / "results" / "embedding-threads.json"
SCENARIO = "trec"


def _fill(store: Path, threads: int) -> None:
    """Fill ``store`` with the scenario's embeddings in a process with ``threads`` PyTorch threads."""
    code = (
        "import sys, torch; torch.set_num_threads(int(sys.argv[1]))\n"
        "from pathlib import Path\n"
        "from quality_scenarios import SCENARIOS\n"
        "from quality_tables import training_context\n"
        f"training_context(SCENARIOS[{SCENARIO!r}], Path(sys.argv[2]))\n"
    )
    subprocess.run([sys.executable, "-c", code, str(threads), str(store)], cwd=Path(__file__).parent, check=True)


def _vector_differences(one: Path, two: Path) -> dict[str, float]:
    import numpy as np

    files = sorted(p.name for p in one.glob("*.vectors"))
    a = np.concatenate([np.fromfile(one / name, dtype=np.float32) for name in files])
    b = np.concatenate([np.fromfile(two / name, dtype=np.float32) for name in files])
    return {
        "values": int(a.size),
        "share_differing": float((a != b).mean()),
        "max_abs_difference": float(np.abs(a - b).max()),
        "max_abs_value": float(np.abs(a).max()),
    }


def _dev_scores(store: Path) -> dict[str, list[float]]:
    import torch
    from quality_scenarios import SCENARIOS
    from quality_tables import train_row, training_context

    from flair_hpo.space import configuration_key

    torch.set_num_threads(1)
    context = training_context(SCENARIOS[SCENARIO], store)
    return {configuration_key(labels): train_row(context, labels, 1.0, 0)["dev"] for labels in context["grid"]}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        one, two = Path(folder) / "one-thread", Path(folder) / "two-threads"
        _fill(one, 1)
        _fill(two, 2)
        vectors = _vector_differences(one, two)
        first, second, again = _dev_scores(one), _dev_scores(two), _dev_scores(one)
    differing = [key for key in first if first[key] != second[key]]
    gaps = [max(abs(x - y) for x, y in zip(first[k], second[k], strict=True)) for k in differing]
    result = {
        "scenario": SCENARIO,
        "vectors": vectors,
        "rows": len(first),
        "rows_differing": len(differing),
        "rows_differing_on_the_same_store": sum(first[key] != again[key] for key in first),
        "largest_dev_gap_at_an_epoch": max(gaps, default=0.0),
        "final_dev_gaps": sorted(abs(first[k][-1] - second[k][-1]) for k in differing),
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "final_dev_gaps"}, indent=1))


if __name__ == "__main__":
    main()
