"""Board games in pure JAX behind one small API (`init(key)`, `step(state, action)`).

Registered games: ``make("hex", size=5, swap=False)`` (a square board, ``size`` an integer) and
``make("connect_four", size="6x7", x_in_row=4)`` (``size`` is ``"ROWSxCOLUMNS"``).

Public surface: `make`, `register`, `names`, `board_label` and `make_board` (a board's label
in stores and tournaments, and back), `Hex`, `HexState`, `ConnectFour`, `ConnectFourState`,
and Hex's text helpers `render`, `render_state`, `action_to_text`, `text_to_action` (Connect
Four's are methods of `ConnectFour`); the exact solver for small Hex boards `Solver`,
`perfect_play_rate` (the player built on it is `sweeps.references.SolverAgent`), and Connect Four's `ConnectFourSolver`. Pictures (matplotlib) are in `games.draw`: `draw_position`,
`draw_game`.
"""

from games.connect_four import ConnectFour, ConnectFourState, make_connect_four
from games.connect_four_solver import ConnectFourSolver
from games.hex import Hex, HexState
from games.registry import board_label, make, make_board, names, register
from games.render import action_to_text, render, render_state, text_to_action
from games.solver import Solver, perfect_play_rate

register("hex", lambda size=5, swap=False: Hex(size=size, swap=swap))
register("connect_four", make_connect_four)

__all__ = [
    "ConnectFour",
    "ConnectFourSolver",
    "ConnectFourState",
    "Hex",
    "HexState",
    "Solver",
    "action_to_text",
    "board_label",
    "make",
    "make_board",
    "names",
    "perfect_play_rate",
    "register",
    "render",
    "render_state",
    "text_to_action",
]
