"""`boardscale show`: draw a Hex or Connect Four game (PNG or SVG), optionally with an agent's
search over it.

    boardscale show --board 4 --moves "b2 c3 a1" --out game.png --numbers
    boardscale show --moves "b2 c3" --out view.svg --agent runs/r0/snapshots/snapshot-020.ckpt
    boardscale show --board c4-4x5-3 --moves "c c d" --out c4.png --numbers
    boardscale show --moves "c b" --out c4.svg --agent runs/c4-4x5-3-mlp-8x1-s0/snapshots/...

With ``--agent`` the moves are coloured by the agent's search policy at the final position (Hex:
the empty cells; Connect Four: a row of squares above the columns, a move being a column), and the
title gives its value estimate for the side to move, labelled with what it is (see
`weights_label`): a PUCT search's visit share, a Gumbel search's improved policy
softmax(prior logits + completed Q), or the raw network policy at 0 simulations. ``--agent random`` uses an
untrained network (random weights) with the same search, which shows what search alone does.
Connect Four moves are column letters (``a`` is the left column); its discs are red for the first
player (x) and yellow for the second (o).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from boardscale_core.files import atomic_output

HELP = (
    "draw a Hex or Connect Four game as PNG or SVG, optionally with an agent's search policy as a "
    "heat map"
)

FORMATS = (".png", ".svg")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--board",
        type=lambda text: int(text) if text.strip().isdigit() else text.strip(),
        default=None,
        help="board: Hex's size, or a Connect Four label such as c4-4x5-3 (default: the "
        "snapshot's board, else Hex 4)",
    )
    parser.add_argument(
        "--moves",
        default="",
        help='the moves from the empty board, e.g. "b2 c3 a1" for Hex or "c c d" (columns) for '
        "Connect Four (spaces or commas)",
    )
    parser.add_argument("--out", required=True, help="output file, .png or .svg")
    parser.add_argument("--numbers", action="store_true", help="number the stones by move")
    parser.add_argument(
        "--agent",
        default=None,
        metavar="SNAPSHOT|random",
        help="draw this agent's search policy at the final position ('random': an untrained "
        "network)",
    )
    parser.add_argument(
        "--simulations",
        type=int,
        default=64,
        help="search simulations for --agent (default: 64)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed for --agent (default: 0)")
    parser.add_argument("--title", default=None, help="title above the board")


def parse_moves(text: str, size: int, swap: bool = False) -> list[int]:
    """Actions of a move list like ``"b2 c3, a1"``."""
    from games import text_to_action

    moves = []
    for index, word in enumerate(text.replace(",", " ").split()):
        try:
            moves.append(text_to_action(word, size, swap=swap))
        except ValueError as error:
            raise ValueError(f"--moves: move {index + 1}: {error}") from None
    return moves


def weights_label(algorithm: str, simulations: int) -> str:
    """What an agent's action weights (`NetworkAgent.analyse`) are, in words, for a label.

    PUCT's weights are the root's visit shares; Gumbel MuZero's are its improved policy,
    softmax(prior logits + sigma(completed Q)), not visit counts; with 0 simulations there is no
    search and the weights are the network's policy."""
    if simulations == 0:
        return "network policy (no search)"
    if algorithm == "puct":
        return "search visit share (PUCT)"
    if algorithm == "gumbel":
        return "search policy: softmax(prior + completed Q) (Gumbel)"
    raise ValueError(f"unknown search algorithm {algorithm!r}")


def agent_weights_label(agent) -> str:
    """`weights_label` for a `NetworkAgent`."""
    return weights_label(agent.kind.config.search.algorithm, agent.simulations)


def _agent(spec: str, board: int | str | None, simulations: int, seed: int):
    from alphazero import LearnerConfig, TrainConfig, load_agent, untrained_agent
    from analysis.store import board_name

    if simulations < 0:
        raise ValueError(f"--simulations must be 0 or more, got {simulations}")
    if spec == "random":
        if isinstance(board, str):
            env = _connect_four(board)
            config = TrainConfig(
                game="connect_four",
                board_size=env.size_label,
                x_in_row=env.x_in_row,
                learner=LearnerConfig(buffer_steps=max(64, env.num_cells + 2)),
            )
        else:
            size = 4 if board is None else board
            config = TrainConfig(
                board_size=size, learner=LearnerConfig(buffer_steps=max(64, size * size + 2))
            )
        return untrained_agent(config, simulations, seed=seed)
    agent = load_agent(spec, simulations=simulations)
    if board is not None and board != agent.board_size:
        raise ValueError(
            f"--board {board} does not match the snapshot, which plays "
            f"{board_name(agent.board_size)}"
        )
    return agent


def _connect_four(label: str):
    """The Connect Four game a ``--board`` label names; a one-line error for anything else."""
    import games

    try:
        env = games.make_board(label)
    except ValueError as error:
        raise ValueError(f"--board: {error}") from None
    if not hasattr(env, "x_in_row"):
        raise ValueError(f"--board {label!r} is not a Connect Four label such as c4-4x5-3")
    return env


