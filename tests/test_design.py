"""The design check: synthetic agents at a spec's design, the analysis's fits on them, and the
`boardscale design` command."""

import json

import numpy as np
import pytest

from analysis import reference, synthetic
from analysis.design import check_design, format_check
from sweeps.cli import main


def test_draw_agents_follows_the_design_and_the_truth():
    design = synthetic.dense_design((5, 6), networks=2, seeds=2, snapshots=4, noise_elo=0.0)
    truth = synthetic.Truth(seed_sd_decades=0.0, snapshot_sd_elo=0.0)
    table = synthetic.draw_agents(design, truth, seed=0)
    trained = table["train_flops"] > 0
    assert trained.sum() == design.agents == 2 * 2 * 2 * 4 * 7
    assert np.unique(table["run"][trained]).size == design.runs == 8
    assert np.all(table["train_simulations"] == 63)
    # Agents searching with the training count lie on Jones's frontier (network 0, largest).
    rows = trained & (table["simulations"] == 63) & (table["run"] == "hex6-n1-s0")
    expected = reference.frontier_elo(table["train_flops"][rows], table["board_size"][rows])
    np.testing.assert_allclose(table["elo"][rows], expected)


def test_reach_places_the_frontier_inside_the_snapshot_range():
    board = synthetic.BoardDesign(3, tuple(np.logspace(6, 9, 7)), (100,))
    design = synthetic.Design((board,), noise_elo=0.0)
    truth = synthetic.Truth(reach=0.5, seed_sd_decades=0.0, snapshot_sd_elo=0.0)
    table = synthetic.draw_agents(design, truth, seed=0)
    rows = (table["simulations"] == 63) & (table["train_flops"] > 0)
    crossing = np.interp(-50.0, table["elo"][rows], np.log10(table["train_flops"][rows]))
    assert crossing == pytest.approx(7.5, abs=0.01)


def test_check_design_reports_bias_and_width():
    design = synthetic.dense_design((8, 9), networks=3, snapshots=10, noise_elo=20.0)
    check = check_design(design, replicates=3)
    slope = check.quantities["exchange slope (interpolated iso-Elo)"]
    assert slope.truth == reference.EXCHANGE_SLOPE and slope.estimated == 3
    assert abs(slope.bias_percent) < 10 and slope.half_width > 0
    assert check.quantities["frontier slope (Elo per decade)"].truth == 506.0
    assert "perfect-play compute growth per size" in check.quantities
    assert check.alternative["exchange slope (interpolated iso-Elo)"].truth == -0.9
    text = format_check(check)
    assert "tells -1.18 from -0.9" in text
    json.dumps(check.to_json(), allow_nan=False)
    with pytest.raises(ValueError, match="replicates"):
        check_design(design, replicates=1)


def test_design_command_on_the_teaching_preset(capsys):
    assert main(["design", "teaching", "--replicates", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["runs"] == 4 and out["noise_elo"] == 70.0
    assert "exchange slope (interpolated iso-Elo)" in out["quantities"]
    assert main(["design", "teaching", "--replicates", "1"]) == 2
    assert "--replicates must be at least 2" in capsys.readouterr().err
    assert main(["design", "no-such-preset"]) == 2
    assert "neither a spec file nor a preset" in capsys.readouterr().err


def test_design_command_simulates_connect_four_boards_as_hex_of_as_many_cells(capsys):
    assert main(["design", "connect-four-study", "--replicates", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model_boards"] == [
        "board c4-4x5-3 (20 cells) simulated as Hex 4x4",
        "board c4-5x6-4 (30 cells) simulated as Hex 5x5",
    ]
    assert out["runs"] == 12 and out["noise_elo"] == 40.0
