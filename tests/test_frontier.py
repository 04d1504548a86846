"""The compute-frontier fit: hand-checkable cases, recovery of known parameters, degenerate input.

Statistical asserts use agents drawn from Jones's frontier model (`reference.synthetic_agents`)
with 15 Elo of rating noise and 50 bootstrap resamples. Parameters that do not depend on the Elo
zero point (slopes, growth) must lie inside their 95% intervals. Offsets are checked against the
interval widened by 60 Elo: "Elo vs best" puts the luckiest agent at 0, so every offset moves down
by the largest noise draw (about 2.5 sigma here).
"""

import json
import math

import numpy as np
import pytest

from analysis import reference
from analysis.agents import frontier_simulations, prepare_agents
from analysis.bootstrap import Estimate, estimate_from_draws
from analysis.frontier import fit_frontier, frontier_points

TRUE = reference.FRONTIER_PARAMETERS
TRUE_GROWTH = 10 ** (-TRUE["m_b"] / TRUE["m_flops"])


def _inside(estimate: Estimate, value: float, slack: float = 0.0) -> bool:
    assert estimate.ci95 is not None, estimate.reason
    low, high = estimate.ci95
    return low - slack <= value <= high + slack


def _strict_json(obj) -> str:
    return json.dumps(obj, allow_nan=False)


@pytest.fixture(scope="module")
def synthetic_fit():
    table = reference.synthetic_agents((3, 4, 5, 6), seed=1, noise_elo=15.0)
    return fit_frontier(table, bootstrap=50, seed=0)


def _table(rows):
    """rows: (board_size, train_flops, elo[, simulations]) -> agent table with test_flops."""
    columns = list(zip(*rows, strict=True))
    table = {
        "board_size": np.array(columns[0], np.int64),
        "train_flops": np.array(columns[1], np.float64),
        "elo": np.array(columns[2], np.float64),
    }
    table["test_flops"] = np.where(table["train_flops"] > 0, 64.0 * 100, 0.0)
    if len(columns) > 3:
        table["simulations"] = np.array(columns[3], np.int64)
    return table


# -- hand-checkable ------------------------------------------------------------------------------


def test_elo_is_relative_to_the_best_agent_on_each_board():
    agents = prepare_agents(_table([(3, 1e10, 500.0), (3, 1e11, 800.0), (4, 1e10, -20.0)]))
    assert agents.table["elo_vs_best"].tolist() == [-300.0, 0.0, 0.0]


def test_frontier_points_are_the_upper_envelope():
    table = _table(
        [
            (3, 1e10, -300.0),
            (3, 1e10, -250.0),  # same compute, stronger: it is the envelope point
            (3, 2e10, -280.0),  # below an earlier agent: not on the envelope
            (3, 4e10, -100.0),
            (3, 8e10, 0.0),
            (3, 1.6e11, -10.0),
            (3, 0.0, -400.0),  # reference player: never a frontier point
        ]
    )
    points = frontier_points(prepare_agents(table))
    assert points["train_flops"].tolist() == [1e10, 4e10, 8e10]
    assert points["elo"].tolist() == [-250.0, -100.0, 0.0]


def test_perfect_play_compute_is_interpolated_in_log_compute():
    table = _table([(3, 1e10, -300.0), (3, 1e11, -100.0), (3, 1e12, 0.0)])
    fit = fit_frontier(table, bootstrap=0)
    # -50 is halfway from -100 (1e11) to 0 (1e12) in log10 compute.
    assert fit.perfect_play_compute[3].value == pytest.approx(10**11.5)


