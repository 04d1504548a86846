"""Figures: each `plot_<name>(data) -> matplotlib.figure.Figure`, saved by `save_figure`.

Figures are built on `matplotlib.figure.Figure` directly (no pyplot, so no global state and no GUI
backend is touched); matplotlib is imported inside the functions so that importing this module is
cheap. Compute axes are logarithmic; every axis names its quantity and unit. Colours come from
colour-blind-safe maps and every series also differs in marker or line style, so the figures read
in greyscale print as well as on screen. A plot function raises ValueError (one line) when its data
hold nothing to draw.

Boards are named by `analysis.boards` ("3x3" for Hex, "Connect Four 4x5 (3 in a row)"); Jones's
curves and numbers are drawn beside Hex boards only (they were measured on Hex).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from analysis import reference
from analysis.agents import Agents, prepare_agents
from analysis.boards import (
    GAME_NAMES,
    HEX,
    board_caption,
    board_order,
    board_title,
    game_of,
    is_hex,
    parse_label,
)
from analysis.exchange import ExchangeFit, TestTimeCurve
from analysis.frontier import FrontierFit
from boardscale_core.files import atomic_output

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIGURE_FORMATS = ("png", "svg")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
_WIDTH = 7.0  # inches; one page column of text at 10 pt
_FONT = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
}
TRAIN_LABEL = "training compute (FLOPs, Jones's convention)"
TEST_LABEL = "test-time compute (FLOPs per move)"
ELO_LABEL = "Elo relative to the best agent on the board"


def _styled(plot):
    """Run a plot function under the figures' font sizes without touching global settings."""

    @functools.wraps(plot)
    def wrapper(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context(_FONT):
            return plot(*args, **kwargs)

    return wrapper


def _figure(width: float = _WIDTH, height: float = 4.6) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained", dpi=100)


def _board_colours(boards: Sequence[int | str]) -> dict[int | str, tuple]:
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    ordered = sorted((parse_label(size) for size in boards), key=board_order)
    return {size: cmap(position % 10) for position, size in enumerate(ordered)}


def _board_markers(boards: Sequence[int | str]) -> dict[int | str, str]:
    ordered = sorted((parse_label(size) for size in boards), key=board_order)
    return {size: _MARKERS[i % len(_MARKERS)] for i, size in enumerate(ordered)}


def _grid(count: int) -> tuple[int, int]:
    columns = min(2, count)
    return (count + columns - 1) // columns, columns


def _quiet_minor_labels(ax) -> None:
    """No labels on minor ticks of log axes: on a span under a decade they crowd the axis."""
    from matplotlib.ticker import NullFormatter

    for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
        if scale == "log":
            axis.set_minor_formatter(NullFormatter())


def _agents(data) -> Agents:
    return data if isinstance(data, Agents) else prepare_agents(data)


def _log_span(values: np.ndarray, pad: float = 0.1) -> tuple[float, float]:
    logs = np.log10(values[values > 0])
    return 10 ** (logs.min() - pad), 10 ** (logs.max() + pad)


# -- saving ----------------------------------------------------------------------------------------


def save_figure(fig: Figure, out_dir: str | os.PathLike, name: str) -> list[Path]:
    """Write `fig` as out_dir/name.png (150 dpi) and out_dir/name.svg, each atomically.

    Returns the paths written. The folder is created if needed.
    """
    if not name or any(sep in name for sep in ("/", "\\")) or name.startswith("."):
        raise ValueError(f"figure name must be a plain file name, got {name!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    engine = fig.get_layout_engine()
    try:
        for position, extension in enumerate(FIGURE_FORMATS):
            if position == 1 and engine is not None:
                # The first save placed the axes; keep them there rather than lay out again.
                fig.set_layout_engine("none")
            written.append(_save_one(fig, out_dir / f"{name}.{extension}", extension))
    finally:
        if engine is not None:
            fig.set_layout_engine(engine)
    return written


def _save_one(fig: Figure, path: Path, extension: str) -> Path:
    import matplotlib

    # A fixed salt makes the SVG's element ids (random by default) the same on every run.
    with atomic_output(path, "wb") as handle, matplotlib.rc_context({"svg.hashsalt": "boardscale"}):
        fig.savefig(handle, format=extension, dpi=150, metadata=_metadata(extension))
    return path


def _metadata(extension: str) -> dict:
    # Fixed metadata keeps the files identical between runs on the same data.
    if extension == "svg":
        return {"Date": None}
    return {"Software": "boardscale"}


# -- frontier --------------------------------------------------------------------------------------


@_styled
def plot_frontier(
    agents: Agents | Mapping[str, np.ndarray],
    fit: FrontierFit | None = None,
    *,
    board_size: int | str,
) -> Figure:
    """Elo against training compute on one board (a label, `analysis.boards`).

    Every trained agent is a point coloured by its test-time compute; agents at the frontier's
    simulation count have a black edge, the upper envelope is joined, and the fitted frontier
    (joint model, else the board's own fit), Jones's model for this size (Hex boards only), the
    perfect-play margin and the reference players (the solver is perfect play) are drawn.
    """
    from matplotlib.colors import LogNorm
    from matplotlib.lines import Line2D

    agents = _agents(agents)
    table = agents.table
    board_size = parse_label(board_size)
    on_board = (table["board_size"] == board_size) & (table["train_flops"] > 0)
    if not on_board.any():
        raise ValueError(f"no trained agent on board {board_size}")
    fig = _figure()
    ax = fig.add_subplot()
    train = table["train_flops"][on_board]
    test = table["test_flops"][on_board]
    elo = table["elo_vs_best"][on_board]
    norm = LogNorm(vmin=test.min(), vmax=max(test.max(), test.min() * 1.001))
    order = np.argsort(test)
    scatter = ax.scatter(
        train[order], elo[order], c=test[order], cmap="viridis", norm=norm, s=14, alpha=0.8,
        linewidths=0, label="agents (colour: test-time compute)",
    )  # fmt: skip
    fig.colorbar(scatter, ax=ax, label=TEST_LABEL, pad=0.01)
    if agents.simulations is not None and "simulations" in table:
        at_count = on_board & (table["simulations"] == agents.simulations)
        ax.scatter(
            table["train_flops"][at_count], table["elo_vs_best"][at_count], s=22,
            facecolors="none", edgecolors="black", linewidths=0.8,
            label=f"agents at {agents.simulations} simulations",
        )  # fmt: skip
    margin = reference.PERFECT_PLAY_MARGIN_ELO if fit is None else fit.margin_elo
    grid = np.logspace(*np.log10(_log_span(train, 0.15)), 300)
    if fit is not None:
        points = fit.points["board_size"] == board_size
        ax.plot(
            fit.points["train_flops"][points], fit.points["elo"][points], color="black",
            linewidth=1.0, drawstyle="steps-post", label="upper envelope (frontier points)",
        )  # fmt: skip
        curve = fit.predict(grid, board_size)
        if curve is not None:
            which = "joint fit" if fit.model is not None else "this board's fit"
            ax.plot(grid, curve, color="#d62728", linewidth=2.0, label=f"fitted frontier ({which})")
        crossing = fit.perfect_play_compute.get(board_size)
        if crossing is not None and crossing.value is not None:
            ax.axvline(crossing.value, color="#d62728", linestyle=":", linewidth=1.2)
            ax.annotate(
                f"perfect play from\n{crossing.value:.2g} FLOPs", (crossing.value, 0.22),
                xycoords=("data", "axes fraction"), xytext=(5, 0), textcoords="offset points",
                fontsize=8, color="#d62728", va="center",
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.5},
            )  # fmt: skip
    if is_hex(board_size):
        jones = reference.frontier_elo(grid, np.full(grid.shape, board_size))
        ax.plot(grid, jones, color="0.4", linestyle="--", linewidth=1.2, label="Jones (2021) model")
    ax.axhline(-margin, color="0.5", linestyle=":", linewidth=0.8)
    extra = []
    levels = _reference_rows(table, board_size)
    for position, (label, value) in enumerate(levels.items()):
        style = ("-.", (0, (1, 2)), (0, (5, 2)))[position % 3]
        ax.axhline(value, color="0.25", linestyle=style, linewidth=0.9)
        extra.append(Line2D([], [], color="0.25", linestyle=style, label=f"{label} (reference)"))
    ax.set_xscale("log")
    _quiet_minor_labels(ax)
    ax.set_xlabel(TRAIN_LABEL)
    ax.set_ylabel(ELO_LABEL)
    ax.set_title(f"Compute frontier, {board_title(board_size)}")
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=handles + extra, loc="upper left")
    ax.grid(True, which="major", alpha=0.3)
    return fig


