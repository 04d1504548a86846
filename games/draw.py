"""Pictures of Hex and Connect Four positions with matplotlib (a `matplotlib.figure.Figure`, no
pyplot).

    figure = draw_game(4, [5, 10, 0])                    # stones numbered by move
    figure = draw_position(4, board, heat=weights, heat_label=heat_label)
    figure.savefig("game.png")

The board is the usual slanted rhombus, each row shifted half a cell right of the row above (as in
`games.render`), so the six neighbours of a cell are the six hexagons touching it. Black's edges
(top and bottom) are drawn black, white's edges (left and right) white with a dark outline. Columns
are lettered from a, rows numbered from 1 at the top, so ``b3`` is row 2, column 1.

Connect Four (`draw_connect_four_position`, `replay_connect_four`) is drawn upright: a frame with
a hole per cell, row 0 at the bottom, the first player's (x) discs red and the second's (o)
yellow, columns lettered from a; a policy over the moves is a row of squares above the columns.

Letters: S = board size, A = S * S cells (Hex); R rows, C columns, A = R * C cells (Connect Four).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import jax
import numpy as np
from matplotlib import colormaps, patheffects
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Polygon, Rectangle

from games.hex import BLACK, EMPTY, MAX_SIZE, MIN_SIZE, WHITE, Hex
from games.render import action_to_text

_ROW_HEIGHT = math.sqrt(3) / 2
_RADIUS = 1 / math.sqrt(3)  # pointy-top hexagon one unit wide
_CELL_COLOUR = "#f2d7a0"
_LINE_COLOUR = "#6b5b3e"
_STONE_COLOURS = {BLACK: "#151515", WHITE: "#f7f7f7"}
_NUMBER_COLOURS = {BLACK: "#f7f7f7", WHITE: "#151515"}


def _check_size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, int | np.integer):
        raise ValueError(f"draw: size must be an integer, got {size!r}")
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"draw: size must be between {MIN_SIZE} and {MAX_SIZE}, got {size}")
    return int(size)


def _cells_array(name: str, values, rows: int, dtype, columns: int | None = None) -> np.ndarray:
    """``values`` as a flat [rows * columns] array of ``dtype`` (columns defaults to rows: a Hex
    board), from that shape or [rows, columns]; a one-line ValueError naming ``name`` otherwise."""
    columns = rows if columns is None else columns
    array = np.asarray(values)
    if array.shape == (rows, columns):
        array = array.reshape(-1)
    if array.shape != (rows * columns,):
        raise ValueError(
            f"draw: {name} must have shape [{rows * columns}] (or [{rows}, {columns}]), "
            f"got {list(array.shape)}"
        )
    try:
        return array.astype(dtype)
    except (TypeError, ValueError):
        raise ValueError(f"draw: {name} must hold numbers") from None


def _centre(row: int, col: int) -> tuple[float, float]:
    return col + row / 2, -row * _ROW_HEIGHT


def _vertex(row: int, col: int, degrees: float) -> tuple[float, float]:
    x, y = _centre(row, col)
    angle = math.radians(degrees)
    return x + _RADIUS * math.cos(angle), y + _RADIUS * math.sin(angle)


def _edge_lines(size: int) -> dict[str, list[list[tuple[float, float]]]]:
    """Outer boundary polylines per side, following the cells' outer hexagon edges."""
    last = size - 1
    top = [_vertex(0, c, a) for c in range(size) for a in (150, 90)] + [_vertex(0, last, 30)]
    bottom = [_vertex(last, c, a) for c in range(size) for a in (210, 270)]
    bottom.append(_vertex(last, last, 330))
    left = [_vertex(r, 0, a) for r in range(size) for a in (150, 210)] + [_vertex(last, 0, 270)]
    right = [_vertex(0, last, 90)] + [_vertex(r, last, a) for r in range(size) for a in (30, 330)]
    return {"top": top, "bottom": bottom, "left": left, "right": right}