def parse_columns(text: str, env) -> list[int]:
    """Actions of a Connect Four move list like ``"c c, d"`` (column letters)."""
    moves = []
    for index, word in enumerate(text.replace(",", " ").split()):
        try:
            moves.append(env.text_to_action(word))
        except ValueError as error:
            raise ValueError(f"--moves: move {index + 1}: {error}") from None
    return moves


def save_figure(figure, path: str | Path) -> Path:
    """Write ``figure`` to ``path`` (.png or .svg) atomically: a failed write leaves no file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"--out must end in .png or .svg, got {str(path)!r}")
    if not path.parent.exists():
        raise ValueError(f"--out: the folder {str(path.parent)!r} does not exist")
    with atomic_output(path, "wb", make_parents=False) as handle:
        figure.savefig(handle, format=suffix[1:], bbox_inches="tight", dpi=150)
    return path


def run(args: argparse.Namespace) -> int:

    from games.draw import draw_position, replay

    if Path(args.out).suffix.lower() not in FORMATS:
        raise ValueError(f"--out must end in .png or .svg, got {args.out!r}")
    if isinstance(args.board, str):
        _connect_four(args.board)  # a bad label fails before any agent is built
    agent = None
    swap = False
    if args.agent is not None:
        agent = _agent(args.agent, args.board, args.simulations, args.seed)
        if isinstance(agent.board_size, str):
            return _show_connect_four(args, _connect_four(agent.board_size), agent)
        size = agent.board_size
        swap = bool(agent.kind.config.swap)
    elif isinstance(args.board, str):
        return _show_connect_four(args, _connect_four(args.board), None)
    else:
        size = 4 if args.board is None else args.board
    moves = parse_moves(args.moves, size, swap)
    try:
        board, numbers, winner = replay(size, moves)
    except ValueError as error:
        raise ValueError(f"--moves: {str(error).removeprefix('draw: ')}") from None
    count = len(moves)
    title = args.title or f"Hex {size}x{size}, {count} move{'s' if count != 1 else ''}"
    if winner >= 0 and args.title is None:
        title += ", black wins" if winner == 0 else ", white wins"
    heat = None
    if agent is not None:
        import games

        if winner >= 0:
            raise ValueError("--agent: the game is over, there is no move to analyse")
        env = games.make("hex", size=size, swap=swap)
        heat, line = _analyse(agent, env, moves, args.seed, size * size, ("black", "white"))
        if args.title is None:
            title += line
    figure = draw_position(
        size,
        board,
        numbers if args.numbers else None,
        heat=heat,
        title=title,
        heat_label=agent_weights_label(agent) if agent is not None else "weight",
    )
    path = save_figure(figure, args.out)
    print(f"wrote {path}")
    return 0


def _analyse(agent, env, moves, seed: int, cells: int, players: tuple[str, str]):
    """(heat [cells] float64, title line): ``agent``'s search weights at the position after
    ``moves`` and the line naming the mover (``players``) and the root and network values."""
    import jax
    import numpy as np

    step = jax.jit(env.step)
    state = env.init(jax.random.key(0))
    for action in moves:
        state = step(state, action)
    batch = jax.tree.map(lambda x: x[None], state)
    weights, root_value, raw_value = agent.analyse(jax.random.key(seed), batch)
    heat = np.asarray(weights[0, :cells], np.float64)
    mover = players[int(state.current_player)]
    line = (
        f"\n{agent.name}: {mover} to move, value {float(root_value[0]):+.2f} "
        f"(network {float(raw_value[0]):+.2f})"
    )
    return heat, line


def _show_connect_four(args: argparse.Namespace, env, agent) -> int:
    """`run` for a Connect Four board: replay the columns, draw the discs and, with an agent, its
    policy over the columns and its value."""

    from analysis.boards import board_caption
    from games.draw import draw_connect_four_position, replay_connect_four

    moves = parse_columns(args.moves, env)
    try:
        board, numbers, winner, finished = replay_connect_four(env, moves)
    except ValueError as error:
        raise ValueError(f"--moves: {str(error).removeprefix('draw: ')}") from None
    count = len(moves)
    title = args.title or (
        f"{board_caption(env.board_label)}, {count} move{'s' if count != 1 else ''}"
    )
    if args.title is None and finished:
        title += ", a draw" if winner < 0 else (", x wins" if winner == 0 else ", o wins")
    heat = None
    if agent is not None:
        if finished:
            raise ValueError("--agent: the game is over, there is no move to analyse")
        heat, line = _analyse(agent, env, moves, args.seed, env.columns, ("x", "o"))
        if args.title is None:
            title += line
    figure = draw_connect_four_position(
        env,
        board,
        numbers if args.numbers else None,
        heat=heat,
        title=title,
        heat_label=agent_weights_label(agent) if agent is not None else "weight",
    )
    path = save_figure(figure, args.out)
    print(f"wrote {path}")
    return 0
