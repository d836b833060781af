"""Learned starts: the greedy portfolio built from the search-quality tables (benchmarks/portfolio.py), shipped with
the package (flair_hpo/space/portfolios/) and trained first by the recipe's search, in one queue with the recipe's
published configuration, the user's starts and the warm start; and its leave-one-corpus-out figures on the docs page."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import flair_hpo.parameters as parameter
from flair_hpo import orchestrator, search_strategies
from flair_hpo.results.study_view import open_for_reading
from flair_hpo.search.earlier import EarlierStudy, remember, search_starts
from flair_hpo.search.settings import RunSettings
from flair_hpo.search_spaces import recipes
from flair_hpo.space.portfolio import learned_starts, portfolio_file

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import portfolio  # noqa: E402

RATE, BATCH, POOLING = portfolio.TUNED["classifier-frozen"]
PUBLISHED = {RATE: 0.1, BATCH: 32, POOLING: "cls"}


def _tuned(labels: dict) -> dict:
    return {name: labels[name] for name in (RATE, BATCH, POOLING)}


def test_the_greedy_portfolio_covers_the_corpora_the_first_picks_miss():
    # Dev scores on two corpora. By its mean normalized regret alone the order would be c (0.33), b (0.48),
    # a (0.5), d: b is a near-copy of a. Greedy: c first (the best on both together), then a, which is the best
    # on the first corpus, where c is poor (mean best-so-far 0; b would leave 0.017), then b before d: every
    # corpus has its best by then, and the tie goes to the better one alone.
    scores = {
        "first": {"a": 0.90, "b": 0.89, "c": 0.70, "d": 0.60},
        "second": {"a": 0.60, "b": 0.62, "c": 0.90, "d": 0.80},
    }
    assert portfolio.greedy(scores, 4) == ["c", "a", "b", "d"]
    assert portfolio.greedy(scores, 2) == ["c", "a"]
    # One corpus: its best configurations in order; a configuration missing from a table is never picked.
    assert portfolio.greedy({"first": scores["first"]}, 3) == ["a", "b", "c"]
    assert portfolio.greedy({**scores, "third": {"b": 0.5, "c": 0.6, "d": 0.7}}, 4) == ["c", "b", "d"]


def test_the_shipped_portfolio_is_what_the_builder_makes_from_every_table():
    scenarios = portfolio.available("classifier-frozen")
    assert scenarios == [
        "trec",
        "cr",
        "subj",
        "trec_50",
    ]  # a table added later changes the shipped file: write it again
    shipped = portfolio_file("classifier-frozen")
    assert shipped == portfolio.build("classifier-frozen", scenarios)
    assert [t["table"] for t in shipped["built_from"]] == [f"benchmarks/tables/{n}.json" for n in scenarios]
    assert learned_starts("classifier-frozen") == shipped["configurations"]
    assert len(shipped["configurations"]) == portfolio.SIZE
    assert PUBLISHED not in shipped["configurations"]  # Flair's defaults are 58th of 72 on TREC_6, 63rd on CR
    # What the replay's leave-one-corpus-out measure trains: a portfolio without the held-out corpus's table.
    assert portfolio.build("classifier-frozen", ["trec"])["configurations"] != shipped["configurations"]
    assert learned_starts("tagger-frozen") == []  # no tables of that recipe yet


def test_the_recipes_queue_is_the_portfolio_then_its_published_start_then_the_users_then_warm_starts(
    tmp_path, monkeypatch
):
    space = recipes.classifier_frozen()
    learned = learned_starts("classifier-frozen")
    assert [_tuned(s) for s in space.starts] == [*learned, PUBLISHED]
    space.add_start({RATE: 0.5, BATCH: 8, POOLING: "max"})
    space.add_start(learned[1])  # already queued: trained once, where it first came
    monkeypatch.setenv("FLAIR_HPO_CACHE", str(tmp_path / "cache"))
    earlier = [{**space.starts[0], RATE: 0.01, BATCH: 64}, space.starts[0]]
    remember(EarlierStudy(space.task, "class", "dev micro_f1", 1.0, earlier[:1], "elsewhere"))
    remember(EarlierStudy(space.task, "class", "dev micro_f1", 2.0, earlier[1:], "elsewhere too"))
    queue = search_starts(space, RunSettings(base_path=tmp_path / "search", warm_start=True))
    assert [_tuned(s) for s in queue] == [
        *learned,
        PUBLISHED,
        {RATE: 0.5, BATCH: 8, POOLING: "max"},
        {**learned[0], RATE: 0.01, BATCH: 64},  # the one earlier study's best not already queued
    ]


def test_a_portfolio_configuration_outside_the_users_space_is_dropped():
    learned = learned_starts("classifier-frozen")
    space = recipes.classifier_frozen()
    space.remove_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE)
    space.add_parameter(parameter.ModelTrainer.MINI_BATCH_SIZE, options=[16, 64])
    kept = [c for c in learned if c[BATCH] in (16, 64)]
    assert 0 < len(kept) < len(learned)
    assert [_tuned(s) for s in space.starts] == kept  # and Flair's batches of 32 are gone too
    space.check()
    space.remove_parameter(parameter.ModelTrainer.LEARNING_RATE)
    space.add_parameter(parameter.ModelTrainer.LEARNING_RATE, low=0.001, high=0.02, log=True)
    assert space.starts == []  # none of them within the range any more
    space.check()
    pooled = recipes.classifier_frozen()
    pooled.remove_parameter(parameter.TransformerDocumentEmbeddings.CLS_POOLING)
    pooled.add_parameter(parameter.TransformerDocumentEmbeddings.CLS_POOLING, options=["cls"])
    assert [_tuned(s) for s in pooled.starts] == [PUBLISHED]  # the portfolio is all mean pooling


@pytest.mark.integration
def test_a_recipe_search_trains_the_portfolio_first(trec_corpus, minilm_path, tmp_path):
    space = recipes.classifier_frozen(model=minilm_path)
    space.add_max_epochs_per_training_run(1)
    space.add_budget(parameter.Budget.RUNS, 2)
    result = orchestrator.Orchestrator(trec_corpus, tmp_path, space, search_strategies.RandomSearch(seed=1)).optimize()
    assert result.trials["complete"] == 2
    trials = open_for_reading(tmp_path).study.trials
    assert [_tuned(t.params) for t in trials] == learned_starts("classifier-frozen")[:2]
    assert [t.system_attrs.get("fixed_params") for t in trials] == space.starts[:2]  # queued, not sampled


def test_the_portfolio_table_is_generated_from_its_results():
    results = json.loads(portfolio.RESULTS.read_text())
    page = (REPO / "docs" / "search-quality.md").read_text()
    assert portfolio.block(results) in page
    assert results["searches"] >= 40 and set(results["held_out"]) == {"trec", "cr", "subj", "trec_50"}
    significant: dict[float, set] = {0.05: set(), 0.1: set(), 0.25: set()}
    for name, orders in results["held_out"].items():
        assert set(orders) == {"table", "rotated"}
        for cell in orders.values():
            assert name not in cell["portfolio_from"]  # left out of the portfolio it is judged with
            assert cell["portfolio"] == portfolio.build("classifier-frozen", cell["portfolio_from"])["configurations"]
            for difference in cell["differences"]:
                if difference["variant"] == "default+portfolio" and difference["other"] != "default":
                    _, low, high = difference["mean_regret"]
                    assert low < 0, (name, difference)  # never significantly worse
                    if high < 0:
                        significant[difference["budget"]].add((name, cell["order"], difference["other"]))
    # What the page concludes: significantly lower at 5% in every cell (4 corpora x 2 orders x 2 others), at 10%
    # in 11 of 16, at 25% in 4.
    assert len(significant[0.05]) == 16
    assert significant[0.1] == {
        ("cr", "table", "default+start"),
        ("cr", "rotated", "default+start"),
        ("cr", "table", "random+halving"),
        ("cr", "rotated", "random+halving"),
        ("subj", "table", "default+start"),
        ("subj", "table", "random+halving"),
        ("subj", "rotated", "random+halving"),
        ("trec", "table", "default+start"),
        ("trec_50", "rotated", "default+start"),
        ("trec_50", "table", "random+halving"),
        ("trec_50", "rotated", "random+halving"),
    }
    assert significant[0.25] == {
        ("cr", "rotated", "default+start"),
        ("cr", "rotated", "random+halving"),
        ("cr", "table", "random+halving"),
        ("subj", "table", "random+halving"),
    }
