"""It must learn: short runs on 3x3 and 4x4 beat uniform random play in both colours.

The runs use the exploring self-play settings of the teaching preset (root noise, sampled acting, a
quarter of self-play moves random), which teach the value head what an opponent's blunder is worth.
On 3x3 a perfect-play agent that ignores its opponent's mistakes wins only 82% as white against
random play, and the best possible is 97.8%, so 95% takes that.
"""

from __future__ import annotations

import dataclasses

import jax
import pytest

from alphazero import TrainConfig, load_agent, train, untrained_agent
from alphazero.config import from_dict
from alphazero.match import play_match
from sweeps.references import RandomAgent


def learning_config(
    board_size: int, width: int, budget: float, backend: str = "auto", algorithm: str = "gumbel"
) -> TrainConfig:
    return from_dict(
        TrainConfig,
        {
            "board_size": board_size,
            "budget": budget,
            "network": {"width": width, "depth": 2},
            "search": {"num_simulations": 8, "backend": backend, "algorithm": algorithm},
            "selfplay": {"num_envs": 64, "steps_per_iteration": 4, "random_move_fraction": 0.25},
            "learner": {
                "batch_size": 128,
                "updates_per_iteration": 8,
                "buffer_steps": 32,
                "learning_rate": 3e-3,
            },
            "snapshots": {"count": 3},
        },
    )


def wins_against_random(agent, games_per_colour: int, seed: int = 1):
    as_first, as_second = play_match(
        agent, RandomAgent(agent.board_size), 2 * games_per_colour, jax.random.key(seed)
    )
    return as_first.first_wins, as_second.second_wins


@pytest.mark.parametrize("backend", ["native", "mctx"])
def test_3x3_run_beats_random_in_both_colours_and_never_loses_as_first(tmp_path, backend):
    """With either search backend in self-play (and in the agent under test)."""
    result = train(learning_config(3, 16, 3e9, backend), tmp_path / "run3")
    agent = load_agent(result.snapshots[-1], simulations=8, greedy=True)
    first, second = wins_against_random(agent, 200)
    assert first == 200, f"lost {200 - first} of 200 games as the first player"
    assert second >= 190, f"won only {second} of 200 games as the second player"
    if backend == "native":
        _backends_play_even(result.snapshots[0])


def _backends_play_even(snapshot):
    """One snapshot searched by each backend at equal simulations (sampled moves, the earliest
    network, so that games vary) scores 50% against itself within 3 standard errors."""
    agent = load_agent(snapshot, simulations=8)
    native, reference = agent.with_backend("native"), agent.with_backend("mctx")
    games = 400
    native_first, mctx_first = play_match(native, reference, games, jax.random.key(5))
    score = (native_first.first_wins + mctx_first.second_wins) / games
    # The check has power: the first player does not win every game.
    assert native_first.first_wins + mctx_first.first_wins < games - 20
    error = (0.25 / games) ** 0.5
    assert abs(score - 0.5) <= 3 * error, (score, native_first, mctx_first)


def _assert_beats_random_and_untrained(config: TrainConfig, result) -> None:
    """The last snapshot, greedy at 8 simulations, wins at least 190 of 200 games in each colour
    against random play and at least 180 of 200 against the untrained network."""
    agent = load_agent(result.snapshots[-1], simulations=8, greedy=True)
    first, second = wins_against_random(agent, 200)
    assert first >= 190 and second >= 190, (first, second)
    untrained = untrained_agent(config, simulations=8, greedy=True)
    a_first, b_first = play_match(agent, untrained, 200, jax.random.key(2))
    assert a_first.first_wins + b_first.second_wins >= 180, (a_first, b_first)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["native", "mctx"])
def test_4x4_run_beats_random_and_the_untrained_network(tmp_path, backend):
    config = learning_config(4, 32, 2e10, backend)
    _assert_beats_random_and_untrained(config, train(config, tmp_path / "run4"))


# The regularised search's coefficient as Jones's code has it (c * N / (N + A)), and Grill et al.'s
# c * sqrt(N) / (N + A), which learns more slowly at these budgets.
REGULARIZED_SQRT = [
    False,
    pytest.param(
        True,
        marks=[
            pytest.mark.slow,
            pytest.mark.xfail(
                strict=True,
                reason="sqrt(N) at c = 1/16 learns more slowly at this budget (4x4: 150 and "
                "143 of 200)",
            ),
        ],
    ),
]


def regularized_config(board_size: int, width: int, budget: float, sqrt: bool) -> TrainConfig:
    """`learning_config` with Jones's regularised search (`search.regularized_sqrt` = `sqrt`)."""
    config = learning_config(board_size, width, budget, algorithm="regularized")
    return dataclasses.replace(
        config, search=dataclasses.replace(config.search, regularized_sqrt=sqrt)
    )


@pytest.mark.parametrize("sqrt", REGULARIZED_SQRT)
def test_3x3_regularized_run_beats_random_in_both_colours(tmp_path, sqrt):
    """Jones's regularised search in self-play and in the agent under test, root noise in both as
    his code has it (so the greedy agent still plays a noised search): at least 185 of 200 games
    in each colour."""
    result = train(regularized_config(3, 16, 3e9, sqrt), tmp_path / "run3")
    agent = load_agent(result.snapshots[-1], simulations=8, greedy=True)
    first, second = wins_against_random(agent, 200)
    assert first >= 185, f"lost {200 - first} of 200 games as the first player"
    assert second >= 185, f"won only {second} of 200 games as the second player"


@pytest.mark.slow
@pytest.mark.parametrize("sqrt", REGULARIZED_SQRT)
def test_4x4_regularized_run_beats_random_and_the_untrained_network(tmp_path, sqrt):
    config = regularized_config(4, 32, 2e10, sqrt)
    _assert_beats_random_and_untrained(config, train(config, tmp_path / "run4"))