def draw_position(
    size: int,
    board,
    move_numbers=None,
    heat=None,
    title: str | None = None,
    heat_label: str = "weight",
) -> Figure:
    """Draw one position.

    size: board size S (2..26). board: [A] (or [S, S]) ints, 0 empty, 1 black, 2 white.
    move_numbers: optional [A] ints written on the stones (0 or less: no number).
    heat: optional [A] floats, e.g. a search's visit share per cell; empty cells are coloured by
    it, with a colorbar (values on occupied cells are ignored). title: optional text above.
    heat_label: the colorbar's label, which should say what ``heat`` is (a PUCT search's visit
    share, a Gumbel search's improved policy, ...).
    Returns a new `Figure`.
    """
    size = _check_size(size)
    cells = _cells_array("board", board, size, np.int64)
    if not np.isin(cells, (EMPTY, BLACK, WHITE)).all():
        raise ValueError("draw: board values must be 0 (empty), 1 (black) or 2 (white)")
    numbers = None
    if move_numbers is not None:
        numbers = _cells_array("move_numbers", move_numbers, size, np.int64)
    heat_values = None
    if heat is not None:
        heat_values = _cells_array("heat", heat, size, np.float64)
        if not np.isfinite(heat_values).all():
            raise ValueError("draw: heat must be finite numbers")

    width = size * 1.5 + 1.5
    height = size * _ROW_HEIGHT + 1.6
    scale = 0.6 if size <= 11 else 0.4
    colorbar_width = 1.4 if heat is not None else 0.0
    figure = Figure(figsize=(width * scale + colorbar_width, height * scale + 0.4))
    axes = figure.add_subplot()
    axes.set_aspect("equal")
    axes.axis("off")

    colour_map = norm = None
    empty = cells == EMPTY
    if heat_values is not None:
        colour_map = colormaps["YlOrRd"]
        top_value = float(heat_values[empty].max()) if empty.any() else 1.0
        low_value = min(0.0, float(heat_values[empty].min())) if empty.any() else 0.0
        norm = Normalize(vmin=low_value, vmax=top_value if top_value > low_value else low_value + 1)
    as_shares = (
        heat_values is not None
        and (heat_values >= 0).all()
        and heat_values[empty].sum() <= 1.0 + 1e-3
    )

    font = max(5.0, 11.0 - 0.4 * size)
    for side, points in _edge_lines(size).items():
        xs, ys = zip(*points, strict=True)
        black_side = side in ("top", "bottom")
        line = axes.plot(
            xs,
            ys,
            color=_STONE_COLOURS[BLACK] if black_side else _STONE_COLOURS[WHITE],
            linewidth=7,
            solid_capstyle="round",
            zorder=1,
        )[0]
        if not black_side:
            line.set_path_effects(
                [patheffects.Stroke(linewidth=9, foreground=_LINE_COLOUR), patheffects.Normal()]
            )

    for cell in range(size * size):
        row, col = divmod(cell, size)
        x, y = _centre(row, col)
        fill = _CELL_COLOUR
        if heat_values is not None and empty[cell]:
            fill = colour_map(norm(heat_values[cell]))
        corners = [_vertex(row, col, a) for a in (30, 90, 150, 210, 270, 330)]
        axes.add_patch(
            Polygon(
                corners, closed=True, facecolor=fill, edgecolor=_LINE_COLOUR, linewidth=1, zorder=2
            )
        )
        stone = int(cells[cell])
        if stone != EMPTY:
            axes.add_patch(
                Circle(
                    (x, y),
                    0.38,
                    facecolor=_STONE_COLOURS[stone],
                    edgecolor="#151515",
                    linewidth=1,
                    zorder=3,
                )
            )
            if numbers is not None and numbers[cell] > 0:
                axes.text(
                    x,
                    y,
                    str(int(numbers[cell])),
                    ha="center",
                    va="center",
                    fontsize=font,
                    color=_NUMBER_COLOURS[stone],
                    zorder=4,
                )
        elif as_shares and heat_values[cell] >= 0.005:
            dark = norm(heat_values[cell]) > 0.6
            axes.text(
                x,
                y,
                f"{100 * heat_values[cell]:.0f}%",
                ha="center",
                va="center",
                fontsize=font * 0.8,
                color="#f7f7f7" if dark else "#151515",
                zorder=4,
            )

    letter_font = font
    for col in range(size):
        letter = chr(ord("a") + col)
        x, y = _centre(0, col)
        axes.text(x, y + 0.85, letter, ha="center", va="center", fontsize=letter_font)
        x, y = _centre(size - 1, col)
        axes.text(x, y - 0.85, letter, ha="center", va="center", fontsize=letter_font)
    for row in range(size):
        x, y = _centre(row, 0)
        axes.text(x - 0.95, y, str(row + 1), ha="center", va="center", fontsize=letter_font)
        x, y = _centre(row, size - 1)
        axes.text(x + 0.95, y, str(row + 1), ha="center", va="center", fontsize=letter_font)

    axes.set_xlim(-1.5, size - 1 + (size - 1) / 2 + 1.5)
    axes.set_ylim(-(size - 1) * _ROW_HEIGHT - 1.3, 1.3)
    if title:
        axes.set_title(title, fontsize=font + 1)
    if heat_values is not None:
        mappable = ScalarMappable(norm=norm, cmap=colour_map)
        figure.colorbar(mappable, ax=axes, shrink=0.7, label=heat_label)
    return figure