def _reference_rows(table, board_size: int | str) -> dict[str, float]:
    rows = np.flatnonzero((table["board_size"] == board_size) & (table["train_flops"] == 0))
    levels = {}
    for row in rows[:3]:
        if "kind" in table and table["kind"][row]:
            label = str(table["kind"][row])
        elif "name" in table and table["name"][row]:
            label = str(table["name"][row])
        else:
            label = "reference player"
        levels[label if label not in levels else f"{label} {row}"] = float(
            table["elo_vs_best"][row]
        )
    return levels


@_styled
def plot_frontiers(fit: FrontierFit, *, show_reference: bool = True) -> Figure:
    """The frontier points and fitted frontiers of all boards on one axis, with Jones's model
    beside the Hex boards."""
    from matplotlib.lines import Line2D

    boards = list(fit.boards)
    if not boards:
        raise ValueError("the frontier fit has no board with frontier points")
    fig = _figure()
    ax = fig.add_subplot()
    colours, markers = _board_colours(boards), _board_markers(boards)
    for size in boards:
        rows = fit.points["board_size"] == size
        train, elo = fit.points["train_flops"][rows], fit.points["elo"][rows]
        ax.plot(
            train, elo, marker=markers[size], markersize=4, linestyle="none",
            color=colours[size], label=board_caption(size),
        )  # fmt: skip
        grid = np.logspace(*np.log10(_log_span(train, 0.2)), 200)
        curve = fit.predict(grid, size)
        if curve is not None:
            ax.plot(grid, curve, color=colours[size], linewidth=1.8)
        if show_reference and is_hex(size):
            jones = reference.frontier_elo(grid, np.full(grid.shape, size))
            ax.plot(grid, jones, color=colours[size], linewidth=1.0, linestyle="--", alpha=0.8)
    style = [
        Line2D([], [], color="0.2", linewidth=1.8, label="fit (this sweep)"),
    ]
    hex_only = all(is_hex(size) for size in boards)
    if show_reference and any(is_hex(size) for size in boards):
        label = "Jones (2021) model" if hex_only else "Jones (2021) model (Hex)"
        style.append(Line2D([], [], color="0.2", linestyle="--", label=label))
    ax.axhline(-fit.margin_elo, color="0.5", linestyle=":", linewidth=0.8)
    ax.set_xscale("log")
    _quiet_minor_labels(ax)
    ax.set_xlabel(TRAIN_LABEL)
    ax.set_ylabel(ELO_LABEL)
    title = "Compute frontiers by board size" if hex_only else "Compute frontiers by board"
    if fit.simulations is not None:
        title += f" ({fit.simulations} simulations per move)"
    ax.set_title(title)
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=handles + style, loc="lower right", ncols=2)
    ax.grid(True, which="major", alpha=0.3)
    return fig


