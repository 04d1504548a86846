"""The bootstrap behind every interval of the frontier and exchange fits, and the estimates it
gives.

One replicate (`Bootstrap.replicate`):

1. Rating uncertainty: every agent's Elo is redrawn from its fitted uncertainty (`RatingNoise`):
   from the Laplace covariance of the board's Elo fit (`LaplaceNoise`, a joint normal draw per
   board, `elo.Ratings.sample`) when the ratings come with one, else independently from
   N(elo, elo_se^2) per agent (`IndependentNoise`, when an agent table carries only `elo_se`; the
   correlations between ratings are then ignored and the statement says so).
2. Training runs: the runs are resampled with replacement within strata: within each network
   (its seeds) when the table has a `network` column and networks have several seeds, else
   within each board (seeds are separate runs; see `resampling_units`). A run drawn twice enters twice, as two runs (its copies get
   distinct run names), so fits with per-run terms see two runs. Without a run column the unit
   is the snapshot (board, training compute) and the statement says so. Reference players are
   kept once in every replicate.
3. The Elo zero point (best agent at the frontier's count) is recomputed and the fit rerun.

The 95% interval of a number is the 2.5th-97.5th percentile of its replicates (or, with
`recentre`, that interval shifted so that the replicates' median sits on the estimate; see
`estimate_from_draws`). Every fit reports `Bootstrap.sources(...)`, the statement of what its
intervals include.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from analysis.agents import Agents
from analysis.boards import unique_boards
from analysis.tables import select_rows

_MIN_BOOTSTRAP_FRACTION = 0.9


# -- estimates -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A fitted number with its bootstrap 95% interval.

    `value` is None when the number cannot be estimated from the data, and `reason` says why;
    `ci95` is None when no interval could be formed (again with a reason). Never NaN.
    """

    value: float | None
    ci95: tuple[float, float] | None = None
    reason: str | None = None

    def __post_init__(self):
        value = self.value
        if value is not None and not math.isfinite(value):
            object.__setattr__(self, "value", None)
            object.__setattr__(self, "ci95", None)
            object.__setattr__(self, "reason", self.reason or "the fit gave no finite value")
        elif value is None:
            object.__setattr__(self, "ci95", None)
            object.__setattr__(self, "reason", self.reason or "not estimable")
        if self.ci95 is not None:
            low, high = (float(bound) for bound in self.ci95)
            if not (math.isfinite(low) and math.isfinite(high)):
                object.__setattr__(self, "ci95", None)
            else:
                object.__setattr__(self, "ci95", (low, high))

    @property
    def ok(self) -> bool:
        return self.value is not None

    def to_json(self) -> dict:
        """{"value": v, "ci95": [lo, hi]} with a "reason" whenever either is null."""
        out: dict = {
            "value": None if self.value is None else float(self.value),
            "ci95": None if self.ci95 is None else [self.ci95[0], self.ci95[1]],
        }
        if self.value is None or self.ci95 is None:
            out["reason"] = self.reason or "no bootstrap interval"
        return out


def missing(reason: str) -> Estimate:
    """An estimate that could not be made, with the reason."""
    return Estimate(None, None, reason)


def estimate_from_draws(
    value: float | None,
    draws: np.ndarray | list,
    reason: str | None = None,
    *,
    recentre: bool = False,
) -> Estimate:
    """`value` with the 2.5-97.5 percentile interval of its bootstrap `draws` [B] (NaN = failed).

    With `recentre`, the interval is the draws' 2.5th and 97.5th percentiles shifted by
    (value - median of the draws): the bootstrap gives the spread, the estimate the centre. This is
    for statistics built from minima over agents, which a resample (holding about 63% of the
    distinct agents) shifts systematically.
    """
    if value is None or not math.isfinite(value):
        return missing(reason or "not estimable")
    draws = np.asarray(draws, dtype=np.float64)
    if draws.size == 0:
        return Estimate(float(value), None, "no bootstrap resamples were drawn")
    finite = draws[np.isfinite(draws)]
    if finite.size < _MIN_BOOTSTRAP_FRACTION * draws.size or finite.size < 2:
        return Estimate(
            float(value),
            None,
            f"only {finite.size} of {draws.size} bootstrap resamples gave a value",
        )
    low, middle, high = np.percentile(finite, [2.5, 50.0, 97.5])
    if recentre:
        low, high = low + value - middle, high + value - middle
    return Estimate(float(value), (float(low), float(high)))