def replay(size: int, actions: Sequence[int]) -> tuple[np.ndarray, np.ndarray, int]:
    """Replay a game's actions from the empty board by stepping `games.hex.Hex` (with the swap
    rule), so the rules and the winner are the game's own.

    actions: ints ``row * size + col``; ``size * size`` is the swap (legal only as the second move:
    black's stone at (r, c) becomes a white stone at (c, r)). Returns (board [A] int8,
    move numbers [A] int32 (0 on empty cells), winner: 0 black, 1 white, -1 none yet).
    Raises ValueError on an occupied or off-board cell, a misplaced swap, or a move after the end.
    """
    size = _check_size(size)
    cells = size * size
    step = _stepper(size)
    state = Hex(size, swap=True).init(jax.random.key(0))
    numbers = np.zeros(cells, np.int32)
    for index, action in enumerate(actions):
        if isinstance(action, bool) or not isinstance(action, int | np.integer):
            raise ValueError(f"draw: move {index + 1} must be an integer action, got {action!r}")
        action = int(action)
        if bool(state.terminated):
            raise ValueError(f"draw: move {index + 1} comes after the game ended")
        if action == cells:
            if not bool(state.legal_action_mask[cells]):
                raise ValueError(
                    f"draw: move {index + 1}: the swap is only legal as the second move"
                )
            black_cell = int(np.argmax(np.asarray(state.board) == BLACK))
            row, col = divmod(black_cell, size)
            numbers[black_cell] = 0
            numbers[col * size + row] = index + 1
        elif not 0 <= action < cells:
            raise ValueError(
                f"draw: move {index + 1}: action {action} is off a {size}x{size} board"
            )
        elif not bool(state.legal_action_mask[action]):
            raise ValueError(
                f"draw: move {index + 1}: {action_to_text(action, size)} is already occupied"
            )
        else:
            numbers[action] = index + 1
        state = step(state, action)
    return np.asarray(state.board, np.int8), numbers, int(state.winner)


@functools.cache
def _stepper(size: int):
    """The jitted step of Hex ``size`` with the swap rule (compiled once per size)."""
    return jax.jit(Hex(size, swap=True).step)


def draw_game(size: int, actions: Sequence[int], numbers: bool = True, title: str | None = None):
    """Draw the position after ``actions`` (ints, see `replay`) with stones numbered by move
    (``numbers=False`` leaves them plain). The default title names the winner once there is one.
    Returns a new `Figure`."""
    board, move_numbers, winner = replay(size, actions)
    if title is None:
        count = len(actions)
        title = f"Hex {size}x{size}, {count} move{'s' if count != 1 else ''}"
        if winner >= 0:
            title += ", black wins" if winner == 0 else ", white wins"
    return draw_position(size, board, move_numbers if numbers else None, title=title)