# -- test-time compute -----------------------------------------------------------------------------


@_styled
def plot_test_time(curves: Sequence[TestTimeCurve]) -> Figure:
    """Elo against test-time search per snapshot, one panel per board, coloured by training compute.

    The horizontal axis is nodes per move (simulations + 1) when simulation counts are known, else
    test-time FLOPs per move.
    """
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LogNorm

    curves = [curve for curve in curves if curve.elo.size]
    if not curves:
        raise ValueError("no test-time curves to plot")
    boards = sorted({curve.board_size for curve in curves}, key=board_order)
    rows, columns = _grid(len(boards))
    fig = _figure(_WIDTH, 1.0 + 3.0 * rows)
    train = np.array([curve.train_flops for curve in curves])
    norm = LogNorm(vmin=train.min(), vmax=max(train.max(), train.min() * 1.001))
    mappable = ScalarMappable(norm=norm, cmap="viridis")
    use_nodes = all(np.all(curve.simulations >= 0) for curve in curves)
    axes = fig.subplots(rows, columns, squeeze=False)
    for position, size in enumerate(boards):
        ax = axes.flat[position]
        for curve in (curve for curve in curves if curve.board_size == size):
            x = curve.simulations + 1 if use_nodes else curve.test_flops
            ax.plot(
                x, curve.elo, color=mappable.to_rgba(curve.train_flops), marker="o",
                markersize=2.5, linewidth=1.0,
            )  # fmt: skip
        ax.set_xscale("log", base=2 if use_nodes else 10)
        _quiet_minor_labels(ax)
        ax.set_title(board_caption(size))
        ax.grid(True, alpha=0.3)
    for ax in list(axes.flat)[len(boards) :]:
        ax.set_visible(False)
    fig.colorbar(mappable, ax=axes, label=TRAIN_LABEL, shrink=0.9)
    fig.supxlabel("search nodes per move (simulations + 1)" if use_nodes else TEST_LABEL)
    fig.supylabel(ELO_LABEL)
    fig.suptitle("Elo against test-time search, one line per snapshot")
    return fig


