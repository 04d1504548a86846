"""Hex: hand-checkable positions, invariants over every size, and a move-by-move cross-check
against OpenSpiel's `hex`."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import play

import games
from games.hex import BLACK, WHITE


def cell(size, text):
    return games.text_to_action(text, size)


def test_make_and_bad_sizes():
    env = games.make("hex", size=5)
    assert env.num_actions == 25 and env.observation_shape == (5, 5, 2)
    assert games.make("hex", size=5, swap=True).num_actions == 26
    for bad in (0, 1, 27, -3, 2.5, "5"):
        with pytest.raises(ValueError, match="size"):
            games.make("hex", size=bad)
    with pytest.raises(ValueError, match="unknown game"):
        games.make("chess")
    with pytest.raises(ValueError, match="hex"):
        games.make("hex", size=5, colour="red")


@pytest.mark.parametrize("corner", ["a1", "d4"])
def test_acute_corners_belong_to_both_edges(corner):
    # a1 and d4 are the acute corners: 2 neighbours, each on a black and a white edge.
    env = games.make("hex", size=4)
    neighbours = env._tables["neighbours"][cell(4, corner)]
    assert (neighbours >= 0).sum() == 2


@pytest.mark.parametrize("corner", ["d1", "a4"])
def test_obtuse_corners_have_three_neighbours(corner):
    env = games.make("hex", size=4)
    neighbours = env._tables["neighbours"][cell(4, corner)]
    assert (neighbours >= 0).sum() == 3


def test_straight_column_wins_for_black():
    # Black plays a1 a2 a3; white plays far away on column d.
    env = games.make("hex", size=3)
    state = play(env, [cell(3, "a1"), cell(3, "c1"), cell(3, "a2"), cell(3, "c2")])
    assert not state.terminated
    state = env.step(state, cell(3, "a3"))
    assert state.terminated and int(state.winner) == 0
    np.testing.assert_array_equal(state.rewards, [1.0, -1.0])
    assert not state.legal_action_mask.any()


def test_diagonal_uses_hex_adjacency():
    # (r-1, c+1) is adjacent: c1, b2, a3 is a connected black chain top to bottom.
    env = games.make("hex", size=3)
    state = play(env, [cell(3, "c1"), cell(3, "a1"), cell(3, "b2"), cell(3, "a2"), cell(3, "a3")])
    assert state.terminated and int(state.winner) == 0
    # ...but (r+1, c+1) is not: a1, b2, c3 does not connect for white either way round.
    state = play(env, [cell(3, "a1"), cell(3, "c1"), cell(3, "b2"), cell(3, "c2"), cell(3, "c3")])
    assert not state.terminated


def test_snaking_chain_wins():
    # White's chain goes right, back up, right again: a3 b3 b2 c1? no -- build an S on 5x5.
    size = 5
    env = games.make("hex", size=size)
    white = [
        "a4",
        "b4",
        "c3",
        "c2",
        "d1",
        "e1",
    ]  # a4-b4 row, b4-c3 diag, c3-c2 up, c2-d1 diag, d1-e1
    black = ["a1", "b1", "e5", "d5", "e4"]
    moves = []
    for b, w in zip(black, white[:-1], strict=True):
        moves += [cell(size, b), cell(size, w)]
    state = play(env, moves)
    assert not state.terminated
    state = env.step(state, cell(size, "a5"))  # black elsewhere
    state = env.step(state, cell(size, "e1"))
    assert state.terminated and int(state.winner) == 1
    np.testing.assert_array_equal(state.rewards, [-1.0, 1.0])


def test_chain_on_one_edge_only_does_not_win():
    env = games.make("hex", size=4)
    # Black fills the whole top row: touches top only.
    moves = []
    for col, white in zip("abcd", ["a3", "b3", "c3", "d4"], strict=True):
        moves += [cell(4, f"{col}1"), cell(4, white)]
    state = play(env, moves)
    assert not state.terminated and int(state.winner) == -1


def test_full_boards_have_exactly_one_winner_and_transpose_swaps_it():
    size = 5
    env = games.make("hex", size=size)
    rng = np.random.default_rng(0)
    for _ in range(30):
        board = rng.integers(1, 3, size=size * size)
        black = _connected(board.reshape(size, size) == BLACK, "black")
        white = _connected(board.reshape(size, size) == WHITE, "white")
        assert black != white  # exactly one colour connects its edges
        swapped = np.where(board == BLACK, WHITE, BLACK).reshape(size, size).T
        assert _connected(swapped == WHITE, "white") == black
        # The JAX labels agree: fill the board stone by stone with rules off, check the winner.
        labels_winner = _winner_by_labels(env, board)
        assert labels_winner == (0 if black else 1)


def _winner_by_labels(env, board):
    labels = jnp.arange(env.num_cells + 4, dtype=jnp.int32)
    state_board = jnp.zeros(env.num_cells, jnp.int8)
    place = jax.jit(env._place)
    for position, colour in enumerate(board):
        state_board, labels = place(state_board, labels, jnp.int32(position), jnp.int8(colour))
    n = env.num_cells
    return 0 if labels[n] == labels[n + 1] else (1 if labels[n + 2] == labels[n + 3] else -1)


def _connected(mask, who):
    """Plain flood fill for the test's own reference."""
    size = mask.shape[0]
    if who == "white":
        mask = mask.T
    frontier = [(0, c) for c in range(size) if mask[0, c]]
    seen = set(frontier)
    while frontier:
        r, c = frontier.pop()
        if r == size - 1:
            return True
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, 1), (1, -1)):
            n = (r + dr, c + dc)
            if 0 <= n[0] < size and 0 <= n[1] < size and mask[n] and n not in seen:
                seen.add(n)
                frontier.append(n)
    return False


