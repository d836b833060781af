"""The search-quality benchmark's replays (benchmarks/quality_replay.py), on the tables in the repository, and
docs/search-quality.md's figures against benchmarks/results/quality.json.

No training: each strategy asks, the table answers (TREC_6: 72 configurations x 10 seeds, trained once by
``benchmarks/search_quality.py tabulate trec``). A replay takes milliseconds, so these tests replay many
searches; docs/search-quality.md's tables are regenerated from quality.json and compared, and stored searches replayed.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import copy  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402

from quality_replay import Table, replay, summarize  # noqa: E402
from quality_report import (  # noqa: E402
    LOSO_BEGIN,
    LOSO_END,
    QUALITY_PAGE,
    REAL_BEGIN,
    REAL_END,
    TABLE_BUDGETS,
    current_block,
    loso_block,
    page_block,
    real_block,
)
from quality_scenarios import SCENARIOS  # noqa: E402
from quality_stats import Judge, uncertainty  # noqa: E402
from quality_variants import variants  # noqa: E402

from flair_hpo.space import configuration_key  # noqa: E402
from flair_hpo.space.starts import start_labels  # noqa: E402
from flair_hpo.strategies import BayesianSearch  # noqa: E402

RESULTS = json.loads((REPO / "benchmarks" / "results" / "quality.json").read_text())
LOSO = json.loads((REPO / "benchmarks" / "results" / "quality-loso.json").read_text())

#: The strategies a user can pick, each as the benchmark runs it.
STRATEGIES = ("default", "grid", "random", "evolutionary", "bayesian", "optuna-tpe")


@pytest.fixture(scope="module")
def trec():
    table = Table.load(REPO / "benchmarks" / "tables" / "trec.json")
    space = SCENARIOS["trec"].build_space()
    return table, space, variants(table.max_epochs, start_labels(space.dimensions, SCENARIOS["trec"].published))


def test_the_table_is_the_grid_it_claims(trec):
    table, space, _ = trec
    assert len(table.keys) == space.size == 72
    assert table.replicates == 10
    assert all(len(row.dev) == table.max_epochs for row in table.rows.values() if not row.error)


@pytest.mark.parametrize("name", STRATEGIES)
def test_a_replayed_search_is_reproducible(trec, name):
    table, space, found = trec
    first, first_steps = replay(table, space, found[name], 0.1, seed=7, trace=True)
    second, second_steps = replay(table, space, found[name], 0.1, seed=7, trace=True)
    assert first_steps == second_steps
    assert first == second
    assert first.trials == len(first_steps) > 1
    assert first.seconds <= 0.1 * table.grid_seconds + max(r.seconds[-1] for r in table.rows.values() if r.seconds)
    _, other_steps = replay(table, space, found[name], 0.1, seed=8, trace=True)
    if name != "grid":  # the grid's order does not depend on the seed; its seed noise does
        assert [s["key"] for s in other_steps] != [s["key"] for s in first_steps]


def _regrets(table, space, variant, budget: float, searches: int) -> list[float]:
    return [replay(table, space, variant, budget, seed).regret for seed in range(searches)]


def test_the_readme_tables_are_generated_from_the_results():
    """Every number in docs/search-quality.md's search-quality tables is quality.json's, quality-loso.json's or
    quality-real-*.json's (search_quality.py report)."""
    page = QUALITY_PAGE.read_text()
    assert current_block(page) == page_block(RESULTS)
    assert list(RESULTS) == ["trec", "wnut", "pos", "rnn"]
    assert current_block(page, LOSO_BEGIN, LOSO_END) == loso_block(LOSO, RESULTS)
    reals = {
        name: json.loads((REPO / "benchmarks" / "results" / f"quality-real-{name}.json").read_text())
        for name in ("trec", "wnut")
    }
    assert current_block(page, REAL_BEGIN, REAL_END) == real_block(reals, RESULTS)


def _loso_score(scenario: str, candidate: int) -> float:
    return statistics.mean(x["within_half_point"] for x in LOSO["cells"][scenario][str(candidate)].values())


