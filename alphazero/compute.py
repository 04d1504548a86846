"""Compute accounting, both ways, in one place.

Jones's convention (for comparison with the paper): `boardscale_core.jones.train_flops`, samples x
(simulations + 1) x parameters, one multiply-add per parameter per self-play forward pass.

XLA's count: the FLOPs XLA reports for the compiled programs (search, game step, update, backward
pass included), where a multiply-add counts as 2. XLA's cost analysis counts a loop body once
whatever its trip count, so the count is assembled from programs whose loops run once: one
self-play move searched with one simulation, plus (simulations - 1) times one simulation's model
step (network evaluation and game step for the whole batch), plus one learner update per update.
The tree's own index arithmetic inside the extra simulations is not counted; it is small next to
the network and is reported by neither convention.

Snapshot targets are log-spaced in cumulative compute (`snapshot_targets`); Jones's per-board
bounds and sample caps live in `boardscale_core.jones`.
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np


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