# -- Connect Four ----------------------------------------------------------------------------------

_FRAME_COLOUR = "#2456a6"
_HOLE_COLOUR = "#f4f1ea"
_DISC_COLOURS = {1: "#d1242f", 2: "#f2c230"}  # x (first player) red, o (second) yellow
_DISC_EDGES = {1: "#7a1016", 2: "#8a6a0c"}
_DISC_NUMBER_COLOURS = {1: "#f7f7f7", 2: "#151515"}
_DISC_NAMES = {1: "x (first)", 2: "o (second)"}


def draw_connect_four_position(
    env,
    board,
    move_numbers=None,
    heat=None,
    title: str | None = None,
    heat_label: str = "weight",
) -> Figure:
    """Draw one Connect Four position: the frame with a hole per cell, the first player's (x)
    discs red and the second's (o) yellow, row 0 at the bottom, columns lettered a, b, ... below.

    env: the game (`games.connect_four.ConnectFour`: rows R, columns C, x_in_row).
    board: [A] (or [R, C]) ints, 0 empty, 1 x, 2 o, cell ``row * C + col`` with row 0 at the
    bottom (the game's own layout). move_numbers: optional [A] ints written on the discs (0 or
    less: no number). heat: optional [C] floats, one per column (a move is a column), e.g. a
    search's policy: drawn as a row of squares above the board coloured by it, with a colorbar
    labelled `heat_label`, and as percentages when the values are shares; full columns are
    greyed. title: optional text above. Returns a new `Figure`.
    """
    rows, columns = env.rows, env.columns
    cells = _cells_array("board", board, rows, np.int64, columns)
    if not np.isin(cells, (0, 1, 2)).all():
        raise ValueError("draw: board values must be 0 (empty), 1 (x) or 2 (o)")
    numbers = None
    if move_numbers is not None:
        numbers = _cells_array("move_numbers", move_numbers, rows, np.int64, columns)
    heat_values = None
    if heat is not None:
        heat_values = np.asarray(heat)
        if heat_values.shape != (columns,):
            raise ValueError(
                f"draw: heat must have one value per column, shape [{columns}], "
                f"got {list(heat_values.shape)}"
            )
        try:
            heat_values = heat_values.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError("draw: heat must hold numbers") from None
        if not np.isfinite(heat_values).all():
            raise ValueError("draw: heat must be finite numbers")

    grid = cells.reshape(rows, columns)
    open_columns = grid[rows - 1] == 0
    scale = 0.6 if max(rows, columns) <= 12 else 0.4
    colorbar_width = 1.4 if heat_values is not None else 0.0
    heat_rows = 1.0 if heat_values is not None else 0.0
    figure = Figure(
        figsize=((columns + 1.5) * scale + colorbar_width, (rows + 2.4 + heat_rows) * scale + 0.4)
    )
    axes = figure.add_subplot()
    axes.set_aspect("equal")
    axes.axis("off")
    font = max(5.0, 11.0 - 0.3 * max(rows, columns))

    axes.add_patch(
        Rectangle(
            (-0.5, -0.5), columns, rows, facecolor=_FRAME_COLOUR, edgecolor="#0f2a55",
            linewidth=1.5, zorder=1,
        )
    )  # fmt: skip
    for row in range(rows):
        for col in range(columns):
            disc = int(grid[row, col])
            face = _DISC_COLOURS.get(disc, _HOLE_COLOUR)
            edge = _DISC_EDGES.get(disc, "#0f2a55")
            axes.add_patch(
                Circle((col, row), 0.4, facecolor=face, edgecolor=edge, linewidth=1, zorder=2)
            )
            if disc and numbers is not None and numbers[row * columns + col] > 0:
                axes.text(
                    col, row, str(int(numbers[row * columns + col])), ha="center", va="center",
                    fontsize=font, color=_DISC_NUMBER_COLOURS[disc], zorder=3,
                )  # fmt: skip

    colour_map = norm = None
    if heat_values is not None:
        colour_map = colormaps["YlOrRd"]
        shown = heat_values[open_columns]
        top_value = float(shown.max()) if shown.size else 1.0
        low_value = min(0.0, float(shown.min())) if shown.size else 0.0
        norm = Normalize(vmin=low_value, vmax=top_value if top_value > low_value else low_value + 1)
        as_shares = (heat_values >= 0).all() and shown.sum() <= 1.0 + 1e-3
        y = rows + 0.15
        for col in range(columns):
            fill = colour_map(norm(heat_values[col])) if open_columns[col] else "#d9d9d9"
            axes.add_patch(
                Rectangle(
                    (col - 0.45, y - 0.4), 0.9, 0.8, facecolor=fill, edgecolor="#6b6b6b",
                    linewidth=0.8, zorder=2,
                )
            )  # fmt: skip
            if not open_columns[col]:
                axes.text(col, y, "full", ha="center", va="center", fontsize=font * 0.7)
            elif as_shares:
                dark = norm(heat_values[col]) > 0.6
                axes.text(
                    col, y, f"{100 * heat_values[col]:.0f}%", ha="center", va="center",
                    fontsize=font * 0.75, color="#f7f7f7" if dark else "#151515", zorder=3,
                )  # fmt: skip
    for col in range(columns):
        axes.text(col, -0.95, chr(ord("a") + col), ha="center", va="center", fontsize=font)
    legend = [
        Line2D(
            [], [], marker="o", linestyle="none", markersize=9, markerfacecolor=_DISC_COLOURS[disc],
            markeredgecolor=_DISC_EDGES[disc], label=_DISC_NAMES[disc],
        )
        for disc in (1, 2)
    ]  # fmt: skip
    axes.legend(
        handles=legend, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=2, frameon=False,
        fontsize=font * 0.85, handletextpad=0.2, columnspacing=1.0,
    )  # fmt: skip
    axes.set_xlim(-0.8, columns - 0.2)
    axes.set_ylim(-1.3, rows - 0.3 + (1.2 if heat_values is not None else 0.0))
    if title:
        axes.set_title(title, fontsize=font + 1)
    if heat_values is not None:
        mappable = ScalarMappable(norm=norm, cmap=colour_map)
        figure.colorbar(mappable, ax=axes, shrink=0.7, label=heat_label)
    return figure


