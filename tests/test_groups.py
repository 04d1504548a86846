"""Analysis per group of runs (`analysis.groups`, `boardscale analyze --by`): grouping by stored
settings, and each group's fits recovering its own known truth on one joint table."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.groups import analyze_groups, group_label, run_groups
from analysis.plots import plot_groups
from analysis.store import STORE_FILENAME, Store
from analysis.synthetic import BoardDesign, Design, Truth, draw_agents

SEARCHES = [
    {"algorithm": "gumbel", "num_simulations": 8},
    {"algorithm": "puct", "num_simulations": 8},
    {"algorithm": "regularized", "num_simulations": 8},
    {"algorithm": "regularized", "num_simulations": 8, "regularized_sqrt": True},
]


def _store_with_runs(folder, searches, seeds=(0, 1)):
    with Store.open(folder / STORE_FILENAME) as store:
        ids = []
        for index, search in enumerate(searches):
            for seed in seeds:
                config = {"board_size": 4, "seed": seed, "search": search, "learner": {}}
                ids.append(
                    store.add_run(
                        f"run{index}-s{seed}", 4, "mlp", 8, 1, seed, 100, json.dumps(config)
                    )  # fmt: skip
                )
    return ids


def test_runs_are_grouped_by_the_settings_that_differ(tmp_path):
    ids = _store_with_runs(tmp_path, SEARCHES)
    groups = run_groups(tmp_path, "search")
    assert groups == {
        "gumbel": ids[0:2],
        "puct": ids[2:4],
        "regularized": ids[4:6],
        "regularized, regularized_sqrt": ids[6:8],
    }
    # One key alone: the sqrt switch is then not part of the label.
    assert list(run_groups(tmp_path, "search.algorithm")) == ["gumbel", "puct", "regularized"]
    with pytest.raises(ValueError, match="no run has a setting 'network'"):
        run_groups(tmp_path, "network")
    with pytest.raises(ValueError, match="every run has the same search.num_simulations"):
        run_groups(tmp_path, "search.num_simulations")
    with pytest.raises(FileNotFoundError, match="no results store"):
        run_groups(tmp_path / "missing", "search")


def test_group_labels():
    assert group_label({"search.algorithm": "puct"}) == "puct"
    assert group_label({"a.flag": True, "a.off": False, "a.c": 0.5}) == "flag, c=0.5"
    assert group_label({}) == "all runs"


def _synthetic(exchange_slope: float, m_flops: float, seed: int, prefix: str, first_id: int):
    design = Design(
        (BoardDesign(5, tuple(np.logspace(8, 11, 10)), (800, 3200, 12800)),),
        seeds=2,
        simulations=(0, 1, 3, 7, 15, 31),
        train_simulations=7,
        noise_elo=10.0,
    )
    parameters = {**Truth().parameters, "m_flops": m_flops}
    truth = Truth(parameters=parameters, exchange_slope=exchange_slope, reach=0.6)
    table = draw_agents(design, truth, seed=seed)
    table["run"] = np.array([f"{prefix}{run}" if run else "" for run in table["run"]], object)
    table["network"] = np.array([f"{prefix}{n}" if n else "" for n in table["network"]], object)
    table["agent_id"] = table["agent_id"] + first_id
    return table


def test_each_group_recovers_its_own_truth_on_one_joint_table(tmp_path):
    """Two groups drawn from different truths (frontier slopes 500 and 800 Elo/decade, exchange
    slopes -1.18 and -0.6) in one table: each group's fit finds its own truth, not the pooled
    mixture, and its interval covers it."""
    a = _synthetic(-1.18, 500.0, 1, "a-", 0)
    b = _synthetic(-0.6, 800.0, 2, "b-", 100_000)
    keep_b = b["kind"] == "snapshot"  # one set of reference players, shared as in a sweep
    table = {name: np.concatenate([a[name], np.asarray(b[name])[keep_b]]) for name in a}
    runs = sorted({run for run in table["run"].tolist() if run})
    run_id = {run: index for index, run in enumerate(runs)}
    table["run_id"] = np.array([run_id.get(run, -1) for run in table["run"].tolist()], np.int64)
    table["reference"] = table["kind"] != "snapshot"
    groups = {
        "a": [run_id[r] for r in runs if r.startswith("a-")],
        "b": [run_id[r] for r in runs if r.startswith("b-")],
    }
    result = analyze_groups(table, groups, tmp_path, by="search", bootstrap=16, figures=False)
    rows = {row["group"]: row for row in result["groups"]}
    for group, slope, m_flops in (("a", -1.18, 500.0), ("b", -0.6, 800.0)):
        frontier = rows[group]["frontier_slope_elo_per_decade"]
        exchange = rows[group]["exchange_slope"]
        assert frontier["value"] == pytest.approx(m_flops, rel=0.12), group
        assert frontier["ci95"][0] <= m_flops * 1.05 and frontier["ci95"][1] >= m_flops * 0.95
        assert exchange["value"] == pytest.approx(slope, abs=0.2), group
        assert exchange["ci95"][0] - 0.1 <= slope <= exchange["ci95"][1] + 0.1
        assert (tmp_path / rows[group]["folder"] / "report.json").exists()
    assert rows["b"]["exchange_slope"]["ci95"][0] > rows["a"]["exchange_slope"]["ci95"][1]
    assert (tmp_path / "groups.md").read_text().count("| a |") == 1
    assert result["figures"] == []
    figure = plot_groups(result)
    assert len(figure.axes) == 2 and figure.axes[1].get_title() == "Exchange slope"
    assert json.loads((tmp_path / "groups.json").read_text())["by"] == "search"
