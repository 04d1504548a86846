"""The train-vs-test exchange rate: how much test-time search replaces how much training.

Input is an agent table (see `analysis.agents`); Elo is relative to the best agent on each board
at the frontier's simulation count. Reference players (train_flops 0) are left out. Three
estimates are made, per board and pooled over boards (per-board intercepts):

* Iso-Elo, interpolated (the headline). Levels as below. For each snapshot (board, run, training
  compute), Elo against log10 test compute across its simulation counts is made monotone
  (isotonic least squares: more search never hurts in expectation) and each level's crossing is
  interpolated linearly in log10 test compute between the two counts that bracket it. A snapshot
  that is above the level already at its fewest nodes is left-censored (its crossing lies below
  the grid) and one that never reaches it is right-censored. Cells are (board, level, 0.1-decade
  training-compute bin): a network's value is the mean crossing of its seeds (seeds replicate one
  network: the frontier takes the best network, not the luckiest seed), the cell's value the
  least over networks, and a cell with a left-censored snapshot is dropped (the least test
  compute there is below the grid, unknown).
  One OLS fit over all cells: log10(test) = a log10(train) + b Elo + c[board]. Departures from
  Jones: interpolation between simulation counts instead of the least grid count; censored cells
  dropped instead of held at the grid's end; no running minimum (with interpolated values it
  only carries a lucky low value forward); test compute not rounded.
* Iso-Elo, Jones's construction (the reference). Training compute in 0.1-decade bins; per level
  and bin the least test compute among agents strictly above the level; a running minimum over
  training compute; test compute rounded to 0.1 decade; one OLS fit as above. Its flaws, shown on
  synthetic data with a known slope: the staircase of a coarse simulation grid, the running
  minimum and the censoring at the grid's ends (bins past the point where one node suffices are
  held at one node) all pull the slope towards zero.
* Direct regression with per-run effects: Elo = alpha log10(train) + beta log10(test) + g[run]
  over trained agents in the rising region (strictly inside (floor + m, -m) on the board and more
  than m below their own run's best, m = min(100, span / 4) Elo). The run effects absorb each
  network's size and efficiency, so alpha comes from training within runs and beta from search
  within snapshots (network size and simulation count are not confounded). Slope -alpha / beta.

Boards of different games are not pooled together: the pooled fits are over the boards of one
game (Hex's when the table has any, as Jones's; each other game's boards are pooled apart, see
`ExchangeFit.by_game`), since one slope across games would be an assumption, not a measurement.

Levels: every 250 Elo from -1500 up (Jones's), kept strictly inside (floor + m, -m), the floor
being the random player's Elo (or the lowest trained agent's); with a narrow window the step
shrinks to 125, 100, 50 or 25 Elo so that about six levels fit (`iso_elo_levels`).

Intervals: `analysis.bootstrap` (training runs resampled, ratings redrawn from their uncertainty),
with the levels held fixed. Percentile intervals for the direct regression; for the iso-Elo fits
the percentile interval moved so that the replicates' median sits on the estimate (their points
are minima over snapshots, which a replicate with fewer distinct runs and twice-noised ratings
shifts; the spread is the bootstrap's). The exchange factor is
"10x train ~ X x test" with X = 10 ** -a.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from analysis import reference
from analysis.agents import Agents, prepare_agents, reference_levels
from analysis.boards import (
    GAME_NAMES,
    HEX,
    board_codes,
    board_column,
    board_order,
    by_game,
    on_boards,
    parse_label,
    unique_boards,
)
from analysis.bootstrap import Bootstrap, Estimate, RatingNoise, estimator
from analysis.tables import Table, select_rows

METHODS = ("interpolated", "jones")
_NICE_STEPS = (250.0, 125.0, 100.0, 50.0, 25.0)
_TARGET_LEVELS = 6


def elo_window(floor: float) -> tuple[float, float]:
    """(low, high) Elo vs best strictly inside which the trade is measured, for a random-play
    `floor` (Elo vs best, < 0): (floor + m, -m) with m = min(100, -floor / 4) Elo."""
    margin = min(100.0, -floor / 4.0)
    return floor + margin, -margin


def iso_elo_levels(
    elo_vs_best: np.ndarray,
    *,
    floor: float | None = None,
    lowest: float = min(reference.ISO_ELO_LEVELS),
    step: float = 250.0,
) -> np.ndarray:
    """Iso-Elo levels [L] (Elo vs best, ascending) for agents with Elo `elo_vs_best` [N].

    Multiples of `step` from `lowest` up, kept strictly inside `elo_window(floor)`, the floor being
    the random player's Elo when given, else the lowest agent's: next to the random-play floor and
    to the best agent, which agents reach a level is decided by rating noise. When the window holds
    fewer than `_TARGET_LEVELS` (6) levels at `step`, the step shrinks to 125, 100, 50 or 25 Elo.
    Empty when the window is too narrow for one level.
    """
    elo = np.asarray(elo_vs_best, dtype=np.float64)
    elo = elo[np.isfinite(elo)]
    if floor is None:
        floor = float(elo.min()) if elo.size else 0.0
    if not floor < 0:
        return np.zeros(0)
    low, high = elo_window(floor)
    start = max(low, lowest)
    for candidate in _NICE_STEPS:
        if candidate <= step and high - start >= (_TARGET_LEVELS - 1) * candidate:
            step = candidate
            break
    else:
        step = min(step, _NICE_STEPS[-1])
    levels = np.arange(math.ceil(start / step) * step, high, step)
    return levels[(levels > low) & (levels >= lowest) & (levels < high)]


def _floors(agents: Agents) -> dict[int | str, float]:
    """The random-play floor per board (Elo vs best): the random player's Elo if the table has
    one, else the lowest trained agent's."""
    table = agents.table
    trained = table["train_flops"] > 0
    levels = reference_levels(agents)
    floors = {}
    for size in unique_boards(table["board_size"][trained]):
        random_level = levels.get(size, {}).get("random")
        if random_level is None:
            rows = trained & (table["board_size"] == size)
            random_level = table["elo_vs_best"][rows].min()
        floors[size] = float(random_level)
    return floors


