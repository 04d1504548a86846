"""Batched MCTS behind a small interface of our own: our native search, with mctx as a reference.

    search = make_search(env, model, config)
    output = search(params, key, states)   # SearchOutput: action [B], action_weights [B, N], root_value [B]

``model(params, observation [B, S, S, 2]) -> (canonical logits [B, N], value [B])`` sees the mover's
view; this module maps its policy back to real actions with the game's `canonical_action_map`, so the
tree, the weights and the chosen actions are all in real action indices.

The real game is the model: the recurrent function steps the game, illegal moves get logits of
-1e9, the discount is -1 between plies (the value flips sides) and 0 once the game is over, and a
finished state is absorbing (no reward, no value). ``num_simulations`` 0 means acting on the raw
policy: one network evaluation, weights = softmax of the masked logits.

Gumbel MuZero and PUCT run on either backend (`alphazero.native_search`, which makes mctx's
decisions, or mctx itself); Jones's regularised policy search (``algorithm = "regularized"``) is
native only. Anything that returns a `SearchOutput` from ``(params, key, states)`` can replace a
backend here without touching self-play, agents or matches.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import mctx

from alphazero import native_search
from alphazero.config import ConfigError
from alphazero.sampling import dirichlet_over
from alphazero.settings import SearchConfig

ILLEGAL_LOGIT = -1e9

Model = Callable[[Any, jax.Array], tuple[jax.Array, jax.Array]]


class SearchOutput(NamedTuple):
    action: jax.Array  # [B] int32, the search's choice (real action index)
    action_weights: jax.Array  # [B, N] float32, the search policy over real actions
    root_value: jax.Array  # [B] float32, the root's value from the mover's side


def evaluate(env, model: Model, params, states) -> tuple[jax.Array, jax.Array]:
    """Masked real-action logits [B, N] and value [B] for a batch of states.

    Finished states get value 0 and all-legal logits (so no softmax of an empty set is taken)."""
    logits, value = model(params, states.observation)
    mapping = jax.vmap(env.canonical_action_map)(states.current_player)  # [B, N]
    logits = jnp.take_along_axis(logits, mapping, axis=1)
    legal = states.legal_action_mask | states.terminated[:, None]
    logits = jnp.where(legal, logits, ILLEGAL_LOGIT)
    value = jnp.where(states.terminated, 0.0, value)
    return logits, value


def make_recurrent_fn(env, model: Model):
    """mctx's recurrent function: the game itself is the dynamics model."""

    def recurrent_fn(params, key, action, states):
        del key
        mover = states.current_player
        next_states = jax.vmap(env.step)(states, action)
        reward = jnp.take_along_axis(next_states.rewards, mover[:, None], axis=1)[:, 0]
        # A finished state is absorbing: the game's step returns it with zero rewards.
        discount = jnp.where(next_states.terminated, 0.0, -1.0)
        logits, value = evaluate(env, model, params, next_states)
        output = mctx.RecurrentFnOutput(
            reward=reward, discount=discount, prior_logits=logits, value=value
        )
        return output, next_states

    return recurrent_fn


def add_root_noise(key, logits, legal, alpha: float, fraction: float) -> jax.Array:
    """Mix Dirichlet(alpha) noise over the legal actions into the prior: the prior becomes
    (1 - fraction) * softmax(logits) + fraction * noise. logits, legal: [B, N]. Returns [B, N]."""
    noise = dirichlet_over(key, alpha, legal)
    prior = (1.0 - fraction) * jax.nn.softmax(logits, axis=-1) + fraction * noise
    return jnp.where(legal, jnp.log(jnp.maximum(prior, 1e-30)), ILLEGAL_LOGIT)


# From this many simulations on, "auto" picks the native search, below it mctx. On a CPU native was
# the faster at every count measured, 1 to 256 (bench/native_search.py --selfplay, 9x9 512x4,
# batch 64, 8 alternating rounds: self-play moves 1.09x mctx's at 1 simulation, 1.06x at 2, 1.07x
# at 4; bench/selfplay.py: 1.1-3.3x from 16 up), and the two make the same decisions. Where a
# device is measured to favour mctx at some counts, this is the place to say so.
NATIVE_FROM_SIMULATIONS = 1


def resolve_backend(backend: str, simulations: int, algorithm: str = "gumbel") -> str:
    """``"native"`` or ``"mctx"`` for a search of ``simulations`` simulations (mctx has no
    regularised search, so "auto" is always native for it)."""
    if backend == "auto" and algorithm == "regularized":
        return "native"
    if backend == "auto":
        return "native" if simulations >= NATIVE_FROM_SIMULATIONS else "mctx"
    return backend