def test_startup_trials_is_chosen_on_the_other_scenarios():
    """The leave-one-scenario-out choice: the default's startup_trials replays as the default variant does,
    and each scenario's choice is the best on the other three; docs/search-quality.md states 2 for each, the
    default."""
    default = BayesianSearch().startup_trials
    assert default == 2
    for name, held in LOSO["held_out"].items():
        cells = LOSO["cells"][name][str(default)]
        for budget, cell in cells.items():
            assert cell["within_half_point"] == RESULTS[name]["variants"]["default"][budget]["within_half_point"]
        others = [o for o in LOSO["held_out"] if o != name]
        scores = {c: statistics.mean(_loso_score(o, c) for o in others) for c in LOSO["candidates"]}
        assert held["chosen"] == max(LOSO["candidates"], key=lambda c: (scores[c], -c))
    assert {name: held["chosen"] for name, held in LOSO["held_out"].items()} == dict.fromkeys(RESULTS, 2)


@pytest.mark.parametrize("name", ["default", "optuna-tpe", "default+start"])
def test_the_stored_searches_replay_the_same(trec, name):
    """quality.json holds what the code replays now: its first searches of a cell, replayed again."""
    table, space, found = trec
    for budget in ("0.05", "0.1"):
        stored = RESULTS["trec"]["variants"][name][budget]
        outcomes = [replay(table, space, found[name], float(budget), seed) for seed in range(5)]
        assert summarize(table, outcomes)["returned"] == stored["returned"][:5]
        assert [round(o.regret, 4) for o in outcomes] == stored["regrets"][:5]


def test_a_start_is_the_first_trial_of_every_search(trec):
    table, space, found = trec
    start = configuration_key(start_labels(space.dimensions, SCENARIOS["trec"].published))
    for seed in range(5):
        _, steps = replay(table, space, found["default+start"], 0.1, seed, trace=True)
        assert steps[0]["key"] == start and start not in [s["key"] for s in steps[1:]]


def test_the_returned_model_is_judged_on_seeds_the_search_did_not_see_at_the_epoch_it_stopped(trec):
    table, space, found = trec
    short = 0
    for seed in range(20):
        outcome, steps = replay(table, space, found["default"], 0.05, seed, trace=True)
        assert outcome.seen == tuple(sorted({s["seed"] for s in steps if s["key"] == outcome.key}))
        held_out = [r for r in range(table.replicates) if r not in outcome.seen]
        kept = [max(table.row(outcome.key, r).dev[: outcome.epochs]) for r in held_out]
        assert outcome.regret == pytest.approx(100 * (table.best_dev - statistics.mean(kept)))
        assert outcome.configuration_regret == pytest.approx(table.regret(outcome.key))
        short += outcome.epochs < table.max_epochs
    assert short > 0  # pruned or cut winners are among them, judged at the epoch they stopped


def test_optuna_tpe_returns_the_best_trial_as_a_users_loop_does(trec):
    table, space, found = trec
    differs = 0
    for seed in range(10):
        outcome, steps = replay(table, space, found["optuna-tpe"], 0.25, seed, trace=True)
        best = max(steps, key=lambda s: -1.0 if s["value"] is None else s["value"])  # the first among equals
        assert outcome.key == best["key"]
        by_mean = replay(table, space, dataclasses.replace(found["optuna-tpe"], selection="flair-hpo"), 0.25, seed)
        differs += by_mean.key != outcome.key
    assert differs > 0  # TPE trains configurations again: ranking by their mean is another choice


def test_the_bootstrap_judges_like_the_replay_with_every_seed_weighted_equally(trec):
    table, _, _ = trec
    cell = RESULTS["trec"]["variants"]["default"]["0.1"]
    judge = Judge(table, draws=3)
    judge.weights[:] = 1.0 / table.replicates
    judge.best[:] = table.best_dev
    assert judge.regrets(cell["returned"])[0] == pytest.approx(cell["regrets"], abs=1e-4)


def test_the_stored_intervals_are_those_of_the_stored_searches(trec):
    table, _, _ = trec
    stored = RESULTS["trec"]
    cells = copy.deepcopy(stored["variants"])
    assert uncertainty(table, cells, TABLE_BUDGETS) == stored["differences"]
    assert cells == stored["variants"]
    for claim in stored["differences"]:
        for measure in ("within_half_point", "median_regret"):
            _, low, high = claim[measure]
            assert low <= high