def _empty_points() -> Table:
    return {
        "board_size": np.zeros(0, np.int64),
        "level": np.zeros(0),
        "train_flops": np.zeros(0),
        "test_flops": np.zeros(0),
    }


def _points_table(columns: dict[str, list]) -> Table:
    return {
        "board_size": board_column(columns["board_size"]),
        "level": np.array(columns["level"], np.float64),
        "train_flops": np.array(columns["train_flops"], np.float64),
        "test_flops": np.array(columns["test_flops"], np.float64),
    }


def jones_points(
    agents: Agents,
    levels: Mapping[int, np.ndarray],
    *,
    bin_decades: float = reference.TRAIN_BIN_DECADES,
) -> Table:
    """Jones's iso-Elo points: per board, level and training bin, the least test compute among
    agents strictly above the level, a running minimum over training compute, test compute
    rounded to `bin_decades` decades.

    Returns board_size ([P] labels), level (Elo vs best), train_flops (bin centre, FLOPs),
    test_flops (FLOPs per move) [P] each.
    """
    table = agents.table
    trained = table["train_flops"] > 0
    columns: dict[str, list] = {name: [] for name in _empty_points()}
    for size, board_levels in sorted(levels.items(), key=lambda item: board_order(item[0])):
        rows = trained & (table["board_size"] == size)
        if not rows.any():
            continue
        elo = table["elo_vs_best"][rows]
        bins = np.round(np.log10(table["train_flops"][rows]) / bin_decades).astype(np.int64)
        log_test = np.log10(table["test_flops"][rows])
        for level in board_levels:
            qualified = elo > level
            if not qualified.any():
                continue
            present = np.unique(bins[qualified])
            least = np.array([log_test[qualified & (bins == b)].min() for b in present])
            running = np.round(np.minimum.accumulate(least) / bin_decades) * bin_decades
            for b, value in zip(present, running, strict=True):
                columns["board_size"].append(size)
                columns["level"].append(float(level))
                columns["train_flops"].append(float(10.0 ** (b * bin_decades)))
                columns["test_flops"].append(float(10.0**value))
    return _points_table(columns)


def monotone_rows(values: np.ndarray) -> np.ndarray:
    """Isotonic (non-decreasing) least-squares fit of each row of `values` [S, K], equal weights:
    at position i, max over j <= i of min over k >= i of mean(values[j..k]) (the min-max
    formula of pool-adjacent-violators; O(S K^3), for the short rows of a search grid)."""
    values = np.asarray(values, np.float64)
    count = values.shape[1]
    cumulative = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(values, 1)], axis=1)
    start = np.arange(count)[:, None]
    stop = np.arange(count)[None, :]
    length = np.where(stop >= start, stop - start + 1, 1)
    # means[s, j, k] = mean(values[s, j..k]) for j <= k; +inf below the diagonal for the min.
    means = (cumulative[:, None, 1:] - cumulative[:, :-1, None]) / length
    means = np.where(stop >= start, means, np.inf)
    out = np.empty_like(values)
    for i in range(count):
        inner = means[:, : i + 1, i:].min(axis=2)  # [S, j <= i]: min over k >= i
        out[:, i] = inner.max(axis=1)
    return out


