"""Jones's per-board training bounds and his compute convention, in one place.

From Jones, "Scaling Scaling Laws with Board Games" (2021): each run is snapshotted 21 times,
log-spaced in training compute between per-board bounds, and ends at its FLOPs budget or at a
per-board sample cap, whichever comes first.

His compute convention: one "FLOP" is one multiply-add per parameter per forward pass, and only
self-play forward passes count. A move searched with S simulations costs S + 1 network evaluations
(the root plus one per simulation; his "nodes"), so

    training FLOPs  = samples x (simulations + 1) x parameters
    test-time FLOPs = (simulations + 1) x parameters per move.

(The paper's code multiplies test-time compute by a further 64; we do not, see CHANGELOG.md.)
Imports the standard library and NumPy only.
"""

from __future__ import annotations

# Snapshot bounds (first, last) in training FLOPs (his convention) per board size.
SNAPSHOT_BOUNDS = {
    3: (1e10, 5e11),
    4: (1e10, 1e13),
    5: (1e11, 3e13),
    6: (1e11, 4e14),
    7: (1e11, 1e16),
    8: (1e11, 3e16),
    9: (1e12, 1e17),
}
SNAPSHOTS_PER_RUN = 21

# The most samples a run may take per board size.
SAMPLE_CAPS = {3: 1e8, 4: 2e8, 5: 3e8, 6: 6e8, 7: 1e9, 8: 1.5e9, 9: 2e9}

# Perfect-play compute grows about 7x per board-size step (the paper's text); extends the snapshot
# bounds past 9x9.
BOUNDS_GROWTH_PER_SIZE = 7.0


def sample_cap(board_size: int) -> float:
    """Jones's sample cap for a board; boards past 9 keep 9x9's, below 3 keep 3x3's."""
    return SAMPLE_CAPS[min(max(board_size, 3), 9)]


def snapshot_bounds(board_size: int) -> tuple[float, float]:
    """Jones's (first, last) snapshot compute for a board; larger boards extrapolate 9x9's."""
    if board_size in SNAPSHOT_BOUNDS:
        return SNAPSHOT_BOUNDS[board_size]
    if board_size < 3:
        return (1e8, 1e10)
    first, last = SNAPSHOT_BOUNDS[9]
    return first, last * BOUNDS_GROWTH_PER_SIZE ** (board_size - 9)


def train_flops(samples, simulations, parameters):
    """Training compute in Jones's convention: samples x (simulations + 1) x parameters.

    Works on Python numbers and NumPy arrays alike (elementwise)."""
    return samples * (simulations + 1) * parameters


def test_flops(simulations, parameters):
    """Test-time compute per move in Jones's convention: (simulations + 1) x parameters, as float
    (elementwise on NumPy arrays)."""
    return (simulations + 1.0) * parameters
