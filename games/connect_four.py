"""Connect Four in pure JAX on any board: ``rows`` x ``columns``, ``x_in_row`` in a line to win.

Conventions (OpenSpiel's `connect_four`, with its parameter names, so the two can be cross-checked
move by move):

- The actions are the columns, ``0 .. columns - 1``; a stone drops to the lowest empty cell of its
  column. Player 0 (``x``) moves first, player 1 (``o``) second.
- Cells are numbered ``cell = row * columns + col`` with row 0 the *bottom* row (OpenSpiel's
  ``CellAt(row, col)``); `render` prints the top row first, as OpenSpiel's ``ToString`` does.
- A player wins by making ``x_in_row`` of their stones in a line: horizontal, vertical or either
  diagonal. A full board with no line is a draw: ``terminated`` with zero rewards and winner -1.
- ``observation`` is [rows, columns, 2]: the mover's stones, then the opponent's, row 0 at the
  bottom. It is OpenSpiel's (non-egocentric) observation tensor's first two planes, ``x`` and ``o``,
  put channels-last and reordered so the mover's stones come first (OpenSpiel's own
  ``egocentric_obs_tensor`` option puts the *opponent's* stones first). Left-right is not mirrored
  for either player, so the canonical action of a column is the column itself
  (`ConnectFour.canonical_action_map` is the identity).

Rules of the API (pgx-like, the same as `games.hex`): ``init(key) -> state`` and
``step(state, action) -> state``, both for a single game (vmap them for a batch). ``rewards`` are
+1 / -1 on the step that ends the game with a win, zero on every other step; stepping a finished
game changes nothing but its rewards, which become zero. An illegal action (a full column or an
out-of-range index) ends the game at once as a loss for the player who made it, with ``illegal``
set.

Win detection is a gather over precomputed lines: every line of ``x_in_row`` cells that passes
through a cell is listed for that cell (padded with a sentinel line that never matches), so after a
drop the game checks only the lines through the new stone: a fixed-shape [K, x_in_row] comparison,
no loop and no host round-trip, batched by vmap.

Shapes: R = rows, C = columns, A = R * C cells, K = most lines through one cell.
"""

from __future__ import annotations

import dataclasses
import re

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from games.base import BoardGame

MIN_SIDE = 1
MAX_SIDE = 26  # column letters a..z
MIN_X_IN_ROW = 2

EMPTY, CROSS, NOUGHT = 0, 1, 2  # player 0 plays CROSS (x), player 1 NOUGHT (o)
STONES = {EMPTY: ".", CROSS: "x", NOUGHT: "o"}

_SIZE_PATTERN = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


@struct.dataclass
class ConnectFourState:
    """One Connect Four position. Vmapped states carry a leading batch axis on every field."""

    current_player: jax.Array  # [] int32, 0 = x (first), 1 = o
    board: jax.Array  # [A] int8, EMPTY / CROSS / NOUGHT, row 0 at the bottom
    legal_action_mask: jax.Array  # [C] bool, all false once the game is over
    terminated: jax.Array  # [] bool
    rewards: jax.Array  # [2] float32, +1 winner / -1 loser on the step that ends the game only
    observation: jax.Array  # [R, C, 2] float32, mover's stones then opponent's
    num_moves: jax.Array  # [] int32, plies played
    last_action: jax.Array  # [] int32, -1 before the first move
    winner: jax.Array  # [] int32, -1 while the game runs and after a draw
    illegal: jax.Array  # [] bool, the game ended on an illegal action


@struct.dataclass
class PackedConnectFourState:
    """A `ConnectFourState` without its observation (a function of the board and the mover,
    rebuilt by `ConnectFour.unpack`), for storing many of them (a search tree keeps one per node).
    6x7: 66 bytes against 402."""

    current_player: jax.Array
    board: jax.Array
    legal_action_mask: jax.Array
    terminated: jax.Array
    rewards: jax.Array
    num_moves: jax.Array
    last_action: jax.Array
    winner: jax.Array
    illegal: jax.Array


def parse_size(size) -> tuple[int, int]:
    """``'6x7'`` (rows x columns; case and spaces ignored) or ``(6, 7)`` -> ``(6, 7)``.

    Raises ValueError naming the expected form for anything else (a bare integer included: a
    Connect Four board is not square in general)."""
    if isinstance(size, str):
        match = _SIZE_PATTERN.match(size)
        if match:
            return int(match.group(1)), int(match.group(2))
    elif isinstance(size, tuple | list) and len(size) == 2:
        rows, columns = size
        if all(_is_int(side) for side in size):
            return int(rows), int(columns)
    raise ValueError(
        f"connect_four: size must be 'ROWSxCOLUMNS' such as '6x7' (or a pair of integers), "
        f"got {size!r}"
    )


