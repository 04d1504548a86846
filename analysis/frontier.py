"""The compute frontier: Elo against training compute, and Jones's five-parameter model of it.

Input is an agent table (see `analysis.agents`). Choices, so that results can be read against
Jones (2021):

* Simulation count. Jones's frontier is drawn from agents searching with the training budget (64
  nodes, test = train). The frontier uses one count: the runs' training count by default (the
  nearest evaluated count when it was not evaluated; see `agents.frontier_simulations`). Callers
  can name another; the fit says which it used and why.
* Zero point. On each board, Elo is shifted so that the best trained agent at the frontier's
  simulation count is at 0 ("Elo vs best"). Agents searching harder can be above 0.
* Frontier points. Per board, the upper envelope of the agents at the frontier's simulation count:
  the agents whose Elo is higher than that of every agent with less or equal training compute.
  Each point is a real agent, so the fit is not weighted by how densely a run was snapshotted.
  (Jones interpolated each run's curve on a 101-point compute grid and took the maximum; both give
  the same frontier, ours without interpolated points.)
* Model. Elo = min(0, max(incline, plateau)), incline = m_flops log10(C) + m_b S + c_i, plateau =
  p_b S + c_p, fitted jointly over board sizes by unweighted least squares from several starting
  points (the min/max makes the loss piecewise). With one board, m_b and p_b are not identifiable,
  so each board also gets its own fit: incline slope, intercept and plateau. The joint model's
  board terms are Hex's board-size steps, so only Hex boards enter it; a board of another game
  (Connect Four's 'c4-RxC-X', see `analysis.boards`) has its own fit alone, and nothing of it is
  compared with Jones's Hex numbers.
* Perfect-play compute. The training compute where the frontier first comes within 50 Elo of the
  best agent: from data, interpolated linearly in log10 compute between the envelope's points;
  from the fits, where the incline crosses -50. Its growth per board-size step is
  10 ** (-m_b / m_flops) for the joint fit, and 10 ** slope of a least-squares line through log10
  of the data values against board size.
* Uncertainty. `analysis.bootstrap`: training runs resampled within each board and every rating
  redrawn from its fitted uncertainty in each replicate; the zero point, envelope and fits are
  recomputed, and the 95% interval is the 2.5th-97.5th percentile of the refitted values. An
  interval is left out (with a reason) when fewer than 90% of the replicates give a value.
  `FrontierFit.interval_sources` states what the intervals include.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from analysis import reference
from analysis.agents import Agents, prepare_agents, reference_levels
from analysis.boards import (
    GAME_NAMES,
    board_column,
    game_of,
    hex_rows,
    is_hex,
    parse_label,
    unique_boards,
)
from analysis.bootstrap import Bootstrap, Estimate, RatingNoise, estimator, missing
from analysis.tables import Table

PARAMETER_NAMES = ("m_flops", "m_b", "c_i", "p_b", "c_p")
# log10 FLOPs subtracted inside the fits so that slope and offset are not strongly correlated.
_CENTRE = 12.0


# -- frontier points -------------------------------------------------------------------------------


def frontier_points(agents: Agents) -> Table:
    """The upper envelope per board of the agents at the frontier's simulation count.

    Returns:
      board_size ([P] labels, int64 while every board is Hex), train_flops (float64 [P], FLOPs),
      elo (float64 [P], Elo vs best), sorted by board (`board_order`) then compute; per board,
      Elo strictly increases with compute.
    """
    table = agents.table
    use = table["train_flops"] > 0
    if agents.simulations is not None and "simulations" in table:
        use &= table["simulations"] == agents.simulations
    sizes, flops, elos = [], [], []
    for size in unique_boards(table["board_size"][use]):
        rows = use & (table["board_size"] == size)
        compute = table["train_flops"][rows]
        elo = table["elo_vs_best"][rows]
        order = np.lexsort((-elo, compute))
        best = -np.inf
        for position in order:
            if elo[position] > best:
                # Agents sharing a compute value: the lexsort puts the strongest first.
                if flops and sizes[-1] == size and flops[-1] == compute[position]:
                    continue
                best = elo[position]
                sizes.append(size)
                flops.append(float(compute[position]))
                elos.append(float(elo[position]))
    return {
        "board_size": board_column(sizes),
        "train_flops": np.array(flops, np.float64),
        "elo": np.array(elos, np.float64),
    }


# -- the model -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrontierParameters:
    """Jones's frontier model, in Elo.

    incline = m_flops log10(C) + m_b S + c_i, plateau = p_b S + c_p (C FLOPs, S board size).
    """

    m_flops: float
    m_b: float
    c_i: float
    p_b: float
    c_p: float

    def elo(self, train_flops: np.ndarray, board_size: np.ndarray) -> np.ndarray:
        """min(0, max(incline, plateau)) at `train_flops` [N] (FLOPs) on boards `board_size` [N]."""
        return reference.frontier_elo(train_flops, board_size, self.as_dict())

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in PARAMETER_NAMES}


JONES_FRONTIER = FrontierParameters(**reference.FRONTIER_PARAMETERS)


@dataclass(frozen=True)
class BoardModel:
    """One board's frontier: min(0, max(slope (log10 C - log10_zero), plateau)), Elo."""

    slope: float
    log10_zero: float
    plateau: float

    def elo(self, train_flops: np.ndarray) -> np.ndarray:
        x = np.log10(np.asarray(train_flops, dtype=np.float64))
        return np.minimum(0.0, np.maximum(self.slope * (x - self.log10_zero), self.plateau))


