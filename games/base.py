"""What the board games share: the common fields of the initial state, stepping (an illegal action
forfeits, a finished game stays put) and static tables cached per instance.

A game (a frozen dataclass) inherits `BoardGame` and defines ``num_cells``, ``num_actions``,
``_observation(board, player)``, ``_play(state, action)`` (the position after ``action``, used
when the action is legal; ``action`` is always in range) and ``_make_tables()`` (its numpy tables,
built once per instance). Its state is a `flax.struct` dataclass with at least the fields that
`BoardGame._initial_fields` gives."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


class BoardGame:
    """The parts of the game API (DESIGN.md) that are the same for every game."""

    num_cells: int
    num_actions: int

    def _initial_fields(self, legal_action_mask) -> dict:
        """The fields of an initial state that every game has: the empty board ([num_cells]
        int8), player 0 to move, ``legal_action_mask``, no move played, no rewards."""
        board = jnp.zeros((self.num_cells,), jnp.int8)
        return {
            "current_player": jnp.int32(0),
            "board": board,
            "legal_action_mask": legal_action_mask,
            "terminated": jnp.bool_(False),
            "rewards": jnp.zeros((2,), jnp.float32),
            "observation": self._observation(board, jnp.int32(0)),
            "num_moves": jnp.int32(0),
            "last_action": jnp.int32(-1),
            "winner": jnp.int32(-1),
            "illegal": jnp.bool_(False),
        }

    def step(self, state, action: jax.Array):
        """Play ``action`` ([] int) for the current player. An illegal action (masked or out of
        range) ends the game at once as a loss for the player who made it. A finished game is
        returned unchanged except that its ``rewards`` are zero: only the step that ends a game
        carries its rewards."""
        action = jnp.asarray(action, jnp.int32)
        in_range = (action >= 0) & (action < self.num_actions)
        clipped = jnp.clip(action, 0, self.num_actions - 1)
        is_legal = in_range & state.legal_action_mask[clipped]
        played = self._play(state, clipped)
        forfeited = self._forfeit(state, action)
        after = jax.tree.map(lambda a, b: jnp.where(is_legal, a, b), played, forfeited)
        finished = state.replace(rewards=jnp.zeros_like(state.rewards))
        return jax.tree.map(lambda old, new: jnp.where(state.terminated, old, new), finished, after)

    def _observation(self, board, player):
        raise NotImplementedError

    def _play(self, state, action):
        raise NotImplementedError

    def _forfeit(self, state, action):
        """The game lost by the mover for playing ``action``: the position as it was, no legal
        actions, -1 for the mover and +1 for the opponent."""
        player = state.current_player
        return state.replace(
            legal_action_mask=jnp.zeros_like(state.legal_action_mask),
            terminated=jnp.bool_(True),
            rewards=jnp.where(jnp.arange(2) == player, -1.0, 1.0).astype(jnp.float32),
            last_action=action,
            winner=(1 - player).astype(jnp.int32),
            illegal=jnp.bool_(True),
        )

    @property
    def _tables(self) -> dict[str, np.ndarray]:
        """The game's static numpy tables, built on first use and cached on the (frozen)
        instance."""
        cached = self.__dict__.get("_cached_tables")
        if cached is None:
            cached = self._make_tables()
            object.__setattr__(self, "_cached_tables", cached)
        return cached

    def _make_tables(self) -> dict[str, np.ndarray]:
        raise NotImplementedError
