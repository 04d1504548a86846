"""The learner: minibatches from the replay buffer, policy cross-entropy + value MSE, optax Adam."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from alphazero.search import ILLEGAL_LOGIT
from alphazero.selfplay import ReplayBuffer
from alphazero.settings import LearnerConfig


class Batch(NamedTuple):
    observation: jax.Array  # [M, S, S, 2] float32
    legal: jax.Array  # [M, N] bool
    policy: jax.Array  # [M, N] float32
    value: jax.Array  # [M] float32
    weight: jax.Array  # [M] float32, 1 for resolved positions, 0 otherwise


class Losses(NamedTuple):
    policy: jax.Array  # [] cross-entropy of the network policy against the search policy
    value: jax.Array  # [] mean squared error of the value against the outcome
    total: jax.Array  # []


def make_optimizer(config: LearnerConfig) -> optax.GradientTransformation:
    if config.weight_decay > 0:
        return optax.adamw(config.learning_rate, weight_decay=config.weight_decay)
    return optax.adam(config.learning_rate)


def sample_batch(key, buffer: ReplayBuffer, rows_written, batch_size: int) -> Batch:
    """Uniform positions from the filled rows; unresolved positions get weight 0."""
    rows, games = buffer.mover.shape
    row_key, game_key = jax.random.split(key)
    filled = jnp.clip(rows_written, 1, rows)
    row = jax.random.randint(row_key, (batch_size,), 0, filled)
    game = jax.random.randint(game_key, (batch_size,), 0, games)
    return Batch(
        observation=buffer.observation[row, game].astype(jnp.float32),
        legal=buffer.legal[row, game],
        policy=buffer.policy[row, game],
        value=buffer.value[row, game],
        weight=buffer.resolved[row, game].astype(jnp.float32),
    )


def loss_fn(model, params, batch: Batch, value_loss_weight: float):
    """Weighted mean of policy cross-entropy (illegal moves masked) and value MSE."""
    logits, value = model(params, batch.observation)
    logits = jnp.where(batch.legal, logits, ILLEGAL_LOGIT)
    log_policy = jax.nn.log_softmax(logits, axis=-1)
    policy_loss = -jnp.sum(batch.policy * jnp.where(batch.legal, log_policy, 0.0), axis=-1)
    value_loss = jnp.square(value - batch.value)
    norm = jnp.maximum(batch.weight.sum(), 1.0)
    policy_mean = jnp.sum(policy_loss * batch.weight) / norm
    value_mean = jnp.sum(value_loss * batch.weight) / norm
    total = policy_mean + value_loss_weight * value_mean
    return total, Losses(policy_mean, value_mean, total)


def update(model, optimizer, config: LearnerConfig, params, opt_state, key, buffer, rows_written):
    """One Adam step on one minibatch. Returns (params, opt_state, Losses)."""
    batch = sample_batch(key, buffer, rows_written, config.batch_size)
    grads, losses = jax.grad(
        lambda p: loss_fn(model, p, batch, config.value_loss_weight), has_aux=True
    )(params)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, losses
