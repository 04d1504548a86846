"""Name -> game factory: ``make(name, **options)`` builds a registered game.

The registry is where a game is found by name, and what `alphazero` builds its environment with
(`alphazero.settings.TrainConfig.env`). It is not all a second game needs: the training settings
accept only the names they list (`alphazero.settings.GAMES`), and stores, tournaments and match
play name a board by its label (`board_label`, read back by `make_board`), so adding a game also
means adding its name there and a label form here. The game itself must implement the API in
`games` (``init``, ``step``, the state fields with ``winner`` -1 for a draw, ``size``,
``num_cells``, ``num_actions``, ``observation_shape``, ``max_game_length``, ``can_draw``,
``board_label``, ``canonical_action_map``, and ``pack``/``unpack`` for the native search, as
`games.hex.Hex` does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_FACTORIES: dict[str, Callable[..., Any]] = {}


def register(name: str, factory: Callable[..., Any]) -> None:
    """Make ``make(name, **kwargs)`` call ``factory(**kwargs)``. Re-registering a name replaces it."""
    _FACTORIES[name] = factory


def names() -> list[str]:
    """Registered game names, sorted."""
    return sorted(_FACTORIES)


def make(name: str, **kwargs: Any):
    """Build the game ``name`` with its keyword options, e.g. ``make("hex", size=5, swap=False)``.

    Each game reads ``size`` its own way: Hex takes an integer (a square board), Connect Four a
    string ``"ROWSxCOLUMNS"`` such as ``"6x7"`` (or a pair of integers) plus ``x_in_row``."""
    if name not in _FACTORIES:
        raise ValueError(f"unknown game {name!r}; available: {', '.join(names())}")
    try:
        return _FACTORIES[name](**kwargs)
    except TypeError as error:  # an option the game does not take
        raise ValueError(f"game {name!r}: {error}") from None


_CONNECT_FOUR_LABEL = re.compile(r"^c4-(\d+x\d+)-(\d+)$")


def board_label(name: str, size, x_in_row: int = 4) -> int | str:
    """The label that names a board in stores, tournaments and run names: Hex's integer size
    (``5``), or ``'c4-ROWSxCOLUMNS-X'`` for Connect Four (``'c4-6x7-4'``: 6 rows, 7 columns,
    4 in a row). Raises ValueError for a game or size that does not exist."""
    options = {} if name == "hex" else {"x_in_row": x_in_row}
    return make(name, size=size, **options).board_label


def make_board(label, swap: bool = False):
    """The game a `board_label` names: an integer is Hex of that size (with ``swap``), a
    ``'c4-RxC-X'`` string Connect Four. Raises ValueError naming the forms for anything else."""
    if isinstance(label, str) and label.strip().isdigit():
        label = int(label)
    if isinstance(label, int) and not isinstance(label, bool):
        return make("hex", size=label, swap=swap)
    match = _CONNECT_FOUR_LABEL.match(label.strip()) if isinstance(label, str) else None
    if match is None:
        raise ValueError(
            f"board {label!r} is neither a Hex size (an integer) nor a Connect Four label "
            "'c4-ROWSxCOLUMNS-X' such as 'c4-6x7-4'"
        )
    return make("connect_four", size=match.group(1), x_in_row=int(match.group(2)), swap=swap)