def snapshot_crossings(agents: Agents, levels: Mapping[int, np.ndarray]) -> Table:
    """Where each snapshot's Elo-vs-search curve crosses each level.

    Per snapshot (board, run, training compute) with at least two test computes, Elo is made
    non-decreasing in test compute (`monotone_rows`) and, for each level, the crossing is
    interpolated linearly in log10 test compute between the bracketing counts.

    Returns board_size, run, network (str; the run when the table has no network column), level,
    train_flops, log10_test (NaN when censored), censored
    (int64: -1 left-censored: above the level at the fewest nodes; +1 right-censored: never
    reaches it; 0 interpolated) [P] each.
    """
    table = agents.table
    trained = np.flatnonzero(table["train_flops"] > 0)
    runs = table["run"].astype(str) if "run" in table else np.full(table["elo"].size, "")
    networks = table["network"].astype(str) if "network" in table else runs
    _, run_code = np.unique(runs[trained], return_inverse=True)
    board_code, _ = board_codes(table["board_size"][trained])
    keys = np.stack([board_code, run_code.reshape(-1), table["train_flops"][trained]], 1)
    _, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.reshape(-1)
    order = np.lexsort((table["test_flops"][trained], group))
    sorted_group = group[order]
    starts = np.flatnonzero(np.diff(np.concatenate([[-1], sorted_group])))
    lengths = np.diff(np.concatenate([starts, [sorted_group.size]]))
    out: dict[str, list] = {
        name: []
        for name in (
            "board_size", "run", "network", "level", "train_flops", "log10_test", "censored"
        )
    }  # fmt: skip
    for length in np.unique(lengths):
        if length < 2:
            continue
        first = starts[lengths == length]
        rows = trained[order[first[:, None] + np.arange(length)[None, :]]]  # [S, K]
        x = np.log10(table["test_flops"][rows])
        y = monotone_rows(table["elo_vs_best"][rows])
        sizes = table["board_size"][rows[:, 0]]
        varied = np.ptp(x, axis=1) > 0
        for size in unique_boards(sizes):
            board_levels = levels.get(size)
            if board_levels is None or len(board_levels) == 0:
                continue
            pick = (sizes == size) & varied
            xs, ys, head = x[pick], y[pick], rows[pick, 0]
            for level in board_levels:
                above = ys > level
                left = above[:, 0]
                right = ~above[:, -1]
                upper = np.clip(np.argmax(above, axis=1), 1, length - 1)
                lower = upper - 1
                pick_rows = np.arange(ys.shape[0])
                y0, y1 = ys[pick_rows, lower], ys[pick_rows, upper]
                x0, x1 = xs[pick_rows, lower], xs[pick_rows, upper]
                with np.errstate(divide="ignore", invalid="ignore"):
                    value = x0 + (level - y0) / (y1 - y0) * (x1 - x0)
                censored = np.where(left, -1, np.where(right, 1, 0))
                value = np.where(censored == 0, value, np.nan)
                out["board_size"].append([size] * head.size)
                out["run"].append(runs[head])
                out["network"].append(networks[head])
                out["level"].append(np.full(head.size, float(level)))
                out["train_flops"].append(table["train_flops"][head])
                out["log10_test"].append(value)
                out["censored"].append(censored)
    if not out["level"]:
        return {
            "board_size": np.zeros(0, np.int64),
            "run": np.zeros(0, object),
            "network": np.zeros(0, object),
            "level": np.zeros(0),
            "train_flops": np.zeros(0),
            "log10_test": np.zeros(0),
            "censored": np.zeros(0, np.int64),
        }
    return {
        "board_size": board_column([size for part in out["board_size"] for size in part]),
        "run": np.concatenate(out["run"]).astype(object),
        "network": np.concatenate(out["network"]).astype(object),
        "level": np.concatenate(out["level"]),
        "train_flops": np.concatenate(out["train_flops"]),
        "log10_test": np.concatenate(out["log10_test"]),
        "censored": np.concatenate(out["censored"]).astype(np.int64),
    }


def interpolated_points(
    agents: Agents,
    levels: Mapping[int, np.ndarray],
    *,
    bin_decades: float = reference.TRAIN_BIN_DECADES,
) -> Table:
    """The interpolated iso-Elo points, per (board, level, training bin) cell.

    A network's value in a cell is the mean of its seeds' crossings (seeds replicate one network;
    the frontier takes the best network, not the luckiest seed), left out when some seed never
    reaches the level. The cell's value is the least over networks; a cell where any snapshot is
    already above the level at its fewest nodes is dropped (its least test compute is below the
    grid). Networks are the `network` column when the table has one, else runs. Same columns as
    `jones_points` (train_flops is the bin centre)."""
    crossings = snapshot_crossings(agents, levels)
    if crossings["level"].size == 0:
        return _empty_points()
    bins = np.round(np.log10(crossings["train_flops"]) / bin_decades).astype(np.int64)
    board_code, labels = board_codes(crossings["board_size"])
    keys = np.stack([board_code, np.round(crossings["level"] * 1000), bins], axis=1)
    cells, cell = np.unique(keys, axis=0, return_inverse=True)
    cell = cell.reshape(-1)
    _, network = np.unique(crossings["network"].astype(str), return_inverse=True)
    _, slot = np.unique(np.stack([cell, network.reshape(-1)], 1), axis=0, return_inverse=True)
    slot = slot.reshape(-1)
    slots = int(slot.max()) + 1
    slot_cell = np.zeros(slots, np.int64)
    slot_cell[slot] = cell
    censored = crossings["censored"]
    found = censored == 0
    total = np.bincount(slot[found], crossings["log10_test"][found], slots)
    count = np.bincount(slot[found], minlength=slots)
    complete = np.bincount(slot[~found], minlength=slots) == 0
    mean = np.where(complete & (count > 0), total / np.maximum(count, 1), np.inf)
    left = np.zeros(len(cells), bool)
    np.logical_or.at(left, cell, censored < 0)
    least = np.full(len(cells), np.inf)
    np.minimum.at(least, slot_cell, mean)
    keep = ~left & np.isfinite(least)
    first = np.zeros(len(cells), np.int64)
    first[cell[::-1]] = np.arange(cell.size)[::-1]
    return {
        "board_size": board_column([labels[int(code)] for code in cells[keep, 0]]),
        "level": crossings["level"][first[keep]],
        "train_flops": 10.0 ** (cells[keep, 2] * bin_decades),
        "test_flops": 10.0 ** least[keep],
    }