def test_a_search_that_spends_nothing_returns_nothing(trec):
    table, space, found = trec
    outcome = replay(table, space, found["random"], 0.0, seed=1)
    assert outcome.key is None and outcome.regret == 100.0


def _difference(scenario: str, first: str, second: str, budget: float) -> list[float]:
    """The stored difference in the share within 0.5 point: [point, low, high]."""
    found = RESULTS[scenario]["differences"]
    return next(d for d in found if (d["variant"], d["other"], d["budget"]) == (first, second, budget))[
        "within_half_point"
    ]


def test_the_readmes_claims_hold_in_the_results():
    """What docs/search-quality.md's "What the numbers say" states, checked against quality.json."""
    budgets = (0.05, 0.1, 0.25)
    significant = lambda d: d[1] > 0 or d[2] < 0  # noqa: E731 - the interval excludes 0
    gains = {}
    for scenario in RESULTS:
        for budget in budgets:
            cell = (scenario, budget)
            assert _difference(scenario, "default", "random", budget)[2] > 0  # never significantly worse
            assert significant(_difference(scenario, "default", "random", budget)) == (
                cell in {("wnut", 0.25), ("pos", 0.25)}
            )
            assert significant(_difference(scenario, "default", "grid", budget)) == (
                cell not in {("wnut", 0.05), ("trec", 0.25)}
            )
            for first, second in (("optuna-tpe", "random"), ("evolutionary", "random")):
                assert not significant(_difference(scenario, first, second, budget))
            assert significant(_difference(scenario, "default", "optuna-tpe", budget)) == (
                cell in {("trec", 0.1), ("wnut", 0.25)}
            )
            assert significant(_difference(scenario, "default", "bayesian", budget)) == (cell == ("wnut", 0.25))
            assert significant(_difference(scenario, "random+halving", "random", budget)) == (cell == ("wnut", 0.25))
            assert not significant(_difference(scenario, "bayesian+halving+reseed2x2", "default", budget))
            assert not significant(_difference(scenario, "default+start", "default", budget))
            halving = _difference(scenario, "bayesian+data-halving", "default", budget)
            gains[cell] = significant(halving) and halving[1] > 0
            assert significant(halving) == (cell in {("trec", 0.05), ("wnut", 0.25)})
            earlier = _difference(scenario, "default+earlier", "default", budget)
            assert significant(earlier) == (cell == ("pos", 0.05)) and earlier[2] > 0
            prior = _difference(scenario, "default+prior", "default", budget)
            assert significant(prior) == (cell in {("pos", 0.1), ("rnn", 0.05)}) and prior[1] <= 0
            both = _difference(scenario, "default+earlier+prior", "default+earlier", budget)
            assert significant(both) == (cell == ("rnn", 0.1)) and both[1] <= 0
            if scenario == "trec":
                assert prior[0] < 0
            assert not significant(_difference(scenario, "bayesian+data-halving", "random+data-halving", budget))
        # the goal: at 10%, 80% of the share the grid trained once reaches; not met
        at10 = RESULTS[scenario]["variants"]["default"]["0.1"]["within_half_point"]
        assert at10 < 0.8 * RESULTS[scenario]["grid_once"]["within_half_point"]
    assert not any(gains.values())  # data halving is nowhere significantly better than the default
    for scenario in RESULTS:  # pruning points the same way at 25% everywhere
        assert _difference(scenario, "default", "bayesian", 0.25)[0] > 0
    shares = {n: [RESULTS[n]["variants"]["default"][b]["within_half_point"] for b in ("0.1", "0.25")] for n in RESULTS}
    assert shares == {"trec": [0.6, 0.76], "wnut": [0.14, 0.56], "pos": [0.2, 0.61], "rnn": [0.07, 0.23]}
    assert [round(RESULTS[n]["grid_once"]["within_half_point"], 2) for n in RESULTS] == [0.83, 0.68, 1.0, 0.33]


def test_flair_defaults_are_as_far_from_the_best_as_the_readme_says():
    below = {}
    for name in ("trec", "wnut", "pos", "rnn"):
        table = Table.load(REPO / "benchmarks" / "tables" / f"{name}.json")
        space = SCENARIOS[name].build_space()
        below[name] = table.regret(configuration_key(start_labels(space.dimensions, SCENARIOS[name].published)))
    assert (round(below["trec"]), round(below["wnut"], 1), round(below["pos"], 1), round(below["rnn"], 1)) == (
        26,
        8.5,
        2.4,
        14.5,
    )