def _is_int(value) -> bool:
    return not isinstance(value, bool | np.bool_) and isinstance(value, int | np.integer)


@dataclasses.dataclass(frozen=True)
class ConnectFour(BoardGame):
    """Connect Four on ``rows`` x ``columns`` with ``x_in_row`` in a line to win (OpenSpiel's
    parameter names; its defaults are 6, 7 and 4).

    Construct it with `games.make("connect_four", size="6x7", x_in_row=4)`. The instance is hashable
    and holds only static tables, so it can be closed over by jitted functions.
    """

    rows: int = 6
    columns: int = 7
    x_in_row: int = 4

    def __post_init__(self):
        for field in ("rows", "columns", "x_in_row"):
            value = getattr(self, field)
            if not _is_int(value):
                raise ValueError(f"connect_four: {field} must be an integer, got {value!r}")
            object.__setattr__(self, field, int(value))
        for field in ("rows", "columns"):
            value = getattr(self, field)
            if not MIN_SIDE <= value <= MAX_SIDE:
                raise ValueError(
                    f"connect_four: {field} must be between {MIN_SIDE} and {MAX_SIDE}, got {value}"
                )
        longest = max(self.rows, self.columns)
        if not MIN_X_IN_ROW <= self.x_in_row <= longest:
            raise ValueError(
                f"connect_four: x_in_row must be between {MIN_X_IN_ROW} and the longer side "
                f"({longest}) of a {self.rows}x{self.columns} board, got {self.x_in_row}"
            )

    # ---- static description -------------------------------------------------------------

    name = "connect_four"
    can_draw = True
    """Whether a game can end with no winner (``winner`` -1): a full board with no line."""

    @property
    def size_label(self) -> str:
        """``'6x7'``: rows x columns, the form `parse_size` reads."""
        return f"{self.rows}x{self.columns}"

    @property
    def board_label(self) -> str:
        """How the store and the tournament name this board: ``'c4-6x7-4'`` (rows x columns, then
        ``x_in_row``; see `games.board_label`)."""
        return f"c4-{self.rows}x{self.columns}-{self.x_in_row}"

    @property
    def num_cells(self) -> int:
        return self.rows * self.columns

    @property
    def num_actions(self) -> int:
        return self.columns

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (self.rows, self.columns, 2)

    @property
    def max_game_length(self) -> int:
        """Plies until the board is full."""
        return self.num_cells

    def _make_tables(self) -> dict[str, np.ndarray]:
        return _build_tables(self.rows, self.columns, self.x_in_row)

    def lines(self) -> np.ndarray:
        """Every winning line: [L, x_in_row] int32 cell indices (for tests and analysis)."""
        return self._tables["all_lines"]

    def canonical_action_map(self, player: jax.Array) -> jax.Array:
        """The identity [C] int32: the observation is not mirrored, so canonical and real actions
        coincide for both players (kept for the API shared with Hex)."""
        del player
        return jnp.arange(self.columns, dtype=jnp.int32)

    # ---- the game -----------------------------------------------------------------------

    def init(self, key: jax.Array) -> ConnectFourState:
        """The empty board, player 0 (x) to move. ``key`` is unused (no chance) but kept for the
        API."""
        del key
        return ConnectFourState(**self._initial_fields(jnp.ones((self.columns,), jnp.bool_)))

    def pack(self, state: ConnectFourState) -> PackedConnectFourState:
        """The state without its observation; `unpack` restores it exactly."""
        return PackedConnectFourState(
            **{f.name: getattr(state, f.name) for f in dataclasses.fields(PackedConnectFourState)}
        )

    def unpack(self, packed: PackedConnectFourState) -> ConnectFourState:
        """The `ConnectFourState` that `pack` was given (the observation rebuilt)."""
        return ConnectFourState(
            **{f.name: getattr(packed, f.name) for f in dataclasses.fields(packed)},
            observation=self._observation(packed.board, packed.current_player),
        )

    # ---- text ---------------------------------------------------------------------------

    def action_to_text(self, action: int) -> str:
        """Column ``action`` -> its letter, ``'a'`` for column 0."""
        action = int(action)
        if not 0 <= action < self.columns:
            raise ValueError(f"action {action} is off a board of {self.columns} columns")
        return chr(ord("a") + action)

    def text_to_action(self, text: str) -> int:
        """A column letter (case and surrounding spaces ignored) -> its action."""
        cleaned = text.strip().lower()
        last = chr(ord("a") + self.columns - 1)
        if len(cleaned) != 1 or not "a" <= cleaned <= last:
            raise ValueError(f"{text.strip()!r} is not a column; type a letter a-{last}")
        return ord(cleaned) - ord("a")

    def render(self, board, last_action: int | None = None) -> str:
        """Draw a board ([A] ints: 0 empty, 1 x, 2 o) as text, top row first, column letters
        underneath; the stone the last move dropped is shown in brackets."""
        grid = np.asarray(board).reshape(self.rows, self.columns)
        last_cell = None
        if last_action is not None and 0 <= int(last_action) < self.columns:
            filled = np.flatnonzero(grid[:, int(last_action)] != EMPTY)
            if filled.size:
                last_cell = (int(filled[-1]), int(last_action))
        lines = []
        for row in range(self.rows - 1, -1, -1):
            chars = [" "] * (2 * self.columns + 1)
            for col in range(self.columns):
                chars[2 * col + 1] = STONES[int(grid[row, col])]
            if last_cell is not None and last_cell[0] == row:
                col = last_cell[1]
                chars[2 * col], chars[2 * col + 2] = "[", "]"
            lines.append(f"{row + 1:>2} " + "".join(chars).rstrip())
        lines.append("    " + " ".join(chr(ord("a") + c) for c in range(self.columns)))
        return "\n".join(lines)

    def render_state(self, state: ConnectFourState) -> str:
        """Render one (unbatched) state, marking its last move."""
        return self.render(np.asarray(state.board), int(state.last_action))

    # ---- internals ----------------------------------------------------------------------

    def _play(self, state: ConnectFourState, column) -> ConnectFourState:
        rows, columns, cells = self.rows, self.columns, self.num_cells
        player = state.current_player
        board = state.board
        height = jnp.sum(board.reshape(rows, columns)[:, column] != EMPTY).astype(jnp.int32)
        cell = height * columns + column
        colour = (player + 1).astype(jnp.int8)
        board = board.at[cell].set(colour)
        lines = jnp.asarray(self._tables["lines"])[cell]  # [K, x_in_row], sentinel-padded
        padded = jnp.concatenate([board, jnp.zeros((1,), jnp.int8)])  # cell A: the sentinel
        won = jnp.any(jnp.all(padded[lines] == colour, axis=-1))
        num_moves = state.num_moves + 1
        terminated = won | (num_moves == cells)
        next_player = 1 - player
        legal = (board[(rows - 1) * columns :] == EMPTY) & ~terminated
        rewards = jnp.where(won, jnp.where(jnp.arange(2) == player, 1.0, -1.0), 0.0)
        return ConnectFourState(
            current_player=next_player,
            board=board,
            legal_action_mask=legal,
            terminated=terminated,
            rewards=rewards.astype(jnp.float32),
            observation=self._observation(board, next_player),
            num_moves=num_moves,
            last_action=column,
            winner=jnp.where(won, player, -1).astype(jnp.int32),
            illegal=jnp.bool_(False),
        )

    def _observation(self, board, player) -> jax.Array:
        grid = board.reshape(self.rows, self.columns)
        mine = grid == (player + 1).astype(jnp.int8)
        theirs = grid == (2 - player).astype(jnp.int8)
        return jnp.stack([mine, theirs], axis=-1).astype(jnp.float32)


