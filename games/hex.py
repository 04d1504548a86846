"""Hex in pure JAX, for any square board from 2x2 to 26x26.

Conventions (shared with OpenSpiel's `hex` so the two can be cross-checked move by move):

- Cells are numbered row-major, ``action = row * size + col``. The neighbours of (r, c) are
  (r-1, c), (r+1, c), (r, c-1), (r, c+1), (r-1, c+1) and (r+1, c-1).
- Player 0 is black, moves first and connects the top row to the bottom row. Player 1 is white and
  connects the left column to the right column. Hex has no draws.
- With ``swap=True`` there is one more action, ``size * size``, legal only as the second move of the
  game: it removes black's stone at (r, c) and puts a white stone at (c, r). Black moves next.
- ``observation`` is the board from the mover's side: for white the board is transposed and the
  colours exchanged, so every position looks like "black to move, connect top to bottom". Policies
  over those canonical cells map back to real actions with `Hex.canonical_action_map`.

Rules of the API (pgx-like): ``init(key) -> state`` and ``step(state, action) -> state``, both for a
single game (vmap them for a batch). Stepping a finished game returns it unchanged but for its
``rewards``, which are zero (as in pgx): the rewards are non-zero on the step that ends the game
only, so summing them over a batched rollout that keeps stepping finished games counts each game
once. An illegal action
(an occupied cell, an out-of-range index, or the swap when it is not legal) ends the game at once as a
loss for the player who made it, with ``illegal`` set, so a buggy agent can never corrupt a board or
get a free move.

Win detection keeps a component label per cell plus four virtual edge nodes (top, bottom, left,
right). Placing a stone relabels every node whose label is among its same-coloured neighbours' labels
(and the edges it touches) to the smallest of them: a fixed-shape [A + 4, 8] comparison per move, with
no loop and no host round-trip. Black has won when the top and bottom edge nodes share a label.

Shapes: S = board size, A = S * S cells, N = number of actions (A, or A + 1 with the swap rule).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from games.base import BoardGame

MIN_SIZE = 2
MAX_SIZE = 26  # column letters a..z

EMPTY, BLACK, WHITE = 0, 1, 2
_NUM_EDGES = 4  # virtual nodes: top, bottom (black's) and left, right (white's)
_MERGE_WIDTH = 8  # 6 neighbours + up to 2 edges


@struct.dataclass
class HexState:
    """One Hex position. Vmapped states carry a leading batch axis on every field."""

    current_player: jax.Array  # [] int32, 0 = black, 1 = white
    board: jax.Array  # [A] int8, EMPTY / BLACK / WHITE
    labels: jax.Array  # [A + 4] int32, component label per cell and virtual edge node
    legal_action_mask: jax.Array  # [N] bool
    terminated: jax.Array  # [] bool
    rewards: jax.Array  # [2] float32, +1 winner / -1 loser on the step that ends the game only
    observation: jax.Array  # [S, S, 2] float32, mover's stones then opponent's, mover's view
    num_moves: jax.Array  # [] int32, plies played (the swap counts as one)
    last_action: jax.Array  # [] int32, -1 before the first move
    winner: jax.Array  # [] int32, -1 while the game runs
    illegal: jax.Array  # [] bool, the game ended on an illegal action


@struct.dataclass
class PackedHexState:
    """A `HexState` in fewer bytes, for storing many of them (a search tree keeps one per node):
    no observation (it is a function of the board and the mover, rebuilt by `Hex.unpack`) and
    int16 component labels. 9x9: 358 bytes against 1,180."""

    current_player: jax.Array
    board: jax.Array
    labels: jax.Array  # [A + 4] int16
    legal_action_mask: jax.Array
    terminated: jax.Array
    rewards: jax.Array
    num_moves: jax.Array
    last_action: jax.Array
    winner: jax.Array
    illegal: jax.Array


@dataclasses.dataclass(frozen=True)
class Hex(BoardGame):
    """Hex on a ``size`` x ``size`` board; ``swap`` enables the swap rule.

    Construct it with `games.make("hex", size=..., swap=...)`. The instance is hashable and holds
    only static tables, so it can be closed over by jitted functions.
    """

    size: int
    swap: bool = False

    def __post_init__(self):
        if isinstance(self.size, bool) or not isinstance(self.size, int | np.integer):
            raise ValueError(f"hex: size must be an integer, got {self.size!r}")
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValueError(
                f"hex: size must be between {MIN_SIZE} and {MAX_SIZE}, got {self.size}"
            )
        if not isinstance(self.swap, bool | np.bool_):
            raise ValueError(f"hex: swap must be true or false, got {self.swap!r}")
        object.__setattr__(self, "size", int(self.size))
        object.__setattr__(self, "swap", bool(self.swap))

    # ---- static description -------------------------------------------------------------

    name = "hex"
    can_draw = False
    """Whether a game can end with no winner (``winner`` -1): never in Hex."""

    @property
    def board_label(self) -> int:
        """How the store and the tournament name this board: the integer size (see
        `games.board_label`)."""
        return self.size

    @property
    def num_cells(self) -> int:
        return self.size * self.size

    @property
    def num_actions(self) -> int:
        return self.num_cells + int(self.swap)

    @property
    def swap_action(self) -> int:
        """The swap action's index (only meaningful with ``swap=True``)."""
        return self.num_cells

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (self.size, self.size, 2)

    @property
    def max_game_length(self) -> int:
        """Upper bound on plies: every cell filled, plus the swap."""
        return self.num_cells + int(self.swap)

    # ---- static tables (numpy, built per instance; cached because the instance is frozen) ----

    def _make_tables(self) -> dict[str, np.ndarray]:
        return _build_tables(self.size)

    def canonical_action_map(self, player: jax.Array) -> jax.Array:
        """Index map between real actions and the mover's-view (canonical) actions.

        ``real_logits = canonical_logits[..., canonical_action_map(player)]`` and, because the map
        is an involution (a transpose), the same map sends real policies to canonical ones.
        player: [] int32. Returns [N] int32.
        """
        maps = jnp.asarray(self._tables["canonical_maps"])  # [2, A]
        cells = maps[player]
        if self.swap:
            cells = jnp.concatenate([cells, jnp.array([self.num_cells], jnp.int32)])
        return cells

    # ---- the game -----------------------------------------------------------------------

    def init(self, key: jax.Array) -> HexState:
        """The empty board, black to move. ``key`` is unused (Hex has no chance) but kept for the API."""
        del key
        legal = jnp.ones((self.num_actions,), jnp.bool_)
        if self.swap:
            legal = legal.at[self.swap_action].set(False)
        return HexState(
            **self._initial_fields(legal),
            labels=jnp.arange(self.num_cells + _NUM_EDGES, dtype=jnp.int32),
        )

    def pack(self, state: HexState) -> PackedHexState:
        """The state without its observation and with int16 labels; `unpack` restores it exactly."""
        return PackedHexState(**_packed_fields(state, labels=jnp.int16))

    def unpack(self, packed: PackedHexState) -> HexState:
        """The `HexState` that `pack` was given (the observation rebuilt from board and mover)."""
        return HexState(
            **_packed_fields(packed, labels=jnp.int32),
            observation=self._observation(packed.board, packed.current_player),
        )

    # ---- internals ----------------------------------------------------------------------

    def _place(self, board, labels, cell, colour):
        """Put a stone of ``colour`` (BLACK/WHITE) on ``cell`` and merge components."""
        tables = self._tables
        num_cells = self.num_cells
        sentinel = num_cells + _NUM_EDGES  # matches no label
        neighbours = jnp.asarray(tables["neighbours"])[cell]  # [6], -1 padded
        valid = neighbours >= 0
        safe = jnp.where(valid, neighbours, 0)
        same = valid & (board[safe] == colour)
        edges = jnp.asarray(tables["edges"])[colour - 1, cell]  # [2], -1 padded
        edge_valid = edges >= 0
        merge = jnp.concatenate(
            [
                jnp.where(same, labels[safe], sentinel),
                jnp.where(edge_valid, labels[jnp.where(edge_valid, edges, 0)], sentinel),
            ]
        )  # [8]
        new_label = jnp.minimum(jnp.min(merge), cell)
        nodes = jnp.arange(num_cells + _NUM_EDGES, dtype=jnp.int32)
        relabel = jnp.any(labels[:, None] == merge[None, :], axis=1) | (nodes == cell)
        labels = jnp.where(relabel, new_label, labels)
        board = board.at[cell].set(jnp.int8(colour))
        return board, labels

    def _play(self, state: HexState, action) -> HexState:
        num_cells = self.num_cells
        player = state.current_player
        if self.swap:
            is_swap = action == self.swap_action
            # The swap replaces black's only stone at (r, c) with a white stone at (c, r).
            black_cell = jnp.argmax(state.board == BLACK).astype(jnp.int32)
            mirrored = jnp.asarray(self._tables["canonical_maps"])[1][black_cell]
            empty_board = jnp.zeros_like(state.board)
            empty_labels = jnp.arange(num_cells + _NUM_EDGES, dtype=jnp.int32)
            cell = jnp.where(is_swap, mirrored, jnp.clip(action, 0, num_cells - 1))
            board = jnp.where(is_swap, empty_board, state.board)
            labels = jnp.where(is_swap, empty_labels, state.labels)
        else:
            cell = action
            board, labels = state.board, state.labels
        colour = (player + 1).astype(jnp.int8)
        board, labels = self._place(board, labels, cell, colour)
        top, bottom, left, right = (labels[num_cells + k] for k in range(_NUM_EDGES))
        won = jnp.where(player == 0, top == bottom, left == right)
        next_player = 1 - player
        legal = board == EMPTY
        if self.swap:
            legal = jnp.concatenate([legal, (state.num_moves == 0)[None]])
        legal = legal & ~won
        rewards = jnp.where(won, jnp.where(jnp.arange(2) == player, 1.0, -1.0), 0.0).astype(
            jnp.float32
        )
        return HexState(
            current_player=next_player,
            board=board,
            labels=labels,
            legal_action_mask=legal,
            terminated=won,
            rewards=rewards,
            observation=self._observation(board, next_player),
            num_moves=state.num_moves + 1,
            last_action=action,
            winner=jnp.where(won, player, -1).astype(jnp.int32),
            illegal=jnp.bool_(False),
        )

    def _observation(self, board, player) -> jax.Array:
        size = self.size
        grid = board.reshape(size, size)
        black = grid == BLACK
        white = grid == WHITE
        as_black = jnp.stack([black, white], axis=-1)
        as_white = jnp.stack([white.T, black.T], axis=-1)
        return jnp.where(player == 0, as_black, as_white).astype(jnp.float32)


