"""The train-vs-test exchange rate: how much test-time search replaces how much training.

Input is an agent table as in `analysis.frontier` (board_size, train_flops, test_flops, elo and
optionally simulations, run, elo_se, kind); Elo is put relative to the best agent on each board at
the frontier's simulation count (`frontier.prepare_agents`). Reference players (train_flops 0) are
left out. Two estimates are made, per board and pooled over boards:

* Iso-Elo (Jones 2021). Levels every 250 Elo from -1500 up, kept strictly inside the window
  (floor + m, -m) defined for the direct regression below; with a narrow window the step shrinks
  to 125, 100, 50 or 25 Elo so that about six levels fit (`iso_elo_levels`). Training compute is
  binned at 0.1 decade (bins centred on multiples of 0.1 in log10 FLOPs). For each level and bin,
  the least test
  compute among agents at or above the level, then a running minimum over training compute (more
  training never needs more search), kept up to the first bin that reaches the level's overall
  least test compute (later bins repeat that floor, usually the one-node search, and carry no
  information about the trade). One OLS fit over all levels:
      log10(test) = a log10(train) + b Elo + c        (c per board when pooled),
  and "10x train ~ X x test" with X = 10 ** -a. Jones's top level, 0, is left out: near the best
  agent the ceiling of perfect play flattens the trade and Elo differences are within the rating
  noise; so are levels next to the random-play floor.
* Direct regression. Elo = alpha log10(train) + beta log10(test) + gamma (gamma per board when
  pooled) over trained agents strictly between the random-play floor + m and the best agent - m,
  where the floor is the random player's Elo (or the lowest trained agent's) and
  m = min(100, span / 4) Elo, and (with a run column) also more than m below their own run's best
  agent: the plateau at the floor, the ceiling at perfect play and the level tops of small
  networks flatten Elo and would pull both slopes to zero. Selecting on Elo slightly attenuates
  both slopes near the window's edges; their ratio is what is reported. Exchange
  X = 10 ** (alpha / beta), slope -alpha / beta.

Uncertainty: bootstrap over agents, resampled within each board with the levels held fixed. For the
direct regression the 95% interval is the 2.5-97.5 percentile of the refits. The iso-Elo points are
minima over agents, and a resample holds only about 63% of the distinct agents, so its refits are
shifted towards a shallower slope; their percentile interval is therefore moved to centre on the
estimate (shifted by estimate - median of the refits), keeping the bootstrap's spread
(`frontier.estimate_from_draws(recentre=True)`). On synthetic agents with known slope this covers
the true value where the unshifted interval misses it. The construction itself is biased towards a
shallow slope when Elo noise is large next to the Elo gained per training bin, because the running
minimum holds a lucky low test compute over the following bins; the direct regression is the
cross-check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from analysis import reference
from analysis.frontier import (
    Agents,
    Estimate,
    _normalise,
    bootstrap_rows,
    estimate_from_draws,
    missing,
    prepare_agents,
    reference_levels,
)
from analysis.tables import Table, select_rows

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


def iso_elo_points(
    agents: Agents,
    levels: Mapping[int, np.ndarray] | None = None,
    *,
    bin_decades: float = reference.TRAIN_BIN_DECADES,
) -> tuple[Table, dict[int, np.ndarray]]:
    """Jones's iso-Elo frontier points, per board.

    Args:
      agents: checked agents (`frontier.prepare_agents`).
      levels: board size -> Elo levels; None picks them per board (`iso_elo_levels`).
      bin_decades: width of the training-compute bins in decades.

    Returns:
      (points, levels): points has board_size (int64 [P]), level (float64 [P], Elo vs best),
      train_flops (bin centre, FLOPs), test_flops (least test FLOPs per move at or above the level,
      running minimum over training compute); levels is the board -> levels used.
    """
    if not bin_decades > 0:
        raise ValueError(f"bin_decades must be > 0, got {bin_decades}")
    table = agents.table
    trained = table["train_flops"] > 0
    columns: dict[str, list] = {"board_size": [], "level": [], "train_flops": [], "test_flops": []}
    used: dict[int, np.ndarray] = {}
    floors = _floors(agents) if levels is None else {}
    for size in np.unique(table["board_size"][trained]):
        size = int(size)
        rows = trained & (table["board_size"] == size)
        elo = table["elo_vs_best"][rows]
        if levels is None:
            board_levels = iso_elo_levels(elo, floor=floors[size])
        else:
            board_levels = levels.get(size, np.zeros(0))
        used[size] = np.asarray(board_levels, np.float64)
        bins = np.round(np.log10(table["train_flops"][rows]) / bin_decades).astype(np.int64)
        test = table["test_flops"][rows]
        for level in used[size]:
            qualified = elo >= level
            if not qualified.any():
                continue
            present = np.unique(bins[qualified])
            least = np.array([test[qualified & (bins == b)].min() for b in present])
            running = np.minimum.accumulate(least)
            floor_reached = int(np.argmax(running <= running[-1]))
            for b, value in zip(
                present[: floor_reached + 1], running[: floor_reached + 1], strict=True
            ):
                columns["board_size"].append(size)
                columns["level"].append(float(level))
                columns["train_flops"].append(float(10.0 ** (b * bin_decades)))
                columns["test_flops"].append(float(value))
    points = {
        "board_size": np.array(columns["board_size"], np.int64),
        "level": np.array(columns["level"], np.float64),
        "train_flops": np.array(columns["train_flops"], np.float64),
        "test_flops": np.array(columns["test_flops"], np.float64),
    }
    return points, used


def _design(boards: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Regressors followed by one intercept column per board."""
    sizes = [int(size) for size in np.unique(boards)]
    dummies = [(boards == size).astype(np.float64) for size in sizes]
    return np.column_stack([*columns, *dummies]), sizes


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
        return _IsoCore(reason="no iso-Elo level has an agent at or above it")
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
                intercepts={s: float(c) for s, c in zip(sizes, coefficients[2:], strict=True)},
                rmse=rmse,
            )
    # One level per board (or a rank-deficient design): fit the slope without the Elo term.
    design, sizes = _design(boards, x)
    fit = _ols(design, y)
    if fit is None:
        return _IsoCore(reason="too few iso-Elo points for the fit")
    coefficients, rmse = fit
    return _IsoCore(
        slope=float(coefficients[0]),
        intercepts={s: float(c) for s, c in zip(sizes, coefficients[1:], strict=True)},
        rmse=rmse,
        elo_reason="only one usable iso-Elo level; the Elo term was left out",
    )