def make_connect_four(size="6x7", x_in_row: int = 4, swap: bool = False) -> ConnectFour:
    """The registry's factory: ``size`` is ``'ROWSxCOLUMNS'`` (e.g. ``'6x7'``, see `parse_size`).
    Connect Four has no swap rule; ``swap`` is accepted (false only) so callers that pass it for
    every game need no special case."""
    if swap is not False and not (isinstance(swap, np.bool_) and not swap):
        raise ValueError(f"connect_four: there is no swap rule, got swap={swap!r}")
    rows, columns = parse_size(size)
    return ConnectFour(rows=rows, columns=columns, x_in_row=x_in_row)


def _build_tables(rows: int, columns: int, x_in_row: int) -> dict[str, np.ndarray]:
    cells = rows * columns
    directions = (
        (0, 1),
        (1, 0),
        (1, 1),
        (1, -1),
    )  # (d row, d col): horizontal, vertical, diagonals
    all_lines = []
    for row in range(rows):
        for col in range(columns):
            for d_row, d_col in directions:
                end_row, end_col = row + d_row * (x_in_row - 1), col + d_col * (x_in_row - 1)
                if 0 <= end_row < rows and 0 <= end_col < columns:
                    all_lines.append(
                        [(row + k * d_row) * columns + col + k * d_col for k in range(x_in_row)]
                    )
    all_lines = np.asarray(all_lines, np.int32).reshape(-1, x_in_row)
    through = [[line for line in all_lines if cell in line] for cell in range(cells)]
    most = max(1, max(len(lines) for lines in through))
    table = np.full((cells, most, x_in_row), cells, np.int32)  # cell A: the sentinel
    for cell, lines in enumerate(through):
        if lines:
            table[cell, : len(lines)] = np.asarray(lines)
    return {"lines": table, "all_lines": all_lines}
