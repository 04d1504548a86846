"""Exact solver for Hex without the swap rule on small boards (the perfect reference player built
on it, `SolverAgent`, lives with the other reference players in `sweeps.references`).

    solver = Solver(4)
    solver.value(black_bits, white_bits)      # +1 / -1 for the player to move
    solver.winning_moves(state_or_board)      # {actions that keep the position won}

Positions are two bitmasks (Python ints): bit ``row * size + col`` of ``black`` is set when that
cell holds a black stone, likewise for ``white``. The player to move follows from the stone counts
(black moves first and there is no swap): black when both colours have the same number of stones.

The search is a memoised negamax on win/loss only that also returns a *proof*: a set of cells such
that turning any empty cells outside it into the loser's stones leaves the winner winning. At each
node it looks, in order, for a cell that completes the mover's chain (two bitboard flood fills, one
from each of the mover's edges); for the opponent's completing cells (one: the mover must play
there; two: the mover has lost); for a mover's double threat (a cell after which two cells complete
the chain, so one block is not enough: a win). Otherwise it tries the empty cells centre first, but
only those inside every proof it has that shows the opponent winning even if the mover passes (the
opponent's double threat, or a refuted move's proof that does not contain that move): a move
outside such a proof cannot help. Results go to a transposition table; a position and its
180-degree rotation (which maps both players' edges onto themselves) share one entry. A solver
keeps what it has learned, so later queries on the same board are answered mostly from the table.

Measured on one CPU core: the empty 4x4 board is solved in about 0.04 s (and all its winning
openings in about 0.1 s); 5x5 takes about 12 s for the value of the empty board (0.2 GB) and
several minutes for all its winning openings (1 GB), so it needs ``Solver(5, allow_slow=True)``.

Letters: A = size * size cells, B = batch of states, P = number of positions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import numpy as np

from games.hex import BLACK, EMPTY, WHITE

MIN_SIZE = 2
FAST_MAX_SIZE = 4
SLOW_SIZES = (5,)  # solvable, but only with ``allow_slow=True``

Position = tuple[int, int]  # (black bits, white bits)


def _popcount(bits: int) -> int:
    return bin(bits).count("1")


class Solver:
    """Exact values of Hex positions (no swap) on a ``size`` x ``size`` board, 2 <= size <= 4
    (5 with ``allow_slow=True``).

    The transposition table grows with every query and is kept for the life of the instance.
    """

    def __init__(self, size: int, allow_slow: bool = False):
        if isinstance(size, bool) or not isinstance(size, int | np.integer):
            raise ValueError(f"solver: size must be an integer, got {size!r}")
        size = int(size)
        largest = max(SLOW_SIZES) if allow_slow else FAST_MAX_SIZE
        if not MIN_SIZE <= size <= largest:
            hint = "" if allow_slow or size not in SLOW_SIZES else " (5 needs allow_slow=True)"
            raise ValueError(
                f"solver: size must be between {MIN_SIZE} and {largest}, got {size}{hint}"
            )
        self.size = size
        self.num_cells = size * size
        cells = self.num_cells
        self.full = (1 << cells) - 1
        self.top = (1 << size) - 1
        self.bottom = self.top << (size * (size - 1))
        self.left = sum(1 << (row * size) for row in range(size))
        self.right = self.left << (size - 1)
        self._not_first_col = self.full ^ self.left
        self._not_last_col = self.full ^ self.right
        centre = (size - 1) / 2
        # Hex distance to the centre in these axial coordinates: (|dr| + |dc| + |dr + dc|) / 2.
        order = sorted(
            range(cells),
            key=lambda cell: (
                abs(cell // size - centre)
                + abs(cell % size - centre)
                + abs(cell // size + cell % size - 2 * centre),
                cell,
            ),
        )
        self._order = tuple(1 << cell for cell in order)  # centre first
        self._table: dict[int, int] = {}  # key -> +proof (mover wins) / -proof

    # ---- bitboard helpers -----------------------------------------------------------------

    def _grow(self, bits: int) -> int:
        """``bits`` plus all their hex neighbours."""
        size = self.size
        return (
            bits
            | (bits >> size)
            | (bits << size)
            | ((bits >> 1) & self._not_last_col)
            | ((bits << 1) & self._not_first_col)
            | ((bits >> (size - 1)) & self._not_first_col)
            | ((bits << (size - 1)) & self._not_last_col)
        ) & self.full

    def _flood(self, seed: int, stones: int) -> int:
        """Stones of ``stones`` connected to ``seed & stones``."""
        size, shift = self.size, self.size - 1
        not_first, not_last = self._not_first_col, self._not_last_col
        reach = seed & stones
        while True:
            grown = (
                reach
                | (reach >> size)
                | (reach << size)
                | ((reach >> 1) & not_last)
                | ((reach << 1) & not_first)
                | ((reach >> shift) & not_first)
                | ((reach << shift) & not_last)
            ) & stones
            if grown == reach:
                return reach
            reach = grown

    def _edges(self, black_to_move: bool) -> tuple[int, int]:
        return (self.top, self.bottom) if black_to_move else (self.left, self.right)

    def completing_cells(self, stones: int, empty: int, black: bool) -> int:
        """Bitmask of the ``empty`` cells where one more stone joins ``stones`` to black's edges
        (``black``) or white's: the cells that end the game at once for that player."""
        first, second = self._edges(black)
        return self._completing_cells(stones, empty, first, second)

    def connected(self, stones: int, black: bool) -> bool:
        """Whether ``stones`` join black's edges (top-bottom) or white's (left-right)."""
        first, second = self._edges(black)
        return bool(self._flood(first, stones) & second)

    def _near(self, stones: int, first: int, second: int) -> tuple[int, int]:
        """Cells touching (or on) edge ``first`` through ``stones``, and likewise for ``second``:
        a stone there joins that edge's chain."""
        near_first = self._grow(self._flood(first, stones)) | first
        near_second = self._grow(self._flood(second, stones)) | second
        return near_first, near_second

    def _completing_cells(self, stones: int, empty: int, first: int, second: int) -> int:
        """Empty cells that would join edge ``first`` to edge ``second`` through ``stones``."""
        near_first, near_second = self._near(stones, first, second)
        return near_first & near_second & empty

    def _rotate(self, bits: int) -> int:
        """The 180-degree rotation of a bitboard: cell i -> A - 1 - i."""
        return int(format(bits, f"0{self.num_cells}b")[::-1], 2)

    # ---- the search -----------------------------------------------------------------------

    def _chains(self, stones: int, cells: int) -> int:
        """The chains through each of ``cells`` once a stone is put there (the cells included)."""
        proof = 0
        while cells:
            cell = cells & -cells
            proof |= self._flood(cell, stones | cell)
            cells ^= cell
        return proof

    def _double_threat(self, stones: int, empty: int, near_first: int, near_second: int) -> int:
        """Proof of a win in two moves (a cell after which two cells complete a chain, so one
        block is not enough), or 0. ``near_*`` come from `_near`; no cell completes a chain now."""
        candidates = (near_first | near_second) & empty
        while candidates:
            cell = candidates & -candidates
            candidates ^= cell
            # Only the new stone's group can extend a chain from an edge.
            group = self._grow(self._flood(cell, stones | cell))
            first = near_first | group if cell & near_first else near_first
            second = near_second | group if cell & near_second else near_second
            completing = first & second & empty & ~cell
            if completing & (completing - 1):  # two or more: one block is not enough
                one = completing & -completing
                other = (completing ^ one) & -(completing ^ one)
                return cell | self._chains(stones | cell, one | other)
        return 0

    def _search(self, black: int, white: int, black_to_move: bool) -> tuple[bool, int]:
        """(whether the player to move wins, proof bitmask) for an unfinished position.

        The proof is a set of cells such that turning any empty cells outside it into the loser's
        stones leaves the winner winning. A lost node only needs to try the moves inside every
        proof it has met that shows the opponent winning even if the mover passes (a threat, a
        double threat, or a child's proof that does not contain the mover's move): a move outside
        such a proof cannot help.
        """
        cells = self.num_cells
        key = black | (white << cells)
        known = self._table.get(key)
        if known is not None:
            return known > 0, abs(known)
        # The 180-degree rotation maps each player's edges onto themselves: same value.
        reversed_key = int(format(key, f"0{2 * cells}b")[::-1], 2)
        known = self._table.get((reversed_key >> cells) | ((reversed_key & self.full) << cells))
        if known is not None:
            return known > 0, self._rotate(abs(known))
        if black_to_move:
            mine, theirs = black, white
            my_edges, their_edges = (self.top, self.bottom), (self.left, self.right)
        else:
            mine, theirs = white, black
            my_edges, their_edges = (self.left, self.right), (self.top, self.bottom)
        empty = self.full ^ (black | white)
        my_first, my_second = self._near(mine, *my_edges)
        completing = my_first & my_second & empty
        if completing:
            return True, self._chains(mine, completing & -completing)  # cheap: not stored
        their_first, their_second = self._near(theirs, *their_edges)
        threats = their_first & their_second & empty
        if threats:
            # The opponent's chains through the threatened cells win if the mover passes.
            proof = self._chains(theirs, threats)
            allowed = threats if threats & (threats - 1) == 0 else 0
        else:
            proof = self._double_threat(mine, empty, my_first, my_second)
            if proof:
                return True, proof
            proof = self._double_threat(theirs, empty, their_first, their_second)
            allowed = proof & empty if proof else empty
        win = False
        for bit in self._order:
            if not bit & allowed:
                continue
            if black_to_move:
                child_wins, child_proof = self._search(black | bit, white, False)
            else:
                child_wins, child_proof = self._search(black, white | bit, True)
            if not child_wins:
                win, proof = True, child_proof | bit
                break
            proof |= child_proof
            if not child_proof & bit:
                allowed &= child_proof
        self._table[key] = proof if win else -proof
        return win, proof

    def _mover_wins(self, black: int, white: int, black_to_move: bool) -> bool:
        return self._search(black, white, black_to_move)[0]

    # ---- public API -----------------------------------------------------------------------

    def check(self, black: int, white: int) -> bool:
        """Validate a position; returns whether black is to move. ValueError if it cannot occur."""
        for name, bits in (("black", black), ("white", white)):
            if isinstance(bits, bool) or not isinstance(bits, int | np.integer) or bits < 0:
                raise ValueError(f"solver: {name} must be a non-negative int bitmask, got {bits!r}")
            if int(bits) & ~self.full:
                raise ValueError(f"solver: {name} has bits off the {self.size}x{self.size} board")
        black, white = int(black), int(white)
        if black & white:
            raise ValueError("solver: black and white stones overlap")
        num_black, num_white = _popcount(black), _popcount(white)
        if num_black not in (num_white, num_white + 1):
            raise ValueError(
                f"solver: {num_black} black and {num_white} white stones cannot occur without the "
                "swap rule (black must have as many stones as white or one more)"
            )
        black_to_move = num_black == num_white
        if self.connected(white if black_to_move else black, not black_to_move) and self.connected(
            black if black_to_move else white, black_to_move
        ):
            raise ValueError("solver: both players are connected")
        if self.connected(black if black_to_move else white, black_to_move):
            raise ValueError("solver: the player to move has already connected (not reachable)")
        return black_to_move

    def is_finished(self, black: int, white: int) -> bool:
        """Whether the player who just moved has connected (the game is over)."""
        black_to_move = self.check(black, white)
        return self.connected(white if black_to_move else black, not black_to_move)

    def value(self, black: int, white: int) -> int:
        """+1 if the player to move wins with perfect play, -1 if they lose. A finished game is -1
        (the previous mover has won). black, white: int bitmasks over the A cells."""
        black_to_move = self.check(black, white)
        black, white = int(black), int(white)
        if self.connected(white if black_to_move else black, not black_to_move):
            return -1
        return 1 if self._mover_wins(black, white, black_to_move) else -1

    def winning_moves(self, position) -> set[int]:
        """Actions (cells ``row * size + col``) after which the mover still wins; empty if the
        position is lost or finished. ``position``: (black bits, white bits), a board ([A] ints:
        0 empty, 1 black, 2 white) or one unbatched `HexState`."""
        black, white = self.position(position)
        black_to_move = self.check(black, white)
        if self.connected(white if black_to_move else black, not black_to_move):
            return set()
        empty = self.full ^ (black | white)
        moves = set()
        for cell in range(self.num_cells):
            bit = 1 << cell
            if not bit & empty:
                continue
            child_black, child_white = (
                (black | bit, white) if black_to_move else (black, white | bit)
            )
            if self.value(child_black, child_white) == -1:
                moves.add(cell)
        return moves

    def position(self, position) -> Position:
        """(black bits, white bits) of a (black, white) pair, a board [A] or one HexState."""
        if isinstance(position, tuple) and len(position) == 2:
            black, white = position
            self.check(black, white)
            return int(black), int(white)
        board = getattr(position, "board", position)
        black, white = board_to_bits(board, self.size)
        self.check(black, white)
        return black, white

    def table_size(self) -> int:
        """Number of positions stored in the transposition table."""
        return len(self._table)