# -- exchange rate ---------------------------------------------------------------------------------


def _exchange_text(rate, wrap: bool = False) -> str:
    if rate.value is None:
        return "not estimable"
    text = f"10x train ~ {rate.value:.3g}x test"
    if rate.ci95 is not None:
        text += "\n" if wrap else " "
        text += f"(95% CI {rate.ci95[0]:.3g}-{rate.ci95[1]:.3g})"
    return text


@_styled
def plot_exchange(fit: ExchangeFit, board_size: int | str | None = None) -> Figure:
    """Iso-Elo lines of least test compute against training compute, with the fitted lines.

    One panel per board with iso-Elo points (or only `board_size`). Points are coloured by Elo
    level and joined as steps; dashed lines are the board's own fit (its game's pooled fit, with
    the board's intercept, where the board has none). Each panel states its exchange rate; the
    title states the pooled one of each game, and Jones's (Hex, 9x9) when a board is Hex.
    """
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    if board_size is None:
        boards = sorted(fit.iso_elo, key=board_order)
    else:
        boards = [parse_label(board_size)]
    boards = [s for s in boards if s in fit.iso_elo and fit.iso_elo[s].points["level"].size]
    if not boards:
        raise ValueError("no iso-Elo points to plot")
    rows, columns = _grid(len(boards))
    fig = _figure(_WIDTH, 1.4 + 3.2 * rows)
    axes = fig.subplots(rows, columns, squeeze=False)
    all_levels = np.concatenate([fit.iso_elo[s].points["level"] for s in boards])
    norm = Normalize(vmin=all_levels.min(), vmax=max(all_levels.max(), all_levels.min() + 1))
    mappable = ScalarMappable(norm=norm, cmap="viridis")
    for position, size in enumerate(boards):
        ax = axes.flat[position]
        board_fit = fit.iso_elo[size]
        pooled = fit.by_game[game_of(size)].iso_elo if game_of(size) in fit.by_game else fit.pooled
        model = board_fit if board_fit.slope.value is not None else pooled
        points = board_fit.points
        for marker_index, level in enumerate(np.unique(points["level"])):
            rows_at = points["level"] == level
            train, test = points["train_flops"][rows_at], points["test_flops"][rows_at]
            colour = mappable.to_rgba(level)
            ax.plot(
                train, test, color=colour, marker=_MARKERS[marker_index % len(_MARKERS)],
                markersize=3.5, linewidth=0.9, drawstyle="steps-post",
            )  # fmt: skip
            predicted = model.predict_test_flops(train, float(level), size)
            if predicted is not None:
                ax.plot(train, predicted, color=colour, linestyle="--", linewidth=1.2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        _quiet_minor_labels(ax)
        ax.set_title(board_caption(size))
        ax.grid(True, which="major", alpha=0.3)
        label = "this board's fit" if model is board_fit else "pooled fit"
        note = ax.text(
            0.03, 0.03, f"{label}:\n{_exchange_text(model.test_per_10x_train, wrap=True)}",
            transform=ax.transAxes, ha="left", va="bottom", fontsize=8,
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "0.7"},
        )  # fmt: skip
        note.set_in_layout(False)
    for ax in list(axes.flat)[len(boards) :]:
        ax.set_visible(False)
    fig.colorbar(mappable, ax=axes, label="iso-Elo level (Elo vs best agent)", shrink=0.9)
    fig.supxlabel(TRAIN_LABEL)
    fig.supylabel(TEST_LABEL)
    size = reference.EXCHANGE_BOARD_SIZE
    jones = f"10x train ~ {reference.EXCHANGE_TEST_PER_10X_TRAIN:g}x test"
    if fit.hex_only:
        pooled = _exchange_text(fit.pooled.test_per_10x_train)
        lines = [f"pooled over boards: {pooled}", f"Jones (2021, {size}x{size}): {jones}"]
    else:
        lines = [
            f"pooled over {GAME_NAMES.get(game, game)} boards: "
            f"{_exchange_text(pooled.iso_elo.test_per_10x_train)}"
            for game, pooled in fit.by_game.items()
        ]
        if HEX in fit.by_game:
            lines.append(f"Jones (2021, {size}x{size} Hex): {jones}")
    fig.suptitle(
        "Least test-time compute reaching each Elo level (solid) and the fit (dashed)\n"
        + "\n".join(lines)
    )
    return fig


