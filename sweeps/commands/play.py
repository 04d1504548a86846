"""`boardscale play`: play Hex against an agent in the terminal.

    boardscale play --board 4 --agent solver --color white
    boardscale play --agent runs/r0/snapshots/snapshot-020.ckpt --simulations 64

Moves are typed as ``b2`` (column letter, row number from the top). ``undo`` takes back your last
move and the agent's reply, ``hint`` shows the agent's suggestion for you, ``quit`` ends the game
(so does the end of input). After each agent move the board is redrawn with the agent's view of the
position: a network agent's top candidates by its search's weights (named on the line: a PUCT
search's visit share, a Gumbel search's improved policy, the raw policy at 0 simulations; see
`sweeps.commands.show.weights_label`) and value estimate, the
solver's winning moves, nothing for the random agent. A snapshot agent plays its search policy's
most likely move; the solver picks among winning moves at random (see `sweeps.references.SolverAgent`).

The game loop is `play_session`, which reads lines from any iterable and writes to any text stream,
so it can be scripted.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import TextIO

HELP = "play Hex against an agent (a snapshot, the random agent or the exact solver)"

COLOURS = ("black", "white")
_COMMANDS = "type a move like b2, or: undo, hint, help, quit"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--board",
        type=lambda text: int(text) if text.strip().isdigit() else text.strip(),
        default=None,
        help="board: Hex's size, or a Connect Four label such as c4-4x5-3 (default: the "
        "snapshot's board, else Hex 4)",
    )
    parser.add_argument(
        "--agent",
        default="random",
        metavar="SNAPSHOT|random|solver",
        help="a snapshot file, 'random' (uniform random moves) or 'solver' (perfect play, boards "
        "up to 5x5; 5x5 may think for minutes) (default: random)",
    )
    parser.add_argument(
        "--simulations",
        type=int,
        default=64,
        help="search simulations per move of a snapshot agent (default: 64)",
    )
    parser.add_argument(
        "--color",
        "--colour",
        dest="color",
        choices=COLOURS,
        default="black",
        help="your colour; black moves first and joins top and bottom (default: black)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")


def text_helpers(env):
    """(action -> text, text -> action, state -> board text) for ``env``: Connect Four's own
    methods (columns a, b, c, ...), else Hex's (`games.render`)."""
    if hasattr(env, "text_to_action"):
        return env.action_to_text, env.text_to_action, env.render_state
    from games import action_to_text, render_state, text_to_action

    return (
        lambda action: action_to_text(action, env.size),
        lambda text: text_to_action(text, env.size, swap=env.swap),
        lambda state: render_state(state, env.size),
    )


def build_agent(spec: str, board: int | str | None, simulations: int):
    """(agent, env) for ``--agent``: a snapshot path, ``random`` or ``solver``. ``board`` is a
    board label (Hex's size, or ``c4-RxC-X`` for Connect Four)."""
    import games
    from alphazero import load_agent
    from analysis.store import board_name
    from sweeps.references import make_reference

    if simulations < 0:
        raise ValueError(f"--simulations must be 0 or more, got {simulations}")
    if isinstance(board, str) and spec in ("random", "solver"):
        env = games.make_board(board)
        return make_reference(spec, env.board_label, allow_slow=True), env
    if spec in ("random", "solver"):
        size = 4 if board is None else board
        env = games.make("hex", size=size)
        return make_reference(spec, size, allow_slow=True), env
    agent = load_agent(spec, simulations=simulations, greedy=True)
    if board is not None and board != agent.board_size:
        raise ValueError(
            f"--board {board} does not match the snapshot, which plays "
            f"{board_name(agent.board_size)}"
        )
    env = games.make_board(agent.board_size, swap=bool(agent.kind.config.swap))
    return agent, env


def _batch(state):
    import jax

    return jax.tree.map(lambda x: x[None], state)


def _candidates(weights, to_text, count: int = 3) -> str:
    import numpy as np

    order = np.argsort(-weights, kind="stable")[:count]
    return ", ".join(
        f"{to_text(int(a))} {100 * float(weights[a]):.0f}%" for a in order if weights[a] > 0
    )


def _weights_label(agent) -> str:
    from sweeps.commands.show import agent_weights_label

    return agent_weights_label(agent)


class _Analysis:
    """What an agent thinks of one position: its move and a line describing its view."""

    def __init__(self, action: int, lines: list[str]):
        self.action = action
        self.lines = lines


def _analyse(agent, state, env, key, for_human: bool) -> _Analysis:
    """The agent's move in ``state`` (for the side to move) and what it shows about it."""
    import jax
    import numpy as np

    to_text = text_helpers(env)[0]
    mover = "you" if for_human else agent.name
    if hasattr(agent, "analyse"):
        weights, root_value, raw_value = agent.analyse(key, _batch(state))
        weights = np.asarray(weights[0], np.float64)
        greedy = bool(getattr(getattr(agent, "kind", None), "greedy", False))
        if greedy:
            action = int(np.argmax(weights))
        else:
            sample_key = jax.random.fold_in(key, 1)
            legal = np.asarray(state.legal_action_mask)
            shares = np.where(legal, weights, 0.0)
            logits = np.where(shares > 0, np.log(np.maximum(shares, 1e-30)), -np.inf)
            action = int(jax.random.categorical(sample_key, logits))
        lines = [
            f"  candidates by {_weights_label(agent)}: {_candidates(weights, to_text)}",
            f"  value for {mover}: {float(root_value[0]):+.2f} after search "
            f"({float(raw_value[0]):+.2f} from the network alone)",
        ]
        return _Analysis(action, lines)
    action = int(np.asarray(agent.act(key, _batch(state)))[0])
    if hasattr(agent, "solver") and not hasattr(agent.solver, "winning_moves"):
        values = agent.solver.move_values(np.asarray(state.board))  # Connect Four
        words = {1: "win", 0: "draw", -1: "loss"}
        best = max(values.values()) if values else 0
        moves = " ".join(to_text(a) for a, value in sorted(values.items()) if value == best)
        return _Analysis(action, [f"  best moves for {mover} ({words[best]}): {moves}"])
    if hasattr(agent, "solver"):
        winning = sorted(agent.solver.winning_moves(np.asarray(state.board)))
        if winning:
            moves = " ".join(to_text(a) for a in winning)
            lines = [f"  winning moves for {mover}: {moves}"]
        else:
            lines = [f"  {mover}: no winning move (lost with perfect play)"]
        return _Analysis(action, lines)
    return _Analysis(action, [])


