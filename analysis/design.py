"""Design check: what a study design can measure, before any compute is spent.

`check_design(design)` draws synthetic agent tables from Jones's model at exactly the design
(`analysis.synthetic`), runs the analysis's own fits on each (`frontier.fit_frontier`,
`exchange.fit_exchange`, point estimates) and summarises, per quantity, the truth, the mean
estimate, its bias, its spread over replicates and the half-width of the 95% interval a study of
this design would get (1.96 x that spread: the width of an exact bootstrap interval). It repeats
the exchange slope with a second truth (-0.9 by default) to say whether the design can tell the
two apart: yes when the mean estimates under the two truths differ by more than 2.8 times the
larger spread (a two-sided 5% test then separates them in about 80% of studies). An estimator
biased alike under both truths can still tell them apart; its bias is read off the table.

Exchange estimators compared: the interpolated iso-Elo fit (the analysis's headline), Jones's
construction, the direct regression with per-run effects, and the iso-Elo construction boardscale
used before 2026-11-27 (least grid test compute at or above the level per 0.1-decade bin, running
minimum, points after the first bin reaching the one-node floor dropped; `previous_points`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analysis import reference
from analysis.agents import Agents, prepare_agents
from analysis.exchange import (
    choose_levels,
    exchange_values,
    iso_elo_slope,
)
from analysis.frontier import fit_frontier
from analysis.synthetic import Design, Truth, draw_agents
from analysis.tables import Table

ALTERNATIVE_SLOPE = -0.9


def previous_points(agents: Agents, levels, bin_decades: float = 0.1) -> Table:
    """The iso-Elo points of boardscale's construction before 2026-11-27 (see the module
    docstring); same columns as `exchange.jones_points`."""
    table = agents.table
    trained = table["train_flops"] > 0
    columns: dict[str, list] = {"board_size": [], "level": [], "train_flops": [], "test_flops": []}
    for size, board_levels in sorted(levels.items()):
        rows = trained & (table["board_size"] == size)
        if not rows.any():
            continue
        elo = table["elo_vs_best"][rows]
        bins = np.round(np.log10(table["train_flops"][rows]) / bin_decades).astype(np.int64)
        test = table["test_flops"][rows]
        for level in board_levels:
            qualified = elo >= level
            if not qualified.any():
                continue
            present = np.unique(bins[qualified])
            least = np.array([test[qualified & (bins == b)].min() for b in present])
            running = np.minimum.accumulate(least)
            last = int(np.argmax(running <= running[-1]))
            for b, value in zip(present[: last + 1], running[: last + 1], strict=True):
                columns["board_size"].append(int(size))
                columns["level"].append(float(level))
                columns["train_flops"].append(float(10.0 ** (b * bin_decades)))
                columns["test_flops"].append(float(value))
    return {name: np.asarray(values) for name, values in columns.items()}


@dataclass(frozen=True)
class Quantity:
    """One quantity's behaviour at a design: truth, mean estimate, bias, spread, interval."""

    name: str
    truth: float
    mean: float | None
    sd: float | None
    estimated: int
    replicates: int

    @property
    def bias(self) -> float | None:
        return None if self.mean is None else self.mean - self.truth

    @property
    def bias_percent(self) -> float | None:
        return None if self.mean is None else 100.0 * (self.mean / self.truth - 1.0)

    @property
    def half_width(self) -> float | None:
        return None if self.sd is None else 1.96 * self.sd

    def to_json(self) -> dict:
        return {
            "truth": self.truth,
            "mean": self.mean,
            "bias": self.bias,
            "bias_percent": self.bias_percent,
            "sd": self.sd,
            "ci95_half_width": self.half_width,
            "estimated_in": f"{self.estimated}/{self.replicates}",
        }


@dataclass(frozen=True)
class DesignCheck:
    """The result of `check_design`: quantities by name, and the -1.18 vs -0.9 verdicts."""

    design: Design
    truth: Truth
    replicates: int
    quantities: dict[str, Quantity]
    alternative: dict[str, Quantity]
    distinguishable: dict[str, bool | None]

    def to_json(self) -> dict:
        return {
            "replicates": self.replicates,
            "runs": self.design.runs,
            "agents": self.design.agents,
            "noise_elo": self.design.noise_elo,
            "quantities": {name: q.to_json() for name, q in self.quantities.items()},
            "alternative_slope": {name: q.to_json() for name, q in self.alternative.items()},
            "tells_apart": self.distinguishable,
        }


EXCHANGE_KEYS = {
    "exchange slope (interpolated iso-Elo)": "interpolated/pooled/slope",
    "exchange slope (Jones's construction)": "jones/pooled/slope",
    "exchange slope (direct, per-run effects)": "direct/pooled/slope",
    "exchange slope (boardscale before 2026-11-27)": "previous/pooled/slope",
}


