"""The analysis report and `boardscale analyze`: required keys, strict JSON, degenerate input,
CSV errors by line, and the command end to end."""

import json
import math
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from analysis import reference
from analysis.report import analyze_agents, read_agents_csv
from analysis.tables import write_csv
from sweeps.cli import main

ESTIMATE_KEYS = {"value", "ci95"}


def _check_estimate(entry):
    assert ESTIMATE_KEYS <= set(entry), entry
    if entry["value"] is None or entry["ci95"] is None:
        assert entry["reason"], entry
    if entry["value"] is not None:
        assert math.isfinite(entry["value"])
    if entry["ci95"] is not None:
        low, high = entry["ci95"]
        assert math.isfinite(low) and math.isfinite(high) and low <= high


def _check_report(report, boards):
    text = json.dumps(report, allow_nan=False)
    assert "NaN" not in text and "Infinity" not in text
    frontier, exchange = report["frontier"], report["exchange_rate"]
    _check_estimate(frontier["slope_elo_per_decade"])
    _check_estimate(frontier["perfect_play_growth_per_size"])
    assert set(frontier["perfect_play_compute"]) == {str(size) for size in boards}
    for entry in frontier["perfect_play_compute"].values():
        _check_estimate(entry)
    _check_estimate(exchange["test_per_10x_train"])
    _check_estimate(exchange["slope"])
    # Each headline row sits beside Jones's number for that same quantity, as the paper gives it
    # (JONES.md: a refit of the published curves; the numbers are written out here, not read back
    # from `analysis.reference`, so that an edit there or a row paired with the wrong constant fails).
    jones_by_quantity = {
        "frontier slope": 506,
        "perfect-play compute growth per board-size step": 7.1,
        "test compute replaced by 10x training compute": 15,
        "iso-Elo slope a in log10 test = a log10 train + b Elo + c": -1.18,
    }
    assert {row["quantity"]: row["jones"] for row in report["comparison"]} == jones_by_quantity
    for row in report["comparison"]:
        _check_estimate(row["ours"])
    jones = report["reference"]
    assert jones["frontier"]["slope_elo_per_decade"] == 506
    assert jones["frontier"]["parameters"] == {
        "m_flops": 506,
        "m_b": -430,
        "c_i": -4400,
        "p_b": -268,
        "c_p": 575,
    }
    assert jones["frontier"]["perfect_play_compute"] == {
        "3": 1.3e11,
        "4": 1.3e12,
        "5": 8.1e12,
        "6": 1.1e14,
        "7": 1.3e15,
        "8": 7.4e15,
        "9": 3.5e16,
    }
    assert jones["exchange_rate"]["test_per_10x_train"] == 15
    assert jones["exchange_rate"]["slope"] == -1.18


def test_reference_numbers_agree_with_the_model_they_come_from():
    """The derived reference numbers follow from the ones they are derived from, so a change to
    one without the other fails: growth per size is 10 ** (-m_b / m_flops); 15x of test compute
    per 10x of training is a slope of -log10(15); the random-play floor read off the curves falls
    by about the plateau's p_b per board-size step; the perfect-play compute read off the curves is near where the refit's incline
    crosses -50 Elo (within 0.6 decades: the refit has an RMSE of 58 Elo)."""
    params = reference.FRONTIER_PARAMETERS
    growth = 10 ** (-params["m_b"] / params["m_flops"])
    assert reference.PERFECT_PLAY_GROWTH_PER_SIZE == pytest.approx(growth, abs=0.05)
    slope = -math.log10(reference.EXCHANGE_TEST_PER_10X_TRAIN)
    assert reference.EXCHANGE_SLOPE == pytest.approx(slope, abs=0.005)
    sizes = np.array(list(reference.RANDOM_ELO_VS_BEST), float)
    floor = np.array(list(reference.RANDOM_ELO_VS_BEST.values()))
    assert np.polyfit(sizes, floor, 1)[0] == pytest.approx(params["p_b"], rel=0.1)
    margin = -reference.PERFECT_PLAY_MARGIN_ELO
    for size, flops in reference.PERFECT_PLAY_COMPUTE.items():
        crossing = (margin - params["m_b"] * size - params["c_i"]) / params["m_flops"]
        assert abs(math.log10(flops) - crossing) < 0.6, size
        frontier = reference.frontier_elo(np.array([10.0**crossing]), np.array([size]))
        assert float(frontier[0]) == pytest.approx(margin, abs=1e-6)