def test_observation_is_mover_view():
    env = games.make("hex", size=3)
    state = play(env, [cell(3, "b1")])  # black at (0, 1); white to move
    obs = np.asarray(state.observation)
    # White sees the board transposed with colours exchanged: black's stone is the opponent's
    # stone at (1, 0).
    assert obs[1, 0, 1] == 1 and obs.sum() == 1
    mapping = np.asarray(env.canonical_action_map(jnp.int32(1)))
    assert mapping[cell(3, "b1")] == cell(3, "a2")
    np.testing.assert_array_equal(mapping[mapping], np.arange(9))


def test_stepping_a_finished_game_changes_nothing_but_zeroes_its_rewards():
    env = games.make("hex", size=2)
    state = play(env, [0, 1, 2])
    assert state.terminated
    np.testing.assert_array_equal(state.rewards, [1.0, -1.0])
    again = env.step(state, 3)
    chex.assert_trees_all_equal(state.replace(rewards=jnp.zeros(2)), again)
    # An illegal game end (a forfeit) too: its rewards are handed out once.
    forfeit = env.step(env.init(jax.random.key(0)), -1)
    np.testing.assert_array_equal(forfeit.rewards, [-1.0, 1.0])
    np.testing.assert_array_equal(env.step(forfeit, 0).rewards, [0.0, 0.0])


@pytest.mark.parametrize("swap", [False, True])
def test_rewards_summed_over_a_rollout_past_the_end_count_each_game_once(swap):
    """A batched rollout that keeps stepping finished games (as a vmapped search or match does)
    sums to one +1/-1 per game: each win is counted once, however many steps follow it."""
    env = games.make("hex", size=3, swap=swap)
    num_games = 64
    steps = env.max_game_length + 5  # every game ends, then is stepped again
    step = jax.vmap(env.step)

    @jax.jit
    def rollout(key):
        def ply(carry, key):
            states, total = carry
            logits = jnp.where(states.legal_action_mask, 0.0, -jnp.inf)
            logits = jnp.where(states.terminated[:, None], 0.0, logits)
            actions = jax.random.categorical(key, logits).astype(jnp.int32)
            states = step(states, actions)
            return (states, total + states.rewards), None

        states = jax.vmap(env.init)(jax.random.split(key, num_games))
        (states, total), _ = jax.lax.scan(
            ply, (states, jnp.zeros((num_games, 2))), jax.random.split(key, steps)
        )
        return states, total

    states, total = rollout(jax.random.key(3))
    assert bool(states.terminated.all())
    winner = np.asarray(states.winner)
    expected = np.where(winner[:, None] == np.arange(2), 1.0, -1.0)
    np.testing.assert_array_equal(np.asarray(total), expected)


@pytest.mark.parametrize("action", [0, 9, -1, 100])
def test_illegal_action_forfeits(action):
    # Cell 0 is taken; 9 (the swap index, but the swap rule is off), -1 and 100 are off the board.
    env = games.make("hex", size=3)
    state = play(env, [0, 1])
    board_before = np.asarray(state.board)
    after = env.step(state, action)
    assert after.terminated and after.illegal
    assert int(after.winner) == 1  # black (to move) made the illegal move and lost
    np.testing.assert_array_equal(after.rewards, [-1.0, 1.0])
    np.testing.assert_array_equal(after.board, board_before)  # the board is not corrupted


def test_swap_rule():
    env = games.make("hex", size=3, swap=True)
    state = env.init(jax.random.key(0))
    assert not state.legal_action_mask[9]
    state = env.step(state, cell(3, "b1"))
    assert state.legal_action_mask[9]
    state = env.step(state, 9)
    board = np.asarray(state.board)
    assert board[cell(3, "a2")] == WHITE and (board != 0).sum() == 1
    assert int(state.current_player) == 0 and not state.legal_action_mask[9]
    assert env.step(state, 9).illegal


