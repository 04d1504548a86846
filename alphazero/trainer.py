"""The training step as pure functions (the purejaxrl shape) and its compute cost.

`make_train(config)` returns `TrainFunctions`: ``init(key) -> TrainState`` and
``iteration(state) -> (state, metrics)``, pure functions of their arguments with nothing compiled,
so a caller may jit them, or ``jax.vmap`` them over a seed axis (one program for several seeds
of one network shape, `alphazero.training.train_seeds`). One iteration plays
``selfplay.steps_per_iteration`` moves in every game and then takes ``learner.updates_per_iteration``
learner steps on the replay buffer.

`Trainer` is one run's compiled pieces: the jitted iteration, the parameter count, and the cost of
an iteration both ways (`alphazero.compute`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from alphazero import compute
from alphazero.config import to_dict
from alphazero.learner import Losses, make_optimizer, update
from alphazero.networks import init_params, make_network
from alphazero.search import make_recurrent_fn, make_search
from alphazero.selfplay import MoveStats, SelfPlayState, init_selfplay, selfplay_move
from alphazero.settings import TrainConfig
from boardscale_core import jones


class TrainState(NamedTuple):
    params: Any
    opt_state: Any
    selfplay: SelfPlayState
    key: jax.Array  # [2] uint32 raw key data (typed keys do not serialise)


class IterationMetrics(NamedTuple):
    losses: Losses  # means over the iteration's updates
    moves: MoveStats  # sums (mean for root_value) over the iteration's moves


class TrainFunctions(NamedTuple):
    """The pure functions of one training config (nothing jitted)."""

    init: Callable[[jax.Array], TrainState]  # typed key -> initial state
    iteration: Callable[[TrainState], tuple[TrainState, IterationMetrics]]
    # (params, key, selfplay, search=None) -> (selfplay, MoveStats): one self-play move
    move: Callable[..., tuple[SelfPlayState, MoveStats]]
    # (params, opt_state, key, selfplay) -> (params, opt_state, Losses): one learner step
    update: Callable[..., tuple[Any, Any, Losses]]


def build_env(config: TrainConfig):
    """The game a config trains on (`TrainConfig.env`)."""
    return config.env()


def build_model(config: TrainConfig, env):
    """(network, apply function) for a config on ``env``."""
    network = make_network(config.network, config.board_size, env.num_actions)
    return network, network.apply


def make_train(config: TrainConfig, env=None, network=None, search=None, optimizer=None):
    """The training step of ``config`` as pure functions (see `TrainFunctions`).

    The seed in ``config`` is not used: ``init`` takes the key (a lone run passes
    ``jax.random.key(config.seed)``). ``env``, ``network``, ``search`` and ``optimizer`` default
    to the config's; passing them shares one instance with the caller."""
    env = env if env is not None else build_env(config)
    network = network if network is not None else build_model(config, env)[0]
    model = network.apply
    search = search or make_search(env, model, config.search, root_noise=True)
    optimizer = optimizer or make_optimizer(config.learner)

    def init(key: jax.Array) -> TrainState:
        init_key, games_key, run_key = jax.random.split(key, 3)
        params = init_params(network, init_key, env.observation_shape)
        return TrainState(
            params=params,
            opt_state=optimizer.init(params),
            selfplay=init_selfplay(
                env, games_key, config.selfplay.num_envs, config.learner.buffer_steps
            ),
            key=jax.random.key_data(run_key),
        )

    def move(params, key, selfplay, search_override=None):
        settings = config.selfplay
        temperature = None if settings.act == "search" else settings.temperature
        return selfplay_move(
            env,
            search_override or search,
            temperature,
            params,
            key,
            selfplay,
            settings.random_move_fraction,
        )

    def learner_update(params, opt_state, key, selfplay):
        return update(
            model,
            optimizer,
            config.learner,
            params,
            opt_state,
            key,
            selfplay.buffer,
            selfplay.rows_written,
        )

    def iteration(state: TrainState) -> tuple[TrainState, IterationMetrics]:
        key = jax.random.wrap_key_data(state.key)
        key, play_key, learn_key = jax.random.split(key, 3)

        def play(selfplay, move_key):
            return move(state.params, move_key, selfplay)

        selfplay, move_stats = jax.lax.scan(
            play, state.selfplay, jax.random.split(play_key, config.selfplay.steps_per_iteration)
        )

        def learn(carry, update_key):
            params, opt_state = carry
            params, opt_state, losses = learner_update(params, opt_state, update_key, selfplay)
            return (params, opt_state), losses

        updates = config.learner.updates_per_iteration
        (params, opt_state), losses = jax.lax.scan(
            learn, (state.params, state.opt_state), jax.random.split(learn_key, max(updates, 1))
        )
        if updates == 0:  # keep the shapes; throw the single computed step away
            params, opt_state = state.params, state.opt_state
        metrics = IterationMetrics(
            losses=jax.tree.map(jnp.mean, losses),
            moves=MoveStats(
                games_finished=move_stats.games_finished.sum(),
                finished_length=move_stats.finished_length.sum(),
                root_value=move_stats.root_value.mean(),
            ),
        )
        return TrainState(params, opt_state, selfplay, jax.random.key_data(key)), metrics

    return TrainFunctions(init=init, iteration=iteration, move=move, update=learner_update)