def test_report_has_required_keys_and_matches_the_model(tmp_path):
    table = reference.synthetic_agents((5, 7), seed=3, noise_elo=15.0)
    report = analyze_agents(table, tmp_path, bootstrap=20, figures=False)
    _check_report(report, (5, 7))
    on_disk = json.loads((tmp_path / "report.json").read_text())
    assert on_disk == report
    assert report["frontier"]["slope_elo_per_decade"]["value"] == pytest.approx(506, rel=0.1)
    assert report["exchange_rate"]["test_per_10x_train"]["value"] == pytest.approx(15, rel=0.3)
    markdown = (tmp_path / "report.md").read_text()
    assert "Jones (2021)" in markdown and "nan" not in markdown.lower()
    assert not list(tmp_path.glob(".report*"))  # no temporary files left behind


def test_degenerate_input_gives_reasons_and_figures(tmp_path):
    # One board, one snapshot, an unrated agent: nothing to fit, but a complete report.
    table = reference.synthetic_agents((4,), seed=1, runs_per_board=1, snapshots_per_run=1)
    table["elo"][2] = np.nan
    report = analyze_agents(table, tmp_path, bootstrap=5)
    _check_report(report, (4,))
    assert report["frontier"]["perfect_play_growth_per_size"]["value"] is None
    assert report["exchange_rate"]["test_per_10x_train"]["value"] is None
    assert any("dropped 1" in note for note in report["notes"])
    assert any("figure exchange not drawn" in note for note in report["notes"])
    for name in ("frontier-4", "test-time", "comparison"):
        for extension in ("png", "svg"):
            assert (tmp_path / "figures" / f"{name}.{extension}").stat().st_size > 0
    markdown = (tmp_path / "report.md").read_text()
    assert "not estimable" in markdown and "nan" not in markdown.lower()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_read_agents_csv_reports_bad_rows_by_line(tmp_path):
    header = "board_size,train_flops,test_flops,elo,simulations\n"
    good = _write(tmp_path / "good.csv", header + "3,1e10,6400,-100,63\n\n3,0,0,-300,0\n")
    table = read_agents_csv(good)
    assert table["board_size"].tolist() == [3, 3]
    assert table["simulations"].dtype == np.int64
    bad_value = _write(tmp_path / "a.csv", header + "3,1e10,6400,-100,63\n3,1e11,6400,strong,63\n")
    with pytest.raises(ValueError, match="a.csv line 3: column 'elo'"):
        read_agents_csv(bad_value)
    negative = _write(tmp_path / "b.csv", header + "3,1e10,6400,-100,63\n\n3,-1e11,6400,0,63\n")
    with pytest.raises(ValueError, match="b.csv line 4: column 'train_flops' must be"):
        read_agents_csv(negative)
    short = _write(tmp_path / "c.csv", header + "3,1e10,6400\n")
    with pytest.raises(ValueError, match="c.csv line 2: expected 5 fields"):
        read_agents_csv(short)
    missing = _write(tmp_path / "d.csv", "board_size,train_flops,elo\n3,1e10,0\n")
    with pytest.raises(ValueError, match="test_flops"):
        read_agents_csv(missing)


