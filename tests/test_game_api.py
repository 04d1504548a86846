"""The game API's invariants, checked on every game registered in `games` at a few sizes each.

A new game is covered the day it is registered: add its sizes to `CONFIGS` (a test fails until
every registered game has some). The API (DESIGN.md, pgx's `core.py`): ``init(key) -> state`` and
``step(state, action) -> state`` for one game, vmapped for a batch; state fields
``current_player`` [] int32, ``legal_action_mask`` [N] bool, ``terminated`` [] bool, ``rewards``
[2] float32 and ``observation`` (``env.observation_shape``, float32) from the mover's view; stepping a
finished game changes nothing but its rewards, which are zero; an illegal action ends the game as a
loss for the player who made it (-1 for the mover, +1 for the opponent, as in pgx) and leaves the
position as it was. The env also exposes ``num_actions``, ``max_game_length``,
``canonical_action_map`` and ``pack``/``unpack`` (the search tree's storage form), checked here.

Every check runs on random games played by one jitted, vmapped scan per configuration, long
enough that every game ends and is then stepped again with arbitrary actions (legal-looking,
illegal and out of range).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import games

# Per registered game: a few sizes (keyword options for `games.make`), smallest first.
CONFIGS: dict[str, list[dict]] = {
    "hex": [{"size": 2}, {"size": 5}, {"size": 3, "swap": True}],
    "connect_four": [
        {"size": "3x3", "x_in_row": 3},
        {"size": "4x5", "x_in_row": 3},
        {"size": "6x7", "x_in_row": 4},
        {"size": "2x6", "x_in_row": 4},
    ],
}

NUM_GAMES = 24


def _params(marks_for=None):
    params = []
    for name in games.names():
        for options in CONFIGS.get(name, []):
            label = "-".join(f"{key}={value}" for key, value in options.items())
            marks = marks_for(name) if marks_for else ()
            params.append(pytest.param(name, options, id=f"{name}-{label}", marks=marks))
    return params


CASES = _params()


class Trajectory(NamedTuple):
    before: object  # states [T, B]
    action: jax.Array  # [T, B] int32
    after: object  # states [T, B]


def _env(name, options):
    return games.make(name, **options)


@functools.cache
def _rollout_cached(name, frozen_options, seed):
    env = _env(name, dict(frozen_options))
    return env, _rollout(env, jax.random.key(seed), NUM_GAMES)


def rollout(name, options, seed=0):
    """(env, Trajectory) of ``NUM_GAMES`` random games, ``max_game_length + 3`` plies each: legal
    moves while a game runs, then any action in [-1, N] (a finished game is stepped again)."""
    return _rollout_cached(name, tuple(sorted(options.items())), seed)


def _rollout(env, key, num_games):
    init_key, play_key = jax.random.split(key)
    plies = env.max_game_length + 3

    def ply(state, key):
        legal_key, any_key = jax.random.split(key)
        legal = state.legal_action_mask
        chosen = jax.random.categorical(legal_key, jnp.where(legal, 0.0, -jnp.inf), axis=-1).astype(
            jnp.int32
        )
        anything = jax.random.randint(any_key, legal.shape[:1], -1, env.num_actions + 1)
        action = jnp.where(state.terminated, anything, chosen)
        after = jax.vmap(env.step)(state, action)
        return after, Trajectory(state, action, after)

    @jax.jit
    def play(init_key, play_key):
        state = jax.vmap(env.init)(jax.random.split(init_key, num_games))
        return jax.lax.scan(ply, state, jax.random.split(play_key, plies))[1]

    return play(init_key, play_key)


def _index(tree, *index):
    return jax.tree.map(lambda leaf: leaf[index], tree)


def _assert_trees_equal(a, b, message=""):
    assert jax.tree.structure(a) == jax.tree.structure(b), message
    for (path, x), y in zip(
        jax.tree_util.tree_leaves_with_path(a), jax.tree.leaves(b), strict=True
    ):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape, f"{message} {jax.tree_util.keystr(path)}"
        np.testing.assert_array_equal(x, y, err_msg=f"{message} {jax.tree_util.keystr(path)}")


# ---- coverage ------------------------------------------------------------------------------


def test_every_registered_game_has_sizes_to_test():
    missing = [name for name in games.names() if not CONFIGS.get(name)]
    assert not missing, f"add sizes for {missing} to CONFIGS"
    assert {"hex", "connect_four"} <= set(games.names())


# ---- static description and shapes ---------------------------------------------------------


@pytest.mark.parametrize("name, options", CASES)
def test_static_description(name, options):
    env = _env(name, options)
    assert env.name == name
    assert isinstance(env.num_actions, int) and env.num_actions >= 2
    assert isinstance(env.max_game_length, int) and env.max_game_length >= 1
    assert isinstance(env.can_draw, bool)
    assert games.make_board(env.board_label, swap=getattr(env, "swap", False)) == env
    assert len(env.observation_shape) == 3
    assert hash(env) == hash(_env(name, options)) and env == _env(name, options)
    for player in (0, 1):
        mapping = np.asarray(env.canonical_action_map(jnp.int32(player)))
        assert mapping.dtype == np.int32
        assert sorted(mapping.tolist()) == list(range(env.num_actions))  # a permutation
        np.testing.assert_array_equal(mapping[mapping], np.arange(env.num_actions))  # involution


@pytest.mark.parametrize("name, options", CASES)
def test_fields_shapes_and_dtypes(name, options):
    env, trajectory = rollout(name, options)
    init = env.init(jax.random.key(0))
    expected = {
        "current_player": ((), np.int32),
        "legal_action_mask": ((env.num_actions,), np.bool_),
        "terminated": ((), np.bool_),
        "rewards": ((2,), np.float32),
        "observation": (env.observation_shape, np.float32),
    }
    for field, (shape, dtype) in expected.items():
        value = np.asarray(getattr(init, field))
        assert value.shape == shape and value.dtype == dtype, field
    # Every field of every visited state keeps init's shape and dtype (so scans and wheres work).
    leading = trajectory.action.shape
    for states in (trajectory.before, trajectory.after):
        assert jax.tree.structure(states) == jax.tree.structure(init)
        for leaf, reference in zip(jax.tree.leaves(states), jax.tree.leaves(init), strict=True):
            assert leaf.shape == leading + reference.shape and leaf.dtype == reference.dtype
    observation = np.asarray(trajectory.after.observation)
    assert np.isin(observation, (0.0, 1.0)).all()
    players = np.asarray(trajectory.after.current_player)
    assert np.isin(players, (0, 1)).all()


# ---- rules every game keeps ----------------------------------------------------------------


@pytest.mark.parametrize("name, options", CASES)
def test_legal_masks(name, options):
    env, trajectory = rollout(name, options)
    init = env.init(jax.random.key(0))
    assert bool(np.asarray(init.legal_action_mask).any()) and not bool(init.terminated)
    for states in (trajectory.before, trajectory.after):
        mask = np.asarray(states.legal_action_mask)
        terminated = np.asarray(states.terminated)
        assert mask[~terminated].any(axis=-1).all(), "a running game with no legal move"
        assert not mask[terminated].any(), "a finished game with a legal move"
    # Every random game has ended within max_game_length plies.
    ended = np.asarray(trajectory.after.terminated)
    assert ended[env.max_game_length - 1].all()


@pytest.mark.parametrize("name, options", CASES)
def test_rewards_are_zero_sum_win_draw_or_loss(name, options):
    _, trajectory = rollout(name, options)
    rewards = np.asarray(trajectory.after.rewards)
    assert np.isin(rewards, (-1.0, 0.0, 1.0)).all()
    np.testing.assert_array_equal(rewards.sum(axis=-1), 0.0)
    # A game that cannot draw always ends with a winner (self-play compiles no draw branch for it).
    env = _env(name, options)
    if not env.can_draw:
        ended = np.asarray(trajectory.after.terminated)
        assert (np.asarray(trajectory.after.winner)[ended] >= 0).all()
    # A running game pays nothing.
    running = ~np.asarray(trajectory.after.terminated)
    assert (rewards[running] == 0).all()


@pytest.mark.parametrize("name, options", CASES)
def test_legal_moves_alternate_the_mover(name, options):
    _, trajectory = rollout(name, options)
    was_running = ~np.asarray(trajectory.before.terminated)
    now_running = ~np.asarray(trajectory.after.terminated)
    both = was_running & now_running
    before = np.asarray(trajectory.before.current_player)
    after = np.asarray(trajectory.after.current_player)
    np.testing.assert_array_equal(after[both], 1 - before[both])


@pytest.mark.parametrize("name, options", CASES)
def test_finished_game_stays_finished_with_zero_rewards(name, options):
    _, trajectory = rollout(name, options)
    finished = np.asarray(trajectory.before.terminated)
    assert finished.any()
    before = _index(trajectory.before, finished)
    after = _index(trajectory.after, finished)
    assert np.asarray(after.terminated).all()
    np.testing.assert_array_equal(np.asarray(after.rewards), 0.0)
    _assert_trees_equal(
        before.replace(rewards=jnp.zeros_like(before.rewards)), after, "finished game changed:"
    )
    # So over a whole game each player is paid exactly once: the outcome, in {-1, 0, 1}.
    totals = np.asarray(trajectory.after.rewards).sum(axis=0)  # [B, 2]
    assert np.isin(totals, (-1.0, 0.0, 1.0)).all()


@pytest.mark.parametrize("name, options", CASES)
def test_illegal_move_loses_for_the_mover_and_changes_nothing_else(name, options):
    env, trajectory = rollout(name, options)
    running = ~np.asarray(trajectory.before.terminated)
    states = _index(trajectory.before, running)
    mask = np.asarray(states.legal_action_mask)
    count = mask.shape[0]
    rng = np.random.default_rng(0)
    # Half out of range (-1 or N), half a masked-out action where the position has one.
    illegal = np.where(rng.random(count) < 0.5, -1, env.num_actions).astype(np.int32)
    has_masked = ~mask.all(axis=-1)
    masked = np.argmax(~mask, axis=-1).astype(np.int32)
    pick_masked = has_masked & (rng.random(count) < 0.7)
    illegal = np.where(pick_masked, masked, illegal)
    assert pick_masked.any() or env.num_actions > mask.shape[-1] - 1
    after = jax.jit(jax.vmap(env.step))(states, jnp.asarray(illegal))
    mover = np.asarray(states.current_player)
    rewards = np.asarray(after.rewards)
    assert np.asarray(after.terminated).all()
    np.testing.assert_array_equal(rewards[np.arange(count), mover], -1.0)
    np.testing.assert_array_equal(rewards[np.arange(count), 1 - mover], 1.0)
    assert not np.asarray(after.legal_action_mask).any()
    np.testing.assert_array_equal(np.asarray(after.observation), np.asarray(states.observation))
    np.testing.assert_array_equal(np.asarray(after.current_player), mover)


@pytest.mark.parametrize("name, options", CASES)
def test_observation_is_from_the_movers_view(name, options):
    # Two planes of stones, the mover's first: the stone a move adds is the moving player's, who is
    # the opponent once the move is made, so it appears in the next observation's second plane.
    env, trajectory = rollout(name, options)
    assert env.observation_shape[-1] == 2
    init = env.init(jax.random.key(0))
    assert not np.asarray(init.observation).any()
    before = np.asarray(trajectory.before.observation)
    after = np.asarray(trajectory.after.observation)
    move = ~np.asarray(trajectory.before.terminated) & ~np.asarray(trajectory.after.illegal)
    if getattr(env, "swap", False):  # the swap rule moves a stone instead of adding one
        move &= np.asarray(trajectory.action) != env.swap_action
    counts_before = before.reshape(*before.shape[:2], -1, 2).sum(axis=2)  # [T, B, 2]
    counts_after = after.reshape(*after.shape[:2], -1, 2).sum(axis=2)
    np.testing.assert_array_equal(counts_after[move][:, 1], counts_before[move][:, 0] + 1)
    np.testing.assert_array_equal(counts_after[move][:, 0], counts_before[move][:, 1])
    # Both players' stones never share a cell.
    assert (after.sum(axis=-1) <= 1).all()


# ---- transformations -----------------------------------------------------------------------


@pytest.mark.parametrize("name, options", CASES)
def test_jit_and_vmap_agree_with_unbatched_play(name, options):
    env, trajectory = rollout(name, options)

    @jax.jit
    def replay(actions):  # one game, unbatched step inside a scan
        def ply(state, action):
            after = env.step(state, action)
            return after, after

        return jax.lax.scan(ply, env.init(jax.random.key(0)), actions)[1]

    for game in (0, 1):
        _assert_trees_equal(env.init(jax.random.key(0)), _index(trajectory.before, 0, game))
        alone = replay(trajectory.action[:, game])
        _assert_trees_equal(alone, _index(trajectory.after, slice(None), game), f"game {game}:")
    # Eager (no jit) steps agree too.
    state = env.init(jax.random.key(0))
    for ply in range(2):
        state = env.step(state, trajectory.action[ply, 0])
        _assert_trees_equal(state, _index(trajectory.after, ply, 0), f"eager ply {ply}:")


@pytest.mark.parametrize("name, options", CASES)
def test_deterministic_from_a_key(name, options):
    env, trajectory = rollout(name, options)
    _assert_trees_equal(env.init(jax.random.key(3)), env.init(jax.random.key(3)))
    again = _rollout(env, jax.random.key(0), NUM_GAMES)
    _assert_trees_equal(trajectory, again, "same key, different games:")


@pytest.mark.parametrize("name, options", CASES)
def test_pack_unpack_round_trip(name, options):
    env, trajectory = rollout(name, options)
    states = trajectory.after
    packed = jax.jit(jax.vmap(jax.vmap(env.pack)))(states)
    _assert_trees_equal(jax.jit(jax.vmap(jax.vmap(env.unpack)))(packed), states, "unpacked:")
    packed_bytes = sum(leaf.nbytes for leaf in jax.tree.leaves(packed))
    assert packed_bytes <= sum(leaf.nbytes for leaf in jax.tree.leaves(states))
