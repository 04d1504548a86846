"""The exact Hex solver: known results, a cross-check against a plain minimax over OpenSpiel's
`hex`, the reference player against a random one, and bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pyspiel
import pytest

import games
from games.solver import (
    Solver,
    bits_to_board,
    board_to_bits,
    perfect_play_rate,
    positions_from_states,
)
from sweeps.references import SolverAgent


def reference_mover_wins(state, memo) -> bool:
    """Plain exhaustive minimax over OpenSpiel's hex: does the player to move win?"""
    key = str(state)
    if key not in memo:
        mover = state.current_player()
        result = False
        for action in state.legal_actions():
            child = state.child(action)
            if child.is_terminal():
                result = child.returns()[mover] > 0
            else:
                result = not reference_mover_wins(child, memo)
            if result:
                break
        memo[key] = result
    return memo[key]


def spiel_state(size, black, white):
    """The OpenSpiel state with these stones (unfinished positions only), black to move first."""
    state = pyspiel.load_game(f"hex(board_size={size})").new_initial_state()
    black_cells = [c for c in range(size * size) if black >> c & 1]
    white_cells = [c for c in range(size * size) if white >> c & 1]
    for index, cell in enumerate(black_cells):
        state.apply_action(cell)
        if index < len(white_cells):
            state.apply_action(white_cells[index])
    return state


@pytest.mark.parametrize("size", [2, 3, 4])
def test_first_player_wins_on_small_boards(size):
    solver = Solver(size)
    assert solver.value(0, 0) == 1
    assert solver.winning_moves((0, 0))
    # Every opening has a reply that wins for white, or it is a win for black: values are +-1.
    for cell in range(size * size):
        assert solver.value(1 << cell, 0) in (1, -1)


def test_known_winning_openings():
    # 2x2: the two cells of the short diagonal; 4x4: exactly the short diagonal (d1 c2 b3 a4).
    assert Solver(2).winning_moves((0, 0)) == {1, 2}
    assert Solver(4).winning_moves((0, 0)) == {3, 6, 9, 12}


def test_3x3_winning_first_moves_match_plain_minimax():
    size = 3
    root = pyspiel.load_game(f"hex(board_size={size})").new_initial_state()
    memo = {}
    expected = {
        action
        for action in root.legal_actions()
        if not reference_mover_wins(root.child(action), memo)
    }
    assert Solver(size).winning_moves((0, 0)) == expected


def test_every_3x3_position_matches_plain_minimax():
    size = 3
    solver = Solver(size)
    memo = {}
    root = pyspiel.load_game(f"hex(board_size={size})").new_initial_state()
    seen, stack, checked = set(), [root], 0
    while stack:
        state = stack.pop()
        board = np.array(
            [{".": 0, "x": 1, "o": 2}[ch] for ch in str(state).split()], np.int8
        )  # OpenSpiel prints x (black), o (white) and . (empty), row by row
        black, white = board_to_bits(board, size)
        if (black, white) in seen:
            continue
        seen.add((black, white))
        expected = 1 if reference_mover_wins(state, memo) else -1
        assert solver.value(black, white) == expected, (black, white)
        checked += 1
        for action in state.legal_actions():
            child = state.child(action)
            if not child.is_terminal():
                stack.append(child)
    assert checked > 1000


def test_4x4_endgames_match_plain_minimax():
    size = 4
    solver = Solver(size)
    memo = {}
    rng = np.random.default_rng(1)
    compared = 0
    while compared < 25:
        cells = rng.permutation(size * size)
        plies = int(rng.integers(8, 11))
        black = sum(1 << int(c) for c in cells[:plies:2])
        white = sum(1 << int(c) for c in cells[1:plies:2])
        try:
            if solver.is_finished(black, white):
                continue
        except ValueError:  # the mover connected earlier in this made-up order
            continue
        state = spiel_state(size, black, white)
        if state.is_terminal():
            continue
        expected = 1 if reference_mover_wins(state, memo) else -1
        assert solver.value(black, white) == expected, (black, white)
        expected_moves = {
            a
            for a in state.legal_actions()
            if (state.child(a).is_terminal() or not reference_mover_wins(state.child(a), memo))
        }
        assert solver.winning_moves((black, white)) == expected_moves
        compared += 1