_COST_CACHE: dict[str, compute.IterationCost] = {}


class Trainer:
    """The compiled pieces of one run: environment, network, search, optimizer, iteration."""

    def __init__(self, config: TrainConfig):
        self.config = config
        self.env = build_env(config)
        self.network, self.model = build_model(config, self.env)
        self.search = make_search(self.env, self.model, config.search, root_noise=True)
        self.optimizer = make_optimizer(config.learner)
        self.functions = make_train(config, self.env, self.network, self.search, self.optimizer)
        self.move = self.functions.move  # (params, key, selfplay) -> (selfplay, MoveStats)
        self.iteration = jax.jit(self.functions.iteration, donate_argnums=0)
        self._cost: compute.IterationCost | None = None

    def parameter_count(self) -> int:
        params = jax.eval_shape(
            lambda: init_params(self.network, jax.random.key(0), self.env.observation_shape)
        )
        return compute.tree_size(params)

    def init_state(self, seed: int | None = None) -> TrainState:
        """The initial state of the run with ``seed`` (default: the config's)."""
        return self.functions.init(jax.random.key(self.config.seed if seed is None else seed))

    def jones_iteration_flops(self) -> float:
        """Jones's count for one iteration, known without compiling anything."""
        config = self.config
        samples = config.selfplay.steps_per_iteration * config.selfplay.num_envs
        return float(
            jones.train_flops(samples, config.search.num_simulations, self.parameter_count())
        )

    def iteration_cost(self, state: TrainState) -> compute.IterationCost:
        """Compute per iteration, both ways (see `alphazero.compute`). XLA's count takes a compile
        of each piece, so it is remembered per process for configs that play and learn alike."""
        if self._cost is not None:
            return self._cost
        cache_key = json.dumps(
            {
                k: v
                for k, v in to_dict(self.config).items()
                if k not in ("seed", "budget", "snapshots")
            },
            sort_keys=True,
        )
        if cache_key in _COST_CACHE:
            self._cost = _COST_CACHE[cache_key]
            return self._cost
        config = self.config
        simulations = config.search.num_simulations
        key = jax.random.key(0)
        steps = config.selfplay.steps_per_iteration
        samples = steps * config.selfplay.num_envs
        if simulations == 0:
            move = compute.cost_flops(jax.jit(self.move), state.params, key, state.selfplay)
        else:
            one = make_search(
                self.env, self.model, config.search, num_simulations=1, root_noise=True
            )
            move_one = compute.cost_flops(
                jax.jit(lambda p, k, s: self.move(p, k, s, one)),
                state.params,
                key,
                state.selfplay,
            )
            step = compute.cost_flops(
                jax.jit(make_recurrent_fn(self.env, self.model)),
                state.params,
                key,
                jnp.zeros((config.selfplay.num_envs,), jnp.int32),
                state.selfplay.games,
            )
            move = compute.xla_move_flops(move_one, step, simulations)
        one_update = compute.cost_flops(
            jax.jit(self.functions.update), state.params, state.opt_state, key, state.selfplay
        )
        self._cost = compute.IterationCost(
            samples=samples,
            jones=float(jones.train_flops(samples, simulations, self.parameter_count())),
            xla_selfplay=steps * move,
            xla_update=config.learner.updates_per_iteration * one_update,
        )
        _COST_CACHE[cache_key] = self._cost
        return self._cost