def _human_colour(human_color) -> int:
    if isinstance(human_color, str):
        if human_color.lower() not in COLOURS:
            raise ValueError(f"human_color must be 'black' or 'white', got {human_color!r}")
        return COLOURS.index(human_color.lower())
    if human_color not in (0, 1):
        raise ValueError(f"human_color must be 0 (black) or 1 (white), got {human_color!r}")
    return int(human_color)


def play_session(
    env, agent, human_color, input_lines: Iterable[str], output: TextIO, key, echo: bool = False
):
    """Play one game of ``env`` (a games.Hex) between a human and ``agent``.

    human_color: 0 / 'black' (moves first) or 1 / 'white'. input_lines: the human's lines (moves
    like ``b2``, ``undo``, ``hint``, ``help``, ``quit``); output: where the board and messages go;
    key: a jax PRNG key for the agent; echo: repeat each input line after its prompt (for input
    that is not typed on a terminal, so the transcript reads well). Bad input gets a message and
    a new prompt. Returns the winner (0 black, 1 white), or None when the human quit or the input
    ended.
    """
    import jax
    import numpy as np

    from analysis.store import board_name

    to_text, from_text, render = text_helpers(env)
    human = _human_colour(human_color)
    label = env.board_label
    if getattr(agent, "board_size", label) != label:
        raise ValueError(
            f"the agent plays {board_name(agent.board_size)}, the board is {board_name(label)}"
        )
    step = jax.jit(env.step)
    lines = iter(input_lines)

    def say(text: str = "") -> None:
        output.write(text + "\n")
        output.flush()

    key, init_key = jax.random.split(key)
    state = env.init(init_key)
    history = []  # the states before each of the human's moves, for undo
    connect_four = hasattr(env, "x_in_row")
    if connect_four:
        edges = f"{env.x_in_row} in a row"
        say(
            f"Connect Four {board_name(label)} against {agent.name}. You are "
            f"{'x (first)' if human == 0 else 'o (second)'}; type a column letter."
        )
    else:
        size = env.size
        edges = "top and bottom" if human == 0 else "left and right"
        say(
            f"Hex {size}x{size} against {agent.name}. You are {COLOURS[human]} "
            f"({'X' if human == 0 else 'O'}) and join {edges}; {COLOURS[0]} moves first."
        )
    say(_COMMANDS)
    redraw = True
    while True:
        if redraw:
            say()
            say(render(state))
            redraw = False
        if bool(state.terminated):
            winner = int(state.winner)
            if winner < 0:
                say("Draw: the board is full.")
                return winner
            if winner == human:
                say(f"You win! {COLOURS[human].capitalize()} has joined {edges}.")
            else:
                say(f"{agent.name} wins ({COLOURS[winner]}). You lose.")
            return winner
        if int(state.current_player) != human:
            key, agent_key = jax.random.split(key)
            analysis = _analyse(agent, state, env, agent_key, for_human=False)
            say(f"{agent.name} plays {to_text(analysis.action)}")
            for line in analysis.lines:
                say(line)
            state = step(state, analysis.action)
            redraw = True
            continue
        output.write(f"{COLOURS[human]} to move> ")
        output.flush()
        line = next(lines, None)
        if line is None:
            say()
            say("End of input: game abandoned.")
            return None
        if echo:
            say(line.rstrip("\n"))
        command = line.strip().lower()
        if not command:
            continue
        if command in ("quit", "exit", "q"):
            say("Game abandoned.")
            return None
        if command in ("help", "?"):
            say(_COMMANDS)
            continue
        if command == "undo":
            if not history:
                say("Nothing to undo.")
                continue
            state = history.pop()
            say("Took back your last move and the reply.")
            redraw = True
            continue
        if command == "hint":
            key, hint_key = jax.random.split(key)
            analysis = _analyse(agent, state, env, hint_key, for_human=True)
            say(f"hint: {to_text(analysis.action)}")
            for text in analysis.lines:
                say(text)
            continue
        try:
            action = from_text(command)
        except ValueError as error:
            say(f"{error} ({_COMMANDS})")
            continue
        if not bool(np.asarray(state.legal_action_mask)[action]):
            if hasattr(env, "x_in_row"):
                say(f"Column {to_text(action)} is full; choose another.")
            elif action == env.num_cells:
                say("The swap is only legal as the second move of the game.")
            else:
                say(f"{to_text(action)} is already taken; choose an empty cell.")
            continue
        history.append(state)
        state = step(state, action)
        redraw = True


def run(args: argparse.Namespace) -> int:
    import sys

    import jax

    agent, env = build_agent(args.agent, args.board, args.simulations)
    play_session(
        env,
        agent,
        args.color,
        iter(sys.stdin.readline, ""),
        sys.stdout,
        jax.random.key(args.seed),
        echo=not sys.stdin.isatty(),
    )
    return 0