def test_cli_agents_end_to_end(tmp_path, capsys):
    table = reference.synthetic_agents((3, 4), seed=2, noise_elo=15.0, runs_per_board=2)
    del table["kind"]
    csv_path = tmp_path / "agents.csv"
    write_csv(csv_path, table)
    out = tmp_path / "out"
    assert main(["analyze", "--agents", str(csv_path), "--out", str(out), "--bootstrap", "10"]) == 0
    printed = capsys.readouterr().out
    assert str(out / "report.md") in printed and str(out / "figures") in printed
    report = json.loads((out / "report.json").read_text())
    _check_report(report, (3, 4))
    names = {"frontier-3", "frontier-4", "frontiers", "test-time", "exchange", "comparison"}
    for name in names:
        for extension in ("png", "svg"):
            path = out / "figures" / f"{name}.{extension}"
            assert path.stat().st_size > 1000, path
            assert f"figures/{name}.{extension}" in report["figures"]
    assert (out / "figures" / "frontiers.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (out / "figures" / "frontiers.svg").read_bytes()[:1000]


def test_cli_sweep_path_uses_the_store_table(tmp_path, monkeypatch, capsys):
    table = reference.synthetic_agents((3,), seed=4, runs_per_board=1, snapshots_per_run=8)
    table["elo_vs_best"] = table["elo"] - table["elo"].max()
    seen = []

    def sweep_agents(sweep_dir, colour):
        seen.append((Path(sweep_dir), colour))
        return table, {}

    fake = types.ModuleType("analysis.elo_io")
    fake.sweep_agents = sweep_agents
    fake.sweep_settings = lambda sweep_dir: {"training simulations per move": 8}
    monkeypatch.setitem(sys.modules, "analysis.elo_io", fake)
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    assert main(["analyze", str(sweep), "--bootstrap", "0", "--no-figures"]) == 0
    assert seen == [(sweep, "symmetric")]
    report = json.loads((sweep / "analysis" / "report.json").read_text())
    _check_report(report, (3,))
    assert report["inputs"]["elo_colour"] == "symmetric"
    assert report["settings"]["ours"] == {"training simulations per move": 8}
    differs = report["comparison"][0]["settings_that_differ"]
    assert differs == ["training simulations per move: 8 (Jones: 63)"]
    markdown = (sweep / "analysis" / "report.md").read_text()
    assert "| training simulations per move | 8 | 63 |" in markdown
    assert "9x9 only" in markdown
    assert "report.md" in capsys.readouterr().out


def test_report_compares_frontier_start_with_first_snapshots(tmp_path):
    table = reference.synthetic_agents((5, 6), seed=2, noise_elo=10.0)
    report = analyze_agents(table, tmp_path, bootstrap=0, figures=False)
    for size in ("5", "6"):
        start = report["frontier_start"][size]
        assert start["jones_frontier_start_elo_vs_best"] == reference.RANDOM_ELO_VS_BEST[int(size)]
        # Our first frontier point is a snapshot, not the random player.
        assert start["first_snapshot_elo_vs_best"] != start["random_player_elo_vs_best"]
        assert start["first_snapshot_train_flops"] > 0
    assert "frontier start (first snapshot)" in (tmp_path / "report.md").read_text()
    assert report["inputs"]["interval_sources"] == "no bootstrap: no intervals"


def test_cli_rejects_bad_arguments(tmp_path, capsys):
    assert main(["analyze"]) == 2
    assert "exactly one" in capsys.readouterr().err
    assert main(["analyze", "--agents", str(tmp_path / "absent.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_analysis_imports_no_jax_or_game_code():
    code = (
        "import sys; import analysis.report, analysis.plots, analysis.frontier, "
        "analysis.exchange, analysis.reference, analysis.agents, analysis.bootstrap, "
        "analysis.elo_io, analysis.synthetic, analysis.design; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('jax', 'games', 'alphazero')]; "
        "assert not bad, bad; print('ok')"
    )
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_analyze_names_a_connect_four_board_in_one_line(tmp_path, capsys):
    # A store of one Connect Four board, mostly drawn games: the Elo fit rates it, and analyze
    # (Jones's fits, over Hex board sizes) refuses it by name instead of a failed cast.
    from analysis.elo_io import rate_store
    from analysis.store import STORE_FILENAME, Store

    sweep = tmp_path / "sweep"
    sweep.mkdir()
    label = "c4-4x5-3"
    with Store.open(sweep / STORE_FILENAME) as store:
        run = store.add_run("c4-4x5-3-mlp-8x1-s0", label, "mlp", 8, 1, 0, 100)
        ids = [store.add_agent("random", "random", label, 0)]
        for idx, flops in enumerate((1e6, 1e7, 1e8)):
            snapshot = store.add_snapshot(run, idx, flops, 10 * flops, 100, 10, 1.0, f"s{idx}")
            ids.append(store.add_agent(f"run/s{idx}@4", "snapshot", label, 4, snapshot))
        rows = [(a, b, 2, 1, 29) for a in ids for b in ids if a != b]
        store.add_matches(rows)
        ratings = rate_store(store, label)
    assert int(ratings.draws.sum()) == 2 * 29 * len(rows)
    status = main(["analyze", str(sweep), "--bootstrap", "0", "--no-figures"])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert status not in (0, None)
    assert len(errors) == 1 and "c4-4x5-3" in errors[0] and "Connect Four" in errors[0], errors
    assert not (sweep / "analysis" / "report.json").exists()
