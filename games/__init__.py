"""Board games in pure JAX behind one small API (`init(key)`, `step(state, action)`).

Public surface: `make`, `register`, `names`, `Hex`, `HexState`, and the text helpers `render`,
`render_state`, `action_to_text`, `text_to_action`; the exact solver for small boards `Solver`,
`SolverAgent`, `perfect_play_rate`. Pictures (matplotlib) are in `games.draw`: `draw_position`,
`draw_game`.
"""

from games.hex import Hex, HexState
from games.registry import make, names, register
from games.render import action_to_text, render, render_state, text_to_action
from games.solver import Solver, SolverAgent, perfect_play_rate

register("hex", lambda size=5, swap=False: Hex(size=size, swap=swap))

__all__ = [
    "Hex",
    "HexState",
    "Solver",
    "SolverAgent",
    "action_to_text",
    "make",
    "names",
    "perfect_play_rate",
    "register",
    "render",
    "render_state",
    "text_to_action",
]
