"""The train-vs-test exchange rate: Jones's iso-Elo construction, the direct regression, curves.

Statistical asserts use agents drawn with a known exchange (10x training replaces 10 ** 1.18 ~ 15x
test compute at fixed Elo; `reference.synthetic_agents`) with 15 Elo of rating noise and 50
bootstrap resamples; the true slope must lie inside the 95% intervals.
"""

import json

import numpy as np
import pytest

from analysis import exchange, reference
from analysis.agents import prepare_agents

TRUE_SLOPE = reference.EXCHANGE_SLOPE
TRUE_RATE = 10**-TRUE_SLOPE


def _inside(estimate, value) -> bool:
    assert estimate.ci95 is not None, estimate.reason
    return estimate.ci95[0] <= value <= estimate.ci95[1]


@pytest.fixture(scope="module")
def synthetic_fit():
    table = reference.synthetic_agents((7, 8, 9), seed=0, noise_elo=15.0)
    return exchange.fit_exchange(table, bootstrap=50, seed=0)


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


def test_iso_elo_points_take_running_minimum_and_stop_at_the_floor():
    agents = _agents(
        [
            (1e10, 0, -900.0), (1e10, 3, -600.0), (1e10, 15, -400.0),
            (1e11, 0, -700.0), (1e11, 3, -350.0), (1e11, 15, -300.0),
            (1e12, 0, -380.0), (1e12, 3, -200.0), (1e12, 15, -100.0),
            (1e13, 0, -500.0),  # a weaker snapshot: the running minimum keeps 1e12's value
            (1e14, 0, 0.0),
        ]
    )  # fmt: skip
    points, levels = exchange.iso_elo_points(agents, {5: np.array([-400.0])})
    assert levels[5].tolist() == [-400.0]
    assert points["train_flops"] == pytest.approx([1e10, 1e11, 1e12])
    # Least test compute at or above -400: 16 nodes, then 4 nodes, then 1 node (the floor: the
    # later bins repeat it and are left out).
    assert points["test_flops"].tolist() == [16000.0, 4000.0, 1000.0]


def test_iso_elo_levels_follow_jones_and_adapt_to_narrow_spans():
    wide = exchange.iso_elo_levels(np.array([-1950.0, -1000.0, 0.0]))
    assert wide.tolist() == [-1500.0, -1250.0, -1000.0, -750.0, -500.0, -250.0]
    narrow = exchange.iso_elo_levels(np.array([-260.0, 0.0]))
    step = np.diff(narrow)
    assert narrow.size >= 4 and np.all(step == step[0]) and step[0] <= 50.0
    assert narrow.min() > -260.0 + 65.0 and narrow.max() < -65.0
    assert exchange.iso_elo_levels(np.array([0.0, 0.0])).size == 0


def test_exact_exchange_is_recovered_without_noise():
    table = reference.synthetic_agents((9,), seed=0, noise_elo=0.0, runs_per_board=1)
    fit = exchange.fit_exchange(table, bootstrap=0)
    assert fit.slope.value == pytest.approx(TRUE_SLOPE, abs=0.05)
    assert fit.direct_pooled.slope.value == pytest.approx(TRUE_SLOPE, abs=0.02)


# -- recovery of known parameters ----------------------------------------------------------------


def test_pooled_iso_elo_fit_recovers_the_exchange(synthetic_fit):
    assert _inside(synthetic_fit.slope, TRUE_SLOPE)
    assert _inside(synthetic_fit.test_per_10x_train, TRUE_RATE)
    assert synthetic_fit.test_per_10x_train.value == pytest.approx(10**-synthetic_fit.slope.value)
    for size in (7, 8, 9):
        assert _inside(synthetic_fit.iso_elo[size].slope, TRUE_SLOPE)
    # log10 test falls by 1 / (Elo per test decade) per Elo level: m_flops / -a Elo per decade.
    elo_per_test_decade = reference.FRONTIER_PARAMETERS["m_flops"] / -TRUE_SLOPE
    coefficient = synthetic_fit.pooled.elo_coefficient.value
    assert coefficient == pytest.approx(1 / elo_per_test_decade, rel=0.15)


def test_direct_regression_recovers_the_exchange(synthetic_fit):
    assert _inside(synthetic_fit.direct_pooled.slope, TRUE_SLOPE)
    assert _inside(synthetic_fit.direct_pooled.test_per_10x_train, TRUE_RATE)
    for size in (7, 8, 9):
        assert _inside(synthetic_fit.direct[size].slope, TRUE_SLOPE)
    json.dumps(synthetic_fit.to_json(), allow_nan=False)


# -- degenerate input -----------------------------------------------------------------------------


def test_no_agent_above_the_level_gives_a_reason():
    table = reference.synthetic_agents((5,), seed=1, runs_per_board=1)
    fit = exchange.fit_exchange(table, levels=np.array([500.0]), bootstrap=5)
    out = fit.to_json()
    json.dumps(out, allow_nan=False)
    assert out["test_per_10x_train"] == {
        "value": None,
        "ci95": None,
        "reason": "no iso-Elo level has an agent at or above it",
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