# -- rating noise ----------------------------------------------------------------------------------


class RatingNoise:
    """Draws of every agent's Elo from its fitted uncertainty, aligned with an agent table.
    This base class draws nothing: every replicate keeps the fitted Elo."""

    description = "ratings held at their fitted values (no rating uncertainty)"

    def draws(self, agents: Agents, count: int, rng: np.random.Generator) -> np.ndarray:
        """[count, N] Elo draws for the N rows of `agents.table`."""
        return np.broadcast_to(agents.table["elo"], (count, agents.table["elo"].size)).copy()


def agent_keys(table: Mapping[str, np.ndarray]) -> np.ndarray:
    """A code [N] per row naming the agent: its `agent_id` when the table has one, else its
    (board, run, training compute, simulations, test compute). Repeated rows of one agent share a
    code, so they share every rating draw."""
    if "agent_id" in table:
        _, codes = np.unique(np.asarray(table["agent_id"]), return_inverse=True)
        return codes.reshape(-1)
    parts = [np.asarray(table["board_size"]).astype(str)]
    for name in ("run", "train_flops", "simulations", "test_flops"):
        if name in table:
            parts.append(np.asarray(table[name]).astype(str))
    keys = parts[0]
    for part in parts[1:]:
        keys = np.char.add(np.char.add(keys, "|"), part)
    _, codes = np.unique(keys, return_inverse=True)
    return codes.reshape(-1)


class IndependentNoise(RatingNoise):
    """Elo ~ N(elo, elo_se^2) independently per agent (from the table's `elo_se` column; rows
    without a finite one are held fixed). Rows of one agent (`agent_keys`) share a draw."""

    description = (
        "ratings redrawn independently from N(elo, elo_se^2) per agent (the table carries no "
        "covariance, so correlations between ratings are left out)"
    )

    def draws(self, agents: Agents, count: int, rng: np.random.Generator) -> np.ndarray:
        elo = agents.table["elo"]
        se = np.nan_to_num(np.asarray(agents.table["elo_se"], np.float64), nan=0.0)
        keys = agent_keys(agents.table)
        normal = rng.standard_normal((count, int(keys.max()) + 1 if keys.size else 0))
        return elo + normal[:, keys] * np.maximum(se, 0.0)


class LaplaceNoise(RatingNoise):
    """Elo drawn jointly per board from the Elo fit's Laplace (normal) approximation.

    `ratings` maps board label -> `elo.Ratings` whose `agents` are the store's agent ids; the
    agent table must have an `agent_id` column. Rows whose id was not rated are held fixed.
    """

    description = (
        "ratings redrawn jointly per board from the Elo fit's Laplace covariance (normal "
        "approximation at the fitted mode)"
    )

    def __init__(self, ratings: Mapping[int | str, object]):
        self.ratings = dict(ratings)

    def draws(self, agents: Agents, count: int, rng: np.random.Generator) -> np.ndarray:
        table = agents.table
        if "agent_id" not in table:
            raise ValueError("rating draws from the Elo fit need an agent_id column")
        out = np.broadcast_to(table["elo"], (count, table["elo"].size)).copy()
        for size, ratings in self.ratings.items():
            rows = np.flatnonzero(table["board_size"] == size)
            if not rows.size:
                continue
            position = {int(agent): index for index, agent in enumerate(ratings.agents.tolist())}
            index = np.array([position.get(int(a), -1) for a in table["agent_id"][rows]])
            rated = index >= 0
            sample = ratings.sample(count, rng)
            # The table's Elo may sit at another zero point than the fit's; keep its offset.
            shift = table["elo"][rows[rated]] - ratings.elo[index[rated]]
            out[:, rows[rated]] = sample[:, index[rated]] + shift
        return out