def board_to_bits(board, size: int) -> Position:
    """(black bits, white bits) of one board: [A] ints (0 empty, 1 black, 2 white)."""
    cells = np.asarray(board)
    if cells.ndim != 1 or cells.shape[0] != size * size:
        raise ValueError(
            f"solver: a board must have shape [{size * size}] for a {size}x{size} board, "
            f"got {list(cells.shape)}"
        )
    if not np.isin(cells, (EMPTY, BLACK, WHITE)).all():
        raise ValueError("solver: board values must be 0 (empty), 1 (black) or 2 (white)")
    weights = [1 << cell for cell in range(size * size)]
    black = sum(w for w, v in zip(weights, cells.tolist(), strict=True) if v == BLACK)
    white = sum(w for w, v in zip(weights, cells.tolist(), strict=True) if v == WHITE)
    return black, white


def bits_to_board(black: int, white: int, size: int) -> np.ndarray:
    """The board [A] int8 (0 empty, 1 black, 2 white) of two bitmasks."""
    cells = np.arange(size * size)
    black_cells = np.array([(int(black) >> c) & 1 for c in cells]) == 1
    white_cells = np.array([(int(white) >> c) & 1 for c in cells]) == 1
    if (black_cells & white_cells).any():
        raise ValueError("solver: black and white stones overlap")
    return np.where(black_cells, BLACK, np.where(white_cells, WHITE, EMPTY)).astype(np.int8)