def _replicate(design: Design, truth: Truth, seed: int, frontier: bool) -> dict[str, float]:
    agents = prepare_agents(draw_agents(design, truth, seed=seed))
    levels = choose_levels(agents)
    values = exchange_values(agents, levels, reference.TRAIN_BIN_DECADES, agents.boards)
    previous = iso_elo_slope(previous_points(agents, levels))
    if previous is not None:
        values["previous/pooled/slope"] = previous
    out = {name: values[key] for name, key in EXCHANGE_KEYS.items() if key in values}
    if frontier:
        fit = fit_frontier(agents, bootstrap=0)
        if fit.slope_elo_per_decade.value is not None:
            out["frontier slope (Elo per decade)"] = fit.slope_elo_per_decade.value
        if fit.perfect_play_growth_per_size.value is not None:
            out["perfect-play compute growth per size"] = fit.perfect_play_growth_per_size.value
    return out


def _summarise(draws: list[dict[str, float]], truths: dict[str, float]) -> dict[str, Quantity]:
    out = {}
    for name, truth in truths.items():
        values = np.array([draw[name] for draw in draws if name in draw], np.float64)
        values = values[np.isfinite(values)]
        out[name] = Quantity(
            name,
            truth,
            float(values.mean()) if values.size else None,
            float(values.std(ddof=1)) if values.size > 1 else None,
            int(values.size),
            len(draws),
        )
    return out


def check_design(
    design: Design,
    truth: Truth | None = None,
    *,
    replicates: int = 20,
    seed: int = 0,
    alternative: float = ALTERNATIVE_SLOPE,
) -> DesignCheck:
    """Simulate `replicates` studies of `design` under `truth` (and under the alternative exchange
    slope) and summarise each estimator (see the module docstring)."""
    if replicates < 2:
        raise ValueError(f"replicates must be at least 2, got {replicates}")
    truth = truth or Truth()
    other = Truth(**{**truth.__dict__, "exchange_slope": alternative})
    main = [_replicate(design, truth, seed * 1_000_003 + r, True) for r in range(replicates)]
    second = [_replicate(design, other, seed * 1_000_003 + r, False) for r in range(replicates)]
    parameters = truth.parameters
    truths = {name: truth.exchange_slope for name in EXCHANGE_KEYS}
    truths["frontier slope (Elo per decade)"] = parameters["m_flops"]
    if len(design.boards) > 1:
        truths["perfect-play compute growth per size"] = 10 ** (
            -parameters["m_b"] / parameters["m_flops"]
        )
    quantities = _summarise(main, truths)
    alternatives = _summarise(second, {name: alternative for name in EXCHANGE_KEYS})
    verdicts: dict[str, bool | None] = {}
    for name in EXCHANGE_KEYS:
        first, second_q = quantities[name], alternatives[name]
        if first.mean is None or second_q.mean is None or not first.sd or not second_q.sd:
            verdicts[name] = None
            continue
        verdicts[name] = bool(abs(first.mean - second_q.mean) > 2.8 * max(first.sd, second_q.sd))
    return DesignCheck(design, truth, replicates, quantities, alternatives, verdicts)


def format_check(check: DesignCheck) -> str:
    """A plain-text table of a `DesignCheck`."""
    design = check.design
    boards = ", ".join(f"{b.size}x{b.size}" for b in design.boards)
    lines = [
        f"design: boards {boards}; {design.runs} runs; {design.agents} agents; simulations "
        f"{list(design.simulations)} (training {design.train_simulations}); rating noise "
        f"{design.noise_elo:g} Elo; {check.replicates} synthetic studies per truth",
        "",
        f"{'quantity':46s} {'truth':>8s} {'mean':>8s} {'bias':>8s} {'95% +-':>8s}",
    ]

    def cell(value, digits=3):
        return "n/a" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"

    for name, q in check.quantities.items():
        bias = "n/a" if q.bias_percent is None else f"{q.bias_percent:+.0f}%"
        lines.append(
            f"{name:46s} {cell(q.truth):>8s} {cell(q.mean):>8s} {bias:>8s} "
            f"{cell(q.half_width, 2):>8s}"
        )
    lines.append("")
    alternative = next(iter(check.alternative.values())).truth if check.alternative else None
    for name, verdict in check.distinguishable.items():
        text = {True: "yes", False: "no", None: "not estimable"}[verdict]
        lines.append(
            f"tells {check.truth.exchange_slope:g} from {alternative:g} with the {name}: {text} "
            f"(mean under {alternative:g}: {cell(check.alternative[name].mean)})"
        )
    return "\n".join(lines)
