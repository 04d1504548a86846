"""A tiny Connect Four sweep end to end: training, the tournament, `analyze` and `show` of one of
its snapshots. The report names the board, fits its frontier and exchange rate (a number or a
stated reason for each) and sets nothing beside Jones's Hex numbers."""

from __future__ import annotations

import json
import math

import pytest

from sweeps.cli import main as cli
from sweeps.runner import run_sweep
from sweeps.spec import spec_from_dict

LABEL = "c4-3x4-3"
CAPTION = "Connect Four 3x4 (3 in a row)"
TINY_C4 = {
    "name": "tiny-c4",
    "game": "connect_four",
    "seeds": [0],
    "test_simulations": [0, 2, 4],
    "train": {
        "search": {"num_simulations": 2},
        "selfplay": {"num_envs": 16, "steps_per_iteration": 2},
        "learner": {"batch_size": 32, "buffer_steps": 16},
        "snapshots": {"count": 3},
    },
    "boards": [
        {
            "size": "3x4",
            "x_in_row": 3,
            "widths": [2, 4],
            "depths": [1],
            "budget": 2e6,
            "first_snapshot": 1e5,
        }
    ],
    "tournament": {
        "games_per_pairing": 8,
        "pairs_per_batch": 32,
        "target_se": 150.0,
        "budget_games": 256,
        "mcts_simulations": [],
        "solver": True,
    },
}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """The tiny sweep, trained and rated (shared by the tests of this module)."""
    out = tmp_path_factory.mktemp("c4") / "sweep"
    run_sweep(
        spec_from_dict(json.loads(json.dumps(TINY_C4))), out, only="train", log=lambda m: None
    )
    assert cli(["tournament", str(out)]) == 0
    return out


def _estimate_or_reason(entry, where):
    assert set(entry) >= {"value", "ci95"}, where
    if entry["value"] is None:
        assert entry.get("reason"), f"{where}: no value and no reason"
    else:
        assert math.isfinite(entry["value"]), where
    if entry["ci95"] is not None:
        assert all(math.isfinite(end) for end in entry["ci95"]), where


def test_analyze_a_connect_four_sweep(sweep, capsys):
    capsys.readouterr()
    assert cli(["analyze", str(sweep), "--bootstrap", "20"]) == 0
    printed = capsys.readouterr().out
    assert f"{CAPTION}: frontier slope" in printed
    assert "not compared with Jones (2021)" in printed and "(Jones:" not in printed
    report = json.loads((sweep / "analysis" / "report.json").read_text())
    assert report["inputs"]["boards"] == [LABEL]
    frontier, exchange = report["frontier"], report["exchange_rate"]
    board = frontier["per_board"][LABEL]
    assert board["frontier_points"] >= 1
    for key in ("slope_elo_per_decade", "perfect_play_compute", "perfect_play_compute_fit"):
        _estimate_or_reason(board[key], key)
    # The solver is a reference player on the board (perfect play), listed with its level.
    levels = board["reference_elo_vs_best"]
    assert "random" in levels and any(name.startswith("solver") for name in levels)
    for key in ("test_per_10x_train", "slope"):
        _estimate_or_reason(exchange[key], key)
        _estimate_or_reason(exchange["iso_elo"]["per_board"][LABEL][key], key)
        _estimate_or_reason(exchange["direct"]["per_board"][LABEL][key], key)
    _estimate_or_reason(frontier["perfect_play_growth_per_size"], "growth")
    assert "Hex" in frontier["perfect_play_growth_per_size"]["reason"]
    # Nothing of Jones's: no comparison rows, no reference numbers, no frontier-start value.
    assert report["comparison"] == [] and report["reference"] is None
    assert report["jones_not_compared"]["boards"] == [LABEL]
    assert "jones_frontier_start_elo_vs_best" not in report["frontier_start"][LABEL]
    assert report["settings"]["ours"]["board sizes"] == "3x4 connect 3"
    figures = set(report["figures"])
    assert {f"figures/frontier-{LABEL}.png", "figures/frontiers.png"} <= figures
    assert "figures/comparison.png" not in figures
    markdown = (sweep / "analysis" / "report.md").read_text()
    assert CAPTION in markdown and "| Jones (2021)" not in markdown
    assert "nan" not in markdown.lower()


def test_show_draws_a_connect_four_snapshot(sweep, tmp_path, capsys):
    snapshot = sorted(sweep.glob("runs/*/snapshots/snapshot-*.ckpt"))[-1]
    out = tmp_path / "position.png"
    argv = ["show", "--moves", "b c", "--agent", str(snapshot), "--simulations", "2", "--out"]
    assert cli([*argv, str(out), "--numbers"]) == 0
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "wrote" in capsys.readouterr().out
    # The snapshot plays Connect Four 3x4: another board is a one-line error, no file.
    bad = tmp_path / "bad.png"
    assert cli(["show", "--board", "4", "--agent", str(snapshot), "--out", str(bad)]) == 2
    assert "c4-3x4-3" in capsys.readouterr().err.replace("3x4 connect 3", "c4-3x4-3")
    assert not bad.exists()
