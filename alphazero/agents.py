"""Agents: something that picks moves for a batch of game states.

    agent = load_agent("run/snapshots/snapshot-004.ckpt", simulations=16)
    actions = agent.act(key, states)      # states batched [B]; actions [B] int32

Network agents search with ``simulations`` simulations (0 = the raw policy) and then either sample
from the search policy (default) or take its argmax (``greedy=True``). The compiled policy is shared
by every agent of the same *kind* (game, network architecture, search settings, simulations,
greedy), with the parameters passed as an argument, so a tournament compiles once per kind however
many snapshots and pairings it plays.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp

from alphazero import checkpoint
from alphazero.config import from_dict
from alphazero.networks import init_params
from alphazero.search import choose, evaluate, make_search
from alphazero.settings import TrainConfig
from alphazero.trainer import build_env, build_model


@dataclasses.dataclass(frozen=True)
class AgentKind:
    """What determines an agent's compiled program (everything but the parameters)."""

    config: Any  # a hashable view of the TrainConfig: (game, board, swap, network, search)
    simulations: int
    greedy: bool


@functools.cache
def _policy_program(kind: AgentKind):
    config: TrainConfig = kind.config
    env = build_env(config)
    _, model = build_model(config, env)
    search = make_search(env, model, config.search, num_simulations=kind.simulations)

    def act(params, key, states):
        search_key, choice_key = jax.random.split(key)
        output = search(params, search_key, states)
        return choose(choice_key, output.action_weights, 0.0 if kind.greedy else 1.0)

    return jax.jit(act)


@functools.cache
def stacked_policy_program(kind: AgentKind):
    """``act(params [P, ...], key, states [P, G]) -> actions [P, G]``: P agents of one kind, each
    moving in its own G games, as one search over the P * G games. Only the network is vmapped
    over the stacked parameters; the search itself runs on the flat batch, so the program costs
    what one search over P * G states costs (vmapping the whole search would batch its loops).
    Anything the search computes over its batch (the regularised search's q range) is taken per
    agent, so an agent's moves do not depend on which other agents share the program."""
    config: TrainConfig = kind.config
    env = build_env(config)
    _, model = build_model(config, env)

    def act(params, key, states):
        pairings, num_games = states.current_player.shape
        flat = jax.tree.map(lambda x: x.reshape((pairings * num_games,) + x.shape[2:]), states)

        def stacked_model(params, observation):
            observation = observation.reshape((pairings, num_games) + observation.shape[1:])
            logits, value = jax.vmap(model)(params, observation)
            return logits.reshape(pairings * num_games, -1), value.reshape(-1)

        search = make_search(
            env, stacked_model, config.search, num_simulations=kind.simulations, agents=pairings
        )
        search_key, choice_key = jax.random.split(key)
        output = search(params, search_key, flat)
        actions = choose(choice_key, output.action_weights, 0.0 if kind.greedy else 1.0)
        return actions.reshape(pairings, num_games)

    return jax.jit(act)


@functools.cache
def _analysis_program(kind: AgentKind):
    config: TrainConfig = kind.config
    env = build_env(config)
    _, model = build_model(config, env)
    search = make_search(env, model, config.search, num_simulations=kind.simulations)

    def analyse(params, key, states):
        output = search(params, key, states)
        _, value = evaluate(env, model, params, states)
        return output.action_weights, output.root_value, value

    return jax.jit(analyse)


def compile_count() -> int:
    """How many agent programs have been built (one per kind and use: single or stacked) in this
    process."""
    return _policy_program.cache_info().currsize + stacked_policy_program.cache_info().currsize


@dataclasses.dataclass(frozen=True, eq=False)
class NetworkAgent:
    """A network plus search. ``act(key, states) -> actions [B]``."""

    name: str
    kind: AgentKind
    params: Any

    @property
    def simulations(self) -> int:
        return self.kind.simulations

    @property
    def board_size(self) -> int | str:
        """The board's label (`games.board_label`): Hex's integer size or ``'c4-RxC-X'``."""
        return self.kind.config.board_label

    def act(self, key: jax.Array, states) -> jax.Array:
        return _policy_program(self.kind)(self.params, key, states)

    def analyse(self, key: jax.Array, states) -> tuple[jax.Array, jax.Array, jax.Array]:
        """(search policy [B, N], root value after search [B], raw network value [B])."""
        return _analysis_program(self.kind)(self.params, key, states)

    def with_simulations(self, simulations: int) -> NetworkAgent:
        kind = dataclasses.replace(self.kind, simulations=simulations)
        return NetworkAgent(f"{self.name.split('@')[0]}@{simulations}", kind, self.params)

    def with_backend(self, backend: str) -> NetworkAgent:
        """The same agent searching with ``search.backend = backend`` (same decisions, other
        speed): for checking the backends against each other in matches."""
        config = self.kind.config
        config = dataclasses.replace(
            config, search=dataclasses.replace(config.search, backend=backend)
        )
        kind = dataclasses.replace(self.kind, config=config)
        return NetworkAgent(f"{self.name}/{backend}", kind, self.params)


def _kind_config(config: TrainConfig) -> TrainConfig:
    """Drop what does not change how an agent plays, so equal architectures share programs."""
    return TrainConfig(
        game=config.game,
        board_size=config.board_size,
        swap=config.swap,
        x_in_row=config.x_in_row,
        network=config.network,
        search=config.search,
    )


def make_agent(config: TrainConfig, params, simulations: int, greedy: bool = False, name=None):
    """An agent from a config and parameters (e.g. an untrained network)."""
    if simulations < 0:
        raise ValueError(f"simulations must be 0 or more, got {simulations}")
    kind = AgentKind(_kind_config(config), int(simulations), bool(greedy))
    return NetworkAgent(name or f"net@{simulations}", kind, params)


def untrained_agent(config: TrainConfig, simulations: int, seed: int = 0, greedy: bool = False):
    """An agent with freshly initialised parameters."""
    env = build_env(config)
    network, _ = build_model(config, env)
    params = init_params(network, jax.random.key(seed), env.observation_shape)
    return make_agent(config, params, simulations, greedy, name=f"untrained@{simulations}")


def load_agent(snapshot_path: str | Path, simulations: int = 0, greedy: bool = False):
    """The agent of a snapshot file, searching with ``simulations`` simulations (0 = raw policy)."""
    path = Path(snapshot_path)
    meta = checkpoint.read_meta(path)
    config = from_dict(TrainConfig, meta["config"])
    env = build_env(config)
    network, _ = build_model(config, env)
    # Only the structure is needed: shapes, not an initialisation (which would compile per shape).
    template = jax.eval_shape(
        lambda: init_params(network, jax.random.key(0), env.observation_shape)
    )
    params, _ = checkpoint.load(path, template=template)
    params = jax.tree.map(jnp.asarray, params)
    name = f"{path.parent.parent.name}/{path.stem}@{simulations}"
    return make_agent(config, params, simulations, greedy, name=name)
