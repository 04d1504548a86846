"""Match play: games between agents in batches on the accelerator.

A match between agents A and B plays ``num_games`` games in one batch: the first half with A moving
first (black), the second half with B moving first. All games of a batch start together, and in
Hex the mover changes every ply (the swap included), so at every ply one half is moved by A and the
other by B: each agent evaluates exactly the positions where it is to move, with no masking waste.

`play_match` plays one pairing. `play_matches` plays many pairings: pairings whose agents share a
kind are stacked and played in one batch (the policy is vmapped over the pairings' parameters), so
the number of compiled programs grows with the number of agent kinds, never with pairings.

Results are first-mover based, as the store keeps them: (first, second, first_wins, second_wins).
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict

import jax
import jax.numpy as jnp
import numpy as np

import games
from alphazero.agents import NetworkAgent, _policy_program


@dataclasses.dataclass(frozen=True)
class MatchResult:
    """Games of one pairing: ``first_wins`` for the agent that moved first, per ordering."""

    first: str
    second: str
    first_wins: int
    second_wins: int

    @property
    def games(self) -> int:
        return self.first_wins + self.second_wins


@functools.cache
def _stepper(env):
    return jax.jit(jax.vmap(env.step))


@functools.cache
def _initial(env, num_games: int):
    return jax.jit(lambda key: jax.vmap(env.init)(jax.random.split(key, num_games)))


def _env_for(agent):
    return games.make("hex", size=agent.board_size, swap=_swap(agent))


def _swap(agent) -> bool:
    return bool(agent.kind.config.swap) if isinstance(agent, NetworkAgent) else False


def _take(tree, start, stop):
    return jax.tree.map(lambda x: x[start:stop], tree)


def _concat(first, second):
    return jax.tree.map(lambda a, b: jnp.concatenate([a, b]), first, second)


def play_match(agent_a, agent_b, num_games: int, key: jax.Array, env=None) -> list[MatchResult]:
    """Play ``num_games`` (even) games, half with each agent first. Returns two results:
    (A first, B second) and (B first, A second)."""
    if num_games < 2 or num_games % 2:
        raise ValueError(f"num_games must be an even number of at least 2, got {num_games}")
    if agent_a.board_size != agent_b.board_size:
        raise ValueError(
            f"agents play different boards: {agent_a.board_size} and {agent_b.board_size}"
        )
    env = env or _env_for(agent_a)
    half = num_games // 2
    init_key, key = jax.random.split(key)
    states = _initial(env, num_games)(init_key)
    step = _stepper(env)
    for ply in range(env.max_game_length):
        if ply % 4 == 3 and bool(states.terminated.all()):
            break
        key, key_a, key_b = jax.random.split(key, 3)
        # First half: A is black, so A moves at even plies there; second half the other way.
        first_mover, second_mover = (agent_a, agent_b) if ply % 2 == 0 else (agent_b, agent_a)
        actions = jnp.concatenate(
            [
                first_mover.act(key_a, _take(states, 0, half)),
                second_mover.act(key_b, _take(states, half, num_games)),
            ]
        )
        states = step(states, actions)
    winners = np.asarray(states.winner)
    if (winners < 0).any():
        raise RuntimeError("a match ended with unfinished games; this is a bug")
    return [
        MatchResult(
            agent_a.name,
            agent_b.name,
            int((winners[:half] == 0).sum()),
            int((winners[:half] == 1).sum()),
        ),
        MatchResult(
            agent_b.name,
            agent_a.name,
            int((winners[half:] == 0).sum()),
            int((winners[half:] == 1).sum()),
        ),
    ]


def _group_key(agent):
    if isinstance(agent, NetworkAgent):
        return ("network", agent.kind)
    return ("host", id(agent))  # random and reference bots play pairing by pairing


@functools.cache
def _stacked_stepper(env):
    return jax.jit(jax.vmap(jax.vmap(env.step)))


@functools.cache
def _stacked_policy(kind):
    program = _policy_program(kind)
    return jax.jit(jax.vmap(program, in_axes=(0, 0, 0)))


def play_matches(pairings, games_per_pairing: int, key: jax.Array) -> list[MatchResult]:
    """Play every (agent_a, agent_b) pairing for ``games_per_pairing`` games (even).

    Pairings of network agents with the same (kind of A, kind of B) are stacked into one batch of
    shape [pairings, games]; others are played one by one with `play_match`."""
    if games_per_pairing < 2 or games_per_pairing % 2:
        raise ValueError(f"games per pairing must be even and at least 2, got {games_per_pairing}")
    groups: dict[tuple, list] = defaultdict(list)
    for agent_a, agent_b in pairings:
        groups[(_group_key(agent_a), _group_key(agent_b))].append((agent_a, agent_b))
    results: list[MatchResult] = []
    for (kind_a, kind_b), members in groups.items():
        key, group_key = jax.random.split(key)
        if kind_a[0] == "network" and kind_b[0] == "network":
            results += _play_stacked(members, games_per_pairing, group_key)
        else:
            for agent_a, agent_b in members:
                group_key, pair_key = jax.random.split(group_key)
                results += play_match(agent_a, agent_b, games_per_pairing, pair_key)
    return results


def _next_power_of_two(n: int) -> int:
    return 1 << max(n - 1, 0).bit_length()


def _play_stacked(members, num_games: int, key) -> list[MatchResult]:
    # The stack is padded to a power of two (repeating the last pairing, whose extra games are
    # thrown away), so batches of different sizes reuse a handful of compiled programs.
    padded = members + [members[-1]] * (_next_power_of_two(len(members)) - len(members))
    agents_a = [a for a, _ in padded]
    agents_b = [b for _, b in padded]
    env = _env_for(agents_a[0])
    num_pairings, half = len(padded), num_games // 2
    params_a = jax.tree.map(lambda *xs: jnp.stack(xs), *[a.params for a in agents_a])
    params_b = jax.tree.map(lambda *xs: jnp.stack(xs), *[b.params for b in agents_b])
    policy_a = _stacked_policy(agents_a[0].kind)
    policy_b = _stacked_policy(agents_b[0].kind)
    init_key, key = jax.random.split(key)
    flat = _initial(env, num_pairings * num_games)(init_key)
    states = jax.tree.map(lambda x: x.reshape((num_pairings, num_games) + x.shape[1:]), flat)
    step = _stacked_stepper(env)
    for ply in range(env.max_game_length):
        if ply % 4 == 3 and bool(states.terminated.all()):
            break
        key, key_a, key_b = jax.random.split(key, 3)
        keys_a = jax.random.split(key_a, num_pairings)
        keys_b = jax.random.split(key_b, num_pairings)
        first_half = jax.tree.map(lambda x: x[:, :half], states)
        second_half = jax.tree.map(lambda x: x[:, half:], states)
        if ply % 2 == 0:  # A is black in the first half
            actions = [
                policy_a(params_a, keys_a, first_half),
                policy_b(params_b, keys_b, second_half),
            ]
        else:
            actions = [
                policy_b(params_b, keys_b, first_half),
                policy_a(params_a, keys_a, second_half),
            ]
        states = step(states, jnp.concatenate(actions, axis=1))
    winners = np.asarray(states.winner)
    if (winners < 0).any():
        raise RuntimeError("a match ended with unfinished games; this is a bug")
    results = []
    for p, (agent_a, agent_b) in enumerate(members):
        first, second = winners[p, :half], winners[p, half:]
        results.append(
            MatchResult(
                agent_a.name, agent_b.name, int((first == 0).sum()), int((first == 1).sum())
            )
        )
        results.append(
            MatchResult(
                agent_b.name, agent_a.name, int((second == 0).sum()), int((second == 1).sum())
            )
        )
    return results
