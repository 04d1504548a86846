"""Compute accounting, both ways, in one place.

Jones's convention (for comparison with the paper): one "FLOP" is one multiply-add per parameter per
forward pass, and only self-play forward passes count. A self-play move with S simulations costs
S + 1 network evaluations (the root plus one per simulation), so

    jones_flops = samples * (simulations + 1) * parameters.

XLA's count: the FLOPs XLA reports for the compiled programs (search, game step, update, backward
pass included), where a multiply-add counts as 2. XLA's cost analysis counts a loop body once
whatever its trip count, so the count is assembled from programs whose loops run once: one
self-play move searched with one simulation, plus (simulations - 1) times one simulation's model
step (network evaluation and game step for the whole batch), plus one learner update per update.
The tree's own index arithmetic inside the extra simulations is not counted; it is small next to
the network and is reported by neither convention.

The snapshot schedule is log-spaced in cumulative compute between per-board bounds (Jones's paper).
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

# Jones (2021): snapshot bounds in training FLOPs (his convention) per board size.
JONES_SNAPSHOT_BOUNDS = {
    3: (1e10, 5e11),
    4: (1e10, 1e13),
    5: (1e11, 3e13),
    6: (1e11, 4e14),
    7: (1e11, 1e16),
    8: (1e11, 3e16),
    9: (1e12, 1e17),
}

# Jones (2021): the most samples a run may take per board size (a run ends at its FLOPs budget or
# here, whichever comes first).
JONES_SAMPLE_CAPS = {3: 1e8, 4: 2e8, 5: 3e8, 6: 6e8, 7: 1e9, 8: 1.5e9, 9: 2e9}


def jones_sample_cap(board_size: int) -> float:
    """Jones's sample cap for a board; boards past 9 keep 9x9's, below 3 keep 3x3's."""
    return JONES_SAMPLE_CAPS[min(max(board_size, 3), 9)]


def jones_flops(samples, simulations: int, parameters: int):
    """Training compute in Jones's convention: samples x (simulations + 1) x parameters."""
    return samples * (simulations + 1) * parameters


def jones_test_flops(simulations: int, parameters: int) -> float:
    """Test-time compute per move in Jones's convention: (simulations + 1) x parameters.

    (The paper's code multiplies this by a further 64; we do not, see CHANGELOG.md.)"""
    return float((simulations + 1) * parameters)


def snapshot_bounds(board_size: int) -> tuple[float, float]:
    """Jones's (first, last) snapshot compute for a board; larger boards extrapolate 9x9's."""
    if board_size in JONES_SNAPSHOT_BOUNDS:
        return JONES_SNAPSHOT_BOUNDS[board_size]
    if board_size < 3:
        return (1e8, 1e10)
    first, last = JONES_SNAPSHOT_BOUNDS[9]
    # Perfect-play compute grows about 7x per board-size step in the paper.
    return first, last * 7.0 ** (board_size - 9)


def require_bounds(game: str, budget: float, first: float) -> None:
    """Jones's bounds are Hex's: for another game a run must give its ``budget`` and first
    snapshot (``snapshots.first``); raises a one-line `alphazero.config.ConfigError` otherwise."""
    from alphazero.config import ConfigError

    if game != "hex" and not (budget > 0 and first > 0):
        raise ConfigError(
            f"{game} has no default compute bounds (Jones's are Hex's): set budget and "
            f"snapshots.first (in a sweep spec: budget and first_snapshot per board)"
        )


def snapshot_targets(first: float, last: float, count: int) -> np.ndarray:
    """``count`` log-spaced compute targets from ``first`` to ``last`` inclusive. [count] float64."""
    if count == 1:
        return np.array([float(last)])
    return np.logspace(np.log10(first), np.log10(last), count)


def cost_flops(jitted, *args) -> float:
    """The FLOPs XLA reports for ``jitted(*args)`` compiled (loop bodies counted once)."""
    analysis = jitted.lower(*args).compile().cost_analysis()
    if isinstance(analysis, list | tuple):  # older jax returns one dict per device
        analysis = analysis[0] if analysis else {}
    return float((analysis or {}).get("flops", 0.0))


@dataclasses.dataclass(frozen=True)
class IterationCost:
    """Compute of one training iteration, both ways. All in FLOPs."""

    samples: int  # self-play positions generated per iteration
    jones: float  # Jones's convention
    xla_selfplay: float  # XLA FLOPs of the self-play moves (search, game, sampling)
    xla_update: float  # XLA FLOPs of the learner updates (forward + backward + Adam)

    @property
    def xla(self) -> float:
        return self.xla_selfplay + self.xla_update


def xla_move_flops(one_simulation_move: float, model_step: float, simulations: int) -> float:
    """XLA FLOPs of one self-play move with ``simulations`` >= 1 simulations, from the move program
    searched with one simulation and the cost of one simulation's model step."""
    return one_simulation_move + max(simulations - 1, 0) * model_step


def tree_size(tree) -> int:
    """Number of scalars in a pytree (e.g. a network's parameter count)."""
    return int(sum(np.size(leaf) for leaf in jax.tree.leaves(tree)))
