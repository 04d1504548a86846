"""Sweep specs, presets, the local runner end to end (with interruptions) and the Ray backend."""

from __future__ import annotations

import json
import sqlite3

import pytest

from alphazero.config import ConfigError
from sweeps.cli import main as cli
from sweeps.runner import run_sweep, sweep_status
from sweeps.spec import (
    PRESETS,
    estimated_cost,
    load_spec,
    read_sweep_spec,
    save_spec,
    spec_from_dict,
)
from sweeps.tournament import run_tournament

TINY = {
    "name": "tiny",
    "seeds": [0],
    "test_simulations": [0, 2],
    "train": {
        "search": {"num_simulations": 2},
        "selfplay": {"num_envs": 16, "steps_per_iteration": 2},
        "learner": {"batch_size": 32, "buffer_steps": 12},
        "snapshots": {"count": 3},
    },
    "boards": [
        {"size": 2, "widths": [2, 4], "depths": [1], "budget": 2e6, "first_snapshot": 1e5},
        {"size": 3, "widths": [4], "depths": [1], "budget": 1e7, "first_snapshot": 1e6},
    ],
    "tournament": {
        "games_per_pairing": 8,
        "pairs_per_batch": 16,
        "target_se": 150.0,
        "budget_games": 400,
        "mcts_simulations": [4],
    },
}


def _copy(data):
    return json.loads(json.dumps(data))


def test_presets_load_and_have_a_cost():
    for name in PRESETS:
        spec = load_spec(name)
        cost = estimated_cost(spec)
        assert cost["runs"] == len(spec.runs()) > 0 and cost["train_flops"] > 0
    teaching = load_spec("teaching")
    assert sorted(board.size for board in teaching.boards) == [3, 4]


def test_spec_grid_axes_and_names():
    data = _copy(TINY)
    data["train"]["search"]["num_simulations"] = [2, 4]
    spec = spec_from_dict(data)
    names = [run.name for run in spec.runs()]
    assert len(names) == 6 and "hex2-mlp-2x1-num_simulations4-s0" in names
    sims = {run.config.search.num_simulations for run in spec.runs()}
    assert sims == {2, 4}


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d["boards"][0].update(size=0), "boards.size"),
        (lambda d: d["boards"][0].update(height=3), "height"),
        (lambda d: d["train"]["search"].update(simulations=3), "simulations"),
        (lambda d: d["train"]["learner"].update(batch_size=0), "learner.batch_size"),
        (lambda d: d["tournament"].update(games_per_pairing=3), "games_per_pairing"),
        (lambda d: d["train"].update(board_size=3), "train.board_size"),
        (lambda d: d.update(boards=[]), "boards"),
    ],
)
def test_bad_specs_are_one_line_errors(change, message):
    data = _copy(TINY)
    change(data)
    with pytest.raises(ConfigError, match=message) as error:
        spec_from_dict(data)
    assert "\n" not in str(error.value)


def _counts(sweep_dir):
    connection = sqlite3.connect(sweep_dir / "results.sqlite")
    try:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("runs", "snapshots", "agents", "matches")
        }
    finally:
        connection.close()


def test_local_sweep_end_to_end_with_interruptions(tmp_path, capsys):
    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(_toml(TINY))
    out = tmp_path / "sweep"
    spec = load_spec(str(spec_file))
    # Interrupted after training, then after one tournament batch, then run to the end.
    run_sweep(spec, out, only="train")
    assert all(run["state"] == "done" for run in sweep_status(out)["runs"])
    after_train = _counts(out)
    assert after_train["runs"] == 3 and after_train["snapshots"] == 9
    assert after_train["agents"] == 18 and after_train["matches"] == 0
    run_tournament(out, max_batches=1)
    partial = _counts(out)
    assert partial["matches"] > 0
    assert cli(["sweep", str(spec_file), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "report.md" in printed
    final = _counts(out)
    assert final["runs"] == 3 and final["snapshots"] == 9
    assert final["agents"] == 18 + 2 * 3  # random, one MCTS rung and the solver per board
    report = json.loads((out / "analysis" / "report.json").read_text())
    assert "frontier" in report and "exchange_rate" in report
    assert (out / "analysis" / "figures").exists()
    # A rerun does nothing new: same rows, tournament already at its target or budget.
    assert cli(["sweep", str(spec_file), "--out", str(out), "--only", "train"]) == 0
    assert _counts(out)["snapshots"] == 9
    assert cli(["status", str(out)]) == 0
    status_text = capsys.readouterr().out
    assert "3 done" in status_text and "tournament board 2" in status_text
    assert cli(["elo", str(out), "--format", "json"]) == 0
    ratings = json.loads(capsys.readouterr().out)
    assert any(row["agent"] == "random-2" and row["elo"] == 0 for row in ratings)
    # Another spec into the same folder is refused.
    other = _copy(TINY)
    other["seeds"] = [1]
    other_file = tmp_path / "other.toml"
    other_file.write_text(_toml(other))
    assert cli(["sweep", str(other_file), "--out", str(out)]) == 2
    assert "different sweep" in capsys.readouterr().err


@pytest.mark.ray
def test_ray_backend_runs_a_tiny_sweep(tmp_path):
    ray = pytest.importorskip("ray")
    data = _copy(TINY)
    data["boards"] = data["boards"][:1]
    data["tournament"]["mcts_simulations"] = []
    data["tournament"]["budget_games"] = 200
    spec = spec_from_dict(data)
    out = tmp_path / "sweep"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        run_sweep(spec, out, backend="ray", only="train")
        run_tournament(out, backend="ray")
    finally:
        ray.shutdown()
    counts = _counts(out)
    assert counts["runs"] == 2 and counts["snapshots"] == 6 and counts["matches"] > 0
    assert all(run["state"] == "done" for run in sweep_status(out)["runs"])


def _toml(data, prefix=""):
    """A small TOML writer for the test specs (tables, arrays of tables, scalars, lists)."""
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    for key, value in tables:
        if isinstance(value, list):
            for item in value:
                lines.append(f"[[{prefix}{key}]]")
                lines.append(_toml(item))
        else:
            lines.append(f"[{prefix}{key}]")
            lines.append(_toml(value, f"{prefix}{key}."))
    return "\n".join(line for line in lines if line)


def test_a_sweep_folder_takes_new_tournament_settings_but_not_another_grid(tmp_path):
    base = load_spec("teaching").to_dict()
    save_spec(spec_from_dict(base), tmp_path)
    tighter = json.loads(json.dumps(base))
    tighter["tournament"]["target_se"] = 20.0
    save_spec(spec_from_dict(tighter), tmp_path)
    assert read_sweep_spec(tmp_path).tournament.target_se == 20.0
    other = json.loads(json.dumps(base))
    other["boards"][0]["widths"] = [4, 8]
    with pytest.raises(ConfigError, match="holds a different sweep"):
        save_spec(spec_from_dict(other), tmp_path)
    assert read_sweep_spec(tmp_path).boards == spec_from_dict(tighter).boards