@dataclass
class _DirectCore:
    alpha: float | None = None
    beta: float | None = None
    agents: int = 0
    reason: str | None = None


def _floors(agents: Agents) -> dict[int, float]:
    """The random-play floor per board (Elo vs best): the random player's Elo if the table has
    one, else the lowest trained agent's."""
    table = agents.table
    trained = table["train_flops"] > 0
    levels = reference_levels(agents)
    floors = {}
    for size in np.unique(table["board_size"][trained]):
        size = int(size)
        random_level = levels.get(size, {}).get("random")
        if random_level is None:
            rows = trained & (table["board_size"] == size)
            random_level = table["elo_vs_best"][rows].min()
        floors[size] = float(random_level)
    return floors


def _direct_selection(agents: Agents) -> tuple[np.ndarray, dict[int, tuple[float, float]]]:
    """Agents [N] inside their board's Elo window (and below their run's best by m), and the
    windows per board."""
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
        _, board_code = np.unique(table["board_size"], return_inverse=True)
        _, run_code = np.unique(table["run"].astype(str), return_inverse=True)
        group = board_code * (run_code.max() + 1) + run_code
        run_best = np.full(group.max() + 1, -np.inf)
        np.maximum.at(run_best, group[trained], elo[trained])
        keep &= elo < run_best[group] + high
    return keep, windows


def _direct_fit(agents: Agents, boards: list[int], selection: np.ndarray) -> _DirectCore:
    table = agents.table
    keep = selection & np.isin(table["board_size"], boards)
    count = int(keep.sum())
    if count < 4:
        return _DirectCore(
            agents=count,
            reason=f"{count} agent(s) between the random-play floor and the best agent; the "
            "regression needs at least 4",
        )
    train = np.log10(table["train_flops"][keep])
    test = np.log10(table["test_flops"][keep])
    if np.ptp(train) == 0 or np.ptp(test) == 0:
        which = "training" if np.ptp(train) == 0 else "test-time"
        return _DirectCore(agents=count, reason=f"all selected agents share one {which} compute")
    design, _ = _design(table["board_size"][keep], train, test)
    fit = _ols(design, table["elo_vs_best"][keep])
    if fit is None:
        return _DirectCore(agents=count, reason="training and test compute are collinear")
    coefficients, _ = fit
    return _DirectCore(alpha=float(coefficients[0]), beta=float(coefficients[1]), agents=count)