def _design(groups: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, list]:
    """Regressors followed by one intercept column per group."""
    names = np.unique(groups)
    dummies = [(groups == name).astype(np.float64) for name in names]
    return np.column_stack([*columns, *dummies]), names.tolist()


def _ols(design: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float] | None:
    if design.shape[0] <= design.shape[1] or np.linalg.matrix_rank(design) < design.shape[1]:
        return None
    coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
    residual = target - design @ coefficients
    return coefficients, float(np.sqrt(np.mean(residual**2)))


@dataclass
class _IsoCore:
    slope: float | None = None
    elo_coefficient: float | None = None
    intercepts: dict[int, float] = field(default_factory=dict)
    rmse: float | None = None
    reason: str | None = None
    elo_reason: str | None = None


def _iso_fit(points: Table) -> _IsoCore:
    if points["board_size"].size == 0:
        return _IsoCore(reason="no iso-Elo point: no level is reached inside the search grid")
    x = np.log10(points["train_flops"])
    y = np.log10(points["test_flops"])
    level = points["level"]
    boards = points["board_size"]
    bins_per_board = [np.unique(x[boards == size]).size for size in np.unique(boards)]
    if max(bins_per_board) < 2:
        return _IsoCore(
            reason="every iso-Elo level is reached in only one training-compute bin; the slope "
            "needs agents of at least two training computes"
        )
    varies = any(np.unique(level[boards == size]).size >= 2 for size in np.unique(boards))
    if varies:
        design, sizes = _design(boards, x, level)
        fit = _ols(design, y)
        if fit is not None:
            coefficients, rmse = fit
            return _IsoCore(
                slope=float(coefficients[0]),
                elo_coefficient=float(coefficients[1]),
                intercepts={
                    parse_label(s): float(c) for s, c in zip(sizes, coefficients[2:], strict=True)
                },
                rmse=rmse,
            )
    design, sizes = _design(boards, x)
    fit = _ols(design, y)
    if fit is None:
        return _IsoCore(reason="too few iso-Elo points for the fit")
    coefficients, rmse = fit
    return _IsoCore(
        slope=float(coefficients[0]),
        intercepts={parse_label(s): float(c) for s, c in zip(sizes, coefficients[1:], strict=True)},
        rmse=rmse,
        elo_reason="only one usable iso-Elo level; the Elo term was left out",
    )


def iso_elo_slope(points: Table) -> float | None:
    """The slope a of the one OLS fit over iso-Elo `points` (None when not estimable)."""
    return _iso_fit(points).slope


@dataclass
class _DirectCore:
    alpha: float | None = None
    beta: float | None = None
    agents: int = 0
    runs: int = 0
    reason: str | None = None


def _direct_selection(agents: Agents) -> tuple[np.ndarray, dict[int | str, tuple[float, float]]]:
    """Agents [N] in the rising region: inside their board's Elo window and more than m below
    their run's best agent; and the windows per board. (Each row's run code is
    `_run_groups(table)`.)"""
    table = agents.table
    elo = table["elo_vs_best"]
    trained = table["train_flops"] > 0
    low = np.full(elo.size, np.inf)
    high = np.full(elo.size, -np.inf)
    windows = {}
    for size, floor in _floors(agents).items():
        if not floor < 0:
            continue
        windows[size] = elo_window(floor)
        on_board = table["board_size"] == size
        low[on_board], high[on_board] = windows[size]
    keep = trained & (elo > low) & (elo < high)
    if "run" in table and keep.any():
        # A small network levels off below perfect play; its flat top says nothing about the
        # trade either, so each run's agents must also be below that run's best by m.
        group = _run_groups(table)
        run_best = np.full(group.max() + 1, -np.inf)
        np.maximum.at(run_best, group[trained], elo[trained])
        keep &= elo < run_best[group] + high
    return keep, windows


def _run_groups(table: Table) -> np.ndarray:
    """A code [N] per (board, run); every row its own run when the table names none."""
    runs = table["run"].astype(str) if "run" in table else np.full(table["elo"].size, "")
    keys = np.char.add(np.char.add(table["board_size"].astype(str), "|"), runs)
    _, group = np.unique(keys, return_inverse=True)
    return group.reshape(-1)


