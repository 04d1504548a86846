"""Text rendering of Hex positions and a1-style move parsing.

Columns are letters (a = column 0), rows are numbers from 1 (1 = the top row), so ``b3`` is row 2,
column 1, action ``2 * size + 1``. The board is drawn slanted, each row shifted half a cell right of
the one above, which makes the six neighbours of a cell the six cells touching it on screen.
"""

from __future__ import annotations

import numpy as np

from games.hex import BLACK, WHITE

STONES = {0: ".", BLACK: "X", WHITE: "O"}


def action_to_text(action: int, size: int) -> str:
    """``row * size + col`` -> ``'b3'``; the swap action (``size * size``) -> ``'swap'``."""
    action = int(action)
    if action == size * size:
        return "swap"
    if not 0 <= action < size * size:
        raise ValueError(f"action {action} is off a {size}x{size} board")
    row, col = divmod(action, size)
    return f"{chr(ord('a') + col)}{row + 1}"


def text_to_action(text: str, size: int, swap: bool = False) -> int:
    """Parse ``'b3'`` (case and surrounding spaces ignored) or ``'swap'`` into an action index."""
    cleaned = text.strip().lower()
    if cleaned == "swap":
        if not swap:
            raise ValueError("the swap rule is off in this game")
        return size * size
    if len(cleaned) < 2 or not cleaned[0].isalpha() or not cleaned[1:].isdigit():
        last = chr(ord("a") + size - 1)
        raise ValueError(
            f"{text.strip()!r} is not a move; type a column a-{last} and a row 1-{size}, e.g. b2"
        )
    col = ord(cleaned[0]) - ord("a")
    row = int(cleaned[1:]) - 1
    if not (0 <= col < size and 0 <= row < size):
        last = chr(ord("a") + size - 1)
        raise ValueError(f"{cleaned!r} is off the board (columns a-{last}, rows 1-{size})")
    return row * size + col


def render(board, size: int, last_action: int | None = None) -> str:
    """Draw a board ([A] ints: 0 empty, 1 black X, 2 white O) as slanted text.

    Cells are two characters wide and each row is shifted one character (half a cell) right of
    the row above. The last move is shown in brackets. Black (X) joins the top and bottom rows;
    white (O) joins the left and right columns.
    """
    cells = np.asarray(board).reshape(size, size)
    last = None if last_action is None or int(last_action) < 0 else int(last_action)
    letters = " ".join(chr(ord("a") + c) for c in range(size))
    lines = ["    " + letters + "      X: top-bottom, O: left-right"]
    for row in range(size):
        chars = [" "] * (2 * size + 1)
        for col in range(size):
            chars[2 * col + 1] = STONES[int(cells[row, col])]
        if last is not None and last // size == row and last < size * size:
            col = last % size
            chars[2 * col], chars[2 * col + 2] = "[", "]"
        lines.append(
            " " * row + f"{row + 1:>3}" + "".join(chars).rstrip().ljust(2 * size) + f" {row + 1}"
        )
    lines.append(" " * (size + 3) + letters)
    return "\n".join(lines)


def render_state(state, size: int) -> str:
    """Render one (unbatched) `HexState`, marking its last move."""
    return render(np.asarray(state.board), size, int(state.last_action))
