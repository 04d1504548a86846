"""The analysis report: fits, figures, report.json and report.md from one agent table.

`analyze_agents(table, out_dir)` fits the compute frontier (`analysis.frontier`) and the
train-vs-test exchange rate (`analysis.exchange`), draws the figures (`analysis.plots`) into
out_dir/figures as PNG and SVG, and writes out_dir/report.json and out_dir/report.md. Every file is
written atomically (temporary file, then rename), so a reader never sees half a report.

report.json layout (strict JSON: numbers that cannot be estimated are null, never NaN). An
estimate is {"value": v, "ci95": [lo, hi]}, with "reason" added whenever value or ci95 is null:

    schema                      "boardscale-analysis/1"
    inputs                      rows, rows_used, trained_agents, reference_players, boards,
                                frontier_simulations (+ _reason: the training count by default),
                                elo_colour ("symmetric": Jones's; "term"), interval_sources (what
                                the intervals include), notes
    settings                    {ours, jones}: training settings that can differ from Jones's
    frontier                    slope_elo_per_decade, perfect_play_growth_per_size (joint fit),
                                perfect_play_growth_per_size_data, perfect_play_compute
                                ({"3": estimate, ...}, from data), perfect_play_compute_fit,
                                parameters {m_flops, m_b, c_i, p_b, c_p}, rmse_elo, per_board,
                                simulations, perfect_play_margin_elo, bootstrap_resamples, method
    frontier_start              per board: our frontier's first point beside Jones's frontier-start
                                value, and our random player's level
    exchange_rate               test_per_10x_train, slope (pooled interpolated iso-Elo fit),
                                iso_elo {pooled, per_board}, jones_construction {pooled,
                                per_board}, direct {pooled, per_board}, iso_elo_vs_direct, method
    reference                   Jones's numbers (`analysis.reference.reference_summary`); null
                                when no board is Hex
    comparison                  [{quantity, unit, ours, ours_boards, jones, jones_boards,
                                settings_that_differ}] for the headline numbers, over the Hex
                                boards only (empty without one)
    jones_not_compared          only when some board is not Hex: {boards, reason}, the boards
                                (e.g. Connect Four's 'c4-4x5-3') that nothing of Jones's is set
                                beside, and why
    figures                     paths relative to out_dir
    notes                       what was dropped, chosen or could not be drawn

Boards are labels (`analysis.boards`): Hex's integer size, or text such as 'c4-4x5-3' for
Connect Four; per-board keys are the label as text. Jones's numbers are Hex's, so only Hex boards
are compared with them: the joint frontier model and the growth per board-size step are over Hex
sizes, and the pooled exchange rate beside his is over the Hex boards (every game's pooled rate is
in exchange_rate.pooled_by_game when the boards mix games).
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from analysis import reference
from analysis.agents import Agents, prepare_agents
from analysis.boards import (
    GAME_NAMES,
    board_caption,
    board_column,
    by_game,
    game_caption,
    is_hex,
    parse_label,
)
from analysis.bootstrap import Bootstrap, LaplaceNoise
from analysis.exchange import ExchangeFit, fit_exchange, test_time_curves
from analysis.frontier import FrontierFit, fit_frontier
from analysis.tables import Table, read_csv
from boardscale_core.files import atomic_write_text

SCHEMA = "boardscale-analysis/1"
AGENT_CSV_REQUIRED = ("board_size", "train_flops", "test_flops", "elo")
AGENT_CSV_OPTIONAL = ("elo_se", "run", "simulations", "train_simulations", "kind", "name")
AGENT_CSV_TYPES = {
    "board_size": str,
    "train_flops": float,
    "test_flops": float,
    "elo": float,
    "elo_se": float,
    "run": str,
    "simulations": int,
    "train_simulations": int,
    "kind": str,
    "name": str,
}


# -- input -----------------------------------------------------------------------------------------


def _data_lines(path: Path) -> list[int]:
    """The line number of each data row, skipping the header and blank lines as `read_csv` does."""
    lines = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header_seen = False
        for fields in reader:
            blank = not fields or not any(field.strip() for field in fields)
            if not header_seen:
                header_seen = not blank
                continue
            if blank:
                continue
            lines.append(reader.line_num)
    return lines


def read_agents_csv(path: str | os.PathLike) -> Table:
    """Read an agent table from CSV.

    The header must name board_size, train_flops, test_flops, elo; elo_se, run, simulations,
    kind and name are read when present (other columns are ignored). board_size is a board
    label: Hex's size (an integer) or a Connect Four label such as c4-4x5-3. Compute is in FLOPs (Jones's
    convention for training; (simulations + 1) x parameters per move for test time); reference
    players have train_flops 0. An elo of "nan" marks an unrated agent (left out of the fits).

    Raises:
      ValueError naming the file and line for a malformed row, an unparsable value, a negative or
      infinite compute, a board that is neither a size >= 1 nor a Connect Four label, or a
      negative simulation count.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"agent table {path} does not exist or is not a file")
    table = read_csv(path, AGENT_CSV_REQUIRED, AGENT_CSV_OPTIONAL, types=AGENT_CSV_TYPES)
    lines = _data_lines(path)
    labels = []
    for row, text in enumerate(table["board_size"].tolist()):
        try:
            labels.append(parse_label(text))
        except ValueError:
            line = lines[row] if row < len(lines) else row + 2
            rule = "must be a board size >= 1 or a Connect Four label such as c4-4x5-3"
            raise ValueError(
                f"{path.name} line {line}: column 'board_size' {rule}, got {text!r}"
            ) from None
    table["board_size"] = board_column(labels)
    checks = [
        ("train_flops", lambda v: np.isfinite(v) & (v >= 0), "must be a finite number >= 0"),
        ("test_flops", lambda v: np.isfinite(v) & (v >= 0), "must be a finite number >= 0"),
        ("simulations", lambda v: v >= 0, "must be >= 0"),
    ]
    for name, valid, rule in checks:
        if name not in table:
            continue
        bad = np.flatnonzero(~valid(table[name]))
        if bad.size:
            row = int(bad[0])
            line = lines[row] if row < len(lines) else row + 2
            raise ValueError(
                f"{path.name} line {line}: column {name!r} {rule}, got {table[name][row]!r}"
            )
    trained_without_test = np.flatnonzero((table["train_flops"] > 0) & (table["test_flops"] <= 0))
    if trained_without_test.size:
        row = int(trained_without_test[0])
        line = lines[row] if row < len(lines) else row + 2
        raise ValueError(
            f"{path.name} line {line}: column 'test_flops' must be > 0 for a trained agent "
            "(train_flops > 0)"
        )
    if not table["board_size"].size:
        raise ValueError(f"{path.name}: no agent rows after the header")
    return table