# -- comparison with Jones -------------------------------------------------------------------------


def _value(entry) -> tuple[float | None, tuple[float, float] | None]:
    if not isinstance(entry, Mapping):
        return None, None
    value, interval = entry.get("value"), entry.get("ci95")
    return value, (tuple(interval) if interval is not None else None)


def _bar_panel(ax, title: str, unit: str, ours, theirs: float, log: bool = False) -> None:
    value, interval = _value(ours)
    positions = [0, 1]
    ax.bar([1], [theirs], color="0.75", edgecolor="black", hatch="//", width=0.6)
    if value is not None:
        error = None
        if interval is not None:
            error = [[max(value - interval[0], 0.0)], [max(interval[1] - value, 0.0)]]
        ax.bar([0], [value], color="#1f77b4", edgecolor="black", width=0.6, yerr=error, capsize=4)
    else:
        reason = ours.get("reason", "") if isinstance(ours, Mapping) else ""
        ax.text(
            0, 0.5, "not\nestimable", ha="center", va="center", transform=ax.get_xaxis_transform(),
            fontsize=8,
        )  # fmt: skip
        if reason:
            ax.set_xlabel(reason[:60] + ("..." if len(reason) > 60 else ""), fontsize=7)
    ax.set_xticks(positions, ["this sweep", "Jones (2021)"])
    ax.set_title(title)
    ax.set_ylabel(unit)
    if log:
        ax.set_yscale("log")
        _quiet_minor_labels(ax)
    ax.grid(True, axis="y", alpha=0.3)