def default_noise(agents: Agents) -> RatingNoise:
    """`IndependentNoise` when the table has a positive `elo_se`, else no rating noise."""
    if "elo_se" in agents.table and np.any(np.nan_to_num(agents.table["elo_se"]) > 0):
        return IndependentNoise()
    return RatingNoise()


# -- resampling ------------------------------------------------------------------------------------


def resampling_units(table: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, str]:
    """Unit code [N] per row (-1 for reference players, kept once), stratum code [N] per row,
    and a phrase naming both.

    Units are training runs (board, run), or snapshots (board, training compute) when the table
    names no runs. Strata are (board, network) when the table has a `network` column and some
    network has two or more runs (seeds): seeds are resampled within their network, whose
    identity is part of the design. Otherwise strata are boards: runs of different networks are
    then treated as exchangeable draws, which makes intervals wider than a fixed set of networks
    calls for.
    """
    trained = np.asarray(table["train_flops"]) > 0
    board = np.asarray(table["board_size"]).astype(str)
    runs = np.asarray(table["run"]).astype(str) if "run" in table else None
    if runs is not None and np.all(runs[trained] != ""):
        keys = np.char.add(np.char.add(board, "/"), runs)
        name = "training runs"
    else:
        flops = np.asarray(table["train_flops"]).astype(str)
        keys = np.char.add(np.char.add(board, "/"), flops)
        name = "snapshots (board, training compute; the table names no runs)"
    _, codes = np.unique(keys, return_inverse=True)
    codes = np.where(trained, codes.reshape(-1), -1)
    strata_keys = board
    strata_name = "within each board"
    if "network" in table and runs is not None and name == "training runs":
        network_keys = np.char.add(
            np.char.add(board, "/"), np.asarray(table["network"]).astype(str)
        )
        pairs = {(n, u) for n, u in zip(network_keys[trained], codes[trained], strict=True)}
        per_network: dict[str, int] = {}
        for network, _ in pairs:
            per_network[network] = per_network.get(network, 0) + 1
        if per_network and max(per_network.values()) >= 2:
            strata_keys = network_keys
            single = sum(1 for value in per_network.values() if value == 1)
            strata_name = "within each network (seeds of one network)"
            if single:
                strata_name += f"; {single} network(s) with one run held fixed"
    _, strata = np.unique(strata_keys, return_inverse=True)
    return codes, strata.reshape(-1), f"{name} resampled with replacement {strata_name}"


