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
    written = []

    def write_sweep_tables(sweep_dir, agents, out):
        written.append((Path(sweep_dir), agents is table, Path(out)))
        return out / "agents.csv", out / "matches.csv"

    fake.write_sweep_tables = write_sweep_tables
    monkeypatch.setitem(sys.modules, "analysis.elo_io", fake)
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    assert main(["analyze", str(sweep), "--bootstrap", "0", "--no-figures"]) == 0
    assert seen == [(sweep, "symmetric")]
    assert written == [(sweep, True, sweep / "analysis")]  # the tables beside the analysis
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


def _relabelled(table, label):
    """`table` with every board renamed `label` (a Connect Four label: same numbers, another
    game)."""
    out = dict(table)
    column = np.empty(table["board_size"].size, object)
    column[:] = [label] * column.size
    out["board_size"] = column
    return out


def _joined(*tables):
    return {name: np.concatenate([table[name] for table in tables]) for name in tables[0]}


def test_a_connect_four_board_is_fitted_as_its_numbers_say_and_not_set_beside_jones(tmp_path):
    # The same agents as Hex 4x4 and as Connect Four 4x5: the board's own fits give the same
    # numbers (a label changes no arithmetic), and nothing of Jones's Hex numbers appears.
    hex_table = reference.synthetic_agents((4,), seed=3, noise_elo=15.0)
    label = "c4-4x5-3"
    c4 = analyze_agents(_relabelled(hex_table, label), tmp_path / "c4", bootstrap=10, figures=False)
    hexed = analyze_agents(hex_table, tmp_path / "hex", bootstrap=10, figures=False)
    assert c4["inputs"]["boards"] == [label]
    board, same = c4["frontier"]["per_board"][label], hexed["frontier"]["per_board"]["4"]
    for key in ("slope_elo_per_decade", "perfect_play_compute", "perfect_play_compute_fit"):
        assert board[key] == same[key], key
        _check_estimate(board[key])
    assert board["slope_elo_per_decade"]["value"] == pytest.approx(506, rel=0.15)
    assert c4["frontier"]["slope_elo_per_decade"] == board["slope_elo_per_decade"]
    exchange = c4["exchange_rate"]
    ours, theirs = exchange["iso_elo"]["per_board"][label], hexed["exchange_rate"]["iso_elo"]
    ours = dict(ours, levels=list(ours["levels"].values()))
    theirs = dict(
        theirs["per_board"]["4"], levels=list(theirs["per_board"]["4"]["levels"].values())
    )
    assert ours == theirs
    assert exchange["test_per_10x_train"]["value"] == pytest.approx(15, rel=0.3)
    for entry in (exchange["test_per_10x_train"], exchange["slope"]):
        _check_estimate(entry)
    growth = c4["frontier"]["perfect_play_growth_per_size"]
    assert growth["value"] is None and "Hex" in growth["reason"]
    assert "Hex" in c4["frontier"]["joint_fit_reason"]
    # No comparison with Jones: no rows, no reference numbers, no frontier-start value of his.
    assert c4["comparison"] == [] and c4["reference"] is None
    assert c4["settings"]["jones"] is None
    assert c4["jones_not_compared"]["boards"] == [label]
    assert "Hex" in c4["jones_not_compared"]["reason"]
    assert "jones_frontier_start_elo_vs_best" not in c4["frontier_start"][label]
    assert "jones_not_compared" not in hexed
    markdown = (tmp_path / "c4" / "report.md").read_text()
    assert "Connect Four 4x5 (3 in a row)" in markdown and "Not compared with Jones" in markdown
    assert "beside Jones" not in markdown and "| Jones (2021)" not in markdown
    assert "Jones's frontier start" not in markdown and "Jones (refit" not in markdown
    assert "9x9 only" not in markdown and "nan" not in markdown.lower()
    json.dumps(c4, allow_nan=False)


def test_a_mixed_table_fits_hex_jointly_and_pools_each_game_apart(tmp_path):
    hex_table = reference.synthetic_agents((3, 4), seed=3, noise_elo=15.0)
    label = "c4-5x6-4"
    c4_table = _relabelled(reference.synthetic_agents((5,), seed=4, noise_elo=15.0), label)
    mixed = analyze_agents(_joined(hex_table, c4_table), tmp_path / "m", bootstrap=0, figures=False)
    alone = analyze_agents(hex_table, tmp_path / "h", bootstrap=0, figures=False)
    assert mixed["inputs"]["boards"] == [3, 4, label]
    # The Connect Four board enters neither the joint frontier nor Hex's pooled exchange rate.
    assert mixed["frontier"]["parameters"] == alone["frontier"]["parameters"]
    exchange, hex_exchange = mixed["exchange_rate"], alone["exchange_rate"]
    for key in ("test_per_10x_train", "slope"):
        assert exchange[key] == hex_exchange[key]
    assert exchange["iso_elo"]["pooled"] == hex_exchange["iso_elo"]["pooled"]
    by_game = exchange["pooled_by_game"]
    assert list(by_game) == ["hex", "connect_four"]
    assert by_game["hex"]["boards"] == [3, 4] and by_game["connect_four"]["boards"] == [label]
    assert by_game["connect_four"]["slope"] == exchange["iso_elo"]["per_board"][label]["slope"]
    assert by_game["connect_four"]["slope"]["value"] == pytest.approx(-1.18, abs=0.15)
    assert "pooled_by_game" not in hex_exchange
    fit = mixed["frontier"]["perfect_play_compute_fit"][label]
    assert fit["value"] is None and "Hex" in fit["reason"]
    assert mixed["frontier"]["per_board"][label]["perfect_play_compute_fit"]["value"] is not None
    assert {row["ours_boards"] for row in mixed["comparison"]} == {"pooled over 3x3, 4x4"}
    assert mixed["jones_not_compared"]["boards"] == [label]
    assert "jones_frontier_start_elo_vs_best" not in mixed["frontier_start"][label]
    assert mixed["frontier_start"]["3"]["jones_frontier_start_elo_vs_best"] == -260
    markdown = (tmp_path / "m" / "report.md").read_text()
    assert "Only the Hex boards are compared" in markdown
    assert "| pooled Connect Four 5x6 (4 in a row) |" in markdown
    assert "| Connect Four 5x6 (4 in a row) |" in markdown


