"""Self-play: many games in parallel, auto-reset, writing straight into a device-resident buffer.

The replay buffer is a ring of ``R`` rows, one row per self-play move, each holding that move's
position from all ``B`` games. A position is written the moment it is played, with its value target
unknown; when a game ends, every row of that game (the last ``length`` rows of its column) gets its
target at once: +1 where the mover of that position went on to win, -1 where it lost, 0 for a draw
(a game that ended with no winner, as a full Connect Four board). So targets are
the final outcome from the mover's view, nothing is copied per game, and a position is usable from
the move its game ends until its row is overwritten. ``R`` must exceed the longest game.

Shapes: R rows, B games, H x W the observation's board (Hex: S x S), N actions.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from alphazero.search import choose


class ReplayBuffer(NamedTuple):
    observation: jax.Array  # [R, B, H, W, 2] int8, mover's view
    legal: jax.Array  # [R, B, N] bool, canonical legal actions
    policy: jax.Array  # [R, B, N] float32, canonical search policy (the policy target)
    mover: jax.Array  # [R, B] int8, the player to move
    value: jax.Array  # [R, B] float32, final outcome from the mover's view (once resolved)
    resolved: jax.Array  # [R, B] bool, the game has ended so ``value`` is known


class SelfPlayState(NamedTuple):
    games: object  # game state with leading axis [B]
    game_length: jax.Array  # [B] int32, moves played in each current game
    buffer: ReplayBuffer
    row: jax.Array  # [] int32, the next row to write
    rows_written: jax.Array  # [] int32, total rows ever written (capped use: fill level)


class MoveStats(NamedTuple):
    games_finished: jax.Array  # [] int32
    finished_length: jax.Array  # [] int32, total length of the games that finished
    root_value: jax.Array  # [] float32, mean root value


def init_selfplay(env, key, num_games: int, rows: int) -> SelfPlayState:
    """Fresh games and an empty buffer."""
    games = jax.vmap(env.init)(jax.random.split(key, num_games))
    buffer = ReplayBuffer(
        observation=jnp.zeros((rows, num_games, *env.observation_shape), jnp.int8),
        legal=jnp.zeros((rows, num_games, env.num_actions), jnp.bool_),
        policy=jnp.zeros((rows, num_games, env.num_actions), jnp.float32),
        mover=jnp.zeros((rows, num_games), jnp.int8),
        value=jnp.zeros((rows, num_games), jnp.float32),
        resolved=jnp.zeros((rows, num_games), jnp.bool_),
    )
    return SelfPlayState(
        games, jnp.zeros((num_games,), jnp.int32), buffer, jnp.int32(0), jnp.int32(0)
    )


def to_canonical(env, weights, player):
    """Real-action weights [B, N] -> the mover's-view (canonical) order. [B, N]"""
    mapping = jax.vmap(env.canonical_action_map)(player)
    return jnp.take_along_axis(weights, mapping, axis=1)


def selfplay_move(
    env,
    search,
    temperature: float | None,
    params,
    key,
    state: SelfPlayState,
    random_move_fraction: float = 0.0,
):
    """Search, act, record and step every game once; reset the games that ended.

    ``temperature`` None acts on the search's own choice; a number samples the search policy.
    ``random_move_fraction`` of the moves are uniformly random legal moves instead.

    Returns (new state, MoveStats)."""
    search_key, act_key, reset_key, random_key = jax.random.split(key, 4)
    games = state.games
    output = search(params, search_key, games)
    if (
        temperature is None
    ):  # the search's own choice: a Gumbel-top-k sample, or PUCT's visit sample
        action = output.action
    else:
        action = choose(act_key, output.action_weights, temperature)
    if random_move_fraction > 0:
        coin_key, move_key = jax.random.split(random_key)
        legal = games.legal_action_mask
        uniform = jax.random.categorical(move_key, jnp.where(legal, 0.0, -jnp.inf)).astype(
            jnp.int32
        )
        explore = jax.random.bernoulli(coin_key, random_move_fraction, action.shape)
        action = jnp.where(explore & legal.any(axis=-1), uniform, action)

    buffer = state.buffer
    row = state.row
    player = games.current_player
    write = lambda array, value: jax.lax.dynamic_update_index_in_dim(array, value, row, 0)  # noqa: E731
    buffer = buffer._replace(
        observation=write(buffer.observation, games.observation.astype(jnp.int8)),
        legal=write(buffer.legal, to_canonical(env, games.legal_action_mask, player)),
        policy=write(buffer.policy, to_canonical(env, output.action_weights, player)),
        mover=write(buffer.mover, player.astype(jnp.int8)),
        resolved=write(buffer.resolved, jnp.zeros_like(player, jnp.bool_)),
    )

    next_games = jax.vmap(env.step)(games, action)
    finished = next_games.terminated  # [B]
    length = state.game_length + 1
    rows = buffer.mover.shape[0]
    age = jnp.mod(row - jnp.arange(rows), rows)  # [R] moves ago each row was written
    in_game = (age[:, None] < length[None, :]) & finished[None, :]  # [R, B]
    winner = next_games.winner[None, :].astype(jnp.int8)  # [1, B], -1 for a draw
    outcome = jnp.where(buffer.mover == winner, 1.0, -1.0)
    if env.can_draw:  # static: a game without draws (Hex) compiles exactly as before draws existed
        outcome = jnp.where(winner < 0, 0.0, outcome)
    buffer = buffer._replace(
        value=jnp.where(in_game, outcome, buffer.value),
        resolved=buffer.resolved | in_game,
    )

    fresh = jax.vmap(env.init)(jax.random.split(reset_key, finished.shape[0]))
    reset = lambda new, old: jnp.where(  # noqa: E731
        finished.reshape(finished.shape + (1,) * (old.ndim - 1)), new, old
    )
    stats = MoveStats(
        games_finished=finished.sum().astype(jnp.int32),
        finished_length=jnp.where(finished, length, 0).sum().astype(jnp.int32),
        root_value=output.root_value.mean(),
    )
    new_state = SelfPlayState(
        games=jax.tree.map(reset, fresh, next_games),
        game_length=jnp.where(finished, 0, length),
        buffer=buffer,
        row=jnp.mod(row + 1, rows).astype(jnp.int32),
        rows_written=state.rows_written + 1,
    )
    return new_state, stats
