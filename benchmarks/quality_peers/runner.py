"""Replay variants and peers on a scenario's table in one options' order, cell by cell, into a JSON file that a
later run resumes (a cell already there with as many searches is kept).

A variant is a flair-hpo :class:`~quality_replay.Variant` (replayed by quality_replay.replay), a peer's name
(quality_peers.PEERS) or any search function ``(table, space, budget, seed) -> Replayed``, so that other ways to
start or search (a learned portfolio, say) are compared with the same peers by the same rules.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from quality_orders import in_order
from quality_replay import Replayed, Table, Variant, replay, summarize
from quality_scenarios import REPO, SCENARIOS
from quality_stats import Judge, difference, grid_once, with_intervals
from quality_tables import TABLES

from flair_hpo.space import SearchSpace

from . import searcher

RESULTS = REPO / "benchmarks" / "results" / "peers"
BUDGETS = (0.05, 0.1, 0.25)
#: The flair-hpo variants every peer is compared with (quality_variants.py).
BASELINES = ("default", "random", "random+halving")

Way = Variant | str | Callable[[Table, SearchSpace, float, int], Replayed]


def path_of(scenario: str, order: str, part: str = "") -> Path:
    """Where a scenario's replays in ``order`` are kept; a ``part`` is written by a run beside another one and
    merged into the whole by :func:`report`."""
    return RESULTS / f"{scenario}-{order}{'.' + part if part else ''}.json"


def _search(name: str, way: Way) -> Callable[[Table, SearchSpace, float, int], Replayed]:
    if isinstance(way, Variant):
        return lambda table, space, budget, seed: replay(table, space, way, budget, seed)
    if isinstance(way, str):
        found = searcher(way)
        return lambda table, space, budget, seed: found(way, table, space, budget, seed)
    return way


def run(
    scenario: str,
    order: str,
    ways: dict[str, tuple[Way, int]],
    budgets: tuple[float, ...] = BUDGETS,
    path: Path | None = None,
) -> dict[str, Any]:
    """Replay each of ``ways`` (name: (variant, peer name or search function; searches per cell)) on
    ``scenario``'s table in ``order`` at ``budgets``; every finished cell is written to ``path`` at once."""
    path = path or path_of(scenario, order)
    table = Table.load(TABLES / f"{scenario}.json")
    space = in_order(SCENARIOS[scenario].build_space(), order)
    stored = json.loads(path.read_text()) if path.exists() else {}
    stored.update({"scenario": scenario, "order": order, "title": table.title, "cells": stored.get("cells", {})})
    for name, (way, searches) in ways.items():
        search = _search(name, way)
        for budget in budgets:
            cell = stored["cells"].get(name, {}).get(str(budget))
            if cell is not None and cell["searches"] == searches:
                continue
            began = time.process_time()
            outcomes = [search(table, space, budget, seed) for seed in range(searches)]
            cell = {**summarize(table, outcomes), "regrets": [round(o.regret, 4) for o in outcomes]}
            cell["cpu_s"] = round(time.process_time() - began, 2)
            stored["cells"].setdefault(name, {})[str(budget)] = cell
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(stored, indent=1) + "\n")
            print(f"{scenario} {order} {name} {budget}: mean regret {cell['mean_regret']:.2f} ({cell['cpu_s']} s)")
    return stored


def judged(stored: dict[str, Any], against: str = "default") -> dict[str, Any]:
    """``stored`` with intervals on every cell, the grid trained once, and each way's difference with
    ``against`` at equal time (``differences``: way minus ``against``; ``p_better``: P(the way's model is better))."""
    table = Table.load(TABLES / f"{stored['scenario']}.json")
    judge = Judge(table)
    stored["grid_once"] = grid_once(table)
    with_intervals(judge, stored["grid_once"])
    drawn = {
        (name, budget): with_intervals(judge, cell)
        for name, cells in stored["cells"].items()
        for budget, cell in cells.items()
    }
    stored["differences"] = {
        name: {
            budget: difference(cell, stored["cells"][against][budget], drawn[name, budget], drawn[against, budget])
            for budget, cell in cells.items()
            if budget in stored["cells"].get(against, {})
        }
        for name, cells in stored["cells"].items()
        if name != against
    }
    return stored


def replay_peers(
    scenarios: list[str],
    orders: tuple[str, ...],
    peers: tuple[str, ...],
    seeds: int,
    baseline_seeds: int,
    budgets: tuple[float, ...] = BUDGETS,
    part: str = "",
) -> None:
    """The flair-hpo baselines (:data:`BASELINES`, ``baseline_seeds`` searches per cell; on a recipe's scenario
    also the recipe's search with its portfolio learned without that scenario) and ``peers`` (``seeds`` searches
    per cell) on each scenario, in each options' order; cells already stored are kept."""
    from portfolio import held_out_variant
    from quality_variants import variants

    for scenario in scenarios:
        table = Table.load(TABLES / f"{scenario}.json")
        found = variants(table.max_epochs)
        ways: dict[str, tuple[Way, int]] = {name: (found[name], baseline_seeds) for name in BASELINES if baseline_seeds}
        learned = held_out_variant(scenario, table.max_epochs) if baseline_seeds else None
        if learned is not None:
            ways[learned.name] = (learned, baseline_seeds)
        ways.update({peer: (peer, seeds) for peer in peers})
        for order in orders:
            run(scenario, order, ways, budgets, path_of(scenario, order, part))


def report() -> dict[str, dict[str, dict]]:
    """Judge every stored scenario and order again (intervals, differences with the default), store the
    judged files and write docs/search-quality.md's headline and peers tables."""
    from .report import update_page

    scenarios: dict[str, dict[str, dict]] = {}
    for name in SCENARIOS:
        for order in ("table", "rotated"):
            path = path_of(name, order)
            for part in sorted(RESULTS.glob(f"{name}-{order}.*.json")):  # runs beside the main one
                whole = json.loads(path.read_text()) if path.exists() else {}
                found = json.loads(part.read_text())
                for way, cells in found["cells"].items():
                    whole.setdefault("cells", {}).setdefault(way, {}).update(cells)
                path.write_text(json.dumps({**found, "cells": whole["cells"]}, indent=1) + "\n")
                part.unlink()
            if path.exists():
                stored = judged(json.loads(path.read_text()))
                path.write_text(json.dumps(stored, indent=1) + "\n")
                scenarios.setdefault(name, {})[order] = stored
    update_page(scenarios)
    return scenarios