def random_games(env, num_games, key):
    """Play ``num_games`` uniformly random games in one batch; return per-ply arrays [T, B, ...]."""

    def one_ply(states, key):
        keys = jax.random.split(key, num_games)
        logits = jnp.where(states.legal_action_mask, 0.0, -jnp.inf)
        actions = jax.vmap(jax.random.categorical)(keys, logits)
        actions = jnp.where(states.terminated, 0, actions)
        record = (
            states.legal_action_mask,
            states.current_player,
            states.terminated,
            actions,
        )
        return jax.vmap(env.step)(states, actions), record

    @jax.jit
    def run(key):
        init_key, play_key = jax.random.split(key)
        states = jax.vmap(env.init)(jax.random.split(init_key, num_games))
        keys = jax.random.split(play_key, env.max_game_length + 1)
        final, records = jax.lax.scan(one_ply, states, keys)
        return final, records

    return run(key)


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("size", range(2, 12))
def test_matches_openspiel_move_by_move(size, swap):
    pyspiel = pytest.importorskip("pyspiel")
    env = games.make("hex", size=size, swap=swap)
    num_games = 150
    final, (legal, player, terminated, actions) = random_games(
        env, num_games, jax.random.key(size * 2 + swap)
    )
    legal, player, terminated, actions = map(np.asarray, (legal, player, terminated, actions))
    winners = np.asarray(final.winner)
    game = pyspiel.load_game("hex", {"board_size": size, "swap": swap})
    assert game.num_distinct_actions() == env.num_actions
    for g in range(num_games):
        state = game.new_initial_state()
        for ply in range(env.max_game_length + 1):
            if terminated[ply, g]:
                assert state.is_terminal(), f"size {size} game {g}: ours ended at ply {ply}"
                break
            assert not state.is_terminal(), f"size {size} game {g}: OpenSpiel ended at ply {ply}"
            assert state.current_player() == player[ply, g]
            np.testing.assert_array_equal(np.flatnonzero(legal[ply, g]), state.legal_actions())
            state.apply_action(int(actions[ply, g]))
        returns = state.returns()
        assert returns[winners[g]] == 1.0 and returns[1 - winners[g]] == -1.0


def test_step_compiles_once_per_board():
    env = games.make("hex", size=4)

    @jax.jit
    @chex.assert_max_traces(n=1)
    def batched_step(states, actions):
        return jax.vmap(env.step)(states, actions)

    states = jax.vmap(env.init)(jax.random.split(jax.random.key(0), 8))
    for action in range(5):
        states = batched_step(states, jnp.full((8,), action, jnp.int32))
    assert states.num_moves.shape == (8,)


def test_text_round_trip_and_errors():
    for size in (2, 5, 11):
        for action in range(size * size):
            assert games.text_to_action(games.action_to_text(action, size), size) == action
    assert games.text_to_action(" B3 ", 4) == 9
    assert games.text_to_action("swap", 4, swap=True) == 16
    for bad in ("z1", "a0", "a5", "hello", "", "swap"):
        with pytest.raises(ValueError):
            games.text_to_action(bad, 4)
    text = games.render(np.array([1, 0, 0, 2]), 2, last_action=3)
    assert "[O]" in text and "X" in text


@pytest.mark.parametrize("size, swap", [(3, True), (5, False), (26, False)])
def test_pack_unpack_round_trip(size, swap):
    """Every state of random games (a few ending on an illegal move) survives `pack` then
    `unpack` exactly, and the packed form is smaller."""
    env = games.make("hex", size=size, swap=swap)
    num_games = 16

    def one_ply(states, key):
        pick_key, wild_key, which_key = jax.random.split(key, 3)
        logits = jnp.where(states.legal_action_mask, 0.0, -jnp.inf)
        legal = jax.vmap(jax.random.categorical)(jax.random.split(pick_key, num_games), logits)
        wild = jax.random.randint(wild_key, (num_games,), 0, env.num_actions)
        actions = jnp.where(jax.random.uniform(which_key, (num_games,)) < 0.05, wild, legal)
        return jax.vmap(env.step)(states, actions), states

    @jax.jit
    def run(key):
        states = jax.vmap(env.init)(jax.random.split(key, num_games))
        keys = jax.random.split(key, min(env.max_game_length, 40) + 1)
        return jax.lax.scan(one_ply, states, keys)[1]

    states = run(jax.random.key(size))
    assert bool(jnp.any(states.illegal)) or size == 26
    flat = jax.tree.map(lambda x: x.reshape((-1,) + x.shape[2:]), states)
    packed = jax.vmap(env.pack)(flat)
    restored = jax.vmap(env.unpack)(packed)
    chex.assert_trees_all_equal(restored, flat)
    chex.assert_trees_all_equal_dtypes(restored, flat)

    def nbytes(tree):
        return sum(x.nbytes for x in jax.tree.leaves(tree))

    assert nbytes(packed) < 0.6 * nbytes(flat)
