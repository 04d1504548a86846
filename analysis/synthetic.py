"""Synthetic agent tables drawn from Jones's model at a given study design, for checking estimators.

A `Design` is what a sweep spec fixes before any compute is spent: the board sizes, the networks
(their parameter counts) and seeds of each board (runs = networks x seeds), the training compute
of every snapshot, the test-time simulation counts, the training simulation count and the
tournament's target rating error. A `Truth` is the model the agents are drawn from:

    Elo(run, snapshot, n nodes) = min(ceiling_k, max(plateau_S,
        m_flops (log10 C - delay_k - u_run) + m_b S + c_i + e_S
        + (m_flops / -a) log10(n / n_train) + v_snapshot)) + noise

* m_flops, m_b, c_i, p_b, c_p: Jones's frontier (plateau_S = p_b S + c_p is random play); e is
  0 with `Truth.reach` None (Jones's absolute compute), else one shift for all boards that puts
  the frontier's -50 Elo crossing at the fraction `reach` of the boards' snapshot ranges in log
  compute, on average over boards (our training differs from Jones's, so his absolute compute
  need not fall in a sweep's range; one shift keeps his growth per board size).
* a: the exchange slope. At fixed Elo, 10x training compute replaces 10 ** -a x test compute:
  along the frontier and within every run. n_train = training simulations + 1 nodes, so the
  agents searching with the training count lie on the frontier (Jones reads it there).
* Networks: ranked k = 0 (largest parameter count) upwards, network k needs 10 ** (0.3 k) times
  the training compute of the frontier and levels off k x 60 Elo below perfect play.
* u_run ~ N(0, seed_sd_decades): seeds of one network differ (runs are the independent units).
  v_snapshot ~ N(0, snapshot_sd_elo): one network is stronger or weaker at every search count.
  noise ~ N(0, noise_elo) independently per agent: the tournament's rating error.

Test compute is (simulations + 1) x parameters per move, as in the store, with one parameter
count per board (the median of its networks') when `Truth.shared_test_cost` (the default): then
the frontier's exchange slope is exactly a. With each network's own count, the network that is
cheapest at test time changes along the frontier and the frontier's slope is no longer a (the
within-run slope still is). Everything here is numpy; nothing is fitted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from analysis import reference
from analysis.tables import Table
from boardscale_core import jones


@dataclass(frozen=True)
class BoardDesign:
    """One board of a design: snapshot training FLOPs [K] shared by its runs, and the parameter
    count of each network (runs = networks x seeds)."""

    size: int
    snapshots: tuple[float, ...]
    networks: tuple[int, ...]


@dataclass(frozen=True)
class Design:
    """A study design: boards, seeds per network, simulation counts and rating error (Elo)."""

    boards: tuple[BoardDesign, ...]
    seeds: int = 1
    simulations: tuple[int, ...] = (0, 1, 3, 7, 15, 31, 63)
    train_simulations: int = reference.TRAINING_SIMULATIONS
    noise_elo: float = 20.0

    def __post_init__(self):
        if not self.boards:
            raise ValueError("a design needs at least one board")
        if self.seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {self.seeds}")
        if not self.simulations or min(self.simulations) < 0:
            raise ValueError("simulations must be a non-empty list of counts >= 0")
        if not self.noise_elo >= 0:
            raise ValueError(f"noise_elo must be >= 0, got {self.noise_elo}")
        for board in self.boards:
            if not board.snapshots or min(board.snapshots) <= 0:
                raise ValueError(f"board {board.size}: snapshot compute must be > 0")
            if not board.networks or min(board.networks) <= 0:
                raise ValueError(f"board {board.size}: network parameter counts must be > 0")

    @property
    def runs(self) -> int:
        return sum(len(board.networks) for board in self.boards) * self.seeds

    @property
    def agents(self) -> int:
        per_run = [len(b.snapshots) * len(b.networks) for b in self.boards]
        return sum(per_run) * self.seeds * len(self.simulations)


def dense_design(
    boards: tuple[int, ...] = (8, 9),
    *,
    networks: int = 6,
    snapshots: int = 16,
    simulations: tuple[int, ...] = (0, 1, 3, 7, 15, 31, 63),
    seeds: int = 1,
    noise_elo: float = 20.0,
) -> Design:
    """A design on Jones's snapshot bounds: `networks` runs per board (parameter counts 4x apart,
    so test compute differs between networks), `snapshots` log-spaced snapshots each."""
    parts = []
    for size in boards:
        low, high = jones.SNAPSHOT_BOUNDS[size]
        flops = tuple(
            float(value) for value in np.logspace(math.log10(low), math.log10(high), snapshots)
        )
        parts.append(
            BoardDesign(size, flops, tuple(1000 * 4 ** (size - 3 + k) for k in range(networks)))
        )
    return Design(tuple(parts), seeds=seeds, simulations=simulations, noise_elo=noise_elo)


@dataclass(frozen=True)
class Truth:
    """The model agents are drawn from (see the module docstring)."""

    parameters: dict = field(default_factory=lambda: dict(reference.FRONTIER_PARAMETERS))
    exchange_slope: float = reference.EXCHANGE_SLOPE
    reach: float | None = None
    network_delay_decades: float = 0.3
    network_ceiling_elo: float = 60.0
    seed_sd_decades: float = 0.05
    snapshot_sd_elo: float = 10.0
    shared_test_cost: bool = True

    def __post_init__(self):
        if not self.exchange_slope < 0:
            raise ValueError(f"exchange_slope must be negative, got {self.exchange_slope}")
        if self.reach is not None and not 0 < self.reach <= 1:
            raise ValueError(f"reach must be in (0, 1], got {self.reach}")

    def offset(self, design: Design) -> float:
        """e in Elo, one for every board so that the growth per size stays Jones's: 0 without
        `reach`, else the mean over boards of the shift that puts a board's -50 crossing at
        `reach` of its snapshot range in log compute."""
        if self.reach is None:
            return 0.0
        p = self.parameters
        shifts = []
        for board in design.boards:
            low, high = (math.log10(v) for v in (min(board.snapshots), max(board.snapshots)))
            target = low + self.reach * (high - low)
            shifts.append(
                -reference.PERFECT_PLAY_MARGIN_ELO
                - (p["m_flops"] * target + p["m_b"] * board.size + p["c_i"])
            )
        return float(np.mean(shifts))

    def elo(self, board: BoardDesign, train_flops, nodes, rank, train_nodes: int, offset=0.0):
        """Noise-free Elo vs perfect play [N] for training FLOPs, nodes and network rank [N];
        `offset` is e (`Truth.offset`)."""
        p = self.parameters
        log_train = np.log10(np.asarray(train_flops, np.float64))
        rank = np.asarray(rank, np.float64)
        incline = (
            p["m_flops"] * (log_train - self.network_delay_decades * rank)
            + p["m_b"] * board.size
            + p["c_i"]
            + offset
        )
        boost = p["m_flops"] / -self.exchange_slope * np.log10(np.asarray(nodes) / train_nodes)
        plateau = p["p_b"] * board.size + p["c_p"]
        return np.minimum(-self.network_ceiling_elo * rank, np.maximum(incline + boost, plateau))


def draw_agents(design: Design, truth: Truth | None = None, seed=None) -> Table:
    """One synthetic agent table at `design` from `truth` (default: Jones's model).

    Returns columns agent_id (int64), board_size, simulations (int64), train_simulations (int64),
    train_flops, test_flops, elo, elo_se (float64), run, network, kind (str); [N] each, with one random
    player per board (train_flops 0, test_flops 0, at the random-play plateau - 30 Elo). Elo is
    relative to perfect play plus the noise terms (see the module docstring).
    """
    truth = truth or Truth()
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    sims = np.asarray(design.simulations, np.int64)
    train_nodes = design.train_simulations + 1
    offset = truth.offset(design)
    parts: list[dict] = []
    for board in design.boards:
        order = np.argsort(-np.asarray(board.networks), kind="stable")
        rank_of = np.empty(len(order), np.int64)
        rank_of[order] = np.arange(len(order))
        flops = np.asarray(board.snapshots, np.float64)
        shared = float(np.median(board.networks))
        for network, parameters in enumerate(board.networks):
            for seed_index in range(design.seeds):
                shift = rng.normal(0.0, truth.seed_sd_decades) if truth.seed_sd_decades else 0.0
                train = np.repeat(flops, sims.size)
                nodes = np.tile(sims + 1, flops.size)
                # The snapshot effect enters before the clamps (one network, every search count),
                # as a shift of its training compute worth v Elo on the incline.
                effect = np.repeat(rng.normal(0.0, truth.snapshot_sd_elo, flops.size), sims.size)
                log_shift = effect / truth.parameters["m_flops"] - shift
                elo = truth.elo(
                    board, train * 10.0**log_shift, nodes, rank_of[network], train_nodes, offset
                )
                parts.append(
                    {
                        "board_size": np.full(train.size, board.size),
                        "simulations": nodes - 1,
                        "train_flops": train,
                        "test_flops": nodes
                        * (shared if truth.shared_test_cost else float(parameters)),
                        "elo": elo + rng.normal(0.0, design.noise_elo, train.size),
                        "run": np.full(
                            train.size, f"hex{board.size}-n{network}-s{seed_index}", object
                        ),
                        "network": np.full(train.size, f"n{network}", object),
                        "kind": np.full(train.size, "snapshot", object),
                    }
                )
        plateau = truth.parameters["p_b"] * board.size + truth.parameters["c_p"]
        parts.append(
            {
                "board_size": np.array([board.size]),
                "simulations": np.array([0]),
                "train_flops": np.array([0.0]),
                "test_flops": np.array([0.0]),
                "elo": np.array([plateau - 30.0 + rng.normal(0.0, design.noise_elo)]),
                "run": np.array([""], object),
                "network": np.array([""], object),
                "kind": np.array(["random"], object),
            }
        )
    table = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    rows = table["elo"].size
    table["board_size"] = table["board_size"].astype(np.int64)
    table["simulations"] = table["simulations"].astype(np.int64)
    table["train_simulations"] = np.full(rows, design.train_simulations, np.int64)
    table["elo_se"] = np.full(rows, float(design.noise_elo))
    table["agent_id"] = np.arange(rows, dtype=np.int64)
    return table