def test_growth_from_exact_geometric_values():
    # Boards whose frontier points are the same curve shifted by 0.5 decades per size step.
    rows = []
    for size in (3, 4, 5):
        for step, elo in enumerate((-400.0, -300.0, -200.0, -100.0, 0.0, 0.0)):
            rows.append((size, 10 ** (10 + 0.5 * (size - 3) + 0.2 * step), elo))
    fit = fit_frontier(_table(rows), bootstrap=0)
    assert fit.perfect_play_growth_per_size_data.value == pytest.approx(10**0.5)
    assert fit.perfect_play_growth_per_size.value == pytest.approx(10**0.5, rel=1e-3)
    assert fit.slope_elo_per_decade.value == pytest.approx(500.0, rel=1e-3)


def test_frontier_simulations_without_a_training_count_prefers_64_nodes():
    rows = [(3, flops, 0.0, sims) for flops in (1e10, 1e11) for sims in (0, 15, 63, 127)]
    assert frontier_simulations(_table(rows))[0] == 63
    rows = [(3, flops, 0.0, sims) for flops in (1e10, 1e11) for sims in (0, 16)]
    assert frontier_simulations(_table(rows))[0] == 16
    # The count evaluated at the most snapshots wins over the one nearest 64 nodes.
    rows = [(3, 1e10, 0.0, 4), (3, 1e11, 0.0, 4), (3, 1e12, 0.0, 4), (3, 1e10, 0.0, 63)]
    count, reason = frontier_simulations(_table(rows))
    assert count == 4 and "training count is unknown" in reason


def test_frontier_is_read_at_the_training_count_by_default():
    # 16 simulations is evaluated at the most snapshots, but the runs trained with 4.
    rows = [(3, flops, 0.0, sims) for flops in (1e10, 1e11, 1e12) for sims in (0, 4, 16)]
    rows += [(3, 1e13, 0.0, 16)]
    table = _table(rows)
    table["train_simulations"] = np.full(len(rows), 4)
    count, reason = frontier_simulations(table)
    assert count == 4 and "training count, 4" in reason
    assert prepare_agents(table).simulations == 4
    # A training count that was not evaluated: the nearest evaluated one in log nodes.
    table["train_simulations"] = np.full(len(rows), 8)
    count, reason = frontier_simulations(table)
    assert count == 4 and "was not evaluated" in reason
    # An explicit count wins.
    assert prepare_agents(table, simulations=16).simulations == 16
    assert fit_frontier(table, bootstrap=0).simulations == 4


def test_estimate_from_draws_percentiles_and_failures():
    draws = np.arange(1001, dtype=float)
    estimate = estimate_from_draws(500.0, draws)
    assert estimate.ci95 == pytest.approx((25.0, 975.0))
    failing = estimate_from_draws(1.0, [1.0, np.nan, np.nan, 2.0])
    assert failing.value == 1.0 and failing.ci95 is None and "2 of 4" in failing.reason
    assert estimate_from_draws(float("nan"), draws).to_json()["value"] is None


# -- recovery of known parameters ----------------------------------------------------------------


def test_joint_fit_recovers_slopes_and_growth(synthetic_fit):
    parameters = synthetic_fit.parameters
    assert _inside(parameters["m_flops"], TRUE["m_flops"])
    assert _inside(parameters["m_b"], TRUE["m_b"])
    assert _inside(parameters["p_b"], TRUE["p_b"])
    assert _inside(synthetic_fit.slope_elo_per_decade, TRUE["m_flops"])
    assert _inside(synthetic_fit.perfect_play_growth_per_size, TRUE_GROWTH)
    assert _inside(synthetic_fit.perfect_play_growth_per_size_data, TRUE_GROWTH)
    assert synthetic_fit.rmse_elo < 30.0


def test_joint_fit_recovers_offsets_up_to_the_zero_point(synthetic_fit):
    parameters = synthetic_fit.parameters
    assert _inside(parameters["c_i"], TRUE["c_i"], slack=60.0)
    assert _inside(parameters["c_p"], TRUE["c_p"], slack=60.0)


