"""The train-vs-test exchange rate: the interpolated iso-Elo fit, Jones's construction, the
direct regression with per-run effects, curves.

Statistical asserts use agents drawn with a known exchange (10x training replaces 10 ** 1.18 ~ 15x
test compute at fixed Elo; `analysis.synthetic`) with rating, snapshot and seed noise; the true
slope must lie inside the 95% intervals, and the estimators' mean at a dense design within 5% of
it (the coverage over 100 studies is measured by bench/exchange_coverage.py).
"""

import json

import numpy as np
import pytest

from analysis import exchange, reference, synthetic
from analysis.agents import prepare_agents

TRUE_SLOPE = reference.EXCHANGE_SLOPE
TRUE_RATE = 10**-TRUE_SLOPE


def _inside(estimate, value) -> bool:
    assert estimate.ci95 is not None, estimate.reason
    return estimate.ci95[0] <= value <= estimate.ci95[1]


@pytest.fixture(scope="module")
def synthetic_fit():
    # Two networks x three seeds per board: seeds are resampled within their network.
    design = synthetic.dense_design((8, 9), networks=2, seeds=3, snapshots=12, noise_elo=15.0)
    return exchange.fit_exchange(synthetic.draw_agents(design, seed=0), bootstrap=40, seed=0)


def _agents(rows):
    """rows: (train_flops, simulations, elo) on board 5, 1000 parameters."""
    train, sims, elo = (np.array(column, np.float64) for column in zip(*rows, strict=True))
    return prepare_agents(
        {
            "board_size": np.full(train.size, 5),
            "train_flops": train,
            "test_flops": (sims + 1) * 1000.0,
            "simulations": sims.astype(np.int64),
            "elo": elo,
        },
        simulations=0,
    )


# -- hand-checkable ------------------------------------------------------------------------------


ROWS = [
    (1e10, 0, -900.0), (1e10, 3, -600.0), (1e10, 15, -300.0),
    (1e11, 0, -700.0), (1e11, 3, -350.0), (1e11, 15, -300.0),
    (1e12, 0, -380.0), (1e12, 3, -200.0), (1e12, 15, -100.0),
    (1e13, 0, -500.0), (1e13, 3, -450.0), (1e13, 15, -420.0),  # weaker: never above -400
    (1e14, 0, 0.0), (1e14, 3, 10.0), (1e14, 15, 20.0),
]  # fmt: skip


def test_jones_construction_takes_running_minimum_and_rounds():
    points = exchange.jones_points(_agents(ROWS), {5: np.array([-400.0])})
    assert points["train_flops"] == pytest.approx([1e10, 1e11, 1e12, 1e14])
    # Least test compute strictly above -400: 16 nodes, 4, 1, then 1e14's 1 node. 1e13 reaches
    # no level agent, so it has no bin; the running minimum holds 1 node at 1e14.
    expected = np.round(np.log10([16000.0, 4000.0, 1000.0, 1000.0]) * 10) / 10
    np.testing.assert_allclose(np.log10(points["test_flops"]), expected)


def test_interpolated_points_cross_between_counts_and_drop_censored_cells():
    points = exchange.interpolated_points(_agents(ROWS), {5: np.array([-400.0])})
    # 1e10: -600 (4 nodes) to -300 (16 nodes) crosses -400 two thirds of the way in log nodes.
    # 1e11: -700 (1 node) to -350 (4 nodes): 6/7 of the way. 1e12 and 1e14 are above -400 at one
    # node (left-censored: dropped); 1e13 never reaches it (right-censored: no crossing).
    assert points["train_flops"] == pytest.approx([1e10, 1e11])
    expected = [
        np.log10(4000) + 2 / 3 * np.log10(4),
        np.log10(1000) + 6 / 7 * np.log10(4),
    ]
    np.testing.assert_allclose(np.log10(points["test_flops"]), expected)


def test_monotone_rows_is_isotonic_least_squares():
    values = np.array([[1.0, 3.0, 2.0, 4.0], [5.0, 1.0, 1.0, 1.0], [0.0, 1.0, 2.0, 3.0]])
    expected = np.array([[1.0, 2.5, 2.5, 4.0], [2.0, 2.0, 2.0, 2.0], [0.0, 1.0, 2.0, 3.0]])
    np.testing.assert_allclose(exchange.monotone_rows(values), expected)


def test_iso_elo_levels_follow_jones_and_adapt_to_narrow_spans():
    wide = exchange.iso_elo_levels(np.array([-1950.0, -1000.0, 0.0]))
    assert wide.tolist() == [-1500.0, -1250.0, -1000.0, -750.0, -500.0, -250.0]
    narrow = exchange.iso_elo_levels(np.array([-260.0, 0.0]))
    step = np.diff(narrow)
    assert narrow.size >= 4 and np.all(step == step[0]) and step[0] <= 50.0
    assert narrow.min() > -260.0 + 65.0 and narrow.max() < -65.0
    assert exchange.iso_elo_levels(np.array([0.0, 0.0])).size == 0


def test_exact_exchange_is_recovered_without_noise():
    design = synthetic.dense_design((9,), networks=2, snapshots=16, noise_elo=0.0)
    truth = synthetic.Truth(seed_sd_decades=0.0, snapshot_sd_elo=0.0)
    fit = exchange.fit_exchange(synthetic.draw_agents(design, truth, seed=0), bootstrap=0)
    assert fit.slope.value == pytest.approx(TRUE_SLOPE, abs=0.02)
    assert fit.direct_pooled.slope.value == pytest.approx(TRUE_SLOPE, abs=0.01)