def test_the_readmes_other_figures_are_the_results():
    """Figures the search-quality page quotes outside its tables: the earlier (configuration) measure against
    the model's, the share of the default's models from pruned or cut trials, the trials the default runs at
    10%."""
    default = {name: RESULTS[name]["variants"]["default"] for name in RESULTS}
    assert (default["trec"]["0.1"]["configuration_within_half_point"], default["trec"]["0.1"]["within_half_point"]) == (
        0.73,
        0.6,
    )
    assert (
        default["wnut"]["0.25"]["configuration_within_half_point"],
        default["wnut"]["0.25"]["within_half_point"],
    ) == (0.57, 0.56)
    short = {name: [default[name][b]["returned_short"] for b in ("0.05", "0.1", "0.25")] for name in RESULTS}
    assert short == {
        "trec": [0.19, 0.05, 0.01],
        "wnut": [0.21, 0.13, 0.03],
        "pos": [0.33, 0.04, 0.02],
        "rnn": [0.36, 0.2, 0.04],
    }
    assert [round(default[name]["0.1"]["mean_trials"]) for name in ("wnut", "pos", "rnn")] == [8, 4, 7]
    assert [RESULTS[name]["configurations"] / 10 for name in ("wnut", "pos", "rnn")] == [3.6, 2.4, 3.2]
    every_seed_seen = {
        (name, variant, budget): sum(
            1 for r in cell["returned"] if r and len(r[2]) == scenario["seeds_per_configuration"]
        )
        for name, scenario in RESULTS.items()
        for variant, curve in scenario["variants"].items()
        for budget, cell in curve.items()
        if budget in ("0.05", "0.1", "0.25")
    }
    assert {k: v for k, v in every_seed_seen.items() if v} == {
        ("wnut", "optuna-tpe", "0.25"): 3,
        ("rnn", "optuna-tpe", "0.1"): 1,
        ("rnn", "optuna-tpe", "0.25"): 4,
    }


def test_a_replayed_search_makes_the_last_call_as_a_real_one_does(trec):
    """The replay runs the search's own last call: when the model it would return was pruned, its
    configuration is trained again with the same seed, to the end, once; that is the model judged."""
    table, space, found = trec
    calls = 0
    for seed in range(40):
        outcome, steps = replay(table, space, found["default"], 0.1, seed, trace=True)
        last = [i for i, s in enumerate(steps) if s["last_call"]]
        assert len(last) <= 1
        for i in last:
            calls += 1
            call = steps[i]
            assert any((s["key"], s["seed"]) == (call["key"], call["seed"]) for s in steps[:i])
            if call["value"] != table.row(call["key"], call["seed"]).value:  # not all its epochs
                # The time kept back is one training to the end; when the best model came from a trial that
                # ran long into that time before it was pruned, less is left, and the last call meets the
                # deadline again, as the search's last trial.
                assert i == len(steps) - 1
                continue
            if outcome.key == call["key"]:
                assert outcome.epochs == table.max_epochs
    assert calls > 0


def test_what_the_page_says_of_embeddings_computed_with_another_thread_count_holds_in_its_results():
    """The replay section's explanation of rows that score differently on another day, against the figures of
    benchmarks/embedding_threads.py."""
    found = json.loads((REPO / "benchmarks" / "results" / "embedding-threads.json").read_text())
    page = " ".join((REPO / "docs" / "search-quality.md").read_text().split())
    vectors, gaps = found["vectors"], found["final_dev_gaps"]
    assert 0 < vectors["share_differing"] < 0.001 and f"{vectors['share_differing']:.3%}" == "0.016%"
    assert f"{vectors['max_abs_difference']:.1e}" == "1.3e-06"
    assert found["rows_differing_on_the_same_store"] == 0  # training itself is deterministic
    assert (found["rows_differing"], found["rows"]) == (18, 72) and len(gaps) == 18
    assert (round(100 * max(gaps)), round(100 * statistics.median(gaps), 1)) == (14, 2.5)
    assert round(100 * found["largest_dev_gap_at_an_epoch"]) == 24
    claim = (
        "differ in 0.016% of their values, by at most 1.3e-6 (matrix products add in another order), and from "
        "these inputs 18 of the 72 TREC_6 configurations (first seed, one thread for training) train to other "
        "dev scores, by up to 14 points at the end (median 2.5 among the 18) and 24 at some epoch, while "
        "training twice from the same store gives the same scores for all 72"
    )
    assert claim in page