def resample_runs(
    table: Mapping[str, np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One stratified resample: within each stratum (`resampling_units`), units (runs) drawn
    with replacement and all rows of a drawn unit taken; reference rows once.

    Returns:
      (rows [K] int64 row indices, copy [K] int64: 0 for a unit's first draw, 1 for its second...).
    """
    units, strata, _ = resampling_units(table)
    rows_out = [np.flatnonzero(units < 0)]
    copies = [np.zeros(rows_out[0].size, np.int64)]
    order = np.argsort(units, kind="stable")
    starts = np.searchsorted(units[order], np.arange(units.max() + 2))
    for stratum in np.unique(strata[units >= 0]):
        stratum_units = np.unique(units[(strata == stratum) & (units >= 0)])
        chosen = rng.choice(stratum_units, size=stratum_units.size, replace=True)
        seen: dict[int, int] = {}
        for unit in chosen.tolist():
            copy = seen.get(unit, 0)
            seen[unit] = copy + 1
            rows = order[starts[unit] : starts[unit + 1]]
            rows_out.append(rows)
            copies.append(np.full(rows.size, copy, np.int64))
    return np.concatenate(rows_out), np.concatenate(copies)


@dataclass(frozen=True)
class Bootstrap:
    """The bootstrap (see the module docstring): `replicates` replicates from `seed`.

    noise: how ratings are redrawn; None picks `default_noise`. resample: resample runs (True),
    or keep every run (False: rating noise alone).
    """

    replicates: int = 200
    seed: int = 0
    noise: RatingNoise | None = None
    resample: bool = True

    def __post_init__(self):
        if isinstance(self.replicates, bool) or not isinstance(self.replicates, int | np.integer):
            raise ValueError(f"bootstrap replicates must be an integer, got {self.replicates!r}")
        if self.replicates < 0:
            raise ValueError(f"bootstrap must be >= 0, got {self.replicates}")

    def sources(self, agents: Agents) -> str:
        """What the intervals include, in one sentence."""
        if self.replicates == 0:
            return "no bootstrap: no intervals"
        noise = self.noise or default_noise(agents)
        units, _, phrase = resampling_units(agents.table)
        count = np.unique(units[units >= 0]).size
        boards = len(unique_boards(agents.table["board_size"][units >= 0]))
        parts = []
        if self.resample:
            parts.append(f"{phrase} ({count} on {boards} board(s))")
        parts.append(noise.description)
        return f"{self.replicates} bootstrap replicates: " + "; ".join(parts)

    def draws(
        self, agents: Agents, statistic: Callable[[Agents], Mapping[str, float]]
    ) -> dict[str, np.ndarray]:
        """statistic(replicate) for every replicate, as key -> [B] (NaN where a key is absent)."""
        rng = np.random.default_rng(self.seed)
        noise = self.noise or default_noise(agents)
        values: list[Mapping[str, float]] = []
        if self.replicates:
            elo_draws = noise.draws(agents, self.replicates, rng)
            for index in range(self.replicates):
                values.append(statistic(self.replicate(agents, elo_draws[index], rng)))
        keys = sorted({key for value in values for key in value})
        return {key: np.array([value.get(key, np.nan) for value in values]) for key in keys}

    def replicate(self, agents: Agents, elo: np.ndarray, rng: np.random.Generator) -> Agents:
        """One replicate of `agents` with Elo `elo` [N] (see the module docstring)."""
        table = dict(agents.table)
        table["elo"] = np.asarray(elo, np.float64)
        if self.resample:
            rows, copies = resample_runs(table, rng)
            table = select_rows(table, rows)
            if "run" in table:
                suffix = np.where(copies > 0, np.char.add("#", copies.astype(str)), "")
                table["run"] = np.char.add(table["run"].astype(str), suffix).astype(object)
        replicate = Agents(table, agents.simulations, agents.notes, agents.simulations_reason)
        return replicate.with_elo(table["elo"])


def estimator(
    point: Mapping[str, float],
    draws: Mapping[str, np.ndarray],
    *,
    recentre: Callable[[str], bool] = lambda key: False,
) -> Callable[..., Estimate]:
    """est(key, reason=None, transform=None) -> Estimate, from point values and bootstrap draws
    (a key absent from `point` gives `missing(reason)`).

    `transform` must be monotone (e.g. slope -> 10 ** -slope): the interval is formed (and, with
    `recentre`, shifted) on the key's own scale and its ends are then transformed, so a shift
    can never carry an end outside the transform's range (a negative factor, say)."""

    def est(key: str, reason: str | None = None, transform=None) -> Estimate:
        if key not in point:
            return missing(reason or "not estimable")
        samples = np.asarray(draws.get(key, np.zeros(0)), np.float64)
        estimate = estimate_from_draws(point[key], samples, reason, recentre=recentre(key))
        if transform is None or estimate.value is None:
            return estimate
        value = float(transform(estimate.value))
        if estimate.ci95 is None:
            return Estimate(value, None, estimate.reason)
        low, high = sorted(float(transform(end)) for end in estimate.ci95)
        return Estimate(value, (low, high), estimate.reason)

    return est
