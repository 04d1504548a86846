"""Board labels: how the store, the agent table and the report name a board.

A label is Hex's integer size S (the S x S board) or text for another game: ``'c4-RxC-X'`` for
Connect Four on R rows and C columns with X in a row to win (``games.board_label`` makes them; this
module reads them without importing `games`). An agent table's `board_size` column holds labels:
int64 while every board is Hex, else an object array of Python ints and strs (`board_column`).

Jones's fits and reference numbers are Hex's: the joint frontier model has board-size terms, and
his frontier, perfect-play compute and exchange rate were measured on Hex. `game_of` says which
game a label is, so the fits and the report keep other games apart from them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np

HEX = "hex"
CONNECT_FOUR = "connect_four"
GAME_NAMES = {HEX: "Hex", CONNECT_FOUR: "Connect Four"}

_CONNECT_FOUR = re.compile(r"^c4-(\d+)x(\d+)-(\d+)$")


def parse_label(value: object) -> int | str:
    """A label as the analysis keeps it: a positive int for Hex (``3``, ``3.0``, ``'3'``, ``'3.0'``,
    numpy integers), the stripped text of a Connect Four label (``'c4-4x5-3'``).

    Raises ValueError (one line) naming the value for anything else."""
    if isinstance(value, str):
        text = value.strip()
        if _CONNECT_FOUR.match(text):
            return text
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if math.isfinite(number) and number >= 1 and number == round(number):
            return int(number)
    elif not isinstance(value, bool | np.bool_):
        if isinstance(value, int | np.integer) and value >= 1:
            return int(value)
        if isinstance(value, float | np.floating) and math.isfinite(value):
            if value >= 1 and value == round(value):
                return int(value)
    raise ValueError(
        "board must be a positive integer (Hex's size) or a Connect Four label such as "
        f"'c4-4x5-3', got {value!r}"
    )


def is_missing(value: object) -> bool:
    """Whether a board cell is empty: None or a non-finite float (an unrated row's)."""
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return not math.isfinite(value)
    return False


def game_of(label: int | str) -> str:
    """`HEX` for an integer label, `CONNECT_FOUR` for ``'c4-RxC-X'``."""
    return CONNECT_FOUR if isinstance(parse_label(label), str) else HEX


def is_hex(label: int | str) -> bool:
    """Whether `label` names a Hex board (Jones's game)."""
    return game_of(label) == HEX


def board_order(label: int | str) -> tuple:
    """Sort key for board labels: Hex sizes by number, then text labels by their text."""
    return (1, str(label)) if isinstance(label, str) else (0, int(label))


def board_name(label: int | str) -> str:
    """A board label for people: ``5`` -> ``'5x5'`` (Hex), ``'c4-4x5-3'`` -> ``'4x5 connect 3'``;
    any other text as it is."""
    if isinstance(label, str) and not label.strip().isdigit():
        parts = label.split("-")
        if len(parts) == 3 and parts[0] == "c4":
            return f"{parts[1]} connect {parts[2]}"
        return label
    return f"{int(label)}x{int(label)}"


def board_caption(label: int | str) -> str:
    """A board in a legend, panel or table row: ``'5x5'`` for Hex (whose figures name the game
    elsewhere), ``'Connect Four 4x5 (3 in a row)'`` for Connect Four."""
    label = parse_label(label)
    match = _CONNECT_FOUR.match(label) if isinstance(label, str) else None
    if match:
        rows, columns, line = match.groups()
        return f"Connect Four {rows}x{columns} ({line} in a row)"
    return f"{label}x{label}"


def board_title(label: int | str) -> str:
    """A board named with its game, for a title: ``'5x5 Hex'``, ``'Connect Four 4x5 (3 in a
    row)'``."""
    caption = board_caption(label)
    return f"{caption} Hex" if is_hex(label) else caption


def board_column(values: Iterable) -> np.ndarray:
    """The labels `values` [N] as a column: int64 while every one is Hex, else an object array
    of Python ints and strs. Raises ValueError (`parse_label`) for a value that is no label."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        if values.size and values.min() < 1:
            parse_label(values.min())  # raises, naming the value
        return values.astype(np.int64)
    labels = [parse_label(value) for value in values]
    if all(isinstance(label, int) for label in labels):
        return np.array(labels, np.int64)
    column = np.empty(len(labels), object)
    column[:] = labels
    return column


def unique_boards(column: Iterable) -> list[int | str]:
    """The distinct labels of `column`, Hex sizes ascending, then text labels (`board_order`)."""
    if isinstance(column, np.ndarray) and column.dtype.kind in "iu":
        return [parse_label(value) for value in np.unique(column).tolist()]
    return sorted({parse_label(value) for value in column}, key=board_order)


def board_codes(column: np.ndarray) -> tuple[np.ndarray, list[int | str]]:
    """(code [N] int64, labels): each row's position in `unique_boards(column)`, for grouping
    numerically (codes follow `board_order`, so sorting by code sorts Hex by size)."""
    if isinstance(column, np.ndarray) and column.dtype.kind in "iu":
        values, codes = np.unique(column, return_inverse=True)
        return codes.reshape(-1).astype(np.int64), [parse_label(v) for v in values.tolist()]
    labels = unique_boards(column)
    position = {label: index for index, label in enumerate(labels)}
    codes = np.array([position[parse_label(value)] for value in column], np.int64)
    return codes, labels


def hex_rows(column: np.ndarray) -> np.ndarray:
    """Mask [N]: rows of `column` on a Hex board."""
    column = np.asarray(column)
    if column.dtype.kind in "iu":
        return np.ones(column.shape[0], bool)
    return np.array([is_hex(value) for value in column.tolist()], bool)


def on_boards(column: np.ndarray, labels: Iterable[int | str]) -> np.ndarray:
    """Mask [N]: rows of `column` whose board is one of `labels`."""
    column = np.asarray(column)
    mask = np.zeros(column.shape[0], bool)
    for label in labels:
        mask |= column == label
    return mask


def by_game(labels: Iterable[int | str]) -> dict[str, list[int | str]]:
    """The labels grouped by game, Hex first, each group in `board_order`."""
    out: dict[str, list[int | str]] = {}
    for label in sorted(labels, key=board_order):
        out.setdefault(game_of(label), []).append(label)
    return dict(sorted(out.items(), key=lambda item: item[0] != HEX))


def game_caption(game: str, boards: Iterable[int | str]) -> str:
    """``'Hex 3x3, 4x4'`` / ``'Connect Four 4x5 (3 in a row)'``: a game's boards in words."""
    boards = list(boards)
    if game == HEX:
        return "Hex " + ", ".join(board_caption(label) for label in boards)
    return ", ".join(board_caption(label) for label in boards)