def test_per_board_fits_and_perfect_play_compute(synthetic_fit):
    for size in (4, 5, 6):
        assert _inside(synthetic_fit.per_board[size].slope_elo_per_decade, TRUE["m_flops"])
    for size in (3, 4, 5, 6):
        true_log10 = (-50.0 - TRUE["m_b"] * size - TRUE["c_i"]) / TRUE["m_flops"]
        for estimate in (
            synthetic_fit.perfect_play_compute[size],
            synthetic_fit.perfect_play_compute_fit[size],
        ):
            # Within 0.2 decades; the zero point moves the crossing by about 0.06 decades.
            assert abs(math.log10(estimate.value) - true_log10) < 0.2
            assert estimate.ci95[0] <= estimate.value * 1.001
        plateau = synthetic_fit.per_board[size].plateau_elo
        assert _inside(plateau, TRUE["p_b"] * size + TRUE["c_p"], slack=60.0)
    _strict_json(synthetic_fit.to_json())


# -- degenerate input -----------------------------------------------------------------------------


def test_one_board_gives_board_fit_and_null_growth_with_reason():
    table = reference.synthetic_agents((5,), seed=2, noise_elo=10.0, runs_per_board=1)
    fit = fit_frontier(table, bootstrap=20)
    assert fit.model is None and "one board size" in fit.joint_reason
    assert fit.slope_elo_per_decade.value == pytest.approx(TRUE["m_flops"], rel=0.2)
    growth = fit.to_json()["perfect_play_growth_per_size"]
    assert growth["value"] is None and growth["ci95"] is None and growth["reason"]
    assert fit.to_json()["parameters"]["m_b"]["reason"]
    _strict_json(fit.to_json())


def test_one_snapshot_per_board_gives_reasons_not_nan():
    table = reference.synthetic_agents((3, 4), seed=3, snapshots_per_run=1, runs_per_board=1)
    fit = fit_frontier(table, bootstrap=10)
    out = fit.to_json()
    _strict_json(out)
    assert out["slope_elo_per_decade"]["value"] is None
    assert out["slope_elo_per_decade"]["reason"]
    for size in ("3", "4"):
        compute = out["perfect_play_compute"][size]
        assert compute["value"] is None and "cheapest frontier agent" in compute["reason"]
    assert out["perfect_play_growth_per_size_data"]["value"] is None


def test_nan_rows_are_dropped_with_a_note():
    table = reference.synthetic_agents((4,), seed=4, runs_per_board=1)
    table["elo"][[0, 5, 9]] = np.nan
    table["train_flops"][12] = np.nan
    agents = prepare_agents(table)
    assert agents.table["elo"].size == table["elo"].size - 4
    assert any("dropped 4" in note for note in agents.notes)
    fit = fit_frontier(agents, bootstrap=5)
    assert any("dropped 4" in note for note in fit.notes)
    _strict_json(fit.to_json())


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda t: t.pop("elo"), "lacks column(s) elo"),
        (lambda t: t.__setitem__("train_flops", -t["train_flops"]), "'train_flops' must be >= 0"),
        (lambda t: t.__setitem__("train_flops", 0 * t["train_flops"]), "no trained agent"),
        (lambda t: t.__setitem__("elo", np.full(t["elo"].size, "strong")), "must be numeric"),
        (lambda t: t.__setitem__("elo", np.full(t["elo"].size, np.nan)), "no row with a finite"),
        (lambda t: t.__setitem__("board_size", t["board_size"] * 0), "positive integer"),
    ],
)
def test_bad_tables_raise_one_line_errors(change, message):
    table = reference.synthetic_agents((3,), seed=5, runs_per_board=1, snapshots_per_run=3)
    change(table)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        fit_frontier(table, bootstrap=0)
    assert "\n" not in str(error.value)


def test_bad_arguments():
    table = reference.synthetic_agents((3,), seed=5, runs_per_board=1, snapshots_per_run=3)
    with pytest.raises(ValueError, match="bootstrap"):
        fit_frontier(table, bootstrap=-1)
    with pytest.raises(ValueError, match="no trained agent searches with 5 simulations"):
        fit_frontier(table, simulations=5)
