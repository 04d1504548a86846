"""Name -> game factory: ``make(name, **options)`` builds a registered game.

The registry is where a game is found by name, and what `alphazero` builds its environment with
(`alphazero.trainer.build_env`). It is not all a second game needs: the training settings accept
only the names they list (``TrainConfig.game`` is checked against ``("hex",)`` in
`alphazero.settings`) and match play builds Hex by name (`alphazero.match`), so adding a game also
means adding its name there. The game itself must implement the API in `games` (``init``,
``step``, the state fields, ``size``, ``num_cells``, ``num_actions``, ``observation_shape``,
``max_game_length``, ``canonical_action_map``, and ``pack``/``unpack`` for the native search, as
`games.hex.Hex` does).
"""

from __future__ import annotations

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