def replay_connect_four(env, actions: Sequence[int]) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Replay a Connect Four game's actions (columns) from the empty board by stepping `env`,
    so the rules and the result are the game's own.

    Returns (board [A] int8, move numbers [A] int32 (0 on empty cells), winner: 0 x, 1 o, -1
    none, finished: whether the game is over (a win or a full board, a draw)). Raises ValueError
    on a full or off-board column, or a move after the end.
    """
    step = _connect_four_stepper(env)
    state = env.init(jax.random.key(0))
    numbers = np.zeros(env.num_cells, np.int32)
    for index, action in enumerate(actions):
        if isinstance(action, bool) or not isinstance(action, int | np.integer):
            raise ValueError(f"draw: move {index + 1} must be an integer action, got {action!r}")
        action = int(action)
        if bool(state.terminated):
            raise ValueError(f"draw: move {index + 1} comes after the game ended")
        if not 0 <= action < env.columns:
            raise ValueError(
                f"draw: move {index + 1}: column {action} is off a board of {env.columns} columns"
            )
        if not bool(state.legal_action_mask[action]):
            raise ValueError(f"draw: move {index + 1}: column {env.action_to_text(action)} is full")
        before = np.asarray(state.board)
        state = step(state, action)
        numbers[np.flatnonzero(np.asarray(state.board) != before)] = index + 1
    return (
        np.asarray(state.board, np.int8),
        numbers,
        int(state.winner),
        bool(state.terminated),
    )


@functools.cache
def _connect_four_stepper(env):
    """The jitted step of one Connect Four game (compiled once per board)."""
    return jax.jit(env.step)
