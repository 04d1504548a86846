"""Reference numbers from Jones (2021), "Scaling Scaling Laws with Board Games" (arXiv 2104.03113).

These are the values boardscale's fits are compared against, read from the paper and from its
code (github.com/andyljones/boardlaw, tag `paper-v2`). Where a value was reconstructed from the
published curves rather than printed in the paper, its comment says so. Elo is in display units (400 / ln 10 per natural unit); compute is in Jones's
convention: one multiply-add per parameter per forward pass counts as one FLOP; training compute is
self-play samples x nodes per move x parameters; test-time compute is nodes per move x parameters.

Jones's per-board snapshot bounds, sample caps and compute formulas live in
`boardscale_core.jones` (shared with training). `synthetic_agents` draws an agent table from this model, for demos and for checking that the fits
recover known parameters.
"""

from __future__ import annotations

import math

import numpy as np

from analysis.tables import Table
from boardscale_core.jones import SNAPSHOT_BOUNDS, SNAPSHOTS_PER_RUN

SOURCE = 'Jones (2021), "Scaling Scaling Laws with Board Games", arXiv 2104.03113'

ELO_PER_NATURAL_UNIT = 400.0 / math.log(10.0)  # Bradley-Terry natural units -> display Elo
NODES_PER_MOVE = 64  # Jones's training search: 1 root evaluation + 63 simulations
TRAINING_SIMULATIONS = NODES_PER_MOVE - 1
# The paper's code multiplies test-time compute by a further 64 (1.8 decades on the test axis, no
# change to any slope); boardscale does not reproduce it.
PAPER_CODE_TEST_FLOPS_FACTOR = 64
TEST_NODE_COUNTS = tuple(2**power for power in range(10))  # 1, 2, 4, ..., 512 nodes per move
BOARD_SIZES = tuple(range(3, 10))

# "Perfect play": within this many Elo of the best agent on the board.
PERFECT_PLAY_MARGIN_ELO = 50.0

# Frontier model, Elo = min(0, max(incline, plateau)) with
#   incline = m_flops * log10(C) + m_b * S + c_i   and   plateau = p_b * S + c_p,
# C training FLOPs and S the board size. Refit of the published curves (not the paper's printed
# table); RMSE 58 Elo.
FRONTIER_PARAMETERS = {
    "m_flops": 506.0,  # Elo per decade of training compute
    "m_b": -430.0,  # Elo per board-size step, on the incline
    "c_i": -4400.0,  # Elo, incline offset
    "p_b": -268.0,  # Elo per board-size step, on the random-play plateau
    "c_p": 575.0,  # Elo, plateau offset
}
FRONTIER_RMSE_ELO = 58.0
FRONTIER_SLOPE_ELO_PER_DECADE = FRONTIER_PARAMETERS["m_flops"]
FRONTIER_SLOPE_PAPER_TEXT = 500.0  # "500 Elo per order of magnitude of compute"

# Perfect-play compute grows by this factor per board-size step: 10 ** (-m_b / m_flops).
PERFECT_PLAY_GROWTH_PER_SIZE = 7.1
PERFECT_PLAY_GROWTH_PAPER_TEXT = 7.0

# Training FLOPs where the frontier first reaches -50 Elo, read off the published curves.
PERFECT_PLAY_COMPUTE = {
    3: 1.3e11,
    4: 1.3e12,
    5: 8.1e12,
    6: 1.1e14,
    7: 1.3e15,
    8: 7.4e15,
    9: 3.5e16,
}

# Elo of random play relative to perfect play, at the frontier's start.
RANDOM_ELO_VS_BEST = {
    3: -260.0,
    4: -620.0,
    5: -815.0,
    6: -1180.0,
    7: -1550.0,
    8: -1650.0,
    9: -1950.0,
}
# Fall of the random-play floor per board-size step, from the refit (the paper's text says 500).
RANDOM_FLOOR_ELO_PER_SIZE = FRONTIER_PARAMETERS["p_b"]