def _within_ols(group: np.ndarray, columns: list[np.ndarray], target: np.ndarray):
    """OLS of `target` [N] on `columns` (each [N]) with one intercept per `group` code [N], by
    the within transformation (subtract each group's mean); None when a column has no variation
    within groups. Returns the coefficients [len(columns)]."""
    counts = np.bincount(group).astype(np.float64)
    counts[counts == 0] = 1.0

    def within(values):
        return values - (np.bincount(group, values, counts.size) / counts)[group]

    design = np.column_stack([within(column) for column in columns])
    response = within(target)
    distinct = np.unique(group).size
    if design.shape[0] <= design.shape[1] + distinct:
        return None
    gram = design.T @ design
    scale = np.sqrt(np.diag(gram))
    if np.any(scale <= 1e-12 * max(1.0, float(np.abs(design).max(initial=0.0)))):
        return None
    normalised = gram / np.outer(scale, scale)
    if np.linalg.cond(normalised) > 1e10:
        return None
    return np.linalg.solve(gram, design.T @ response)


def _direct_fit(
    agents: Agents, boards: list[int | str], selection: np.ndarray, groups: np.ndarray
) -> _DirectCore:
    table = agents.table
    keep = selection & on_boards(table["board_size"], boards)
    count = int(keep.sum())
    if count < 4:
        return _DirectCore(
            agents=count,
            reason=f"{count} agent(s) in the rising region (between the random-play floor and "
            "the best agent, below their run's best); the regression needs at least 4",
        )
    train = np.log10(table["train_flops"][keep])
    test = np.log10(table["test_flops"][keep])
    _, group = np.unique(groups[keep], return_inverse=True)
    group = group.reshape(-1)
    runs = int(group.max()) + 1
    if np.ptp(train) == 0 or np.ptp(test) == 0:
        which = "training" if np.ptp(train) == 0 else "test-time"
        return _DirectCore(
            agents=count, runs=runs, reason=f"all selected agents share one {which} compute"
        )
    coefficients = _within_ols(group, [train, test], table["elo_vs_best"][keep])
    if coefficients is None:
        return _DirectCore(
            agents=count,
            runs=runs,
            reason="training and test compute do not both vary within runs in the rising region",
        )
    return _DirectCore(
        alpha=float(coefficients[0]), beta=float(coefficients[1]), agents=count, runs=runs
    )


