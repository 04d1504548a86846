"""Helpers shared by several test modules: playing a game's moves, the tiny training config, and a
record of the moves that match play writes. Only jax and numpy are imported at the top, so that the
games' tests load no more of the project than the games."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import jax
import numpy as np

if TYPE_CHECKING:
    from alphazero.settings import TrainConfig


def play(env, actions):
    """The (unbatched) state of ``env`` after ``actions`` from its initial state."""
    state = env.init(jax.random.key(0))
    step = jax.jit(env.step)
    for action in actions:
        state = step(state, action)
    return state


def tiny_config(**changes) -> TrainConfig:
    """A 3x3 run small enough to train in seconds. ``changes`` override settings: a dict merges
    into its section, anything else replaces the setting."""
    from alphazero.config import from_dict
    from alphazero.settings import TrainConfig

    data = {
        "board_size": 3,
        "budget": 2e7,
        "network": {"width": 4, "depth": 1},
        "search": {"num_simulations": 2},
        "selfplay": {"num_envs": 8, "steps_per_iteration": 2},
        "learner": {"batch_size": 16, "buffer_steps": 12, "updates_per_iteration": 2},
        "snapshots": {"count": 5},
    }
    for key, value in changes.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return from_dict(TrainConfig, data)


@contextlib.contextmanager
def recorded_move_writes(monkeypatch) -> Iterator[list[tuple[int, np.ndarray]]]:
    """While inside, every write of agents' moves into a match batch's action array
    (`alphazero.match.play_matches`) is appended to the yielded list as (length of the action
    array, the game indices written [n] int)."""
    from alphazero import match

    writes = []
    real_scatter = match._scatter()

    def recording_scatter():
        def scatter(actions, index, moves):
            writes.append((int(actions.shape[0]), np.asarray(index).ravel()))
            return real_scatter(actions, index, moves)

        return scatter

    with monkeypatch.context() as patch:
        patch.setattr(match, "_scatter", recording_scatter)
        yield writes


def assert_one_move_per_game_and_ply(writes, real_games: int) -> None:
    """With two movers per ply (two writes of `recorded_move_writes` each), every one of the
    ``real_games`` games (indices 0 to real_games - 1) gets exactly one move per ply."""
    for ply in range(0, len(writes) - 1, 2):
        both = np.concatenate([writes[ply][1], writes[ply + 1][1]])
        assert sorted(both[both < real_games].tolist()) == list(range(real_games))