def test_conversions_and_finished_positions():
    size = 3
    env = games.make("hex", size=size)
    state = env.init(jax.random.key(0))
    step = jax.jit(env.step)
    for action in (4, 0, 3):
        state = step(state, action)
    black, white = board_to_bits(np.asarray(state.board), size)
    assert (black, white) == ((1 << 4) | (1 << 3), 1)
    assert Solver(size).position(state) == (black, white)
    np.testing.assert_array_equal(bits_to_board(black, white, size), np.asarray(state.board))
    batch = jax.tree.map(lambda x: jnp.stack([x, x]), state)
    assert positions_from_states(batch, size) == [(black, white)] * 2
    # Black a1 a2 a3 has connected: white to move has lost, and has no winning move.
    solver = Solver(size)
    won = (1 << 0) | (1 << 3) | (1 << 6)
    assert solver.is_finished(won, (1 << 1) | (1 << 2))
    assert solver.value(won, (1 << 1) | (1 << 2)) == -1
    assert solver.winning_moves((won, (1 << 1) | (1 << 2))) == set()


def test_bad_input_is_a_clear_value_error():
    with pytest.raises(ValueError, match="size"):
        Solver(1)
    with pytest.raises(ValueError, match="allow_slow"):
        Solver(5)
    with pytest.raises(ValueError, match="size"):
        Solver(6, allow_slow=True)
    with pytest.raises(ValueError, match="size"):
        Solver("4")
    solver = Solver(3)
    with pytest.raises(ValueError, match="overlap"):
        solver.value(1, 1)
    with pytest.raises(ValueError, match="stones"):
        solver.value(0, 1)  # white cannot have more stones than black
    with pytest.raises(ValueError, match="board"):
        solver.value(1 << 9, 0)
    with pytest.raises(ValueError, match="shape"):
        solver.winning_moves(np.zeros(16, np.int8))
    with pytest.raises(ValueError, match="values"):
        solver.winning_moves(np.full(9, 3, np.int8))
    with pytest.raises(ValueError, match="actions"):
        perfect_play_rate(solver, [(0, 0)], [0, 1])
    swap_env = games.make("hex", size=3, swap=True)
    states = jax.vmap(swap_env.init)(jax.random.split(jax.random.key(0), 2))
    with pytest.raises(ValueError, match="swap"):
        SolverAgent(solver).act(jax.random.key(0), states)


def play_games(env, black, white, num_games, key):
    """Play ``num_games`` games in one batch: (winners [G], visited (board, action) pairs)."""
    init_key, key = jax.random.split(key)
    states = jax.vmap(env.init)(jax.random.split(init_key, num_games))
    step = jax.jit(jax.vmap(env.step))
    visited = []
    for ply in range(env.max_game_length):
        if bool(states.terminated.all()):
            break
        key, move_key = jax.random.split(key)
        mover = black if ply % 2 == 0 else white
        actions = mover.act(move_key, states)
        boards, done = np.asarray(states.board), np.asarray(states.terminated)
        visited += [(boards[g], int(actions[g])) for g in range(num_games) if not done[g]]
        states = step(states, actions)
    return np.asarray(states.winner), visited


@pytest.mark.parametrize("size", [3, 4])
def test_solver_agent_beats_random_as_first_player(size):
    from sweeps.references import RandomAgent

    env = games.make("hex", size=size)
    solver = Solver(size)
    agent = SolverAgent(solver)
    opponent = RandomAgent(board_size=size)
    winners, visited = play_games(env, agent, opponent, 24, jax.random.key(size))
    assert (winners == 0).all()
    # The solver's own moves keep every won position won.
    solver_moves = [(board, action) for board, action in visited if (board != 0).sum() % 2 == 0]
    boards, actions = zip(*solver_moves, strict=True)
    assert perfect_play_rate(solver, np.stack(boards), actions) == 1.0