def _joint_model(theta: np.ndarray, x: np.ndarray, s: np.ndarray) -> np.ndarray:
    incline = theta[0] * (x - _CENTRE) + theta[1] * s + theta[2]
    plateau = theta[3] * s + theta[4]
    return np.minimum(0.0, np.maximum(incline, plateau))


def _board_model(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.minimum(0.0, np.maximum(theta[0] * (x - theta[1]), theta[2]))


def _theta_to_parameters(theta: np.ndarray) -> FrontierParameters:
    m_flops, m_b, offset, p_b, c_p = (float(value) for value in theta)
    return FrontierParameters(m_flops, m_b, offset - _CENTRE * m_flops, p_b, c_p)


def _parameters_to_theta(parameters: FrontierParameters) -> np.ndarray:
    return np.array(
        [
            parameters.m_flops,
            parameters.m_b,
            parameters.c_i + _CENTRE * parameters.m_flops,
            parameters.p_b,
            parameters.c_p,
        ]
    )


def _best_fit(residuals, starts, lower, upper):
    best = None
    for start in starts:
        start = np.clip(np.asarray(start, np.float64), lower + 1e-6, upper - 1e-6)
        if not np.all(np.isfinite(start)):
            continue
        try:
            result = least_squares(residuals, start, bounds=(lower, upper), method="trf")
        except (ValueError, np.linalg.LinAlgError):
            continue
        if best is None or result.cost < best.cost:
            best = result
    return best


def _board_start(x: np.ndarray, y: np.ndarray, margin: float) -> np.ndarray:
    """A rough (slope, log10_zero, plateau) from the envelope, to start the fit from."""
    floor = float(y.min())
    span = max(-floor, 1.0)
    middle = (y > floor + 0.15 * span) & (y < -0.15 * span)
    slope = 500.0
    if middle.sum() >= 2 and np.ptp(x[middle]) > 0:
        slope = float(np.polyfit(x[middle], y[middle], 1)[0])
    elif np.ptp(x) > 0 and floor < -margin:
        crossing = int(np.argmax(y >= -margin))
        if crossing > 0:
            slope = (y[crossing] - floor) / max(x[crossing] - x[0], 1e-3)
    slope = float(np.clip(slope, 50.0, 5000.0))
    reached = y >= -margin
    anchor = int(np.argmax(reached)) if reached.any() else int(np.argmax(y))
    log10_zero = float(x[anchor] + margin / slope) if floor < -margin else float(x[0])
    return np.array([slope, log10_zero, floor])


def _fit_board(
    x: np.ndarray, y: np.ndarray, margin: float, starts: list | None = None
) -> np.ndarray | None:
    if x.size < 2:
        return None
    base = _board_start(x, y, margin)
    if starts is None:
        starts = [base, base * np.array([0.5, 1, 1]), base * np.array([2, 1, 1])]
        starts.append(np.array([base[0], base[1] + 0.5, base[2]]))
    lower = np.array([0.0, -np.inf, -np.inf])
    upper = np.array([np.inf, np.inf, 0.0])
    result = _best_fit(lambda theta: _board_model(theta, x) - y, starts, lower, upper)
    return None if result is None else result.x


def _joint_starts(
    points: Table, boards: dict[int, np.ndarray | None], margin: float
) -> list[np.ndarray]:
    starts = [_parameters_to_theta(JONES_FRONTIER)]
    fitted = {size: theta for size, theta in boards.items() if theta is not None}
    if len(fitted) >= 2:
        sizes = np.array(sorted(fitted), np.float64)
        slope = float(np.median([fitted[int(s)][0] for s in sizes]))
        plateau = np.array([fitted[int(s)][2] for s in sizes])
        p_b, c_p = np.polyfit(sizes, plateau, 1)
        for factor in (1.0, 0.5, 2.0):
            m = max(slope * factor, 10.0)
            offsets = np.array([-m * (fitted[int(s)][1] - _CENTRE) for s in sizes])
            m_b, offset = np.polyfit(sizes, offsets, 1)
            starts.append(np.array([m, m_b, offset, p_b, c_p]))
    return starts


def _regimes(predicted_incline, predicted_plateau):
    """'incline', 'plateau' or 'ceiling' for each point under a fitted model."""
    ceiling = np.maximum(predicted_incline, predicted_plateau) >= 0
    on_incline = (~ceiling) & (predicted_incline > predicted_plateau)
    on_plateau = (~ceiling) & ~on_incline
    return on_incline, on_plateau


# -- the core computation, shared by the point estimate and the bootstrap -------------------------


@dataclass
class _Core:
    boards: tuple[int, ...]
    points: Table
    joint: np.ndarray | None = None  # theta, centred
    joint_reason: str | None = None
    joint_unidentified: dict[str, str] = field(default_factory=dict)
    joint_rmse: float | None = None
    board_theta: dict[int, np.ndarray | None] = field(default_factory=dict)
    board_reason: dict[int, str] = field(default_factory=dict)
    board_plateau_reason: dict[int, str] = field(default_factory=dict)
    board_rmse: dict[int, float] = field(default_factory=dict)
    data_log10: dict[int, float | None] = field(default_factory=dict)
    data_reason: dict[int, str] = field(default_factory=dict)
    fit_log10: dict[int, float | None] = field(default_factory=dict)
    fit_reason: dict[int, str] = field(default_factory=dict)
    board_fit_log10: dict[int, float | None] = field(default_factory=dict)
    board_fit_reason: dict[int, str] = field(default_factory=dict)
    growth_fit: float | None = None
    growth_fit_reason: str | None = None
    growth_data: float | None = None
    growth_data_reason: str | None = None


def _data_crossing(x: np.ndarray, y: np.ndarray, margin: float) -> tuple[float | None, str]:
    reached = np.flatnonzero(y >= -margin)
    if reached.size == 0:
        return None, f"no frontier agent comes within {margin:g} Elo of the best"
    first = int(reached[0])
    if first == 0:
        return None, (
            f"the cheapest frontier agent ({10 ** x[0]:.3g} FLOPs) is already within {margin:g} "
            "Elo of the best, so perfect-play compute is at most that"
        )
    x0, x1, y0, y1 = x[first - 1], x[first], y[first - 1], y[first]
    return float(x0 + (-margin - y0) / (y1 - y0) * (x1 - x0)), ""


def _growth(sizes: list[int], log10_values: list[float]) -> float:
    slope = np.polyfit(np.asarray(sizes, np.float64), np.asarray(log10_values), 1)[0]
    return float(10.0**slope)


def _no_hex_reason(boards: tuple) -> str:
    games = sorted({GAME_NAMES[game_of(size)] for size in boards})
    return (
        f"no Hex board: the joint model's board-size terms (and Jones's numbers) are Hex's; "
        f"each {' and '.join(games)} board has its own fit"
    )


def _core(agents: Agents, margin: float, warm: _Core | None = None) -> _Core:
    points = frontier_points(agents)
    boards = tuple(unique_boards(points["board_size"]))
    core = _Core(boards=boards, points=points)
    if not boards:
        core.joint_reason = "no frontier points"
        return core
    # The joint model is over Hex board sizes; other games' boards have their own fits only.
    hex_boards = tuple(size for size in boards if is_hex(size))
    joint_rows = hex_rows(points["board_size"])
    x_all = np.log10(points["train_flops"][joint_rows])
    y_all = points["elo"][joint_rows]
    s_all = points["board_size"][joint_rows].astype(np.float64)
    x_boards = np.log10(points["train_flops"])

    for size in boards:
        rows = points["board_size"] == size
        x, y = x_boards[rows], points["elo"][rows]
        # Perfect-play compute from data.
        value, reason = _data_crossing(x, y, margin)
        core.data_log10[size] = value
        if value is None:
            core.data_reason[size] = reason
        # This board's own fit.
        if x.size < 3:
            core.board_theta[size] = None
            core.board_reason[size] = (
                f"{x.size} frontier point(s) on board {size}; the board fit needs at least 3"
            )
            continue
        starts = None
        if warm is not None and warm.board_theta.get(size) is not None:
            starts = [warm.board_theta[size]]
        theta = _fit_board(x, y, margin, starts)
        if theta is None:
            core.board_theta[size] = None
            core.board_reason[size] = f"the least-squares fit failed on board {size}"
            continue
        incline = theta[0] * (x - theta[1])
        on_incline, on_plateau = _regimes(incline, np.full(x.size, theta[2]))
        if np.unique(x[on_incline]).size < 2 or theta[0] <= 0:
            core.board_theta[size] = None
            core.board_reason[size] = (
                f"fewer than two frontier points on the rising part of board {size}'s frontier"
            )
            continue
        core.board_theta[size] = theta
        core.board_rmse[size] = float(np.sqrt(np.mean((_board_model(theta, x) - y) ** 2)))
        if not on_plateau.any():
            core.board_plateau_reason[size] = (
                f"no frontier point on board {size} lies on the low-compute plateau"
            )
        if theta[2] >= -margin and on_plateau.any():
            core.board_fit_log10[size] = None
            core.board_fit_reason[size] = (
                f"board {size}'s plateau is within {margin:g} Elo of the best"
            )
        else:
            core.board_fit_log10[size] = float(theta[1] - margin / theta[0])

    # Joint fit over (Hex) board sizes.
    if not hex_boards:
        core.joint_reason = _no_hex_reason(boards)
    elif len(hex_boards) < 2:
        core.joint_reason = (
            f"one board size ({hex_boards[0]}): m_b and p_b need at least two; see the board fit"
        )
    else:
        if warm is not None and warm.joint is not None:
            starts = [warm.joint]
        else:
            board_theta = {size: core.board_theta.get(size) for size in hex_boards}
            starts = _joint_starts(points, board_theta, margin)
        lower = np.array([0.0, -np.inf, -np.inf, -np.inf, -np.inf])
        upper = np.full(5, np.inf)
        result = _best_fit(
            lambda theta: _joint_model(theta, x_all, s_all) - y_all, starts, lower, upper
        )
        if result is None:
            core.joint_reason = "the least-squares fit failed"
        else:
            theta = result.x
            incline = theta[0] * (x_all - _CENTRE) + theta[1] * s_all + theta[2]
            plateau = theta[3] * s_all + theta[4]
            on_incline, on_plateau = _regimes(incline, plateau)
            incline_boards = np.unique(s_all[on_incline])
            if np.unique(x_all[on_incline]).size < 2 or theta[0] <= 0:
                core.joint_reason = "fewer than two frontier points on the rising part"
            else:
                core.joint = theta
                core.joint_rmse = float(np.sqrt(np.mean(result.fun**2)))
                if incline_boards.size < 2:
                    core.joint_unidentified["m_b"] = core.joint_unidentified["c_i"] = (
                        "the rising part of the frontier is seen on fewer than two board sizes"
                    )
                plateau_boards = np.unique(s_all[on_plateau])
                if plateau_boards.size < 2:
                    reason = "the low-compute plateau is seen on fewer than two board sizes"
                    core.joint_unidentified["p_b"] = core.joint_unidentified["c_p"] = reason

    # Perfect-play compute from the joint fit and its growth per size.
    if core.joint is not None and "m_b" not in core.joint_unidentified:
        parameters = _theta_to_parameters(core.joint)
        core.growth_fit = float(10.0 ** (-parameters.m_b / parameters.m_flops))
        for size in hex_boards:
            plateau = parameters.p_b * size + parameters.c_p
            if "p_b" not in core.joint_unidentified and plateau >= -margin:
                core.fit_log10[size] = None
                core.fit_reason[size] = f"the fitted plateau on board {size} is within {margin:g}"
                continue
            core.fit_log10[size] = float(
                (-margin - parameters.m_b * size - parameters.c_i) / parameters.m_flops
            )
    else:
        reason = core.joint_reason or core.joint_unidentified.get("m_b", "no joint fit")
        core.growth_fit_reason = reason
        if not hex_boards:
            core.growth_fit_reason = _no_hex_growth_reason(boards)
        elif len(hex_boards) < 2:
            core.growth_fit_reason = (
                f"growth per board-size step needs at least two board sizes; only "
                f"{hex_boards[0]} has frontier points"
            )
        for size in hex_boards:
            core.fit_log10[size] = None
            core.fit_reason[size] = reason
    for size in boards:
        if not is_hex(size):
            core.fit_log10[size] = None
            core.fit_reason[size] = (
                f"the joint model is over Hex board sizes; board {size} ("
                f"{GAME_NAMES[game_of(size)]}) has its own fit only"
            )

    reached = [size for size in hex_boards if core.data_log10.get(size) is not None]
    if len(reached) >= 2:
        core.growth_data = _growth(reached, [core.data_log10[size] for size in reached])
    elif not hex_boards:
        core.growth_data_reason = _no_hex_growth_reason(boards)
    else:
        core.growth_data_reason = (
            f"perfect-play compute is known on {len(reached)} board size(s); growth needs two"
        )
    return core


def _no_hex_growth_reason(boards: tuple) -> str:
    return (
        "growth per board-size step is over Hex's square board sizes and this sweep has no Hex "
        f"board ({', '.join(str(size) for size in boards)} differ in rows, columns and line length)"
    )


def _flatten(core: _Core) -> dict[str, float]:
    values: dict[str, float] = {}
    if core.joint is not None:
        for name, value in _theta_to_parameters(core.joint).as_dict().items():
            values[name] = value
    if core.growth_fit is not None:
        values["growth_fit"] = core.growth_fit
    if core.growth_data is not None:
        values["growth_data"] = core.growth_data
    for size in core.boards:
        theta = core.board_theta.get(size)
        if theta is not None:
            values[f"{size}/slope"] = float(theta[0])
            values[f"{size}/intercept"] = float(-theta[0] * theta[1])
            values[f"{size}/plateau"] = float(theta[2])
        for key, table in (
            ("data", core.data_log10), ("fit", core.fit_log10), ("board_fit", core.board_fit_log10),
        ):  # fmt: skip
            if table.get(size) is not None:
                values[f"{size}/{key}"] = float(table[size])
    return values


# -- the public fit --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFrontier:
    """One board's frontier fit (Elo relative to the best agent on the board; compute in FLOPs)."""

    board_size: int
    points: int
    slope_elo_per_decade: Estimate
    intercept_elo: Estimate  # incline at 1 FLOP (log10 C = 0)
    plateau_elo: Estimate
    perfect_play_compute: Estimate  # from the data, interpolated on the envelope
    perfect_play_compute_fit: Estimate  # from this board's own fit
    rmse_elo: float | None
    model: BoardModel | None
    reference_elo: dict[str, float]

    def to_json(self) -> dict:
        return {
            "frontier_points": self.points,
            "slope_elo_per_decade": self.slope_elo_per_decade.to_json(),
            "intercept_elo": self.intercept_elo.to_json(),
            "plateau_elo": self.plateau_elo.to_json(),
            "perfect_play_compute": self.perfect_play_compute.to_json(),
            "perfect_play_compute_fit": self.perfect_play_compute_fit.to_json(),
            "rmse_elo": self.rmse_elo,
            "reference_elo_vs_best": dict(self.reference_elo),
        }


@dataclass(frozen=True)
class FrontierFit:
    """The frontier fit over all boards; see the module docstring for the method.

    parameters: the joint model's m_flops, m_b, c_i, p_b, c_p (Elo, Elo per decade of FLOPs, Elo
      per board-size step); `model` is the point estimate of all five (for drawing), None when the
      joint fit could not be made (`joint_reason` says why).
    slope_elo_per_decade: m_flops of the joint fit, or the single board's slope.
    perfect_play_compute / perfect_play_compute_fit: per board, FLOPs to come within `margin_elo`
      of the best agent, from data and from the joint fit.
    perfect_play_growth_per_size / ..._data: factor per board-size step, from the joint fit and
      from a log-linear fit of the data values.
    """

    boards: tuple[int, ...]
    simulations: int | None
    margin_elo: float
    bootstrap: int
    interval_sources: str
    simulations_reason: str
    parameters: dict[str, Estimate]
    model: FrontierParameters | None
    joint_reason: str | None
    rmse_elo: float | None
    slope_elo_per_decade: Estimate
    perfect_play_growth_per_size: Estimate
    perfect_play_growth_per_size_data: Estimate
    perfect_play_compute: dict[int, Estimate]
    perfect_play_compute_fit: dict[int, Estimate]
    per_board: dict[int, BoardFrontier]
    points: Table
    notes: tuple[str, ...]

    def predict(self, train_flops: np.ndarray, board_size: int | str) -> np.ndarray | None:
        """Fitted Elo vs best at `train_flops` [N] on one board: the joint model where there is
        one and the board is Hex, else the board's own fit, else None."""
        train_flops = np.asarray(train_flops, dtype=np.float64)
        board_size = parse_label(board_size)
        if self.model is not None and is_hex(board_size):
            return self.model.elo(train_flops, np.full(train_flops.shape, board_size))
        board = self.per_board.get(board_size)
        if board is not None and board.model is not None:
            return board.model.elo(train_flops)
        return None

    def to_json(self) -> dict:
        return {
            "simulations": self.simulations,
            "simulations_reason": self.simulations_reason,
            "perfect_play_margin_elo": self.margin_elo,
            "bootstrap_resamples": self.bootstrap,
            "interval_sources": self.interval_sources,
            "slope_elo_per_decade": self.slope_elo_per_decade.to_json(),
            "parameters": {name: est.to_json() for name, est in self.parameters.items()},
            "joint_fit_reason": self.joint_reason,
            "rmse_elo": self.rmse_elo,
            "perfect_play_growth_per_size": self.perfect_play_growth_per_size.to_json(),
            "perfect_play_growth_per_size_data": self.perfect_play_growth_per_size_data.to_json(),
            "perfect_play_compute": {
                str(size): est.to_json() for size, est in self.perfect_play_compute.items()
            },
            "perfect_play_compute_fit": {
                str(size): est.to_json() for size, est in self.perfect_play_compute_fit.items()
            },
            "per_board": {str(size): board.to_json() for size, board in self.per_board.items()},
        }


def _as_agents(table, simulations: int | None) -> Agents:
    if isinstance(table, Agents):
        if simulations is not None and simulations != table.simulations:
            return prepare_agents(table.table, simulations=simulations)
        return table
    return prepare_agents(table, simulations=simulations)


def fit_frontier(
    table: Mapping[str, np.ndarray] | Agents,
    *,
    simulations: int | None = None,
    bootstrap: int | Bootstrap = 200,
    seed: int = 0,
    noise: RatingNoise | None = None,
    margin_elo: float = reference.PERFECT_PLAY_MARGIN_ELO,
) -> FrontierFit:
    """Fit Jones's frontier model jointly over board sizes, and each board alone.

    Args:
      table: an agent table (see `analysis.agents`) or `Agents` from `prepare_agents`.
      simulations: the frontier's simulation count; None picks it (the training count).
      bootstrap: replicates for the 95% intervals (0 for none), or a `Bootstrap`.
      seed: seed of the bootstrap (when `bootstrap` is a number).
      noise: how each replicate redraws the ratings (None: from the `elo_se` column if any).
      margin_elo: "perfect play" is within this many Elo of the best agent (Jones: 50).

    Returns:
      `FrontierFit`; quantities that cannot be estimated are `Estimate`s with value None and a
      reason.

    Raises:
      ValueError for a malformed table (see `prepare_agents`) or a bad argument.
    """
    if not isinstance(bootstrap, Bootstrap):
        bootstrap = Bootstrap(bootstrap, seed, noise)
    if not margin_elo > 0:
        raise ValueError(f"margin_elo must be > 0, got {margin_elo}")
    agents = _as_agents(table, simulations)
    core = _core(agents, margin_elo)
    if not core.boards:
        raise ValueError("no trained agent at the frontier's simulation count")
    point = _flatten(core)
    draws = bootstrap.draws(agents, lambda replica: _flatten(_core(replica, margin_elo, core)))
    est = estimator(point, draws)

    def power(values):
        return 10.0 ** np.asarray(values, dtype=np.float64)

    parameters = {}
    for name in PARAMETER_NAMES:
        reason = core.joint_reason or core.joint_unidentified.get(name)
        parameters[name] = est(name, reason) if reason is None else missing(reason)
    levels = reference_levels(agents)

    per_board = {}
    for size in core.boards:
        rows = core.points["board_size"] == size
        board_reason = core.board_reason.get(size)
        theta = core.board_theta.get(size)
        plateau_reason = core.board_plateau_reason.get(size)
        per_board[size] = BoardFrontier(
            board_size=size,
            points=int(rows.sum()),
            slope_elo_per_decade=est(f"{size}/slope", board_reason),
            intercept_elo=est(f"{size}/intercept", board_reason),
            plateau_elo=missing(plateau_reason)
            if plateau_reason and theta is not None
            else est(f"{size}/plateau", board_reason),
            perfect_play_compute=est(f"{size}/data", core.data_reason.get(size), power),
            perfect_play_compute_fit=est(
                f"{size}/board_fit", board_reason or core.board_fit_reason.get(size), power
            ),
            rmse_elo=core.board_rmse.get(size),
            model=None if theta is None else BoardModel(*(float(v) for v in theta)),
            reference_elo=levels.get(size, {}),
        )

    # The headline slope: the joint fit's, else the one board's; Hex's boards when there are
    # any (a sweep of one other game: its boards).
    headline = tuple(size for size in core.boards if is_hex(size)) or core.boards
    if core.joint is not None:
        slope = parameters["m_flops"]
    elif len(headline) == 1:
        slope = per_board[headline[0]].slope_elo_per_decade
    else:
        slope = missing(core.joint_reason or "no joint fit")

    notes = list(agents.notes)
    if agents.simulations is not None:
        notes.append(f"frontier: {agents.simulations_reason}")
    table = agents.table
    frontier_rows = table["train_flops"] > 0
    if agents.simulations is not None and "simulations" in table:
        frontier_rows &= table["simulations"] == agents.simulations
    for size in core.boards:
        near_best = frontier_rows & (table["board_size"] == size)
        near_best &= table["elo_vs_best"] >= -margin_elo
        if np.unique(table["train_flops"][near_best]).size < 2:
            notes.append(
                f"board {size}: only one snapshot is within {margin_elo:g} Elo of the best, so "
                "the frontier may not have levelled off; 'perfect play' means the best agent seen"
            )

    return FrontierFit(
        boards=core.boards,
        simulations=agents.simulations,
        margin_elo=float(margin_elo),
        bootstrap=int(bootstrap.replicates),
        interval_sources=bootstrap.sources(agents),
        simulations_reason=agents.simulations_reason,
        parameters=parameters,
        model=None if core.joint is None else _theta_to_parameters(core.joint),
        joint_reason=core.joint_reason,
        rmse_elo=core.joint_rmse,
        slope_elo_per_decade=slope,
        perfect_play_growth_per_size=est("growth_fit", core.growth_fit_reason),
        perfect_play_growth_per_size_data=est("growth_data", core.growth_data_reason),
        perfect_play_compute={
            size: est(f"{size}/data", core.data_reason.get(size), power) for size in core.boards
        },
        perfect_play_compute_fit={
            size: est(f"{size}/fit", core.fit_reason.get(size), power) for size in core.boards
        },
        per_board=per_board,
        points=core.points,
        notes=tuple(notes),
    )