# Jones's training settings that a sweep's may differ from (report.md prints ours beside them).
# Sample reuse: positions drawn by the learner per new self-play position (batch 32,768 per step,
# one optimiser step per 32,768-game self-play step).
JONES_SETTINGS = {
    "training simulations per move": 63,
    "search": "regularized",
    "learning rate": 1e-3,
    "random self-play moves": 0.0,
    "sample reuse (learner positions per new position)": 1.0,
    "board sizes": "3x3 to 9x9",
}

# Train/test trade-off, 9x9 only: each 10x of training compute replaces about 15x of test-time
# compute at fixed Elo; the joint OLS fit log10(test) = a log10(train) + b Elo + c gives a ~ -1.18.
EXCHANGE_BOARD_SIZE = 9
EXCHANGE_TEST_PER_10X_TRAIN = 15.0
EXCHANGE_SLOPE = -1.18
ISO_ELO_LEVELS = tuple(float(level) for level in range(-1500, 1, 250))
TRAIN_BIN_DECADES = 0.1
# Epoch AI's re-analysis (2023): about 1.6 orders of test compute per order of training compute at
# low Elo, the span collapsing near perfect play.
EPOCH_TEST_DECADES_PER_TRAIN_DECADE = 1.6

# Cheapest network (width, depth) reaching near-perfect play.
CHEAPEST_PERFECT_NETWORK = {
    3: (2, 4),
    4: (8, 2),
    5: (16, 4),
    6: (128, 1),
    7: (128, 4),
    8: (256, 4),
    9: (512, 4),
}
# Wall-clock seconds to perfect play on one RTX 2080 Ti, from the author's plot.
PERFECT_PLAY_SECONDS = {3: 180.0, 5: 530.0, 7: 2100.0, 9: 9000.0}


def frontier_elo(
    train_flops: np.ndarray,
    board_size: np.ndarray,
    parameters: dict[str, float] | None = None,
) -> np.ndarray:
    """Jones's frontier: Elo vs perfect play at `train_flops` [N] on boards `board_size` [N].

    `parameters` maps m_flops, m_b, c_i, p_b, c_p (Elo) and defaults to `FRONTIER_PARAMETERS`.
    """
    p = FRONTIER_PARAMETERS if parameters is None else parameters
    log_compute = np.log10(np.asarray(train_flops, dtype=np.float64))
    size = np.asarray(board_size, dtype=np.float64)
    incline = p["m_flops"] * log_compute + p["m_b"] * size + p["c_i"]
    plateau = p["p_b"] * size + p["c_p"]
    return np.minimum(0.0, np.maximum(incline, plateau))


def reference_summary() -> dict:
    """Jones's numbers as plain JSON-ready values (board sizes as string keys)."""
    return {
        "source": SOURCE,
        "frontier": {
            "slope_elo_per_decade": FRONTIER_SLOPE_ELO_PER_DECADE,
            "parameters": dict(FRONTIER_PARAMETERS),
            "rmse_elo": FRONTIER_RMSE_ELO,
            "perfect_play_margin_elo": PERFECT_PLAY_MARGIN_ELO,
            "perfect_play_growth_per_size": PERFECT_PLAY_GROWTH_PER_SIZE,
            "perfect_play_compute": {str(s): c for s, c in PERFECT_PLAY_COMPUTE.items()},
            "random_elo_vs_best": {str(s): e for s, e in RANDOM_ELO_VS_BEST.items()},
        },
        "exchange_rate": {
            "board_size": EXCHANGE_BOARD_SIZE,
            "test_per_10x_train": EXCHANGE_TEST_PER_10X_TRAIN,
            "slope": EXCHANGE_SLOPE,
            "iso_elo_levels": list(ISO_ELO_LEVELS),
            "train_bin_decades": TRAIN_BIN_DECADES,
        },
        "notes": [
            "Frontier parameters are a refit of the published curves, not the paper's table.",
            "Test-time compute is (simulations + 1) x parameters per move; the paper's code "
            "multiplies it by a further 64, which moves test-compute axes by 1.8 decades and "
            "changes no slope.",
        ],
    }


