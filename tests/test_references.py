"""Reference players: OpenSpiel MCTS plays legal, reproducible moves and beats random; the
HexState -> pyspiel conversion rebuilds positions exactly; `make_reference` builds every kind or
says why not."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import games
from alphazero.match import play_match
from sweeps.references import MCTSAgent, RandomAgent, make_reference, openspiel_board, to_openspiel


def random_positions(size: int, num_games: int, plies: int, key, swap: bool = False):
    """States after ``plies`` uniformly random moves in ``num_games`` games (some may be over)."""
    env = games.make("hex", size=size, swap=swap)
    states = jax.vmap(env.init)(jax.random.split(key, num_games))
    agent = RandomAgent(size)
    step = jax.jit(jax.vmap(env.step))
    for _ in range(plies):
        key, move_key = jax.random.split(key)
        states = step(states, agent.act(move_key, states))
    return states


def take(states, index):
    return jax.tree.map(lambda x: x[index], states)


@pytest.mark.parametrize("size", [3, 5, 7])
def test_conversion_reproduces_random_positions(size):
    env = games.make("hex", size=size)
    key = jax.random.key(size)
    states = jax.vmap(env.init)(jax.random.split(key, 4))
    step = jax.jit(jax.vmap(env.step))
    checked = 0
    for _ in range(size * size):
        boards = np.asarray(states.board)
        for g in range(boards.shape[0]):
            if bool(states.terminated[g]):
                continue
            state = to_openspiel(boards[g], size)
            np.testing.assert_array_equal(openspiel_board(state, size), boards[g])
            assert state.current_player() == int(states.current_player[g])
            assert not state.is_terminal()
            legal = np.flatnonzero(np.asarray(states.legal_action_mask[g]))
            np.testing.assert_array_equal(legal, state.legal_actions())
            checked += 1
        key, move_key = jax.random.split(key)
        states = step(states, RandomAgent(size).act(move_key, states))
    assert checked >= 4 * size


def test_conversion_matches_rendered_stones():
    size = 4
    states = random_positions(size, 1, 5, jax.random.key(3))
    board = np.asarray(states.board[0])
    spiel = str(to_openspiel(board, size))
    rows = [line.split() for line in spiel.strip("\n").splitlines()]
    # OpenSpiel marks black stones with x/y/z/X (by edge contact) and white with o/p/q/O.
    ours = [
        ["." if c == 0 else ("x" if c == 1 else "o") for c in row] for row in board.reshape(4, 4)
    ]
    theirs = [["." if c == "." else ("x" if c in "xyzX" else "o") for c in row] for row in rows]
    assert ours == theirs


def test_mcts_moves_are_legal_and_reproducible():
    size = 4
    states = random_positions(size, 8, 3, jax.random.key(1))
    agent = MCTSAgent(size, 20)
    actions = np.asarray(agent.act(jax.random.key(7), states))
    assert actions.shape == (8,) and actions.dtype == np.int32
    legal = np.asarray(states.legal_action_mask)
    assert all(legal[g, actions[g]] for g in range(8) if not bool(states.terminated[g]))
    again = np.asarray(agent.act(jax.random.key(7), states))
    np.testing.assert_array_equal(actions, again)
    assert agent.name == "mcts-20" and agent.simulations == 20 and agent.board_size == size


def test_mcts_beats_random_on_3x3():
    mcts = MCTSAgent(3, 100)
    results = play_match(mcts, RandomAgent(3), 20, jax.random.key(0))
    mcts_wins = results[0].first_wins + results[1].second_wins
    assert sum(r.games for r in results) == 20
    assert mcts_wins >= 16, results


def test_finished_games_in_a_batch_do_not_crash():
    size = 3
    finished = random_positions(size, 4, size * size, jax.random.key(2))
    assert bool(finished.terminated.all())
    fresh = random_positions(size, 4, 1, jax.random.key(5))
    batch = jax.tree.map(lambda a, b: jnp.concatenate([a, b]), finished, fresh)
    actions = np.asarray(MCTSAgent(size, 10).act(jax.random.key(0), batch))
    assert actions.shape == (8,)
    np.testing.assert_array_equal(actions[:4], 0)
    legal = np.asarray(fresh.legal_action_mask)
    assert all(legal[g, actions[4 + g]] for g in range(4))


def test_swap_games_are_refused():
    states = random_positions(3, 2, 1, jax.random.key(0), swap=True)
    with pytest.raises(ValueError, match="swap"):
        MCTSAgent(3, 5).act(jax.random.key(0), states)
    with pytest.raises(ValueError, match="swap"):
        to_openspiel(np.array([0, 0, 0, 2, 0, 0, 0, 0, 0]), 3)  # white stone, no black: a swap


def test_make_reference_kinds_and_errors():
    random_agent = make_reference("random", 4, 0)
    assert isinstance(random_agent, RandomAgent) and random_agent.board_size == 4
    mcts = make_reference("mcts", 5, 32)
    assert isinstance(mcts, MCTSAgent) and mcts.name == "mcts-32" and mcts.simulations == 32
    with pytest.raises(ValueError, match="kind must be one of random, mcts, solver"):
        make_reference("alphabeta", 4, 0)
    with pytest.raises(ValueError, match="simulations"):
        make_reference("mcts", 4, 0)
    try:
        import games.solver  # noqa: F401
    except ImportError:
        with pytest.raises(ValueError, match="unavailable"):
            make_reference("solver", 3, 0)
        return
    solver = make_reference("solver", 3, 0)
    assert solver.board_size == 3 and solver.simulations == 0
    with pytest.raises(ValueError, match="solver"):
        make_reference("solver", 9, 0)