# -- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IsoEloFit:
    """Iso-Elo fit log10(test) = slope log10(train) + elo_coefficient Elo + intercept[board].

    board_size is None for the pooled fit. test_per_10x_train = 10 ** -slope: the factor of test
    compute that 10x training compute replaces at fixed Elo. points: the iso-Elo points used
    (board_size, level, train_flops, test_flops [P]); rmse_log10 in decades of test compute.
    """

    board_size: int | None
    slope: Estimate
    test_per_10x_train: Estimate
    elo_coefficient: Estimate
    intercepts: dict[int, float]
    levels: dict[int, tuple[float, ...]]
    points: Table
    rmse_log10: float | None
    reason: str | None

    def predict_test_flops(self, train_flops: np.ndarray, level: float, board_size: int):
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
    """Direct regression Elo = alpha log10(train) + beta log10(test) + gamma[board].

    train_elo_per_decade = alpha, test_elo_per_decade = beta (Elo per decade of FLOPs);
    test_per_10x_train = 10 ** (alpha / beta); slope = -alpha / beta (as in the iso-Elo fit).
    """

    board_size: int | None
    train_elo_per_decade: Estimate
    test_elo_per_decade: Estimate
    test_per_10x_train: Estimate
    slope: Estimate
    agents: int
    windows: dict[int, tuple[float, float]]
    reason: str | None

    def to_json(self) -> dict:
        return {
            "test_per_10x_train": self.test_per_10x_train.to_json(),
            "slope": self.slope.to_json(),
            "train_elo_per_decade": self.train_elo_per_decade.to_json(),
            "test_elo_per_decade": self.test_elo_per_decade.to_json(),
            "agents": self.agents,
            "elo_window": {str(s): [lo, hi] for s, (lo, hi) in self.windows.items()},
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ExchangeFit:
    """Exchange-rate fits per board and pooled. The headline `test_per_10x_train` and `slope`
    are the pooled iso-Elo fit's (that board's when there is one board)."""

    simulations: int | None
    bootstrap: int
    bin_decades: float
    iso_elo: dict[int, IsoEloFit]
    pooled: IsoEloFit
    direct: dict[int, DirectFit]
    direct_pooled: DirectFit
    notes: tuple[str, ...]

    @property
    def test_per_10x_train(self) -> Estimate:
        return self.pooled.test_per_10x_train

    @property
    def slope(self) -> Estimate:
        return self.pooled.slope

    def to_json(self) -> dict:
        return {
            "method": "iso-Elo (Jones 2021), pooled over boards with per-board intercepts",
            "test_per_10x_train": self.test_per_10x_train.to_json(),
            "slope": self.slope.to_json(),
            "bootstrap_resamples": self.bootstrap,
            "train_bin_decades": self.bin_decades,
            "iso_elo": {
                "pooled": self.pooled.to_json(),
                "per_board": {str(s): fit.to_json() for s, fit in self.iso_elo.items()},
            },
            "direct": {
                "pooled": self.direct_pooled.to_json(),
                "per_board": {str(s): fit.to_json() for s, fit in self.direct.items()},
            },
        }


def _flatten(agents: Agents, levels: dict[int, np.ndarray], bin_decades: float, boards):
    """All bootstrapped numbers of one (re)sample, keyed by name; absent = not estimable."""
    values: dict[str, float] = {}
    points, _ = iso_elo_points(agents, levels, bin_decades=bin_decades)
    selection, _ = _direct_selection(agents)
    for key, subset in [(str(size), [size]) for size in boards] + [("pooled", list(boards))]:
        rows = np.isin(points["board_size"], subset)
        core = _iso_fit(select_rows(points, rows))
        if core.slope is not None:
            values[f"iso/{key}/slope"] = core.slope
        if core.elo_coefficient is not None:
            values[f"iso/{key}/elo"] = core.elo_coefficient
        direct = _direct_fit(agents, subset, selection)
        if direct.alpha is not None:
            values[f"direct/{key}/alpha"] = direct.alpha
            values[f"direct/{key}/beta"] = direct.beta
            if direct.beta > 0:
                values[f"direct/{key}/slope"] = -direct.alpha / direct.beta
    return values, points


def fit_exchange(
    table: Mapping[str, np.ndarray] | Agents,
    *,
    simulations: int | None = None,
    levels: Mapping[int, np.ndarray] | np.ndarray | None = None,
    bin_decades: float = reference.TRAIN_BIN_DECADES,
    bootstrap: int = 200,
    seed: int = 0,
) -> ExchangeFit:
    """Fit the train-vs-test exchange rate per board and pooled (see the module docstring).

    Args:
      table: an agent table or `Agents` (`frontier.prepare_agents`).
      simulations: the simulation count that fixes the Elo zero point; None picks it.
      levels: iso-Elo levels (Elo vs best): one array for every board, a board -> array mapping,
        or None to pick them from the data.
      bin_decades: training-compute bin width in decades (Jones: 0.1).
      bootstrap: resamples for the 95% intervals (0 for none); seed: their seed.

    Returns:
      `ExchangeFit`; numbers that cannot be estimated are `Estimate`s with value None and a reason.
    """
    if bootstrap < 0:
        raise ValueError(f"bootstrap must be >= 0, got {bootstrap}")
    if isinstance(table, Agents):
        agents = table
        if simulations is not None and simulations != agents.simulations:
            agents = prepare_agents(agents.table, simulations=simulations)
    else:
        agents = prepare_agents(table, simulations=simulations)
    boards = list(agents.boards)
    if levels is not None and not isinstance(levels, Mapping):
        array = np.asarray(levels, dtype=np.float64)
        if array.ndim != 1 or not np.all(np.isfinite(array)):
            raise ValueError("levels must be a one-dimensional array of finite Elo values")
        levels = {size: np.sort(array) for size in boards}
    points, used = iso_elo_points(agents, levels, bin_decades=bin_decades)
    point, _ = _flatten(agents, used, bin_decades, boards)

    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {key: [] for key in point}
    for _ in range(bootstrap):
        rows = bootstrap_rows(agents.table["board_size"], rng)
        resampled, _ = _normalise(select_rows(agents.table, rows), agents.simulations)
        values, _ = _flatten(Agents(resampled, agents.simulations), used, bin_decades, boards)
        for key in draws:
            draws[key].append(values.get(key, np.nan))

    def est(key: str, reason: str | None, transform=None) -> Estimate:
        if key not in point:
            return missing(reason or "not estimable")
        value, samples = point[key], np.asarray(draws[key], np.float64)
        if transform is not None:
            value, samples = transform(value), transform(samples)
        return estimate_from_draws(value, samples, reason, recentre=key.startswith("iso/"))

    def exchange(slope):
        # A bootstrap resample with a near-flat test-time effect can give a huge slope; the
        # clip keeps its factor finite (1e300), which the interval then shows as unbounded.
        return 10.0 ** -np.clip(np.asarray(slope, dtype=np.float64), -300.0, 300.0)

    notes = list(agents.notes)

    def iso(key: str, subset: list[int]) -> IsoEloFit:
        rows = np.isin(points["board_size"], subset)
        board_points = select_rows(points, rows)
        core = _iso_fit(board_points)
        reason = core.reason
        if not any(np.size(used.get(size, ())) for size in subset):
            reason = (
                "no iso-Elo level fits between the random-play floor and the best agent (the "
                "agents span too little Elo)"
            )
        if reason is None and core.slope is not None and core.slope >= 0:
            notes.append(
                f"iso-Elo fit ({key}): more training does not reduce the test compute needed "
                f"(slope {core.slope:.2f})"
            )
        return IsoEloFit(
            board_size=None if key == "pooled" else int(key),
            slope=est(f"iso/{key}/slope", reason),
            test_per_10x_train=est(f"iso/{key}/slope", reason, exchange),
            elo_coefficient=est(f"iso/{key}/elo", reason or core.elo_reason),
            intercepts=core.intercepts,
            levels={size: tuple(float(v) for v in used.get(size, ())) for size in subset},
            points=board_points,
            rmse_log10=core.rmse,
            reason=reason,
        )

    selection, windows = _direct_selection(agents)

    def direct(key: str, subset: list[int]) -> DirectFit:
        core = _direct_fit(agents, subset, selection)
        reason = core.reason
        slope_reason = reason
        if reason is None and core.beta is not None and core.beta <= 0:
            slope_reason = "Elo does not rise with test-time compute in the selected agents"
        return DirectFit(
            board_size=None if key == "pooled" else int(key),
            train_elo_per_decade=est(f"direct/{key}/alpha", reason),
            test_elo_per_decade=est(f"direct/{key}/beta", reason),
            test_per_10x_train=est(f"direct/{key}/slope", slope_reason, exchange),
            slope=est(f"direct/{key}/slope", slope_reason),
            agents=core.agents,
            windows={size: windows[size] for size in subset if size in windows},
            reason=slope_reason,
        )

    per_board = {size: iso(str(size), [size]) for size in boards}
    pooled = iso("pooled", boards)
    direct_per_board = {size: direct(str(size), [size]) for size in boards}
    direct_pooled = direct("pooled", boards)
    if "simulations" not in agents.table:
        notes.append("no simulations column: test compute varies only across networks")
    return ExchangeFit(
        simulations=agents.simulations,
        bootstrap=int(bootstrap),
        bin_decades=float(bin_decades),
        iso_elo=per_board,
        pooled=pooled,
        direct=direct_per_board,
        direct_pooled=direct_pooled,
        notes=tuple(notes),
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

    board_size: int
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

    Returns curves sorted by board, then training compute, then run.
    """
    agents = table if isinstance(table, Agents) else prepare_agents(table, simulations=simulations)
    data = agents.table
    trained = np.flatnonzero(data["train_flops"] > 0)
    runs = data["run"] if "run" in data else np.full(data["train_flops"].size, "", dtype=object)
    groups: dict[tuple[int, float, str], list[int]] = {}
    for row in trained:
        key = (int(data["board_size"][row]), float(data["train_flops"][row]), str(runs[row]))
        groups.setdefault(key, []).append(int(row))
    curves = []
    for (size, train, run), rows in sorted(groups.items()):
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
