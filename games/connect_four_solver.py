"""Exact solver for Connect Four on small boards: the perfect-play value and best moves of a position.

    solver = ConnectFourSolver(4, 5, 4)       # rows, columns, x_in_row
    solver.value([2, 2, 1])                    # +1 / 0 / -1 for the player to move after those moves
    solver.move_values(board)                  # {column: value for the mover after playing it}
    solver.best_moves(state)                   # the columns that keep the position's value

A position is a move sequence (columns, player 0 first), a board ([A] ints as in
`games.connect_four`: 0 empty, 1 x, 2 o, ``cell = row * columns + col`` with row 0 at the bottom) or
an unbatched `ConnectFourState`. The player to move follows from the stone counts (x moves when both
have as many stones). Values are win / draw / loss only (+1 / 0 / -1 for the mover), not the
distance to the end.

The search is a negamax with alpha-beta on the window [-1, 1] over bitboards (Python integers, one
column of ``rows + 1`` bits per column, the extra bit always empty so lines cannot wrap). At each
node it plays an immediate win if there is one; if the opponent threatens to win in two columns the
mover has lost, in one column the mover must block there; otherwise it tries the columns centre
first. Results go to a transposition table keyed on the position and its left-right mirror (one
entry for both), storing a lower or upper bound where the window cut the search. A solver keeps its
table for its lifetime, so later queries on the same board are answered mostly from it.

Move order: the moves that leave the mover the most cells that would complete a line first, then
centre first. Measured with ``python -m games.connect_four_solver`` on a shared CPU core: the empty
4x4 and 4x5 boards with connect 3 (first-player wins) in milliseconds, 4x4 connect 4 (a draw) in
about 0.4 s, 4x5 connect 4 (a draw) in 2-3 s, 5x5 connect 4 (a draw) in about 25 s and 250,000
table entries. Boards over 20 cells need ``allow_slow=True``; 6x7 (a first-player win) is far out
of this solver's reach.

Letters: R = rows, C = columns, A = R * C cells.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from games.connect_four import CROSS, EMPTY, NOUGHT, ConnectFour

FAST_MAX_CELLS = 20

_EXACT, _LOWER, _UPPER = 0, 1, 2


class ConnectFourSolver:
    """Perfect-play values of Connect Four positions on ``rows`` x ``columns`` with ``x_in_row``."""

    def __init__(self, rows: int, columns: int, x_in_row: int, allow_slow: bool = False):
        game = ConnectFour(rows=rows, columns=columns, x_in_row=x_in_row)  # validates
        if game.num_cells > FAST_MAX_CELLS and not allow_slow:
            raise ValueError(
                f"connect_four solver: a {rows}x{columns} board has {game.num_cells} cells; "
                f"more than {FAST_MAX_CELLS} needs allow_slow=True (and may take very long)"
            )
        self.game = game
        self.rows, self.columns, self.x_in_row = game.rows, game.columns, game.x_in_row
        self.height = self.rows + 1  # bits per column, the top one always empty
        self.num_cells = game.num_cells
        self._bottom = [1 << (col * self.height) for col in range(self.columns)]
        self._top = [1 << (col * self.height + self.rows - 1) for col in range(self.columns)]
        self._column_bits = [
            ((1 << self.rows) - 1) << (col * self.height) for col in range(self.columns)
        ]
        centre = (self.columns - 1) / 2
        self._order = sorted(range(self.columns), key=lambda col: (abs(col - centre), col))
        self._shifts = (1, self.height, self.height - 1, self.height + 1)
        self._bottom_bits = sum(self._bottom)
        self._board_bits = sum(self._column_bits)
        self._table: dict[int, tuple[int, int]] = {}
        self.nodes = 0

    # ---- public API ---------------------------------------------------------------------

    def value(self, position) -> int:
        """+1 if the player to move wins with perfect play, 0 for a draw, -1 for a loss. A position
        that is already over is valued for the player who would move: -1 after the opponent's
        line, 0 on a full board."""
        current, mask, moves = self._position(position)
        return self._value_of(current, mask, moves)

    def move_values(self, position) -> dict[int, int]:
        """{legal column: the mover's value after playing it}. Empty when the game is over."""
        current, mask, moves = self._position(position)
        if self._over(current, mask, moves):
            return {}
        values = {}
        for col in range(self.columns):
            if mask & self._top[col]:
                continue
            next_current, next_mask = self._play(current, mask, col)
            if self._wins(next_current ^ next_mask):
                values[col] = 1
            else:
                values[col] = -self._value_of(next_current, next_mask, moves + 1)
        return values

    def best_moves(self, position) -> list[int]:
        """The legal columns that achieve the position's value, sorted. Empty when the game is over."""
        values = self.move_values(position)
        if not values:
            return []
        best = max(values.values())
        return sorted(col for col, value in values.items() if value == best)

    # ---- positions ----------------------------------------------------------------------

    def _position(self, position) -> tuple[int, int, int]:
        """(mover's bits, all stones' bits, stones played) of a move list or tuple, a board array
        or a state (anything with a ``board``)."""
        if isinstance(position, list | tuple):
            return self._from_moves(position)
        board = np.asarray(getattr(position, "board", position))
        if board.shape != (self.num_cells,):
            raise ValueError(
                f"connect_four solver: a board must have shape ({self.num_cells},) for "
                f"{self.rows}x{self.columns}, got {board.shape}; pass moves as a list"
            )
        return self._from_board(board)

    def _from_moves(self, moves: Sequence[int]) -> tuple[int, int, int]:
        current, mask = 0, 0
        for ply, col in enumerate(moves):
            col = int(col)
            if not 0 <= col < self.columns:
                raise ValueError(f"connect_four solver: move {ply} ({col}) is not a column")
            if mask & self._top[col]:
                raise ValueError(f"connect_four solver: move {ply} ({col}) is in a full column")
            if self._over(current, mask, ply):
                raise ValueError(f"connect_four solver: move {ply} comes after the game ended")
            current, mask = self._play(current, mask, col)
        return current, mask, len(moves)

    def _from_board(self, board: np.ndarray) -> tuple[int, int, int]:
        grid = board.reshape(self.rows, self.columns)
        if not np.isin(grid, (EMPTY, CROSS, NOUGHT)).all():
            raise ValueError("connect_four solver: board cells must be 0 (empty), 1 (x) or 2 (o)")
        crosses, noughts = int((grid == CROSS).sum()), int((grid == NOUGHT).sum())
        if crosses - noughts not in (0, 1):
            raise ValueError(
                f"connect_four solver: x has {crosses} stones and o {noughts}; x moves first, "
                "so x has as many stones as o or one more"
            )
        mover_stone = CROSS if crosses == noughts else NOUGHT
        current = mask = 0
        for col in range(self.columns):
            column = grid[:, col]
            filled = int((column != EMPTY).sum())
            if (column[:filled] == EMPTY).any() or (column[filled:] != EMPTY).any():
                raise ValueError(f"connect_four solver: column {col} has a gap under a stone")
            for row in range(filled):
                bit = 1 << (col * self.height + row)
                mask |= bit
                if column[row] == mover_stone:
                    current |= bit
        return current, mask, crosses + noughts

    # ---- search -------------------------------------------------------------------------

    def _play(self, current: int, mask: int, col: int) -> tuple[int, int]:
        """Play ``col`` for the mover; returns (the new mover's bits, all stones)."""
        return current ^ mask, mask | (mask + self._bottom[col])

    def _wins(self, stones: int) -> bool:
        """Whether ``stones`` hold ``x_in_row`` in a line (a run of shifted ANDs per direction)."""
        for shift in self._shifts:
            line = stones
            for step in range(1, self.x_in_row):
                line &= stones >> (step * shift)
                if not line:
                    break
            else:
                return True
        return False

    def _over(self, current: int, mask: int, moves: int) -> bool:
        return moves >= self.num_cells or self._wins(current ^ mask)

    def _value_of(self, current: int, mask: int, moves: int) -> int:
        if self._wins(current ^ mask):
            return -1  # the player who just moved made a line
        if moves >= self.num_cells:
            return 0
        return self._negamax(current, mask, moves, -1, 1)

    def _mirror(self, bits: int) -> int:
        height, columns, column_mask = self.height, self.columns, (1 << self.height) - 1
        mirrored = 0
        for col in range(columns):
            mirrored |= ((bits >> (col * height)) & column_mask) << ((columns - 1 - col) * height)
        return mirrored

    def _winning_cells(self, stones: int, mask: int) -> int:
        """Empty cells where one more stone of ``stones`` makes a line (playable or not): per
        direction, runs of stones on either side of a cell whose lengths add up to x_in_row - 1. A
        run that would cross a column's top meets that column's always-empty extra bit, so no
        line wraps."""
        length = self.x_in_row
        cells = 0
        for shift in self._shifts:
            after, before = [-1], [-1]  # runs of 0, 1, ... stones just after / before each cell
            run_after = run_before = -1
            for step in range(1, length):
                run_after &= stones >> (step * shift)
                run_before &= stones << (step * shift)
                after.append(run_after)
                before.append(run_before)
            for gap in range(length):
                cells |= before[gap] & after[length - 1 - gap]
        return cells & self._board_bits & ~mask

    def _negamax(self, current: int, mask: int, moves: int, alpha: int, beta: int) -> int:
        """The value in [-1, 1] for the mover of a running position (no line yet, not full),
        exact when it lies strictly inside (alpha, beta), else a bound on the same side."""
        self.nodes += 1
        playable = (mask + self._bottom_bits) & self._board_bits
        if self._winning_cells(current, mask) & playable:
            return 1
        if moves + 1 >= self.num_cells:
            return 0  # the mover fills the last cell without a line
        opponent_wins = self._winning_cells(current ^ mask, mask)
        forced = opponent_wins & playable
        if forced:
            if forced & (forced - 1):
                return -1  # two threats: one block is not enough
            playable = forced
        safe = playable & ~(opponent_wins >> 1)  # never play right under the opponent's win
        if not safe:
            return -1
        key = current + mask
        entry = self._table.get(key)
        if entry is None:
            key_mirrored = self._mirror(current) + self._mirror(mask)
            entry = self._table.get(key_mirrored)
        if entry is not None:
            value, kind = entry
            if kind == _EXACT:
                return value
            if kind == _LOWER:
                alpha = max(alpha, value)
            else:
                beta = min(beta, value)
            if alpha >= beta:
                return value
        # Moves that leave the mover the most winning cells first, then centre first.
        moves_scored = []
        for rank, col in enumerate(self._order):
            move = safe & self._column_bits[col]
            if move:
                threats = self._winning_cells(current | move, mask | move).bit_count()
                moves_scored.append((-threats, rank, move))
        moves_scored.sort()
        original_alpha = alpha
        best = -2
        opponent = current ^ mask
        for _, _, move in moves_scored:
            score = -self._negamax(opponent, mask | move, moves + 1, -beta, -alpha)
            if score > best:
                best = score
                if best > alpha:
                    alpha = best
                    if alpha >= beta:
                        break
        if best <= original_alpha:
            kind = _UPPER
        elif best >= beta:
            kind = _LOWER
        else:
            kind = _EXACT
        self._table[key] = (best, kind)
        return best


def _main() -> None:  # pragma: no cover - a timing printout, not a test
    for rows, columns, x_in_row in ((4, 4, 3), (4, 5, 3), (4, 4, 4), (4, 5, 4), (5, 5, 4)):
        solver = ConnectFourSolver(rows, columns, x_in_row)
        started = time.perf_counter()
        value = solver.value([])
        seconds = time.perf_counter() - started
        print(
            f"{rows}x{columns} connect {x_in_row}: value {value:+d}, {solver.nodes:,} nodes, "
            f"{len(solver._table):,} entries, {seconds:.2f} s"
        )


if __name__ == "__main__":
    _main()