def test_figures_name_connect_four_boards_and_draw_jones_beside_hex_only(tmp_path):
    from analysis import plots
    from analysis.agents import prepare_agents
    from analysis.frontier import fit_frontier

    label = "c4-4x5-3"
    table = _joined(
        reference.synthetic_agents((3,), seed=1, runs_per_board=1, snapshots_per_run=8),
        _relabelled(
            reference.synthetic_agents((4,), seed=2, runs_per_board=1, snapshots_per_run=8), label
        ),
    )
    agents = prepare_agents(table)
    fit = fit_frontier(agents, bootstrap=0)

    def legend(figure):
        return [text.get_text() for text in figure.axes[0].get_legend().get_texts()]

    one = plots.plot_frontier(agents, fit, board_size=label)
    assert one.axes[0].get_title() == "Compute frontier, Connect Four 4x5 (3 in a row)"
    assert "Jones (2021) model" not in legend(one) and "random (reference)" in legend(one)
    hex_one = plots.plot_frontier(agents, fit, board_size=3)
    assert hex_one.axes[0].get_title() == "Compute frontier, 3x3 Hex"
    assert "Jones (2021) model" in legend(hex_one)
    both = plots.plot_frontiers(fit)
    assert {"3x3", "Connect Four 4x5 (3 in a row)", "Jones (2021) model (Hex)"} <= set(legend(both))
    c4_only = analyze_agents(
        _relabelled(reference.synthetic_agents((4,), seed=2, runs_per_board=1), label),
        tmp_path,
        bootstrap=0,
        figures=False,
    )
    with pytest.raises(ValueError, match="no Hex board"):
        plots.plot_comparison(c4_only)


def test_agent_csv_takes_connect_four_labels(tmp_path):
    header = "board_size,train_flops,test_flops,elo\n"
    path = _write(tmp_path / "a.csv", header + "3,1e10,64,0\nc4-4x5-3,1e10,64,0\n3.0,0,0,-9\n")
    table = read_agents_csv(path)
    assert table["board_size"].tolist() == [3, "c4-4x5-3", 3]
    bad = _write(tmp_path / "b.csv", header + "3,1e10,64,0\nc5-4x5,1e10,64,0\n")
    with pytest.raises(ValueError, match="b.csv line 3: column 'board_size' must be a board"):
        read_agents_csv(bad)


def test_analyze_a_store_with_hex_and_connect_four_boards(tmp_path, capsys):
    # A store of one Hex and one Connect Four board (mostly drawn games there): Elo per board
    # with its Laplace covariance, the bootstrap redrawing it, each board fitted and reported.
    from analysis.store import STORE_FILENAME, Store

    sweep = tmp_path / "sweep"
    sweep.mkdir()
    label = "c4-4x5-3"
    rng = np.random.default_rng(0)
    with Store.open(sweep / STORE_FILENAME) as store:
        for board, draws in ((3, 0), (label, 20)):
            ids = [store.add_agent(f"random-{board}", "random", board, 0)]
            for seed in (0, 1):
                name = f"{board}-mlp-8x1-s{seed}"
                run = store.add_run(name, board, "mlp", 8, 1, seed, 100)
                for idx, flops in enumerate((1e6, 1e7, 1e8, 1e9)):
                    snapshot = store.add_snapshot(run, idx, flops, 10 * flops, 100, 10, 1.0, "")
                    for sims in (0, 4):
                        agent = f"{name}/s{idx}@{sims}"
                        ids.append(store.add_agent(agent, "snapshot", board, sims, snapshot))
            strength = {agent: position for position, agent in enumerate(ids)}
            rows = []
            for a in ids:
                for b in ids:
                    if a != b:
                        won = int(
                            rng.binomial(40, 1 / (1 + np.exp(-0.4 * (strength[a] - strength[b]))))
                        )
                        rows.append((a, b, won, 40 - won, draws))
            store.add_matches(rows)
    assert main(["analyze", str(sweep), "--bootstrap", "5", "--no-figures"]) == 0
    printed = capsys.readouterr().out
    assert "Connect Four 4x5 (3 in a row): frontier slope" in printed
    assert "not compared with Jones (2021)" in printed
    report = json.loads((sweep / "analysis" / "report.json").read_text())
    assert report["inputs"]["boards"] == [3, label]
    assert "Laplace" in report["inputs"]["interval_sources"]
    assert "on 2 board(s)" in report["inputs"]["interval_sources"]
    board = report["frontier"]["per_board"][label]
    _check_estimate(board["slope_elo_per_decade"])
    assert board["slope_elo_per_decade"]["value"] > 0
    assert "random" in board["reference_elo_vs_best"]
    assert report["exchange_rate"]["pooled_by_game"]["connect_four"]["boards"] == [label]
