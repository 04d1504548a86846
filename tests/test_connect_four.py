"""Connect Four: hand-checkable positions, sizes and errors, and a move-by-move cross-check against
OpenSpiel's `connect_four` (which takes the same ``rows``, ``columns`` and ``x_in_row``) and against
an independent pure-Python reference, on random games including draws."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import play

import games
from games.connect_four import CROSS, EMPTY, NOUGHT, ConnectFour, parse_size
from games.connect_four_solver import ConnectFourSolver

# ---- an independent reference: a list board and a line scan --------------------------------


class Reference:
    """Connect Four the plain way: ``board[row][col]`` with row 0 at the bottom, a line scan from
    every stone in four directions."""

    def __init__(self, rows, columns, x_in_row):
        self.rows, self.columns, self.x_in_row = rows, columns, x_in_row
        self.board = [[EMPTY] * columns for _ in range(rows)]
        self.player, self.winner, self.moves = 0, -1, 0

    def legal(self):
        if self.terminal():
            return []
        return [c for c in range(self.columns) if self.board[self.rows - 1][c] == EMPTY]

    def terminal(self):
        return self.winner >= 0 or self.moves == self.rows * self.columns

    def has_line(self, stone):
        for row in range(self.rows):
            for col in range(self.columns):
                for d_row, d_col in ((0, 1), (1, 0), (1, 1), (1, -1)):
                    cells = [(row + k * d_row, col + k * d_col) for k in range(self.x_in_row)]
                    if all(
                        0 <= r < self.rows and 0 <= c < self.columns and self.board[r][c] == stone
                        for r, c in cells
                    ):
                        return True
        return False

    def apply(self, col):
        assert col in self.legal()
        row = next(r for r in range(self.rows) if self.board[r][col] == EMPTY)
        self.board[row][col] = self.player + 1
        if self.has_line(self.player + 1):
            self.winner = self.player
        self.player, self.moves = 1 - self.player, self.moves + 1

    def returns(self):
        if self.winner < 0:
            return [0.0, 0.0]
        return [1.0, -1.0] if self.winner == 0 else [-1.0, 1.0]


# ---- sizes, errors, text ---------------------------------------------------------------------


def test_make_sizes_and_errors():
    env = games.make("connect_four")
    assert (env.rows, env.columns, env.x_in_row) == (6, 7, 4)  # OpenSpiel's defaults
    env = games.make("connect_four", size="4x5", x_in_row=3)
    assert env.num_actions == 5 and env.observation_shape == (4, 5, 2)
    assert env.max_game_length == 20 and env.size_label == "4x5"
    assert games.make("connect_four", size=(4, 5), x_in_row=3) == env
    assert games.make("connect_four", size=" 4 X 5 ", x_in_row=3) == env
    assert parse_size("6x7") == (6, 7)
    for bad in ("7", 7, "6x", "6x7x4", "axb", 6.5, (6,), (6, 7.0), True):
        with pytest.raises(ValueError, match="ROWSxCOLUMNS"):
            games.make("connect_four", size=bad)
    for bad, field in (("0x7", "rows"), ("6x27", "columns")):
        with pytest.raises(ValueError, match=field):
            games.make("connect_four", size=bad)
    for bad in (1, 8, 2.0, "4"):
        with pytest.raises(ValueError, match="x_in_row"):
            games.make("connect_four", size="6x7", x_in_row=bad)
    with pytest.raises(ValueError, match="swap"):
        games.make("connect_four", swap=True)
    with pytest.raises(ValueError, match="connect_four"):
        games.make("connect_four", colour="red")
    assert games.make("connect_four", swap=False) == ConnectFour()


def test_text_helpers():
    env = games.make("connect_four", size="3x4", x_in_row=3)
    assert [env.action_to_text(a) for a in range(4)] == ["a", "b", "c", "d"]
    assert env.text_to_action(" C ") == 2
    for bad in ("e", "ab", "1", ""):
        with pytest.raises(ValueError, match="a-d"):
            env.text_to_action(bad)
    with pytest.raises(ValueError, match="off a board"):
        env.action_to_text(4)
    state = play(env, [1, 1, 2])
    assert env.render_state(state) == "\n".join(
        [" 3  . . . .", " 2  . o . .", " 1  . x[x].", "    a b c d"]
    )


# ---- hand-checkable positions ----------------------------------------------------------------


def test_vertical_win():
    env = games.make("connect_four")
    state = play(env, [3, 4, 3, 4, 3, 4])
    assert not state.terminated
    state = env.step(state, 3)
    assert state.terminated and int(state.winner) == 0
    assert state.rewards.tolist() == [1.0, -1.0]
    assert not state.legal_action_mask.any()


def test_horizontal_win_for_the_second_player():
    env = games.make("connect_four")
    state = play(env, [0, 1, 0, 2, 0, 3, 6])  # x: a a a g (no line); o: b c d
    assert not state.terminated
    state = env.step(state, 4)
    assert state.terminated and int(state.winner) == 1
    assert state.rewards.tolist() == [-1.0, 1.0]


@pytest.mark.parametrize("mirror", [False, True])
def test_diagonal_wins(mirror):
    # x builds a staircase a1 b2 c3 d4 (or its mirror g1 f2 e3 d4).
    env = games.make("connect_four")
    col = (lambda c: 6 - c) if mirror else (lambda c: c)
    moves = [0, 1, 1, 2, 2, 3, 2, 3, 3, 6, 3]
    state = play(env, [col(c) for c in moves[:-1]])
    assert not state.terminated
    state = env.step(state, col(moves[-1]))
    assert state.terminated and int(state.winner) == 0


def test_three_is_not_four_and_lines_do_not_wrap():
    env = games.make("connect_four")
    # x on e1 f1 g1 and then a2 (row 1 starts where row 0 ends in the cell numbering).
    state = play(env, [4, 0, 5, 1, 6, 2, 0])
    assert not state.terminated
    rows_of_horizontal = env.lines()[(np.diff(env.lines(), axis=1) == 1).all(axis=1)] // 7
    assert (rows_of_horizontal == rows_of_horizontal[:, :1]).all()


def test_draw_on_a_full_board():
    # 2x4 with x_in_row=3: bottom row x o x o, top row o x o x, no line of three.
    env = games.make("connect_four", size="2x4", x_in_row=3)
    moves = [0, 1, 1, 0, 2, 3, 3, 2]
    reference = Reference(2, 4, 3)
    for move in moves:
        reference.apply(move)
    assert reference.terminal() and reference.winner == -1
    state = play(env, moves)
    assert state.terminated and int(state.winner) == -1
    assert state.rewards.tolist() == [0.0, 0.0]
    assert not state.legal_action_mask.any()


def test_full_column_is_illegal_and_loses():
    env = games.make("connect_four", size="2x3", x_in_row=2)
    state = play(env, [0, 0])
    assert state.legal_action_mask.tolist() == [False, True, True]
    after = env.step(state, 0)
    assert after.terminated and after.illegal and int(after.winner) == 1
    assert after.rewards.tolist() == [-1.0, 1.0]
    np.testing.assert_array_equal(after.board, state.board)


def test_observation_layout():
    env = games.make("connect_four", size="3x4", x_in_row=3)
    state = play(env, [1, 1, 2])  # x on b1 c1, o on b2; o to move
    grid = np.asarray(state.board).reshape(3, 4)
    assert grid[0, 1] == CROSS and grid[0, 2] == CROSS and grid[1, 1] == NOUGHT
    observation = np.asarray(state.observation)
    assert observation[1, 1, 0] == 1 and observation[0, 1, 1] == 1 and observation[0, 2, 1] == 1
    assert observation.sum() == 3
    np.testing.assert_array_equal(env.canonical_action_map(jnp.int32(1)), np.arange(4))


# ---- cross-checks against OpenSpiel and the reference ------------------------------------------

SIZES = [(4, 4, 3), (4, 5, 3), (5, 5, 4), (6, 7, 4), (3, 6, 3), (1, 5, 3)]


def _our_games(env, actions):
    """Our batched trajectory of the action sequences ``actions`` [B, T] (padded with -1 after the
    end, which a finished game ignores)."""

    @jax.jit
    def run(actions):
        def ply(state, action):
            after = jax.vmap(env.step)(state, action)
            return after, after

        start = jax.vmap(env.init)(jax.random.split(jax.random.key(0), actions.shape[0]))
        return start, jax.lax.scan(ply, start, actions.T)[1]

    return run(jnp.asarray(actions, jnp.int32))


def _random_games(env, count, seed):
    """Action sequences of ``count`` random games played by our env: [count, T] with -1 padding."""

    @jax.jit
    def run(key):
        def ply(state, key):
            action = jax.random.categorical(
                key, jnp.where(state.legal_action_mask, 0.0, -jnp.inf), axis=-1
            ).astype(jnp.int32)
            action = jnp.where(state.terminated, -1, action)
            return jax.vmap(env.step)(state, action), action

        start = jax.vmap(env.init)(jax.random.split(key, count))
        return jax.lax.scan(ply, start, jax.random.split(key, env.max_game_length))

    final, actions = run(jax.random.key(seed))
    return np.asarray(actions).T, final


def _openspiel_games(rows, columns, x_in_row, count, seed):
    import pyspiel

    game = pyspiel.load_game(
        "connect_four", {"rows": rows, "columns": columns, "x_in_row": x_in_row}
    )
    rng = np.random.default_rng(seed)
    sequences = np.full((count, rows * columns), -1, np.int64)
    for index in range(count):
        state = game.new_initial_state()
        ply = 0
        while not state.is_terminal():
            action = int(rng.choice(state.legal_actions()))
            state.apply_action(action)
            sequences[index, ply] = action
            ply += 1
    return sequences


def _cross_check(rows, columns, x_in_row, sequences):
    """Replay ``sequences`` [B, T] in our env (batched), OpenSpiel and the reference; compare every
    ply: legal actions, terminal flag, returns, mover, board. Returns the number of draws."""
    import pyspiel

    game = pyspiel.load_game(
        "connect_four", {"rows": rows, "columns": columns, "x_in_row": x_in_row}
    )
    assert game.observation_tensor_shape() == [3, rows, columns]
    env = games.make("connect_four", size=f"{rows}x{columns}", x_in_row=x_in_row)
    start, trajectory = _our_games(env, sequences)
    legal = np.asarray(trajectory.legal_action_mask)  # [T, B, C]
    terminated = np.asarray(trajectory.terminated)
    returns = np.cumsum(np.asarray(trajectory.rewards), axis=0)  # [T, B, 2]
    players = np.asarray(trajectory.current_player)
    observations = np.asarray(trajectory.observation)
    draws = 0
    for game_index, actions in enumerate(sequences):
        spiel = game.new_initial_state()
        reference = Reference(rows, columns, x_in_row)
        assert np.flatnonzero(start.legal_action_mask[game_index]).tolist() == spiel.legal_actions()
        for ply, action in enumerate(actions):
            if action < 0:
                assert spiel.is_terminal()
                break
            spiel.apply_action(int(action))
            reference.apply(int(action))
            where = f"{rows}x{columns}/{x_in_row} game {game_index} ply {ply}"
            mask = legal[ply, game_index]
            assert np.flatnonzero(mask).tolist() == spiel.legal_actions(), where
            assert np.flatnonzero(mask).tolist() == reference.legal(), where
            assert bool(terminated[ply, game_index]) == spiel.is_terminal(), where
            assert reference.terminal() == spiel.is_terminal(), where
            assert returns[ply, game_index].tolist() == spiel.returns(), where
            assert reference.returns() == spiel.returns(), where
            planes = np.asarray(spiel.observation_tensor(0)).reshape(3, rows, columns)
            mover = int(players[ply, game_index])
            if not spiel.is_terminal():
                assert mover == spiel.current_player(), where
            # Ours: [mover's, opponent's] channels-last; OpenSpiel's: [x, o, empty] planes.
            expected = np.stack([planes[mover], planes[1 - mover]], axis=-1)
            np.testing.assert_array_equal(observations[ply, game_index], expected, err_msg=where)
        else:
            assert spiel.is_terminal()
        draws += spiel.returns() == [0.0, 0.0]
    return draws


@pytest.mark.parametrize("rows, columns, x_in_row", SIZES)
def test_matches_openspiel_on_openspiel_random_games(rows, columns, x_in_row):
    sequences = _openspiel_games(rows, columns, x_in_row, count=40, seed=rows * 100 + columns)
    _cross_check(rows, columns, x_in_row, sequences)


@pytest.mark.parametrize("rows, columns, x_in_row", SIZES)
def test_matches_openspiel_on_our_random_games_with_draws(rows, columns, x_in_row):
    # Many random games from our env; replay every draw (up to 20) and as many wins in OpenSpiel.
    env = games.make("connect_four", size=f"{rows}x{columns}", x_in_row=x_in_row)
    sequences, final = _random_games(env, count=4096, seed=7)
    drawn = np.flatnonzero(np.asarray(final.winner) < 0)[:20]
    won = np.flatnonzero(np.asarray(final.winner) >= 0)[:20]
    assert drawn.size >= 1, "no draw among the random games"
    assert (sequences[drawn] >= 0).all(axis=1).all()  # drawn games fill the board
    draws = _cross_check(rows, columns, x_in_row, sequences[np.concatenate([drawn, won])])
    assert draws == drawn.size


# ---- the exact solver ------------------------------------------------------------------------


def _brute_force(rows, columns, x_in_row):
    """value(reference) -> +1 / 0 / -1 for the mover: plain minimax over the reference game,
    memoised on the board (an independent check of the solver on tiny boards)."""

    @functools.cache
    def value(board, player, moves):
        position = _reference_at(rows, columns, x_in_row, board, player, moves)
        if position.has_line(2 - player):
            return -1
        if position.terminal():
            return 0
        best = -1
        for col in position.legal():
            child = _child(position, col)
            best = max(best, -value(*_frozen(child)))
            if best == 1:
                break
        return best

    return lambda position: value(*_frozen(position))


def _reference_at(rows, columns, x_in_row, board, player, moves):
    position = Reference(rows, columns, x_in_row)
    position.board = [list(row) for row in board]
    position.player, position.moves = player, moves
    return position


def _frozen(position):
    return tuple(map(tuple, position.board)), position.player, position.moves


def _child(position, col):
    child = _reference_at(position.rows, position.columns, position.x_in_row, *_frozen(position))
    child.apply(col)
    return child


@pytest.mark.parametrize("rows, columns, x_in_row", [(3, 3, 3), (3, 4, 3), (4, 3, 3), (4, 4, 3)])
def test_solver_matches_brute_force_minimax(rows, columns, x_in_row):
    solver = ConnectFourSolver(rows, columns, x_in_row)
    brute = _brute_force(rows, columns, x_in_row)
    rng = np.random.default_rng(rows * 10 + columns)
    checked = 0
    for _ in range(25):
        moves = []
        position = Reference(rows, columns, x_in_row)
        length = int(rng.integers(0, rows * columns))
        while len(moves) < length and not position.terminal():
            col = int(rng.choice(position.legal()))
            position.apply(col)
            moves.append(col)
        value = brute(position)
        assert solver.value(moves) == value, moves
        if position.terminal():
            assert solver.move_values(moves) == {} and solver.best_moves(moves) == []
            continue
        children = {col: -brute(_child(position, col)) for col in position.legal()}
        assert solver.move_values(moves) == children, moves
        assert solver.best_moves(moves) == sorted(c for c, v in children.items() if v == value)
        checked += 1
    assert checked >= 10


def test_solver_known_values():
    # Connect 3 on 4x4 is a first-player win; connect 4 on any board 4 columns wide is a draw.
    assert ConnectFourSolver(4, 4, 3).value([]) == 1
    assert ConnectFourSolver(4, 4, 4).value([]) == 0
    assert ConnectFourSolver(3, 3, 3).value([]) == 0


def test_solver_matches_openspiel_alpha_beta():
    import pyspiel
    from open_spiel.python.algorithms.minimax import alpha_beta_search

    game = pyspiel.load_game("connect_four", {"rows": 3, "columns": 4, "x_in_row": 3})
    solver = ConnectFourSolver(3, 4, 3)
    rng = np.random.default_rng(1)
    for _ in range(6):
        state, moves = game.new_initial_state(), []
        for _ in range(int(rng.integers(0, 6))):
            if state.is_terminal():
                break
            col = int(rng.choice(state.legal_actions()))
            state.apply_action(col)
            moves.append(col)
        if state.is_terminal():
            continue
        value, _ = alpha_beta_search(game, state=state, maximizing_player_id=0)
        mover_sign = 1 if state.current_player() == 0 else -1
        assert solver.value(moves) == round(value) * mover_sign, moves


def test_solver_reads_boards_states_and_moves_alike():
    env = games.make("connect_four", size="4x4", x_in_row=4)
    solver = ConnectFourSolver(4, 4, 4)
    moves = [1, 2, 1, 1, 3, 0]
    state = play(env, moves)
    expected = solver.move_values(moves)
    assert solver.move_values(state) == expected
    assert solver.move_values(np.asarray(state.board)) == expected
    # Playing a best move keeps the value.
    value = solver.value(moves)
    for col in solver.best_moves(state):
        assert -solver.value([*moves, col]) == value


def test_solver_errors_and_finished_positions():
    solver = ConnectFourSolver(3, 3, 3)
    with pytest.raises(ValueError, match="full column"):
        solver.value([0, 0, 0, 0])
    with pytest.raises(ValueError, match="not a column"):
        solver.value([3])
    with pytest.raises(ValueError, match="after the game ended"):
        solver.value([0, 1, 0, 1, 0, 2])
    with pytest.raises(ValueError, match="gap"):
        solver.value(np.array([0, 0, 0, 1, 0, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="x has 0 stones and o 1"):
        solver.value(np.array([2, 0, 0, 0, 0, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="shape"):
        solver.value(np.zeros(10, np.int8))
    with pytest.raises(ValueError, match="allow_slow"):
        ConnectFourSolver(5, 5, 4)
    won = [0, 1, 0, 1, 0]  # x has a1 a2 a3
    assert solver.value(won) == -1 and solver.move_values(won) == {}
    drawn = [2, 2, 1, 0, 0, 0, 2, 1, 1]  # rows from the bottom: o x x, x o o, o x x
    reference = Reference(3, 3, 3)
    for col in drawn:
        reference.apply(col)
    assert reference.terminal() and reference.winner == -1
    assert solver.value(drawn) == 0 and solver.best_moves(drawn) == []


@pytest.mark.slow
def test_solver_five_by_five_is_a_draw():
    assert ConnectFourSolver(5, 5, 4, allow_slow=True).value([]) == 0