# -- writing ---------------------------------------------------------------------------------------


def _jsonable(value):
    """Plain JSON values; a non-finite float becomes None (the fits give reasons for theirs)."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(item) for item in value.tolist()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


# -- the report ------------------------------------------------------------------------------------


def _frontier_start(agents: Agents, frontier: FrontierFit) -> dict[str, dict]:
    """Per board: our frontier's first point (the cheapest snapshot on the envelope, at the
    frontier's count) beside Jones's frontier-start value (Hex boards only: his are Hex's), and
    our random player's level."""
    out = {}
    points = frontier.points
    for size in frontier.boards:
        rows = np.flatnonzero(points["board_size"] == size)
        board = frontier.per_board.get(size)
        random_level = board.reference_elo.get("random") if board is not None else None
        start = {
            "first_snapshot_elo_vs_best": float(points["elo"][rows[0]]) if rows.size else None,
            "first_snapshot_train_flops": float(points["train_flops"][rows[0]])
            if rows.size
            else None,
        }
        if is_hex(size):
            start["jones_frontier_start_elo_vs_best"] = reference.RANDOM_ELO_VS_BEST.get(size)
        start["random_player_elo_vs_best"] = random_level
        out[str(size)] = start
    return out


def _differences(settings: Mapping[str, object]) -> list[str]:
    """'ours vs Jones's' for each setting that differs (empty when ours are unknown)."""
    out = []
    for key, jones in reference.JONES_SETTINGS.items():
        if key not in settings:
            continue
        ours = settings[key]
        if ours != jones:
            out.append(f"{key}: {ours} (Jones: {jones})")
    return out


def _not_compared(boards: list) -> dict | None:
    """The boards nothing of Jones's is set beside (those that are not Hex), and why."""
    others = [size for size in boards if not is_hex(size)]
    if not others:
        return None
    games = by_game(others)
    names = " and ".join(GAME_NAMES.get(game, game) for game in games)
    return {
        "boards": others,
        "reason": (
            f"Jones (2021) measured Hex only; his frontier, perfect-play compute and exchange "
            f"rate say nothing about {names}, so no number of "
            f"{'; '.join(game_caption(game, labels) for game, labels in games.items())} is "
            "compared with his"
        ),
    }


def build_report(
    agents: Agents,
    frontier: FrontierFit,
    exchange: ExchangeFit,
    *,
    colour: str | None = None,
    settings: Mapping[str, object] | None = None,
) -> dict:
    """The report dictionary (see the module docstring) from fitted results; no files.

    colour: the Elo fit's colour treatment ("term" or "symmetric"; None when the ratings came
    from a table). settings: our training settings (`elo_io.sweep_settings`), printed beside
    Jones's (when some board is Hex).
    """
    table = agents.table
    trained = table["train_flops"] > 0
    boards = list(agents.boards)
    hex_boards = [size for size in boards if is_hex(size)]
    not_compared = _not_compared(boards)
    jones = reference.reference_summary() if hex_boards else None
    settings = dict(settings or {})
    differs = _differences(settings)
    ours_boards = ", ".join(f"{size}x{size}" for size in hex_boards)
    frontier_json = frontier.to_json()
    frontier_json["method"] = (
        "Jones's frontier model min(0, max(incline, plateau)) fitted by least squares to the upper "
        "envelope of the agents at the frontier's simulation count, jointly over board sizes; "
        "Elo relative to the best such agent on each board"
    )
    if not hex_boards:
        frontier_json["method"] = (
            "Jones's frontier model min(0, max(incline, plateau)) fitted by least squares to the "
            "upper envelope of the agents at the frontier's simulation count, on each board alone "
            "(the joint model's board-size terms are Hex's and no board is Hex); Elo relative to "
            "the best such agent on each board"
        )
    elif not_compared is not None:
        frontier_json["method"] += (
            "; the joint model's board-size terms are Hex's, so it is fitted over the Hex boards "
            "only and every other board has its own fit (per_board)"
        )
    exchange_json = exchange.to_json()
    pooled = "pooled over " + ours_boards if len(hex_boards) > 1 else ours_boards
    comparison = []
    if hex_boards:
        comparison = [
            {
                "quantity": "frontier slope",
                "unit": "Elo per decade of training compute",
                "ours": frontier_json["slope_elo_per_decade"],
                "ours_boards": pooled,
                "jones": reference.FRONTIER_SLOPE_ELO_PER_DECADE,
                "jones_boards": "3x3 to 9x9, joint fit",
            },
            {
                "quantity": "perfect-play compute growth per board-size step",
                "unit": "factor",
                "ours": frontier_json["perfect_play_growth_per_size"],
                "ours_boards": pooled,
                "jones": reference.PERFECT_PLAY_GROWTH_PER_SIZE,
                "jones_boards": "3x3 to 9x9, joint fit",
            },
            {
                "quantity": "test compute replaced by 10x training compute",
                "unit": "factor",
                "ours": exchange_json["test_per_10x_train"],
                "ours_boards": pooled,
                "jones": reference.EXCHANGE_TEST_PER_10X_TRAIN,
                "jones_boards": (
                    f"{reference.EXCHANGE_BOARD_SIZE}x{reference.EXCHANGE_BOARD_SIZE} only"
                ),
            },
            {
                "quantity": "iso-Elo slope a in log10 test = a log10 train + b Elo + c",
                "unit": "decades of test per decade of training",
                "ours": exchange_json["slope"],
                "ours_boards": pooled,
                "jones": reference.EXCHANGE_SLOPE,
                "jones_boards": (
                    f"{reference.EXCHANGE_BOARD_SIZE}x{reference.EXCHANGE_BOARD_SIZE} only"
                ),
            },
        ]
    for row in comparison:
        row["settings_that_differ"] = differs
    notes = list(dict.fromkeys(list(frontier.notes) + list(exchange.notes)))
    if not_compared is not None:
        notes.append(not_compared["reason"])
    report = {
        "schema": SCHEMA,
        "inputs": {
            "rows_used": int(trained.size),
            "trained_agents": int(trained.sum()),
            "reference_players": int((~trained).sum()),
            "boards": boards,
            "frontier_simulations": agents.simulations,
            "frontier_simulations_reason": agents.simulations_reason,
            "elo_colour": colour if colour is not None else "as given in the agent table",
            "interval_sources": frontier.interval_sources,
            "notes": list(agents.notes),
        },
        "settings": {
            "ours": settings,
            "jones": dict(reference.JONES_SETTINGS) if hex_boards else None,
        },
        "frontier": frontier_json,
        "frontier_start": _frontier_start(agents, frontier),
        "exchange_rate": exchange_json,
        "reference": jones,
        "comparison": comparison,
    }
    if not_compared is not None:
        report["jones_not_compared"] = not_compared
    report["figures"] = []
    report["notes"] = notes
    return report


def _figures(agents, frontier, exchange, report, figure_dir: Path) -> tuple[list[Path], list[str]]:
    from analysis import plots

    jobs = [(f"frontier-{size}", plots.plot_frontier, (agents, frontier), {"board_size": size})
            for size in frontier.boards]  # fmt: skip
    jobs += [
        ("frontiers", plots.plot_frontiers, (frontier,), {}),
        ("test-time", plots.plot_test_time, (test_time_curves(agents),), {}),
        ("exchange", plots.plot_exchange, (exchange,), {}),
        ("comparison", plots.plot_comparison, (report,), {}),
    ]
    written, notes = [], []
    for name, plot, args, kwargs in jobs:
        try:
            figure = plot(*args, **kwargs)
        except ValueError as error:
            notes.append(f"figure {name} not drawn: {error}")
            continue
        written += plots.save_figure(figure, figure_dir, name)
    return written, notes


def _format(value, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if abs(value) >= 1e5 or (value != 0 and abs(value) < 1e-2):
        return f"{value:.{digits - 1}e}"
    if abs(value) >= 10 ** (digits - 1):
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def _estimate_cells(estimate: Mapping | None) -> tuple[str, str]:
    if not isinstance(estimate, Mapping) or estimate.get("value") is None:
        reason = estimate.get("reason", "not estimable") if isinstance(estimate, Mapping) else ""
        return "not estimable", reason or "not estimable"
    interval = estimate.get("ci95")
    if interval is None:
        return _format(estimate["value"]), estimate.get("reason", "no interval")
    return _format(estimate["value"]), f"{_format(interval[0])} to {_format(interval[1])}"


def _reference_cell(levels: Mapping | None) -> str:
    """The reference players' Elo vs best in one cell: 'random -420, solver 3'."""
    if not levels:
        return "none"
    named = {name: value for name, value in levels.items() if name != "random"}
    if "random" in levels and levels["random"] not in named.values():
        named["random"] = levels["random"]  # the alias only where no name carries its level
    return ", ".join(f"{name} {_format(value)}" for name, value in named.items())


def render_markdown(report: Mapping) -> str:
    """report.md: the comparison with Jones (Hex boards only), per-board tables, figures and
    notes."""
    frontier = report["frontier"]
    exchange = report["exchange_rate"]
    jones = report["reference"]
    inputs = report["inputs"]
    labels = [parse_label(size) for size in inputs["boards"]]
    hex_boards = [size for size in labels if is_hex(size)]
    other_boards = [size for size in labels if not is_hex(size)]
    not_compared = report.get("jones_not_compared") or {}
    boards = ", ".join(str(size) for size in inputs["boards"])
    if other_boards:
        where = "on " + "; ".join(
            game_caption(game, group) for game, group in by_game(labels).items()
        )
    else:
        where = f"on board size(s) {boards}"
    zero_point = "the best agent on each board"
    if inputs["frontier_simulations"] is not None:
        zero_point += f" searching with {inputs['frontier_simulations']} simulations"
    lines = [
        "# boardscale analysis",
        "",
        f"{inputs['trained_agents']} trained agent(s) and {inputs['reference_players']} "
        f"reference player(s) {where}. Elo is relative to {zero_point} "
        f"(frontier {inputs.get('frontier_simulations_reason', '')}); Elo colour treatment: "
        f"{inputs.get('elo_colour', 'unknown')}.",
        "",
        f"Intervals are 95% bootstrap intervals; they include: {inputs.get('interval_sources')}.",
        "",
    ]
    settings = report.get("settings", {})
    ours_settings = settings.get("ours") or {}
    if hex_boards:
        lines += [
            "## This sweep beside Jones (2021)",
            "",
            "| quantity | this sweep | 95% interval | boards | Jones (2021) | Jones's boards |",
            "|---|---|---|---|---|---|",
        ]
        for row in report["comparison"]:
            value, interval = _estimate_cells(row["ours"])
            quantity = f"{row['quantity']} ({row['unit']})"
            lines.append(
                f"| {quantity} | {value} | {interval} | {row.get('ours_boards', '')} | "
                f"{_format(row['jones'])} | {row.get('jones_boards', '')} |"
            )
        if not_compared:
            lines += ["", f"Only the Hex boards are compared: {not_compared['reason']}."]
        lines += [
            "",
            "Settings beside Jones's (a number beside his is read with these in mind):",
            "",
        ]
        if ours_settings:
            lines += ["| setting | this sweep | Jones |", "|---|---|---|"]
            for key, jones_value in (settings.get("jones") or {}).items():
                lines.append(f"| {key} | {ours_settings.get(key, 'unknown')} | {jones_value} |")
        else:
            lines.append(
                "- this sweep's training settings are unknown (an agent table without a store); "
                "Jones's: "
                + "; ".join(f"{k}: {v}" for k, v in (settings.get("jones") or {}).items())
            )
        growth_data = _estimate_cells(frontier["perfect_play_growth_per_size_data"])
        lines += [
            "",
            f"Perfect-play compute growth from the per-board data values (log-linear fit): "
            f"{growth_data[0]} ({growth_data[1]}).",
        ]
    else:
        lines += [
            "## Not compared with Jones (2021)",
            "",
            f"{not_compared.get('reason', 'no board is Hex')}.",
            "",
            "## Headline numbers",
            "",
            "| quantity | this sweep | 95% interval | boards |",
            "|---|---|---|---|",
        ]
        headline = [
            ("frontier slope (Elo per decade of training compute)",
             frontier["slope_elo_per_decade"]),
            ("test compute replaced by 10x training compute (factor)",
             exchange["test_per_10x_train"]),
            ("iso-Elo slope a in log10 test = a log10 train + b Elo + c (decades of test per "
             "decade of training)", exchange["slope"]),
        ]  # fmt: skip
        everything = ", ".join(board_caption(size) for size in labels)
        for quantity, estimate in headline:
            value, interval = _estimate_cells(estimate)
            lines.append(f"| {quantity} | {value} | {interval} | {everything} |")
        lines += ["", "Training settings of this sweep:", ""]
        if ours_settings:
            lines += ["| setting | this sweep |", "|---|---|"]
            lines += [f"| {key} | {value} |" for key, value in ours_settings.items()]
        else:
            lines.append("- unknown (an agent table without a store)")
    lines += ["", "## Frontier per board", ""]
    starts = report.get("frontier_start", {})
    per_board = frontier["per_board"]
    if hex_boards:
        lines += [
            "Perfect-play compute: training FLOPs at which the frontier first comes within "
            f"{_format(frontier['perfect_play_margin_elo'])} Elo of the best agent. Frontier "
            "start: the Elo vs best of the frontier's first point (our cheapest snapshot on the "
            "envelope) beside Jones's frontier-start value; our random player is listed apart (a "
            "different thing).",
            "",
            "| board | slope (Elo/decade) | perfect-play compute, data | 95% interval | from joint "
            "fit | Jones | frontier start (first snapshot) | Jones's frontier start | random "
            "player |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        ref_compute = jones["frontier"]["perfect_play_compute"]
        for size, board in per_board.items():
            if not is_hex(size):
                continue
            slope = _estimate_cells(board["slope_elo_per_decade"])[0]
            data_value, data_interval = _estimate_cells(frontier["perfect_play_compute"].get(size))
            fit_value = _estimate_cells(frontier["perfect_play_compute_fit"].get(size))[0]
            start = starts.get(size, {})
            lines.append(
                f"| {size}x{size} | {slope} | {data_value} | {data_interval} | {fit_value} | "
                f"{_format(ref_compute.get(size))} | "
                f"{_format(start.get('first_snapshot_elo_vs_best'))} | "
                f"{_format(start.get('jones_frontier_start_elo_vs_best'))} | "
                f"{_format(start.get('random_player_elo_vs_best'))} |"
            )
    if other_boards:
        if hex_boards:
            lines += ["", "Boards of other games (nothing of Jones's is set beside them):", ""]
        lines += [
            "Perfect-play compute: training FLOPs at which the frontier first comes within "
            f"{_format(frontier['perfect_play_margin_elo'])} Elo of the best agent, from the data "
            "and from the board's own fit (the joint model is over Hex board sizes). Frontier "
            "start: the Elo vs best of the frontier's first point. Reference players: their Elo "
            "vs best (the solver plays perfectly).",
            "",
            "| board | slope (Elo/decade) | perfect-play compute, data | 95% interval | from this "
            "board's fit | frontier start (first snapshot) | reference players |",
            "|---|---|---|---|---|---|---|",
        ]
        for size in other_boards:
            board = per_board.get(str(size))
            if board is None:
                continue
            slope = _estimate_cells(board["slope_elo_per_decade"])[0]
            data_value, data_interval = _estimate_cells(board["perfect_play_compute"])
            fit_value = _estimate_cells(board["perfect_play_compute_fit"])[0]
            start = starts.get(str(size), {})
            lines.append(
                f"| {board_caption(size)} | {slope} | {data_value} | {data_interval} | "
                f"{fit_value} | {_format(start.get('first_snapshot_elo_vs_best'))} | "
                f"{_reference_cell(board.get('reference_elo_vs_best'))} |"
            )
    if hex_boards:
        parameters = frontier["parameters"]
        lines += [
            "",
            "Joint frontier model (Elo = min(0, max(m_flops log10 C + m_b S + c_i, p_b S + c_p))):",
            "",
            "| parameter | this sweep | 95% interval | Jones (refit, 3x3 to 9x9) |",
            "|---|---|---|---|",
        ]
        for name, estimate in parameters.items():
            value, interval = _estimate_cells(estimate)
            lines.append(
                f"| {name} | {value} | {interval} | "
                f"{_format(jones['frontier']['parameters'][name])} |"
            )
        if frontier.get("rmse_elo") is not None:
            lines += [
                "",
                f"RMSE of the joint fit: {_format(frontier['rmse_elo'])} Elo (Jones: 58).",
            ]
    else:
        lines += [
            "",
            "Joint frontier model over board sizes: not fitted "
            f"({frontier.get('joint_fit_reason') or 'no Hex board'}).",
        ]
    lines += [
        "",
        "## Exchange rate (10x train ~ X x test), pooled and per board",
        "",
        "| boards | iso-Elo, interpolated | 95% interval | Jones's construction | 95% interval "
        "| direct regression | 95% interval | interpolated vs direct |",
        "|---|---|---|---|---|---|---|---|",
    ]
    iso, direct = exchange["iso_elo"], exchange["direct"]
    construction = exchange.get("jones_construction", {"pooled": None, "per_board": {}})
    verdicts = exchange.get("iso_elo_vs_direct", {})
    by_game_json = exchange.get("pooled_by_game")
    if by_game_json:
        rows = [
            (f"pooled {game_caption(game, [parse_label(b) for b in entry['boards']])}",
             entry["iso_elo"], entry["jones_construction"], entry["direct"],
             entry["iso_elo_vs_direct"])
            for game, entry in by_game_json.items()
        ]  # fmt: skip
    else:
        rows = [
            (f"pooled ({boards})", iso["pooled"], construction["pooled"], direct["pooled"],
             verdicts.get("pooled", "unknown"))
        ]  # fmt: skip
    rows += [
        (f"{s}x{s}" if is_hex(s) else board_caption(s), iso["per_board"][s],
         construction["per_board"].get(s), direct["per_board"].get(s),
         verdicts.get(s, "unknown"))
        for s in iso["per_board"]
    ]  # fmt: skip
    for label, iso_fit, jones_fit, direct_fit, verdict in rows:
        cells = []
        for fit in (iso_fit, jones_fit, direct_fit):
            cells += _estimate_cells(fit["test_per_10x_train"] if fit else None)
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {verdict} |")
    measured = (
        f"Jones (2021) measured {_format(reference.EXCHANGE_TEST_PER_10X_TRAIN)}x on 9x9 only "
        f"(slope a = {reference.EXCHANGE_SLOPE}), with 64-node training"
    )
    if not other_boards:
        lines += ["", f"{measured}; this sweep's boards: {boards}."]
    elif hex_boards:
        hex_list = ", ".join(str(size) for size in hex_boards)
        lines += [
            "",
            f"{measured}; this sweep's Hex boards: {hex_list}. The other games' boards are not "
            "compared with it.",
        ]
    else:
        lines += [
            "",
            "Jones (2021) measured the exchange rate on 9x9 Hex only; no number here is compared "
            "with his.",
        ]
    lines += [
        "",
        "## Figures",
        "",
    ]
    for figure in report["figures"]:
        if figure.endswith(".png"):
            stem = figure[: -len(".png")]
            lines += [f"![{Path(stem).name}]({figure}) ([SVG]({stem}.svg))", ""]
    if not report["figures"]:
        lines += ["No figures were drawn.", ""]
    lines += [
        "## Method and compute accounting",
        "",
        "- Training compute follows Jones's convention: self-play samples x nodes per move x "
        "parameters, one multiply-add counted as one FLOP.",
        "- Test-time compute is (simulations + 1) x parameters per move. The paper's code "
        "multiplies this by a further 64, which moves its test-compute axes 1.8 decades to the "
        "right and changes no slope; it is not reproduced here.",
        "- Frontier: " + frontier["method"] + ".",
        "- Exchange rate: " + exchange["method"] + ". Jones's construction (least grid test "
        "compute per 0.1-decade bin, running minimum, rounded) is shown as the reference; on "
        "synthetic agents with a known slope it comes out shallow. The direct regression: "
        + exchange["direct"]["method"]
        + ".",
        "- Intervals: " + str(inputs.get("interval_sources")) + ".",
        "",
    ]
    if report["notes"]:
        lines += ["## Notes", ""] + [f"- {note}" for note in report["notes"]] + [""]
    return "\n".join(lines)


def analyze_agents(
    table: Mapping[str, np.ndarray],
    out_dir: str | os.PathLike,
    *,
    bootstrap: int = 200,
    seed: int = 0,
    simulations: int | None = None,
    levels: np.ndarray | None = None,
    figures: bool = True,
    ratings: Mapping | None = None,
    colour: str | None = None,
    settings: Mapping[str, object] | None = None,
) -> dict:
    """Fit, plot and write the report for an agent table.

    Args:
      table: agent table (board_size: Hex sizes and/or Connect Four labels, `analysis.boards`;
        train_flops, test_flops, elo; optional elo_se, run,
        simulations, kind, name), e.g. from `read_agents_csv` or the results store.
      out_dir: folder for report.json, report.md and figures/ (created if needed).
      bootstrap: resamples for the 95% intervals; seed: their seed.
      simulations: the frontier's simulation count (None: the most common, ties towards 63).
      levels: iso-Elo levels (Elo vs best) for every board; None picks them from the data.
      figures: draw the figures (PNG and SVG).
      ratings: board label -> `elo.Ratings` keyed by agent id (`elo_io.sweep_agents`): the
        bootstrap then redraws ratings from their Laplace covariance; without them, from the
        table's `elo_se` independently.
      colour: the Elo fit's colour treatment, for the report.
      settings: our training settings (`elo_io.sweep_settings`), printed beside Jones's.

    Returns:
      The report dictionary written to report.json (see the module docstring).

    Raises:
      ValueError (one line) for a malformed table or arguments.
    """
    rows = len(np.asarray(table["elo"])) if isinstance(table, Mapping) and "elo" in table else 0
    agents = prepare_agents(table, simulations=simulations)
    if ratings is not None and colour is None:
        from analysis.elo_io import DEFAULT_ANALYSIS_COLOUR

        colour = DEFAULT_ANALYSIS_COLOUR
    noise = LaplaceNoise(ratings) if ratings and "agent_id" in agents.table else None
    resampling = Bootstrap(bootstrap, seed, noise)
    frontier = fit_frontier(agents, bootstrap=resampling)
    exchange = fit_exchange(agents, levels=levels, bootstrap=resampling)
    report = build_report(agents, frontier, exchange, colour=colour, settings=settings)
    report["inputs"] = {"rows": rows, **report["inputs"]}

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if figures:
        figure_dir = out_dir / "figures"
        written, notes = _figures(agents, frontier, exchange, report, figure_dir)
        report["figures"] = [path.relative_to(out_dir).as_posix() for path in written]
        report["notes"] += notes
    report = _jsonable(report)
    text = json.dumps(report, indent=2, allow_nan=False)
    atomic_write_text(out_dir / "report.json", text + "\n")
    atomic_write_text(out_dir / "report.md", render_markdown(report))
    return report
