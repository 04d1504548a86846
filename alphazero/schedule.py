"""When a run snapshots and what it has spent: the snapshot schedule and the run's counters.

Snapshot targets are log-spaced in cumulative training compute (Jones's convention or XLA's, per
``snapshots.schedule``) between Jones's per-board bounds (`boardscale_core.jones`), clipped to
the run's budget; Jones's bounds are Hex's, so another game (Connect Four) must give its budget
and first snapshot (`require_bounds`). `Progress` holds a run's cumulative counters; `Progress.advance` counts one
iteration (positions of an uncounted buffer fill excluded when ``count_buffer_fill = false``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from alphazero import compute
from alphazero.config import ConfigError
from alphazero.settings import TrainConfig
from boardscale_core import jones


@dataclasses.dataclass
class Progress:
    """Cumulative counters of a run (stored in every checkpoint)."""

    iterations: int = 0
    samples: int = 0
    games: int = 0
    jones_flops: float = 0.0
    xla_flops: float = 0.0
    wall_seconds: float = 0.0
    snapshots: int = 0
    finished: bool = False

    def spent(self, config: TrainConfig) -> float:
        """Compute spent in the count that places snapshots (``snapshots.schedule``)."""
        return self.jones_flops if config.snapshots.schedule == "jones" else self.xla_flops

    def advance(
        self, config: TrainConfig, cost: compute.IterationCost, games: int, seconds: float
    ) -> None:
        """Count one more iteration that finished ``games`` games in ``seconds``."""
        counted = counted_share(config, self.iterations)  # 1 but in an uncounted fill
        self.iterations += 1
        self.samples += round(cost.samples * counted)
        self.games += games
        self.jones_flops += cost.jones * counted
        self.xla_flops += cost.xla * counted
        self.wall_seconds += seconds


def require_bounds(game: str, budget: float, first: float) -> None:
    """Jones's bounds are Hex's: for another game a run must give its ``budget`` and first
    snapshot (``snapshots.first``); raises a one-line `alphazero.config.ConfigError` otherwise."""
    if game != "hex" and not (budget > 0 and first > 0):
        raise ConfigError(
            f"{game} has no default compute bounds (Jones's are Hex's): set budget and "
            f"snapshots.first (in a sweep spec: budget and first_snapshot per board)"
        )


def schedule(config: TrainConfig) -> tuple[float, np.ndarray]:
    """(budget, snapshot compute targets) for a config, with Jones's per-board defaults (Hex only:
    another game must give ``budget`` and ``snapshots.first``)."""
    require_bounds(config.game, config.budget, config.snapshots.first)
    first, last = jones.snapshot_bounds(config.board_size) if config.game == "hex" else (0, 0)
    budget = config.budget or last
    first = config.snapshots.first or first
    if first >= budget:
        first = budget / 100.0
    return budget, compute.snapshot_targets(first, budget, config.snapshots.count)


def counted_share(config: TrainConfig, iterations_done: int) -> float:
    """The share of the next iteration's positions that count as samples and compute: all, but
    with ``count_buffer_fill = false`` none of those that first fill the replay buffer."""
    if config.count_buffer_fill:
        return 1.0
    steps = config.selfplay.steps_per_iteration
    filling = min(max(config.learner.buffer_steps - iterations_done * steps, 0), steps)
    return (steps - filling) / steps


def targets_done(targets: np.ndarray, spent: float) -> int:
    """How many snapshot targets ``spent`` compute has crossed."""
    return int(np.searchsorted(targets, spent * (1 + 1e-12), side="right"))
