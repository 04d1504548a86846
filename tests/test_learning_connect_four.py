"""It must learn Connect Four: the connect-four preset's settings on 4x5 with 3 in a row (a
first-player win from the three middle columns, a loss from either edge) give, in a short CPU run,
an agent that beats uniform random play in both colours and, moving first, wins against the exact
solver (the start position's value)."""

from __future__ import annotations

import jax
import pytest

from alphazero import TrainConfig, load_agent, train
from alphazero.config import from_dict
from alphazero.match import play_match
from sweeps.references import RandomAgent, make_reference
from sweeps.spec import load_spec

BUDGET = 3e8


def preset_config() -> TrainConfig:
    """The preset's first run (the narrow network) with a smaller budget."""
    run = load_spec("connect-four").runs()[0]
    data = {
        "game": "connect_four",
        "board_size": "4x5",
        "x_in_row": 3,
        "budget": BUDGET,
        "network": {"width": 32, "depth": 1},
        "snapshots": {"count": 2, "first": 1e7},
    }
    for key in ("search", "selfplay", "learner"):
        data[key] = {
            name: value
            for name, value in getattr(run.config, key).__dict__.items()
            if name != "backend"
        }
    return from_dict(TrainConfig, data)


@pytest.mark.slow
def test_connect_four_preset_learns_to_beat_random_and_to_win_against_the_solver(tmp_path):
    result = train(preset_config(), tmp_path / "run")
    agent = load_agent(result.snapshots[-1], simulations=8, greedy=True)
    as_first, as_second = play_match(agent, RandomAgent(agent.board_size), 200, jax.random.key(1))
    assert as_first.first_wins >= 95, f"won {as_first.first_wins} of 100 as the first player"
    assert as_second.second_wins >= 80, f"won {as_second.second_wins} of 100 as the second"
    solver = make_reference("solver", agent.board_size)
    first, _ = play_match(agent, solver, 20, jax.random.key(2))
    assert first.first_wins == 10, f"moving first against the solver: {first}"