@_styled
def plot_comparison(report: Mapping) -> Figure:
    """Our fitted numbers beside Jones's, from a report dictionary (`report.analyze_agents`).

    Panels: frontier slope (Elo per decade), perfect-play compute growth per board-size step,
    test compute replaced by 10x training compute, and perfect-play compute per board. Jones's
    numbers are Hex's: only Hex boards are drawn, and a report without one raises ValueError.
    """
    frontier = report.get("frontier") or {}
    exchange = report.get("exchange_rate") or {}
    jones = report.get("reference") or reference.reference_summary()
    if not frontier and not exchange:
        raise ValueError("report has neither a frontier nor an exchange_rate section")
    boards = (report.get("inputs") or {}).get("boards")
    if boards is not None and not any(isinstance(board, int) for board in boards):
        raise ValueError(
            "no Hex board: Jones's numbers were measured on Hex, so none is set beside this sweep's"
        )
    fig = _figure(_WIDTH, 6.6)
    grid = fig.add_gridspec(2, 3, height_ratios=(1.0, 1.1))
    axes = [fig.add_subplot(grid[0, column]) for column in range(3)]
    _bar_panel(
        axes[0], "Frontier slope", "Elo per decade of training compute",
        frontier.get("slope_elo_per_decade"), jones["frontier"]["slope_elo_per_decade"],
    )  # fmt: skip
    _bar_panel(
        axes[1], "Perfect-play compute growth", "factor per board-size step",
        frontier.get("perfect_play_growth_per_size"),
        jones["frontier"]["perfect_play_growth_per_size"],
    )  # fmt: skip
    _bar_panel(
        axes[2], "Train/test exchange", "x test compute per 10x training",
        exchange.get("test_per_10x_train"), jones["exchange_rate"]["test_per_10x_train"],
    )  # fmt: skip
    ax = fig.add_subplot(grid[1, :])
    ours = {
        size: value
        for size, value in (frontier.get("perfect_play_compute") or {}).items()
        if str(size).isdigit()
    }
    theirs = jones["frontier"]["perfect_play_compute"]
    sizes = sorted({int(s) for s in ours} | {int(s) for s in theirs})
    drawn = False
    for size in sizes:
        value, interval = _value(ours.get(str(size)))
        if value is not None:
            error = None
            if interval is not None:
                error = [[max(value - interval[0], 0.0)], [max(interval[1] - value, 0.0)]]
            ax.errorbar(
                [size - 0.08], [value], yerr=error, fmt="o", color="#1f77b4", capsize=3,
                label=None if drawn else "this sweep (data, 95% CI)",
            )  # fmt: skip
            drawn = True
    jones_sizes = sorted(int(s) for s in theirs)
    ax.plot(
        [s + 0.08 for s in jones_sizes], [theirs[str(s)] for s in jones_sizes], "s",
        color="0.35", markerfacecolor="white", label="Jones (2021), read off the curves",
    )  # fmt: skip
    ax.set_yscale("log")
    _quiet_minor_labels(ax)
    ax.set_xticks(sizes, [f"{s}x{s}" for s in sizes])
    ax.set_xlabel("board size")
    ax.set_ylabel("training FLOPs to come\nwithin 50 Elo of the best")
    ax.set_title("Perfect-play compute")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left")
    mixed = boards is not None and not all(isinstance(board, int) for board in boards)
    fig.suptitle(
        "This sweep's Hex boards beside Jones (2021)" if mixed else "This sweep beside Jones (2021)"
    )
    return fig


# -- groups of runs --------------------------------------------------------------------------------


def _group_panel(ax, labels: Sequence[str], entries: Sequence, title: str, unit: str) -> None:
    """One point per group with its 95% interval; 'not estimable' where a group has no value."""
    for position, entry in enumerate(entries):
        value, interval = _value(entry)
        if value is None:
            ax.text(position, 0.5, "not\nestimable", ha="center", va="center", fontsize=8,
                    transform=ax.get_xaxis_transform())  # fmt: skip
            continue
        error = None
        if interval is not None and None not in interval:
            error = [[max(value - interval[0], 0.0)], [max(interval[1] - value, 0.0)]]
        ax.errorbar([position], [value], yerr=error, fmt="o", color="#1f77b4", capsize=4)
    names = [label.replace("_", " ").replace(", ", ",\n") for label in labels]
    ax.set_xticks(range(len(labels)), names, fontsize=7)
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.set_title(title)
    ax.set_ylabel(unit)
    ax.grid(True, axis="y", alpha=0.3)


@_styled
def plot_groups(result: Mapping) -> Figure:
    """The frontier slope and the exchange slope of each group of runs, with their 95% intervals
    (`analysis.groups.analyze_groups`'s result), and Jones's values as dashed lines."""
    rows = result["groups"]
    if not rows:
        raise ValueError("no groups to plot")
    labels = [row["group"] for row in rows]
    fig = _figure(_WIDTH, 4.4)
    left, right = fig.subplots(1, 2)
    _group_panel(
        left, labels, [row["frontier_slope_elo_per_decade"] for row in rows],
        "Frontier slope", "Elo per decade of training compute",
    )  # fmt: skip
    left.axhline(reference.FRONTIER_SLOPE_ELO_PER_DECADE, color="0.4", linestyle="--",
                 label="Jones (2021)")  # fmt: skip
    _group_panel(
        right, labels, [row["exchange_slope"] for row in rows],
        "Exchange slope", "d log10(test) / d log10(train) at fixed Elo",
    )  # fmt: skip
    right.axhline(reference.EXCHANGE_SLOPE, color="0.4", linestyle="--", label="Jones (2021)")
    left.legend(loc="best", fontsize=8)
    fig.suptitle(f"By {result['by']}: one joint rating, each group's own fits (95% intervals)")
    return fig