def _packed_fields(state, labels) -> dict:
    """The fields a `PackedHexState` keeps, read from ``state``, with the labels as ``labels``."""
    fields = {
        field.name: getattr(state, field.name) for field in dataclasses.fields(PackedHexState)
    }
    return {**fields, "labels": state.labels.astype(labels)}


def _build_tables(size: int) -> dict[str, np.ndarray]:
    num_cells = size * size
    offsets = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, 1), (1, -1))
    neighbours = np.full((num_cells, 6), -1, np.int32)
    for row in range(size):
        for col in range(size):
            for k, (dr, dc) in enumerate(offsets):
                r, c = row + dr, col + dc
                if 0 <= r < size and 0 <= c < size:
                    neighbours[row * size + col, k] = r * size + c
    top, bottom, left, right = (num_cells + k for k in range(_NUM_EDGES))
    edges = np.full((2, num_cells, 2), -1, np.int32)  # [colour - 1, cell, 2]
    for row in range(size):
        for col in range(size):
            cell = row * size + col
            if row == 0:
                edges[0, cell, 0] = top
            if row == size - 1:
                edges[0, cell, 1] = bottom
            if col == 0:
                edges[1, cell, 0] = left
            if col == size - 1:
                edges[1, cell, 1] = right
    cells = np.arange(num_cells, dtype=np.int32)
    transposed = (cells % size) * size + cells // size
    return {
        "neighbours": neighbours,
        "edges": edges,
        "canonical_maps": np.stack([cells, transposed]).astype(np.int32),
    }
