"""Policy-value networks in flax.

Both take the mover's-view observation [B, H, W, 2] (Hex: H = W = S; Connect Four: rows x columns)
and return canonical policy logits [B, N] and a value [B] in [-1, 1] (from the mover's side).
Hex: N = S*S, or S*S + 1 with the swap rule; Connect Four: N = W (the columns).

- `ResidualMLP` is Jones's family: flatten -> Dense(width) -> `depth` blocks of
  x + alpha * Dense(relu(x)) with alpha a learnt scalar starting at 0 (ReZero), orthogonal init, no
  normalisation -> policy Dense(N) and value tanh(Dense(1)).
- `ConvResNet` is a small conv ResNet (channels, blocks) with the same heads.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn

from alphazero.settings import NetworkConfig

_ORTHOGONAL = nn.initializers.orthogonal()


class ReZeroBlock(nn.Module):
    width: int
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x):  # [B, W]
        alpha = self.param("alpha", nn.initializers.zeros, ())
        update = nn.Dense(self.width, kernel_init=_ORTHOGONAL, dtype=self.dtype)(nn.relu(x))
        return x + alpha.astype(x.dtype) * update


class ResidualMLP(nn.Module):
    """Jones's residual MLP. See the module docstring."""

    width: int
    depth: int
    num_actions: int
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, observation):  # [B, S, S, 2]
        x = observation.reshape(observation.shape[0], -1).astype(self.dtype)  # [B, 2 S^2]
        x = nn.Dense(self.width, kernel_init=_ORTHOGONAL, dtype=self.dtype)(x)
        for _ in range(self.depth):
            x = ReZeroBlock(self.width, dtype=self.dtype)(x)
        logits = nn.Dense(self.num_actions, kernel_init=_ORTHOGONAL, dtype=self.dtype)(x)
        value = nn.Dense(1, kernel_init=_ORTHOGONAL, dtype=self.dtype)(x)[:, 0]
        return logits.astype(jnp.float32), jnp.tanh(value.astype(jnp.float32))


class ConvResNet(nn.Module):
    """A small conv ResNet: 3x3 conv stem, ``blocks`` residual blocks, policy and value heads."""

    channels: int
    blocks: int
    num_actions: int
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, observation):  # [B, S, S, 2]
        batch, height, width = observation.shape[:3]
        cells_count = height * width
        conv = lambda features, kernel: nn.Conv(  # noqa: E731
            features, (kernel, kernel), padding="SAME", dtype=self.dtype
        )
        x = nn.relu(conv(self.channels, 3)(observation.astype(self.dtype)))
        for _ in range(self.blocks):
            y = nn.relu(conv(self.channels, 3)(x))
            y = conv(self.channels, 3)(y)
            x = nn.relu(x + y)
        if self.num_actions < cells_count:  # actions are not cells (Connect Four's columns)
            features = conv(2, 1)(x).reshape(batch, 2 * cells_count)
            cells = nn.Dense(self.num_actions, dtype=self.dtype)(nn.relu(features))
        else:
            cells = conv(1, 1)(x).reshape(batch, cells_count)  # [B, H W]
        if self.num_actions > cells_count:  # the swap action gets its own logit
            pooled = x.mean(axis=(1, 2))
            extra = nn.Dense(self.num_actions - cells_count, dtype=self.dtype)(pooled)
            cells = jnp.concatenate([cells, extra], axis=-1)
        hidden = nn.relu(nn.Dense(self.channels, dtype=self.dtype)(x.mean(axis=(1, 2))))
        value = nn.Dense(1, dtype=self.dtype)(hidden)[:, 0]
        return cells.astype(jnp.float32), jnp.tanh(value.astype(jnp.float32))


def make_network(config: NetworkConfig, board_size, num_actions: int) -> nn.Module:
    """The flax module for ``config`` with ``num_actions`` outputs (the board's shape comes from
    the observation; ``board_size`` is kept for callers that pass it)."""
    dtype = jnp.bfloat16 if config.dtype == "bfloat16" else jnp.float32
    if config.family == "mlp":
        return ResidualMLP(config.width, config.depth, num_actions, dtype=dtype)
    return ConvResNet(config.channels, config.blocks, num_actions, dtype=dtype)


def _observation_shape(board) -> tuple[int, ...]:
    """An observation shape (H, W, 2) from itself or from a Hex size S (an S x S board)."""
    if isinstance(board, tuple | list):
        return tuple(int(side) for side in board)
    return (int(board), int(board), 2)


def init_params(network: nn.Module, key: jax.Array, board):
    """Initial parameters (float32) for a batch-of-one dummy observation. ``board`` is the game's
    ``observation_shape`` (H, W, 2), or a Hex size S for an S x S board."""
    dummy = jnp.zeros((1, *_observation_shape(board)), jnp.float32)
    return network.init(key, dummy)


def mlp_parameter_count(board, width: int, depth: int, num_actions: int) -> int:
    """Jones's MLP parameter count: stem, ``depth`` blocks (weights, bias, alpha), two heads.
    ``board`` is the observation shape (H, W, 2) or a Hex size S."""
    inputs = int(np.prod(_observation_shape(board)))
    stem = inputs * width + width
    blocks = depth * (width * width + width + 1)
    policy = width * num_actions + num_actions
    value = width + 1
    return stem + blocks + policy + value
