"""Match play: games between agents in batches on the accelerator.

A match between agents A and B plays ``num_games`` games in one batch: the first half with A moving
first (black), the second half with B moving first. All games of a batch start together, and in
Hex the mover changes every ply (the swap included), so at every ply one half is moved by A and the
other by B: each agent evaluates exactly the positions where it is to move, with no masking waste.

`play_match` plays one pairing. `play_matches` plays many pairings at once: all games on a board
advance together, and the network agents of one kind move in all their games with one call of
one compiled program (a search over all those games, with only the network vmapped over the
agents' parameters). Each board's batch is padded to a power-of-two number of pairings with dummy
games (never moved by an agent, never counted) and each group's slots to a power of two, so every
program's shapes depend on the agent kind and these padded sizes alone: the number of compiled
programs grows with the number of agent kinds times a few padded sizes, never with pairings, however
the batches vary (each loaded program maps memory, so an unbounded count would exhaust the
process's map limit in a long tournament).

Results are first-mover based, as the store keeps them: (first, second, first_wins, second_wins,
draws); a draw is a game that ended with no winner (Connect Four's full board; Hex has none).
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict

import jax
import jax.numpy as jnp
import numpy as np

import games
from alphazero.agents import NetworkAgent, stacked_policy_program


@dataclasses.dataclass(frozen=True)
class MatchResult:
    """Games of one pairing: ``first_wins`` for the agent that moved first, per ordering, and the
    ``draws`` (games with no winner)."""

    first: str
    second: str
    first_wins: int
    second_wins: int
    draws: int = 0

    @property
    def games(self) -> int:
        return self.first_wins + self.second_wins + self.draws


@functools.cache
def _stepper(env):
    return jax.jit(jax.vmap(env.step))


@functools.cache
def _initial(env, num_games: int):
    return jax.jit(lambda key: jax.vmap(env.init)(jax.random.split(key, num_games)))


def _env_for(agent):
    return games.make_board(agent.board_size, swap=_swap(agent))


def _swap(agent) -> bool:
    return bool(agent.kind.config.swap) if isinstance(agent, NetworkAgent) else False


def _take(tree, start, stop):
    return jax.tree.map(lambda x: x[start:stop], tree)


def _final_winners(states, count: int | None = None) -> np.ndarray:
    """The winner of each of the first ``count`` (default all) games (0 the first mover, 1 the
    second, -1 a draw); a game still running is a bug."""
    if not np.asarray(states.terminated)[:count].all():
        raise RuntimeError("a match ended with unfinished games; this is a bug")
    return np.asarray(states.winner)[:count]


def _pair_results(agent_a, agent_b, winners: np.ndarray) -> list[MatchResult]:
    """The two results of one pairing from its games' winners [G]: the first half has A moving
    first, the second half B."""
    half = winners.shape[0] // 2

    def result(first, second, games: np.ndarray) -> MatchResult:
        first_wins, second_wins, draws = (games == 0).sum(), (games == 1).sum(), (games < 0).sum()
        return MatchResult(first.name, second.name, int(first_wins), int(second_wins), int(draws))

    return [result(agent_a, agent_b, winners[:half]), result(agent_b, agent_a, winners[half:])]


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
    return _pair_results(agent_a, agent_b, _final_winners(states))


def _mover_key(agent):
    """Agents that move as one group: network agents of one kind share a compiled program; any
    other agent (random, reference bots) is a group of its own."""
    if isinstance(agent, NetworkAgent):
        return ("network", agent.kind)
    return ("host", id(agent))


def _next_power_of_two(n: int) -> int:
    return 1 << max(n - 1, 0).bit_length()


@functools.cache
def _gather():
    return jax.jit(lambda states, index: jax.tree.map(lambda x: x[index], states))


@functools.cache
def _scatter():
    return jax.jit(lambda actions, index, moves: actions.at[index.ravel()].set(moves.ravel()))


@functools.cache
def _board_stepper(env):
    """``step(states [N], actions [N + 1]) -> states``: the last action is the padded slots' dump."""
    return jax.jit(lambda states, actions: jax.vmap(env.step)(states, actions[:-1]))


@functools.cache
def _finished():
    """Whether every live game has ended (dummy games are not waited for)."""
    return jax.jit(lambda terminated, live: jnp.all(terminated | ~live))


@functools.cache
def _stack_params():
    """Agents' parameters stacked along a new leading axis, as one program per count and kind."""
    return jax.jit(lambda *trees: jax.tree.map(lambda *xs: jnp.stack(xs), *trees))


@dataclasses.dataclass
class _Mover:
    """One group of agents in a batch: its slots (pairing, side: 0 = A, 1 = B) and, per ply
    parity, the flat indices of the games each slot moves in ([slots, games per half])."""

    key: tuple
    agents: list = dataclasses.field(default_factory=list)
    slots: list = dataclasses.field(default_factory=list)