# ------------------------------------------------------------------ the held-out judge, the orders, the peers
@pytest.fixture(scope="module")
def rnn():
    table = Table.load(REPO / "benchmarks" / "tables" / "rnn.json")
    return table, SCENARIOS["rnn"].build_space()


def _tpe_halving(max_epochs: int):
    import optuna

    found = variants(max_epochs)["optuna-tpe"]
    return dataclasses.replace(found, pruner=lambda: optuna.pruners.SuccessiveHalvingPruner())


def test_a_sampler_that_repeats_a_configuration_more_often_than_the_table_has_seeds_replays(rnn):
    """TPE with successive halving on a 3-seed table trains some configurations four times and more, and may
    then make a last call of one: the replay gives it the configuration's seeds again, in the same order."""
    table, space = rnn
    outcome, steps = replay(table, space, _tpe_halving(table.max_epochs), 0.25, seed=2, trace=True)
    counts = {key: sum(s["key"] == key for s in steps) for key in {s["key"] for s in steps}}
    assert max(counts.values()) > table.replicates
    assert all(0 <= s["seed"] < table.replicates for s in steps)
    assert outcome.key is not None


def test_a_model_is_never_judged_on_a_seed_its_search_trained(rnn):
    """Judged on the seeds its search did not train that configuration with; when it trained them all, on the
    model's own test score against the best configuration's mean test score."""
    table, space = rnn
    on_test = 0
    for seed in range(20):
        outcome, steps = replay(table, space, _tpe_halving(table.max_epochs), 0.25, seed, trace=True)
        seen = {s["seed"] for s in steps if s["key"] == outcome.key}
        assert set(outcome.seen) == seen and outcome.replicate in seen
        held_out = [r for r in range(table.replicates) if r not in seen]
        if held_out:
            kept = statistics.mean(table.row(outcome.key, r).value_after(outcome.epochs) for r in held_out)
            assert outcome.regret == pytest.approx(100 * (table.best_dev - kept))
        else:
            on_test += 1
            own = table.row(outcome.key, outcome.replicate).test_after(outcome.epochs)
            assert outcome.regret == pytest.approx(100 * (table.true_test[table.best_key] - own))
    assert on_test > 0  # the rule is exercised: such searches exist


def test_the_bootstrap_judges_every_model_like_the_replay(rnn):
    table, space = rnn
    outcomes = [replay(table, space, _tpe_halving(table.max_epochs), 0.25, seed) for seed in range(20)]
    cell = summarize(table, outcomes)
    assert 0 < cell["judged_on_test"] < 1
    judge = Judge(table, draws=3)
    judge.weights[:] = 1.0 / table.replicates
    judge.best[:], judge.best_test[:] = table.best_dev, table.true_test[table.best_key]
    assert judge.regrets(cell["returned"])[0] == pytest.approx([o.regret for o in outcomes], abs=1e-9)