def make_search(
    env,
    model: Model,
    config: SearchConfig,
    num_simulations: int | None = None,
    root_noise: bool = False,
    agents: int = 1,
):
    """Build ``search(params, key, states) -> SearchOutput`` for a batch of states.

    ``num_simulations`` overrides ``config.num_simulations`` (test-time agents use this).
    ``root_noise`` mixes Dirichlet noise (``config.dirichlet_alpha``, ``config.dirichlet_fraction``)
    into the root prior, for every algorithm; self-play uses it so that games keep exploring, agents
    under test do not -- except under the regularised search with
    ``config.regularized_evaluation_noise`` (Jones's code noises every search). ``agents``: the
    batch is that many agents' games in equal consecutive runs (a tournament's stacked program);
    the regularised search normalises q over each agent's games alone, as each of Jones's agents
    searched its own batch."""
    simulations = config.num_simulations if num_simulations is None else num_simulations
    recurrent_fn = make_recurrent_fn(env, model)
    # Jones's 10 / cells, where a move is a cell; a game with fewer actions than cells (Connect
    # Four's columns) spreads the same 10 over its actions. Hex (cells <= actions) is unchanged.
    alpha = config.dirichlet_alpha or 10.0 / min(env.num_cells, env.num_actions)
    regularized = config.algorithm == "regularized"
    noisy = root_noise or (regularized and config.regularized_evaluation_noise)
    fraction = config.dirichlet_fraction if noisy else 0.0

    # The native tree stores the game's packed state per node, where the game has one.
    codec = {}
    if hasattr(env, "pack") and hasattr(env, "unpack"):
        codec = {"pack": jax.vmap(env.pack), "unpack": jax.vmap(env.unpack)}

    def _native(params, key, logits, value, states, invalid) -> SearchOutput:
        inputs = (params, key, logits, value, states, invalid, recurrent_fn, simulations)
        if config.algorithm == "gumbel":
            result = native_search.gumbel_muzero(
                *inputs,
                **codec,
                max_num_considered_actions=config.max_num_considered_actions,
                gumbel_scale=config.gumbel_scale,
                value_scale=config.c_scale,
                maxvisit_init=config.c_visit,
            )
        elif regularized:
            result = native_search.regularized(
                *inputs,
                **codec,
                c=config.regularized_c,
                sqrt_visits=config.regularized_sqrt,
                per_tree=config.regularized_per_tree,
                groups=agents,
            )
        else:
            result = native_search.puct(
                *inputs, pb_c_init=config.pb_c_init, pb_c_base=config.pb_c_base, **codec
            )
        return SearchOutput(result.action, result.action_weights, result.root_value)

    def search(params, key, states) -> SearchOutput:
        logits, value = evaluate(env, model, params, states)
        if fraction > 0:
            key, noise_key = jax.random.split(key)
            legal = states.legal_action_mask | states.terminated[:, None]
            logits = add_root_noise(noise_key, logits, legal, alpha, fraction)
        if simulations == 0:
            action = jax.random.categorical(key, logits).astype(jnp.int32)
            return SearchOutput(action, jax.nn.softmax(logits, axis=-1), value)
        invalid = ~(states.legal_action_mask | states.terminated[:, None])
        if resolve_backend(config.backend, simulations, config.algorithm) == "native":
            return _native(params, key, logits, value, states, invalid)
        if regularized:
            raise ConfigError('search.backend "mctx" has no regularized search')
        root = mctx.RootFnOutput(prior_logits=logits, value=value, embedding=states)
        if config.algorithm == "gumbel":
            qtransform = functools.partial(
                mctx.qtransform_completed_by_mix_value,
                value_scale=config.c_scale,
                maxvisit_init=config.c_visit,
            )
            output = mctx.gumbel_muzero_policy(
                params,
                key,
                root,
                recurrent_fn,
                num_simulations=simulations,
                invalid_actions=invalid,
                qtransform=qtransform,
                max_num_considered_actions=config.max_num_considered_actions,
                gumbel_scale=config.gumbel_scale,
            )
        else:
            output = mctx.muzero_policy(
                params,
                key,
                root,
                recurrent_fn,
                num_simulations=simulations,
                invalid_actions=invalid,
                dirichlet_fraction=0.0,  # the noise, if any, is already in the root logits
                dirichlet_alpha=alpha,
                pb_c_init=config.pb_c_init,
                pb_c_base=config.pb_c_base,
            )
        root_value = output.search_tree.node_values[:, mctx.Tree.ROOT_INDEX]
        return SearchOutput(
            output.action.astype(jnp.int32), output.action_weights.astype(jnp.float32), root_value
        )

    return search


def choose(key, weights, temperature: float) -> jax.Array:
    """Sample an action from ``weights`` [B, N] sharpened by 1/temperature; 0 means argmax. [B]"""
    if temperature == 0:
        return jnp.argmax(weights, axis=-1).astype(jnp.int32)
    logits = jnp.log(jnp.maximum(weights, 1e-30)) / temperature
    logits = jnp.where(weights > 0, logits, -jnp.inf)
    return jax.random.categorical(key, logits).astype(jnp.int32)