# -- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IsoEloFit:
    """Iso-Elo fit log10(test) = slope log10(train) + elo_coefficient Elo + intercept[board].

    board_size is None for the pooled fit; method "interpolated" or "jones". test_per_10x_train =
    10 ** -slope: the factor of test compute that 10x training compute replaces at fixed Elo.
    points: the iso-Elo points used (board_size, level, train_flops, test_flops [P]); rmse_log10
    in decades of test compute.
    """

    board_size: int | str | None
    method: str
    slope: Estimate
    test_per_10x_train: Estimate
    elo_coefficient: Estimate
    intercepts: dict[int, float]
    levels: dict[int, tuple[float, ...]]
    points: Table
    rmse_log10: float | None
    reason: str | None

    def predict_test_flops(self, train_flops: np.ndarray, level: float, board_size: int | str):
        """Fitted test FLOPs per move [N] at `train_flops` [N] for one level, or None."""
        if self.slope.value is None or board_size not in self.intercepts:
            return None
        elo_term = 0.0 if self.elo_coefficient.value is None else self.elo_coefficient.value
        log_test = (
            self.slope.value * np.log10(np.asarray(train_flops, dtype=np.float64))
            + elo_term * level
            + self.intercepts[board_size]
        )
        return 10.0**log_test

    def to_json(self) -> dict:
        return {
            "method": self.method,
            "test_per_10x_train": self.test_per_10x_train.to_json(),
            "slope": self.slope.to_json(),
            "elo_coefficient_log10_test_per_elo": self.elo_coefficient.to_json(),
            "levels": {str(size): list(levels) for size, levels in self.levels.items()},
            "points": int(self.points["board_size"].size),
            "rmse_log10_test": self.rmse_log10,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class DirectFit:
    """Direct regression Elo = alpha log10(train) + beta log10(test) + g[run], rising region.

    train_elo_per_decade = alpha, test_elo_per_decade = beta (Elo per decade of FLOPs);
    test_per_10x_train = 10 ** (alpha / beta); slope = -alpha / beta (as in the iso-Elo fit).
    """

    board_size: int | str | None
    train_elo_per_decade: Estimate
    test_elo_per_decade: Estimate
    test_per_10x_train: Estimate
    slope: Estimate
    agents: int
    runs: int
    windows: dict[int, tuple[float, float]]
    reason: str | None

    def to_json(self) -> dict:
        return {
            "test_per_10x_train": self.test_per_10x_train.to_json(),
            "slope": self.slope.to_json(),
            "train_elo_per_decade": self.train_elo_per_decade.to_json(),
            "test_elo_per_decade": self.test_elo_per_decade.to_json(),
            "agents": self.agents,
            "runs": self.runs,
            "elo_window": {str(s): [lo, hi] for s, (lo, hi) in self.windows.items()},
            "reason": self.reason,
        }


def agreement(first: Estimate, second: Estimate) -> str:
    """Whether two slope estimates agree: 'agree' when each value lies in the other's interval,
    'overlap' when only the intervals overlap, 'disagree' otherwise, 'unknown' without both."""
    if first.ci95 is None or second.ci95 is None:
        return "unknown"
    inside = first.ci95[0] <= second.value <= first.ci95[1]
    inside &= second.ci95[0] <= first.value <= second.ci95[1]
    if inside:
        return "agree"
    if first.ci95[0] <= second.ci95[1] and second.ci95[0] <= first.ci95[1]:
        return "overlap"
    return "disagree"


@dataclass(frozen=True)
class PooledExchange:
    """The three pooled fits over the boards of one game (per-board intercepts)."""

    game: str
    boards: tuple[int | str, ...]
    iso_elo: IsoEloFit
    jones: IsoEloFit
    direct: DirectFit

    def to_json(self) -> dict:
        return {
            "game": GAME_NAMES.get(self.game, self.game),
            "boards": list(self.boards),
            "test_per_10x_train": self.iso_elo.test_per_10x_train.to_json(),
            "slope": self.iso_elo.slope.to_json(),
            "iso_elo": self.iso_elo.to_json(),
            "jones_construction": self.jones.to_json(),
            "direct": self.direct.to_json(),
            "iso_elo_vs_direct": agreement(self.iso_elo.slope, self.direct.slope),
        }


@dataclass(frozen=True)
class ExchangeFit:
    """Exchange-rate fits per board and pooled. The headline `test_per_10x_train` and `slope`
    are the pooled interpolated iso-Elo fit's; `jones` / `jones_pooled` hold Jones's construction
    and `direct` / `direct_pooled` the regression with per-run effects.

    The pooled fits are over one game's boards: Hex's when the table has a Hex board, else the
    one game's. `by_game` holds every game's pooled fits (game -> `PooledExchange`, the first
    being the one in `pooled`), so a table mixing games gets each game's pooled rate apart.
    """

    simulations: int | None
    bootstrap: int
    interval_sources: str
    bin_decades: float
    iso_elo: dict[int | str, IsoEloFit]
    pooled: IsoEloFit
    jones: dict[int | str, IsoEloFit]
    jones_pooled: IsoEloFit
    direct: dict[int | str, DirectFit]
    direct_pooled: DirectFit
    notes: tuple[str, ...]
    by_game: dict[str, PooledExchange] = field(default_factory=dict)

    @property
    def hex_only(self) -> bool:
        """Whether every board is Hex (the pooled fits are then over every board)."""
        return set(self.by_game) <= {HEX}

    @property
    def test_per_10x_train(self) -> Estimate:
        return self.pooled.test_per_10x_train

    @property
    def slope(self) -> Estimate:
        return self.pooled.slope

    def agreement(self) -> dict[str, str]:
        """Interpolated iso-Elo vs direct regression slope, pooled and per board."""
        out = {"pooled": agreement(self.pooled.slope, self.direct_pooled.slope)}
        for size, fit in self.iso_elo.items():
            if size in self.direct:
                out[str(size)] = agreement(fit.slope, self.direct[size].slope)
        return out

    def to_json(self) -> dict:
        method = (
            "iso-Elo with crossings interpolated between simulation counts (censored cells "
            "dropped), pooled over boards with per-board intercepts"
        )
        if not self.hex_only:
            method += (
                "; boards of different games are pooled apart (pooled: "
                f"{GAME_NAMES.get(next(iter(self.by_game)), 'one game')}'s boards; every game's "
                "in pooled_by_game)"
            )
        out = {
            "method": method,
            "test_per_10x_train": self.test_per_10x_train.to_json(),
            "slope": self.slope.to_json(),
            "bootstrap_resamples": self.bootstrap,
            "interval_sources": self.interval_sources,
            "train_bin_decades": self.bin_decades,
            "iso_elo": {
                "pooled": self.pooled.to_json(),
                "per_board": {str(s): fit.to_json() for s, fit in self.iso_elo.items()},
            },
            "jones_construction": {
                "pooled": self.jones_pooled.to_json(),
                "per_board": {str(s): fit.to_json() for s, fit in self.jones.items()},
            },
            "direct": {
                "method": "Elo = alpha log10 train + beta log10 test + per-run effect, rising "
                "region only; slope -alpha / beta",
                "pooled": self.direct_pooled.to_json(),
                "per_board": {str(s): fit.to_json() for s, fit in self.direct.items()},
            },
            "iso_elo_vs_direct": self.agreement(),
        }
        if not self.hex_only:
            out["pooled_by_game"] = {
                game: pooled.to_json() for game, pooled in self.by_game.items()
            }
        return out


def pooled_groups(boards) -> list[tuple[str, str, list[int | str]]]:
    """(key, game, boards) of each pooled fit: "pooled" for the first game's boards (Hex's when
    there are any, `boards.by_game`), "pooled:<game>" for each other game's."""
    groups = by_game(boards)
    return [
        ("pooled" if position == 0 else f"pooled:{game}", game, subset)
        for position, (game, subset) in enumerate(groups.items())
    ]


def _points(method: str, agents: Agents, levels, bin_decades: float) -> Table:
    if method == "jones":
        return jones_points(agents, levels, bin_decades=bin_decades)
    return interpolated_points(agents, levels, bin_decades=bin_decades)


def exchange_values(
    agents: Agents, levels: Mapping[int, np.ndarray], bin_decades: float, boards
) -> dict[str, float]:
    """All bootstrapped numbers of one (re)sample, keyed by name; absent = not estimable."""
    values: dict[str, float] = {}
    points = {method: _points(method, agents, levels, bin_decades) for method in METHODS}
    selection, _ = _direct_selection(agents)
    groups = _run_groups(agents.table)
    pooled = [(key, subset) for key, _, subset in pooled_groups(boards)]
    for key, subset in [(str(size), [size]) for size in boards] + pooled:
        for method in METHODS:
            rows = on_boards(points[method]["board_size"], subset)
            core = _iso_fit(select_rows(points[method], rows))
            if core.slope is not None:
                values[f"{method}/{key}/slope"] = core.slope
            if core.elo_coefficient is not None:
                values[f"{method}/{key}/elo"] = core.elo_coefficient
        direct = _direct_fit(agents, subset, selection, groups)
        if direct.alpha is not None:
            values[f"direct/{key}/alpha"] = direct.alpha
            values[f"direct/{key}/beta"] = direct.beta
            if direct.beta > 0:
                values[f"direct/{key}/slope"] = -direct.alpha / direct.beta
    return values


def choose_levels(agents: Agents) -> dict[int | str, np.ndarray]:
    """Iso-Elo levels per board (`iso_elo_levels` between each board's floor and best)."""
    table = agents.table
    trained = table["train_flops"] > 0
    floors = _floors(agents)
    out = {}
    for size in agents.boards:
        rows = trained & (table["board_size"] == size)
        out[size] = iso_elo_levels(table["elo_vs_best"][rows], floor=floors[size])
    return out


def fit_exchange(
    table: Mapping[str, np.ndarray] | Agents,
    *,
    simulations: int | None = None,
    levels: Mapping[int, np.ndarray] | np.ndarray | None = None,
    bin_decades: float = reference.TRAIN_BIN_DECADES,
    bootstrap: int | Bootstrap = 200,
    seed: int = 0,
    noise: RatingNoise | None = None,
) -> ExchangeFit:
    """Fit the train-vs-test exchange rate per board and pooled (see the module docstring).

    Args:
      table: an agent table or `Agents` (`agents.prepare_agents`).
      simulations: the simulation count that fixes the Elo zero point; None picks it.
      levels: iso-Elo levels (Elo vs best): one array for every board, a board -> array mapping,
        or None to pick them from the data.
      bin_decades: training-compute bin width in decades (Jones: 0.1).
      bootstrap: replicates for the 95% intervals (0 for none), or a `Bootstrap`; seed: its seed;
        noise: how replicates redraw the ratings (None: from `elo_se` when present).

    Returns:
      `ExchangeFit`; numbers that cannot be estimated are `Estimate`s with value None and a reason.
    """
    if not isinstance(bootstrap, Bootstrap):
        bootstrap = Bootstrap(bootstrap, seed, noise)
    if not bin_decades > 0:
        raise ValueError(f"bin_decades must be > 0, got {bin_decades}")
    if isinstance(table, Agents):
        agents = table
        if simulations is not None and simulations != agents.simulations:
            agents = prepare_agents(agents.table, simulations=simulations)
    else:
        agents = prepare_agents(table, simulations=simulations)
    boards = list(agents.boards)
    if levels is None:
        used = choose_levels(agents)
    elif isinstance(levels, Mapping):
        used = {
            parse_label(size): np.sort(np.asarray(value, np.float64))
            for size, value in levels.items()
        }
    else:
        array = np.asarray(levels, dtype=np.float64)
        if array.ndim != 1 or not np.all(np.isfinite(array)):
            raise ValueError("levels must be a one-dimensional array of finite Elo values")
        used = {size: np.sort(array) for size in boards}
    points = {method: _points(method, agents, used, bin_decades) for method in METHODS}
    point = exchange_values(agents, used, bin_decades, boards)
    draws = bootstrap.draws(
        agents, lambda replica: exchange_values(replica, used, bin_decades, boards)
    )
    # The iso-Elo points are minima over snapshots; a replicate (fewer distinct runs, ratings
    # noisier by the redraw) shifts them, so their intervals are centred on the estimate.
    est = estimator(point, draws, recentre=lambda key: not key.startswith("direct/"))

    def exchange(slope):
        # A replicate with a near-flat test-time effect can give a huge slope; the clip keeps
        # its factor finite (1e300), which the interval then shows as unbounded.
        return 10.0 ** -np.clip(np.asarray(slope, dtype=np.float64), -300.0, 300.0)

    notes = list(agents.notes)

    def iso(method: str, key: str, subset: list[int | str], board=None) -> IsoEloFit:
        rows = on_boards(points[method]["board_size"], subset)
        board_points = select_rows(points[method], rows)
        core = _iso_fit(board_points)
        reason = core.reason
        if not any(np.size(used.get(size, ())) for size in subset):
            reason = (
                "no iso-Elo level fits between the random-play floor and the best agent (the "
                "agents span too little Elo)"
            )
        if method == "interpolated" and reason is None and core.slope is not None:
            if core.slope >= 0:
                where = key if ":" not in key else f"pooled {GAME_NAMES[key.split(':')[1]]}"
                notes.append(
                    f"iso-Elo fit ({where}): more training does not reduce the test compute "
                    f"needed (slope {core.slope:.2f})"
                )
        return IsoEloFit(
            board_size=board,
            method=method,
            slope=est(f"{method}/{key}/slope", reason),
            test_per_10x_train=est(f"{method}/{key}/slope", reason, exchange),
            elo_coefficient=est(f"{method}/{key}/elo", reason or core.elo_reason),
            intercepts=core.intercepts,
            levels={size: tuple(float(v) for v in used.get(size, ())) for size in subset},
            points=board_points,
            rmse_log10=core.rmse,
            reason=reason,
        )

    selection, windows = _direct_selection(agents)
    groups = _run_groups(agents.table)

    def direct(key: str, subset: list[int | str], board=None) -> DirectFit:
        core = _direct_fit(agents, subset, selection, groups)
        reason = core.reason
        slope_reason = reason
        if reason is None and core.beta is not None and core.beta <= 0:
            slope_reason = "Elo does not rise with test-time compute within the selected runs"
        return DirectFit(
            board_size=board,
            train_elo_per_decade=est(f"direct/{key}/alpha", reason),
            test_elo_per_decade=est(f"direct/{key}/beta", reason),
            test_per_10x_train=est(f"direct/{key}/slope", slope_reason, exchange),
            slope=est(f"direct/{key}/slope", slope_reason),
            agents=core.agents,
            runs=core.runs,
            windows={size: windows[size] for size in subset if size in windows},
            reason=slope_reason,
        )

    groups_pooled = pooled_groups(boards)
    _, first_game, first_boards = groups_pooled[0]
    iso_elo = {size: iso("interpolated", str(size), [size], size) for size in boards}
    pooled = iso("interpolated", "pooled", first_boards)
    jones = {size: iso("jones", str(size), [size], size) for size in boards}
    jones_pooled = iso("jones", "pooled", first_boards)
    direct_fits = {size: direct(str(size), [size], size) for size in boards}
    direct_pooled = direct("pooled", first_boards)
    by_game = {
        first_game: PooledExchange(
            first_game, tuple(first_boards), pooled, jones_pooled, direct_pooled
        )
    }
    for key, game, subset in groups_pooled[1:]:
        by_game[game] = PooledExchange(
            game,
            tuple(subset),
            iso("interpolated", key, subset),
            iso("jones", key, subset),
            direct(key, subset),
        )
    if "simulations" not in agents.table:
        notes.append("no simulations column: test compute varies only across networks")
    return ExchangeFit(
        simulations=agents.simulations,
        bootstrap=int(bootstrap.replicates),
        interval_sources=bootstrap.sources(agents),
        bin_decades=float(bin_decades),
        iso_elo=iso_elo,
        pooled=pooled,
        jones=jones,
        jones_pooled=jones_pooled,
        direct=direct_fits,
        direct_pooled=direct_pooled,
        notes=tuple(notes),
        by_game=by_game,
    )


# -- test-time curves ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestTimeCurve:
    """Elo of one snapshot against its test-time search.

    simulations (int64 [K], -1 where the table has no simulations column), test_flops (float64
    [K], FLOPs per move), elo (float64 [K], Elo vs best), elo_se (float64 [K], NaN-free; zeros
    when unknown), sorted by test compute.
    """

    __test__ = False  # not a pytest test class

    board_size: int | str
    run: str
    train_flops: float
    simulations: np.ndarray
    test_flops: np.ndarray
    elo: np.ndarray
    elo_se: np.ndarray


def test_time_curves(
    table: Mapping[str, np.ndarray] | Agents, *, simulations: int | None = None
) -> list[TestTimeCurve]:
    """Elo against test-time search per snapshot (board, run, train_flops), trained agents only.

    Returns curves sorted by board (`board_order`), then training compute, then run.
    """
    agents = table if isinstance(table, Agents) else prepare_agents(table, simulations=simulations)
    data = agents.table
    trained = np.flatnonzero(data["train_flops"] > 0)
    runs = data["run"] if "run" in data else np.full(data["train_flops"].size, "", dtype=object)
    groups: dict[tuple[int | str, float, str], list[int]] = {}
    boards = data["board_size"].tolist()
    for row in trained:
        key = (boards[row], float(data["train_flops"][row]), str(runs[row]))
        groups.setdefault(key, []).append(int(row))
    curves = []
    ordered = sorted(groups.items(), key=lambda item: (board_order(item[0][0]), *item[0][1:]))
    for (size, train, run), rows in ordered:
        rows = np.array(rows)
        order = rows[np.argsort(data["test_flops"][rows], kind="stable")]
        sims = data["simulations"][order] if "simulations" in data else np.full(order.size, -1)
        se = data["elo_se"][order] if "elo_se" in data else np.zeros(order.size)
        curves.append(
            TestTimeCurve(
                board_size=size,
                run=run,
                train_flops=train,
                simulations=np.asarray(sims, np.int64),
                test_flops=data["test_flops"][order],
                elo=data["elo_vs_best"][order],
                elo_se=np.nan_to_num(np.asarray(se, np.float64)),
            )
        )
    return curves


test_time_curves.__test__ = False  # not a pytest test function