def test_the_rotated_order_moves_every_centre_and_keeps_the_grid(trec):
    from quality_orders import in_order

    table, space, found = trec
    rotated = in_order(space, "rotated")
    assert {configuration_key(c) for c in rotated.grid()} == set(table.keys)
    for before, after in zip(space.dimensions, rotated.dimensions, strict=True):
        options = before.grid_values()
        if len(options) > 1:
            assert sorted(map(str, after.grid_values())) == sorted(map(str, options))
            assert after.grid_values()[len(options) // 2] != options[len(options) // 2]
    _, steps = replay(table, rotated, found["grid"], 0.1, seed=0, trace=True)
    _, table_steps = replay(table, space, found["grid"], 0.1, seed=0, trace=True)
    assert steps[0]["key"] != table_steps[0]["key"]  # the grid walks the rotated order


def test_an_optuna_loop_with_a_pruner_returns_its_best_complete_trial_in_the_same_time(trec):
    from quality_peers import optuna_loop
    from quality_peers.bench import Bench

    table, space, _ = trec
    longest = max(r.seconds[-1] for r in table.rows.values() if r.seconds)
    for name in optuna_loop.PRUNERS:
        first = optuna_loop.search(name, table, space, 0.1, seed=3)
        assert first == optuna_loop.search(name, table, space, 0.1, seed=3)
        assert 0.1 * table.grid_seconds <= first.seconds <= 0.1 * table.grid_seconds + longest
        assert first.key is not None and first.replicate not in [r for r in range(10) if r not in first.seen]
    bench = Bench(table, 0.1, seed=0)
    training = bench.start(json.loads(table.keys[0]))
    assert bench.train(training, table.max_epochs) == training.row.value
    assert bench.clock == pytest.approx(training.row.seconds[-1] + bench.overhead)


PEERS_RESULTS = REPO / "benchmarks" / "results" / "peers"


def test_the_headline_and_peers_tables_are_generated_from_the_results():
    """docs/search-quality.md's headline and "default vs peers" tables are results/peers/*.json's."""
    from quality_peers.report import (
        HEADLINE_BEGIN,
        HEADLINE_END,
        PEERS_BEGIN,
        PEERS_END,
        headline_markdown,
        peers_markdown,
    )

    scenarios: dict[str, dict] = {}
    for name in SCENARIOS:
        for order in ("table", "rotated"):
            path = PEERS_RESULTS / f"{name}-{order}.json"
            if path.exists():
                scenarios.setdefault(name, {})[order] = json.loads(path.read_text())
    assert {"trec", "wnut", "pos", "rnn"} <= set(scenarios)
    page = QUALITY_PAGE.read_text()
    assert current_block(page, HEADLINE_BEGIN, HEADLINE_END) == (
        f"{HEADLINE_BEGIN}\n\n{headline_markdown(scenarios)}\n{HEADLINE_END}"
    )
    assert current_block(page, PEERS_BEGIN, PEERS_END) == f"{PEERS_BEGIN}\n\n{peers_markdown(scenarios)}\n{PEERS_END}"
    from quality_peers import goal

    assert current_block(page, goal.BEGIN, goal.END) == goal.block(scenarios)


def test_the_goal_is_judged_on_what_a_users_search_runs_against_the_strongest_peer_of_each_scenario():
    from quality_peers import goal

    stored = {
        name: {"table": json.loads((PEERS_RESULTS / f"{name}-table.json").read_text())}
        for name in SCENARIOS
        if (PEERS_RESULTS / f"{name}-table.json").exists()
    }
    # On the classifier-frozen recipe's scenarios the default is the recipe's search with its portfolio
    # learned without that scenario; elsewhere the default.
    assert {n: goal.ours(o["table"]) for n, o in stored.items()} == {
        **{n: "default" for n in stored},
        **{n: "default+portfolio" for n in ("trec", "cr", "subj", "trec_50")},
    }
    checked = goal.goal(stored)["table"]["0.05"]
    assert checked["scenarios"] == list(stored)
    # The point figure is the mean over scenarios of random+halving's mean regret minus the default's.
    expected = [
        o["table"]["cells"]["random+halving"]["0.05"]["mean_regret"]
        - o["table"]["cells"][goal.ours(o["table"])]["0.05"]["mean_regret"]
        for o in stored.values()
    ]
    assert checked["random+halving"]["mean"][0] == round(sum(expected) / len(expected), 4)


def test_the_stored_peer_intervals_are_those_of_the_stored_searches():
    from quality_peers.runner import judged

    stored = json.loads((PEERS_RESULTS / "rnn-table.json").read_text())
    assert judged(copy.deepcopy(stored)) == stored


def test_the_calibration_table_is_generated_from_its_results():
    """Real searches predicted with the overhead of other real searches (quality_real.run): the page's table is
    quality-calibration-trec.json's, and no search calibrates its own replay."""
    from quality_report import CALIBRATION_BEGIN, CALIBRATION_END, calibration_block

    found = json.loads((REPO / "benchmarks" / "results" / "quality-calibration-trec.json").read_text())
    page = QUALITY_PAGE.read_text()
    assert current_block(page, CALIBRATION_BEGIN, CALIBRATION_END) == calibration_block(found)
    calibrating = {(c["budget"], c["seed"]) for c in found["calibration_searches"]}
    validated = {(c["budget"], c["seed"]) for c in found["validation"]}
    assert calibrating and validated and not calibrating & validated
    assert len({budget for budget, _ in validated}) == 2
    checks = found["validation"]
    assert all(c["replayed_trials"] == c["real_trials"] + 1 for c in checks)
    assert sum(c["same_winner"] for c in checks) == 3 and len(checks) == 4
    differing = [c for c in checks if not c["same_winner"]]
    assert [(c["budget"], c["seed"]) for c in differing] == [(0.05, 0)]
    assert (round(differing[0]["real_model_regret"], 2), round(differing[0]["replayed_model_regret"], 2)) == (
        6.21,
        1.68,
    )
    assert all(c["real_model_regret"] == c["replayed_model_regret"] for c in checks if c["same_winner"])
    assert (round(found["speed_ratio"], 1), round(found["calibrated_overhead_table_s"], 2)) == (15.7, 0.02)


def _peers(order: str) -> dict[str, dict]:
    return {
        name: json.loads((PEERS_RESULTS / f"{name}-{order}.json").read_text())
        for name in ("trec", "wnut", "pos", "rnn")
    }


def test_what_the_page_says_of_the_peers_holds_in_their_results():
    significant = lambda d: d[1] > 0 or d[2] < 0  # noqa: E731 - the interval excludes 0
    better = lambda d: d[2] < 0  # noqa: E731 - the way's mean regret is significantly below the default's
    for name, stored in _peers("table").items():
        for budget in ("0.05", "0.1"):
            shipped = [
                way
                for way, cells in stored["differences"].items()
                if way.startswith("syne-tune") and "random-start" not in way and better(cells[budget]["mean_regret"])
            ]
            assert bool(shipped) == (name != "trec"), (name, budget)
    for order in ("table", "rotated"):
        for name, stored in _peers(order).items():
            for way, cells in stored["differences"].items():
                if way == "default+portfolio":  # the recipe's own search, not a peer
                    continue
                for budget, entry in cells.items():
                    if order == "rotated" or "random-start" in way:
                        assert not better(entry["mean_regret"]), (order, name, way, budget)
                    if way == "random+halving":
                        assert significant(entry["mean_regret"]) == (
                            (order, name, budget) == ("rotated", "pos", "0.25")
                        )
    for order in ("table", "rotated"):  # the first new corpus: no peer beats the default
        cr = json.loads((PEERS_RESULTS / f"cr-{order}.json").read_text())
        peers = {w: c for w, c in cr["differences"].items() if w != "default+portfolio"}
        assert not any(better(e["mean_regret"]) for cells in peers.values() for e in cells.values())
    cells = [
        c for o in ("table", "rotated") for s in _peers(o).values() for w in s["cells"].values() for c in w.values()
    ]
    assert all(c["cpu_s"] >= 0 for c in cells)


@pytest.mark.peers
def test_syne_tune_starts_from_the_centre_unless_told_otherwise(trec):
    """Syne Tune's shipped start is the middle of every ordinal (the first option of a categorical); with
    ``+random-start`` the first configuration is drawn at random. The test command runs it in .venv-peers,
    where the benchmark extra is installed (its numpy pin conflicts with the test extra's packages)."""
    from quality_orders import in_order
    from quality_peers.syne_tune_loop import scheduler

    _, space, _ = trec
    centre = {
        "ModelTrainer.learning_rate": 0.2,
        "ModelTrainer.mini_batch_size": 32,
        "TransformerDocumentEmbeddings.cls_pooling": '"cls"',
    }
    randoms = []
    for seed in range(3):
        shipped, _ = scheduler("syne-tune-mobster", space, 5, seed)
        config = shipped.suggest(0).config
        assert {k: config[k] for k in centre} == centre
        drawn, _ = scheduler("syne-tune-mobster+random-start", space, 5, seed)
        config = drawn.suggest(0).config
        randoms.append(json.dumps({k: config[k] for k in centre}))
    assert len(set(randoms)) > 1
    rotated, _ = scheduler("syne-tune-mobster", in_order(space, "rotated"), 5, 0)
    assert rotated.suggest(0).config["ModelTrainer.learning_rate"] == 0.01  # the middle of [0.1, ..., 0.05]