def test_perfect_play_rate_counts_only_won_positions():
    solver = Solver(4)
    empty = (0, 0)
    assert perfect_play_rate(solver, [empty, empty], [6, 0]) == 0.5
    after_d1 = (1 << 3, 0)  # a winning opening: white to move has lost, so nothing to count
    assert solver.value(*after_d1) == -1
    assert np.isnan(perfect_play_rate(solver, [after_d1], [5]))
    after_a1 = (1 << 0, 0)  # a losing opening: white to move wins
    assert solver.value(*after_a1) == 1
    reply = min(solver.winning_moves(after_a1))
    assert perfect_play_rate(solver, [after_a1, after_d1, empty], [reply, 5, 3]) == 1.0
    # A random player on 4x4 throws away won positions now and then.
    env = games.make("hex", size=4)
    from sweeps.references import RandomAgent

    random_agent = RandomAgent(board_size=4)
    _, visited = play_games(env, random_agent, random_agent, 16, jax.random.key(7))
    boards, actions = zip(*visited, strict=True)
    assert perfect_play_rate(solver, np.stack(boards), actions) < 1.0


def test_solver_agent_is_deterministic_given_the_key():
    env = games.make("hex", size=4)
    states = jax.vmap(env.init)(jax.random.split(jax.random.key(0), 8))
    agent = SolverAgent(Solver(4))
    first = agent.act(jax.random.key(3), states)
    again = agent.act(jax.random.key(3), states)
    np.testing.assert_array_equal(first, again)
    assert first.dtype == jnp.int32 and first.shape == (8,)
    assert set(np.asarray(first).tolist()) <= {3, 6, 9, 12}


@pytest.mark.slow
def test_5x5_first_player_wins():
    solver = Solver(5, allow_slow=True)
    assert solver.value(0, 0) == 1
    assert solver.value(1 << 12, 0) == -1  # the centre opening wins for black


def test_the_bitboard_rules_agree_with_hex_on_every_position_a_solve_visits():
    """The solver keeps its own bitboard rules (flood fills, completing cells); on every position
    its search visits in solving 3x3, they must say what `games.hex.Hex` says: the position is
    unfinished with the same player to move and the same legal cells, and a cell ends the game
    for the mover exactly when the bitboards say it connects the mover's edges."""
    size = 3
    solver = Solver(size)
    visited = set()
    search = solver._search

    def recording(black, white, black_to_move):
        visited.add((black, white, black_to_move))
        return search(black, white, black_to_move)

    solver._search = recording  # the recursion looks the method up on the instance
    solver.winning_moves((0, 0))
    assert len(visited) > 20
    env = games.make("hex", size=size)
    step = jax.jit(env.step)
    cells = size * size
    for black, white, black_to_move in sorted(visited):
        blacks = [cell for cell in range(cells) if black >> cell & 1]
        whites = [cell for cell in range(cells) if white >> cell & 1]
        state = env.init(jax.random.key(0))
        for ply in range(len(blacks) + len(whites)):
            state = step(state, (blacks if ply % 2 == 0 else whites)[ply // 2])
        where = f"black {black:#x} white {white:#x}"
        assert not bool(state.terminated), where
        assert int(state.current_player) == (0 if black_to_move else 1), where
        empty = solver.full ^ (black | white)
        legal = np.asarray(state.legal_action_mask)
        assert [bool(empty >> cell & 1) for cell in range(cells)] == legal.tolist(), where
        mover = black if black_to_move else white
        first, second = solver._edges(black_to_move)
        completing = solver._completing_cells(mover, empty, first, second)
        for cell in range(cells):
            if not legal[cell]:
                continue
            after = step(state, cell)
            ends = bool(after.terminated) and int(after.winner) == int(state.current_player)
            assert ends == solver.connected(mover | 1 << cell, black_to_move), (where, cell)
            assert ends == bool(completing >> cell & 1), (where, cell)