def synthetic_agents(
    board_sizes: tuple[int, ...] = (3, 4, 5),
    *,
    seed: int = 0,
    noise_elo: float = 15.0,
    runs_per_board: int = 3,
    snapshots_per_run: int = SNAPSHOTS_PER_RUN,
    simulations: tuple[int, ...] = (0, 1, 3, 7, 15, 31, 63, 127),
    parameters: dict[str, float] | None = None,
    exchange_slope: float = EXCHANGE_SLOPE,
    include_random: bool = True,
) -> Table:
    """An agent table drawn from Jones's frontier model and train/test exchange, plus Elo noise.

    Run 0 on each board lies on the frontier; run r > 0 needs 10 ** (0.3 r) times the training
    compute and tops out r x 60 Elo below perfect play. Every snapshot is evaluated at each count in
    `simulations`; a search with n = simulations + 1 nodes adds m_flops / -exchange_slope Elo per
    decade of n / 64 before the clamps, so at fixed Elo 10x training compute replaces
    10 ** -exchange_slope x test compute. All runs on a board share one parameter count, so test
    compute is proportional to nodes. Snapshots are log-spaced within Jones's per-size bounds.

    Returns:
      columns board_size, simulations (int64), train_flops, test_flops, elo, elo_se (float64), run,
      kind (str), [N] each; Elo is relative to perfect play plus N(0, noise_elo) noise. The random
      player (train_flops 0, test_flops 0, kind "random") is added per board when `include_random`.
    """
    p = FRONTIER_PARAMETERS if parameters is None else parameters
    if exchange_slope >= 0:
        raise ValueError(f"exchange_slope must be negative, got {exchange_slope}")
    rng = np.random.default_rng(seed)
    elo_per_test_decade = p["m_flops"] / -exchange_slope
    columns: dict[str, list] = {
        name: []
        for name in (
            "board_size", "simulations", "train_flops", "test_flops", "elo", "elo_se", "run",
            "kind",
        )
    }  # fmt: skip

    def add(size, sims, train, test, elo, run, kind):
        columns["board_size"].append(size)
        columns["simulations"].append(sims)
        columns["train_flops"].append(train)
        columns["test_flops"].append(test)
        columns["elo"].append(elo + rng.normal(0.0, noise_elo))
        columns["elo_se"].append(noise_elo)
        columns["run"].append(run)
        columns["kind"].append(kind)

    for size in board_sizes:
        if size not in SNAPSHOT_BOUNDS:
            raise ValueError(f"board size must be one of {BOARD_SIZES}, got {size}")
        low, high = SNAPSHOT_BOUNDS[size]
        network_parameters = 1000.0 * 4.0 ** (size - 3)
        plateau = p["p_b"] * size + p["c_p"]
        for run in range(runs_per_board):
            flops = np.logspace(math.log10(low), math.log10(high), snapshots_per_run)
            ceiling = -60.0 * run
            for train in flops:
                incline = (
                    p["m_flops"] * (math.log10(train) - 0.3 * run) + p["m_b"] * size + p["c_i"]
                )
                for sims in simulations:
                    nodes = sims + 1
                    boost = elo_per_test_decade * math.log10(nodes / NODES_PER_MOVE)
                    elo = min(ceiling, max(incline + boost, plateau))
                    name = f"hex{size}-run{run}"
                    add(size, sims, float(train), nodes * network_parameters, elo, name, "snapshot")
        if include_random:
            add(size, 0, 0.0, 0.0, plateau - 30.0, "", "random")
    table: Table = {
        "board_size": np.array(columns["board_size"], np.int64),
        "simulations": np.array(columns["simulations"], np.int64),
        "train_flops": np.array(columns["train_flops"], np.float64),
        "test_flops": np.array(columns["test_flops"], np.float64),
        "elo": np.array(columns["elo"], np.float64),
        "elo_se": np.array(columns["elo_se"], np.float64),
        "run": np.array(columns["run"], object),
        "kind": np.array(columns["kind"], object),
    }
    return table