def positions_from_states(states, size: int) -> list[Position]:
    """(black bits, white bits) of every state of a batch (``states.board`` [B, A]) or of a batched
    board array [B, A]."""
    boards = np.asarray(getattr(states, "board", states))
    if boards.ndim != 2:
        raise ValueError(
            f"solver: expected a batch of boards [B, A], got shape {list(boards.shape)}"
        )
    return [board_to_bits(board, size) for board in boards]


def perfect_play_rate(solver: Solver, positions: Sequence, actions: Sequence[int]) -> float:
    """Share of moves that keep a won position won, over the positions won for the mover.

    positions: P positions, each (black bits, white bits), a board [A] or a HexState; or an array of
    boards [P, A]. actions: [P] ints, the move played in each. Positions lost for the mover, or
    finished, are not counted. Returns a float in [0, 1], or NaN when no position was won.
    """
    if isinstance(positions, np.ndarray | jax.Array) and np.ndim(positions) == 2:
        positions = list(np.asarray(positions))
    positions = list(positions)
    moves = [int(a) for a in np.asarray(actions).reshape(-1)]
    if len(positions) != len(moves):
        raise ValueError(f"perfect_play_rate: {len(positions)} positions but {len(moves)} actions")
    counted = kept = 0
    for position, move in zip(positions, moves, strict=True):
        winning = solver.winning_moves(position)
        if winning:
            counted += 1
            kept += move in winning
    return kept / counted if counted else math.nan