def play_matches(pairings, games_per_pairing: int, key: jax.Array) -> list[MatchResult]:
    """Play every (agent_a, agent_b) pairing for ``games_per_pairing`` games (even), half with each
    moving first. Returns two results per pairing (A first, then B first), in pairing order.

    All games on one board are played together, one ply at a time. At every ply each agent moves
    in exactly half the games of each of its pairings; the network agents of one kind move
    together: one call of the kind's stacked program over all their games ([slots, games], the
    slot count padded to the next power of two), with only the network vmapped over the slots'
    parameters. Random and reference agents move in all their games at once. A board's games are
    padded to the next power-of-two number of pairings with dummy games that no agent moves or
    reads and no result counts. So the compiled programs grow with agent kinds (times a few padded
    sizes), never with pairings or with how many pairings a batch holds.

    The result is a function of the pairings, ``games_per_pairing`` and ``key`` alone: the padding
    depends on the batch only (never on what this process played before), and padded slots write
    their moves to a dump entry, so no game gets two writers (which one wins would be unspecified,
    and differs between backends); dummy games are stepped independently of the real ones."""
    if games_per_pairing < 2 or games_per_pairing % 2:
        raise ValueError(f"games per pairing must be even and at least 2, got {games_per_pairing}")
    boards: dict[tuple, list[int]] = defaultdict(list)
    for index, (agent_a, agent_b) in enumerate(pairings):
        if agent_a.board_size != agent_b.board_size:
            raise ValueError(
                f"agents play different boards: {agent_a.board_size} and {agent_b.board_size}"
            )
        network = agent_a if isinstance(agent_a, NetworkAgent) else agent_b
        boards[(agent_a.board_size, _swap(network))].append(index)
    results: list[list[MatchResult] | None] = [None] * len(pairings)
    for indices in boards.values():
        key, board_key = jax.random.split(key)
        members = [pairings[i] for i in indices]
        for i, pair_results in zip(
            indices, _play_board(members, games_per_pairing, board_key), strict=True
        ):
            results[i] = pair_results
    return [result for pair_results in results for result in pair_results]


def _play_board(pairings, num_games: int, key) -> list[list[MatchResult]]:
    """Every pairing of one board (and swap rule), ``num_games`` games each, as one batch.

    The batch is padded to a power-of-two number of pairings with dummy games (after the real
    ones), which are stepped with the move 0 (so end at once on an illegal move), never read or
    written by any agent and never counted: every program's shapes depend on the agent kind and
    the padded sizes only, so batches of 1, 2, 3, ... pairings load new programs only when the
    count crosses a power of two."""
    half = num_games // 2
    network = next(
        (agent for pair in pairings for agent in pair if isinstance(agent, NetworkAgent)),
        pairings[0][0],
    )
    env = _env_for(network)
    movers: dict[tuple, _Mover] = {}
    for p, pair in enumerate(pairings):
        for side, agent in enumerate(pair):
            key_of_agent = _mover_key(agent)
            mover = movers.setdefault(key_of_agent, _Mover(key_of_agent))
            mover.agents.append(agent)
            mover.slots.append((p, side))
    real = len(pairings) * num_games
    total = _next_power_of_two(len(pairings)) * num_games  # games [real, total) are dummies
    plans = [_plan(mover, num_games, half, total) for mover in movers.values()]
    init_key, key = jax.random.split(key)
    states = _initial(env, total)(init_key)
    step, gather, scatter, finished = _board_stepper(env), _gather(), _scatter(), _finished()
    # device_put, not jnp.asarray: the latter compiles a copy program per shape.
    live = jax.device_put(np.arange(total) < real)
    actions = jax.device_put(np.zeros(total + 1, np.int32))  # the last entry: padded slots' dump
    for ply in range(env.max_game_length):
        if ply % 4 == 3 and bool(finished(states.terminated, live)):
            break
        key, *move_keys = jax.random.split(key, len(plans) + 1)
        parity = ply % 2
        for (act, reads, writes), move_key in zip(plans, move_keys, strict=True):
            moves = act(move_key, gather(states, reads[parity]))
            actions = scatter(actions, writes[parity], moves)
        states = step(states, actions)
    winners = _final_winners(states, real).reshape(len(pairings), num_games)
    return [_pair_results(a, b, winners[p]) for p, (a, b) in enumerate(pairings)]


def _plan(mover: _Mover, num_games: int, half: int, dump: int):
    """(``act(key, states) -> moves``, per parity the game indices each slot reads its states
    from and writes its moves to) for one group. In pairing p, games [p G, p G + G/2) have A
    moving first, so at even plies side s moves in half s and at odd plies in the other half.
    Network groups use [slots, half] indices (the stacked program's shape); other groups flat
    [slots * half] ones.

    The slots are padded to a power of two, so that the group's programs (and the gathers and
    scatters) compile for very few sizes: padded slots read the last real slot's games and write
    to ``dump`` (one past the last game), so no two slots ever write the same game and every real
    game's move is its own slot's, whatever the padding. Network and random agents move in the
    padded slots too (one compiled program per padded size); any other agent (a reference player
    on the host) is given only its real games, as numpy arrays, and its moves are padded on the
    host, so padding costs it nothing."""
    slots = list(mover.slots)
    agents = list(mover.agents)
    real = len(slots)
    padding = _next_power_of_two(real) - real
    slots += [slots[-1]] * padding
    agents += [agents[-1]] * padding
    offsets = np.arange(half, dtype=np.int32)
    reads = [
        np.stack([p * num_games + ((side ^ parity) * half) + offsets for p, side in slots])
        for parity in (0, 1)
    ]
    writes = [index.copy() for index in reads]
    for index in writes:
        index[real:] = dump
    if mover.key[0] == "network":
        params = _stack_params()(*[agent.params for agent in agents])
        program = stacked_policy_program(agents[0].kind)
        act = lambda key, states: program(params, key, states)  # noqa: E731
    else:
        reads = [index.ravel() for index in reads]
        writes = [index.ravel() for index in writes]
        agent = agents[0]
        if getattr(agent, "acts_on_device", False):  # a compiled policy: padded games cost nothing
            act = agent.act
        else:
            moves = np.zeros(len(slots) * half, np.int32)

            def act(key, states):
                given = jax.tree.map(lambda x: np.asarray(x)[: real * half], states)
                moves[: real * half] = np.asarray(agent.act(key, given))
                return moves.copy()

    return act, [jax.device_put(i) for i in reads], [jax.device_put(i) for i in writes]