# -- bias at a dense design ----------------------------------------------------------------------


def test_interpolated_and_direct_estimators_are_unbiased_at_a_dense_design():
    """2 boards x 6 runs x 16 snapshots x 7 counts, 25 Elo noise: mean over 4 tables within 5%
    of the truth. Jones's construction is shallow by far more (its known flaw)."""
    design = synthetic.dense_design((8, 9), networks=6, snapshots=16, noise_elo=25.0)
    slopes = {"interpolated": [], "jones": [], "direct": []}
    for seed in range(4):
        agents = prepare_agents(synthetic.draw_agents(design, seed=seed))
        values = exchange.exchange_values(
            agents, exchange.choose_levels(agents), 0.1, agents.boards
        )
        for name in slopes:
            slopes[name].append(values[f"{name}/pooled/slope"])
    assert np.mean(slopes["interpolated"]) == pytest.approx(TRUE_SLOPE, rel=0.05)
    assert np.mean(slopes["direct"]) == pytest.approx(TRUE_SLOPE, rel=0.05)
    assert np.mean(slopes["jones"]) > 0.8 * TRUE_SLOPE  # shallow by more than 20%


# -- recovery of known parameters ----------------------------------------------------------------


def test_pooled_iso_elo_fit_recovers_the_exchange(synthetic_fit):
    assert _inside(synthetic_fit.slope, TRUE_SLOPE)
    assert _inside(synthetic_fit.test_per_10x_train, TRUE_RATE)
    assert synthetic_fit.test_per_10x_train.value == pytest.approx(10**-synthetic_fit.slope.value)
    for size in (8, 9):
        assert _inside(synthetic_fit.iso_elo[size].slope, TRUE_SLOPE)
    # log10 test falls by 1 / (Elo per test decade) per Elo level: m_flops / -a Elo per decade.
    elo_per_test_decade = reference.FRONTIER_PARAMETERS["m_flops"] / -TRUE_SLOPE
    coefficient = synthetic_fit.pooled.elo_coefficient.value
    assert coefficient == pytest.approx(1 / elo_per_test_decade, rel=0.1)
    assert "within each network" in synthetic_fit.interval_sources


def test_direct_regression_recovers_the_exchange(synthetic_fit):
    assert _inside(synthetic_fit.direct_pooled.slope, TRUE_SLOPE)
    assert _inside(synthetic_fit.direct_pooled.test_per_10x_train, TRUE_RATE)
    for size in (8, 9):
        assert _inside(synthetic_fit.direct[size].slope, TRUE_SLOPE)
    assert synthetic_fit.agreement()["pooled"] == "agree"
    out = synthetic_fit.to_json()
    json.dumps(out, allow_nan=False)
    assert out["iso_elo_vs_direct"]["pooled"] == "agree"
    assert out["jones_construction"]["pooled"]["method"] == "jones"


def test_direct_regression_separates_network_size_from_search():
    # Bigger networks cost more test compute per node but are not stronger per node: without
    # per-run effects the regression mixes the two; with them it recovers the slope.
    design = synthetic.dense_design((7,), networks=3, snapshots=12, noise_elo=10.0)
    truth = synthetic.Truth(shared_test_cost=False)
    fit = exchange.fit_exchange(synthetic.draw_agents(design, truth, seed=3), bootstrap=0)
    assert fit.direct_pooled.slope.value == pytest.approx(TRUE_SLOPE, rel=0.05)


# -- degenerate input -----------------------------------------------------------------------------


def test_no_agent_above_the_level_gives_a_reason():
    table = reference.synthetic_agents((5,), seed=1, runs_per_board=1)
    fit = exchange.fit_exchange(table, levels=np.array([500.0]), bootstrap=5)
    out = fit.to_json()
    json.dumps(out, allow_nan=False)
    assert out["test_per_10x_train"] == {
        "value": None,
        "ci95": None,
        "reason": "no iso-Elo point: no level is reached inside the search grid",
    }


def test_one_snapshot_gives_a_reason():
    table = reference.synthetic_agents((9,), seed=1, runs_per_board=1, snapshots_per_run=1)
    fit = exchange.fit_exchange(table, bootstrap=5)
    out = fit.to_json()
    json.dumps(out, allow_nan=False)
    assert out["test_per_10x_train"]["value"] is None
    assert out["slope"]["reason"]
    assert out["direct"]["pooled"]["slope"]["value"] is None
    assert out["direct"]["pooled"]["slope"]["reason"]


def test_no_test_time_variation_gives_a_reason():
    table = reference.synthetic_agents((6,), seed=1, runs_per_board=1, simulations=(63,))
    fit = exchange.fit_exchange(table, bootstrap=5)
    out = fit.to_json()
    json.dumps(out, allow_nan=False)
    assert out["direct"]["pooled"]["slope"]["value"] is None
    assert "test-time" in out["direct"]["pooled"]["slope"]["reason"]


# -- test-time curves -----------------------------------------------------------------------------


def test_test_time_curves_group_snapshots_and_sort_by_search():
    table = reference.synthetic_agents(
        (3, 4), seed=2, runs_per_board=2, snapshots_per_run=4, simulations=(15, 0, 3)
    )
    curves = exchange.test_time_curves(table)
    assert len(curves) == 2 * 2 * 4
    for curve in curves:
        assert curve.simulations.tolist() == [0, 3, 15]
        assert np.all(np.diff(curve.test_flops) > 0)
        assert curve.elo.shape == curve.elo_se.shape == (3,)
        assert curve.train_flops > 0
    assert [curve.board_size for curve in curves] == sorted(curve.board_size for curve in curves)
