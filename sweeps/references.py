"""The reference players, all in one place: uniform random (`RandomAgent`), OpenSpiel's MCTS
(`MCTSAgent`) and perfect play from the exact solver (`SolverAgent`, on `games.solver.Solver`).
`make_reference` builds one by kind, for tournaments and for `boardscale play`.

    agent = make_reference("mcts", board_size=5, simulations=100)
    actions = agent.act(key, states)   # states: HexState batched [B]; actions [B] int32

Every reference has the duck-typed interface of the network agents (`alphazero.agents`:
``board_size``, ``name``, ``simulations`` and ``act``), so `alphazero.match.play_match` can pit them against network
agents. They are fixed anchors on the Elo scale: their strength does not depend on anything trained.

`MCTSAgent` is OpenSpiel's pure-Python MCTS (`open_spiel.python.algorithms.mcts.MCTSBot`) with
one random rollout per leaf (``RandomRolloutEvaluator(n_rollouts=1)``), ``uct_c = 2`` and no
solving of proven nodes: the classic rollout-MCTS ladder of Jones's paper. It plays on the host, one
position at a time, converting each `HexState` to a pyspiel state by replaying its stones. Its
random number generator is seeded from the ``key`` passed to ``act`` (and the agent's ``seed``), so
a match is reproducible from its key.

Connect Four (a board label ``'c4-RxC-X'``, see `games.board_label`) has the same three:
`ConnectFourMCTSAgent` is the same OpenSpiel MCTS on OpenSpiel's ``connect_four`` with the same
parameters (its ``rows``, ``columns`` and ``x_in_row`` set to the board's), and
`ConnectFourSolverAgent` plays perfectly with `games.ConnectFourSolver` on boards it solves
quickly (at most 20 cells).

Letters: B = batch of states, A = size * size cells.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from games.hex import BLACK, WHITE
from games.solver import Solver
from games.solver import board_to_bits as solver_bits

REFERENCE_KINDS = ("random", "mcts", "solver")
UCT_C = 2.0


@functools.cache
def _openspiel_game(board_size: int):
    import pyspiel

    return pyspiel.load_game("hex", {"board_size": int(board_size), "swap": False})


def _key_words(key) -> list[int]:
    """The raw uint32 words of a JAX key (typed or legacy ``uint32[2]``)."""
    if jnp.issubdtype(getattr(key, "dtype", np.uint32), jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    return np.asarray(key, dtype=np.uint32).ravel().tolist()


def host_random_state(key, seed: int = 0) -> np.random.RandomState:
    """A NumPy ``RandomState`` determined by a JAX ``key`` and an integer ``seed``."""
    words = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, *_key_words(key)]).generate_state(4)
    return np.random.RandomState(words)


def to_openspiel(board, board_size: int):
    """The pyspiel Hex state (no swap) of a board: ``board`` [A] ints, 0 empty / 1 black / 2 white.

    Hex has no captures, so playing black's and white's stones alternately (black first) rebuilds
    the position. A position without a winning chain never completes one on the way, because a
    subset of its stones connects nothing either. Raises ValueError when the stone counts cannot
    come from a game without the swap (black has as many stones as white, or one more).
    """
    board = np.asarray(board).reshape(-1)
    cells = board_size * board_size
    if board.shape[0] != cells:
        raise ValueError(
            f"references: expected a board of {cells} cells for size {board_size}, "
            f"got {board.shape[0]}"
        )
    black = np.flatnonzero(board == BLACK).tolist()
    white = np.flatnonzero(board == WHITE).tolist()
    if not 0 <= len(black) - len(white) <= 1:
        raise ValueError(
            f"references: {len(black)} black and {len(white)} white stones cannot come from a "
            "game without the swap rule (the swap rule is not supported)"
        )
    state = _openspiel_game(board_size).new_initial_state()
    for ply in range(len(black) + len(white)):
        state.apply_action(int(black[ply // 2] if ply % 2 == 0 else white[ply // 2]))
    return state


def openspiel_board(state, board_size: int) -> np.ndarray:
    """The board [A] int8 (0 empty, 1 black, 2 white) of a pyspiel Hex state, read from its
    observation tensor (9 planes of cell states, -4..4; positive is black, negative white)."""
    planes = np.asarray(state.observation_tensor(0), np.float32).reshape(9, -1)
    code = planes.argmax(axis=0) - 4
    return np.where(code > 0, BLACK, np.where(code < 0, WHITE, 0)).astype(np.int8)


def _check_batch(states, board_size: int, who: str) -> tuple[np.ndarray, np.ndarray]:
    boards = np.asarray(states.board)
    cells = board_size * board_size
    if boards.ndim != 2 or boards.shape[1] != cells:
        raise ValueError(
            f"{who}: expected boards of shape [B, {cells}] for size {board_size}, "
            f"got {list(boards.shape)}"
        )
    if np.asarray(states.legal_action_mask).shape[-1] != cells:
        raise ValueError(f"{who}: the swap rule is not supported")
    return boards, np.asarray(states.terminated)


def _check_mcts_simulations(agent) -> None:
    """An MCTS agent's ``simulations`` checked (at least 1) and made an int, and its ``name``
    defaulted to ``'mcts-<simulations>'``."""
    if isinstance(agent.simulations, bool) or int(agent.simulations) < 1:
        raise ValueError(f"mcts: simulations must be at least 1, got {agent.simulations!r}")
    object.__setattr__(agent, "simulations", int(agent.simulations))
    if agent.name is None:
        object.__setattr__(agent, "name", f"mcts-{agent.simulations}")


def _mcts_bot(spiel_game, simulations: int, random_state: np.random.RandomState):
    """OpenSpiel's rollout MCTS on ``spiel_game``: ``simulations`` per move, one random rollout
    per leaf, UCT constant `UCT_C`, no solving, all randomness from ``random_state``."""
    from open_spiel.python.algorithms import mcts

    return mcts.MCTSBot(
        spiel_game,
        uct_c=UCT_C,
        max_simulations=simulations,
        evaluator=mcts.RandomRolloutEvaluator(n_rollouts=1, random_state=random_state),
        solve=False,
        random_state=random_state,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class MCTSAgent:
    """OpenSpiel's rollout MCTS with ``simulations`` simulations per move.

    ``act(key, states) -> actions [B] int32`` for a batch of `HexState` without the swap rule;
    finished games get action 0 (stepping a finished game is a no-op). The default name is
    ``"mcts-<simulations>"``.
    """

    board_size: int
    simulations: int
    name: str | None = None
    seed: int = 0

    def __post_init__(self):
        _check_mcts_simulations(self)
        if not 2 <= int(self.board_size) <= 26:
            raise ValueError(f"mcts: board_size must be between 2 and 26, got {self.board_size}")
        object.__setattr__(self, "board_size", int(self.board_size))

    def act(self, key: jax.Array, states) -> jax.Array:
        """Actions [B] int32 for ``states`` (`HexState` batched [B])."""
        boards, terminated = _check_batch(states, self.board_size, "mcts")
        random_state = host_random_state(key, self.seed)
        bot = _mcts_bot(_openspiel_game(self.board_size), self.simulations, random_state)
        actions = np.zeros(boards.shape[0], np.int32)
        for index, board in enumerate(boards):
            if not terminated[index]:
                actions[index] = bot.step(to_openspiel(board, self.board_size))
        return jnp.asarray(actions)


@dataclasses.dataclass(frozen=True, eq=False)
class RandomAgent:
    """Uniformly random legal moves (the 0-Elo anchor). ``board_size`` is the board's label
    (`games.board_label`): Hex's integer size, or ``'c4-RxC-X'``."""

    board_size: int | str
    name: str = "random"
    simulations: int = 0
    # Its policy is one compiled program over any batch of games, padded ones included
    # (`alphazero.match` hands host players only their real games).
    acts_on_device: ClassVar[bool] = True

    def act(self, key: jax.Array, states) -> jax.Array:
        return _random_program()(key, states.legal_action_mask)


@functools.cache
def _random_program():
    def act(key, legal):
        logits = jnp.where(legal, 0.0, -jnp.inf)
        # A finished game has no legal move; any action is ignored there.
        logits = jnp.where(legal.any(axis=-1, keepdims=True), logits, 0.0)
        return jax.random.categorical(key, logits).astype(jnp.int32)

    return jax.jit(act)


def _rng_from_key(key) -> np.random.Generator:
    data = jax.random.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key
    return np.random.default_rng(np.asarray(data, dtype=np.uint32).ravel().tolist())


@dataclasses.dataclass(frozen=True, eq=False)
class SolverAgent:
    """Perfect play on small boards: ``act(key, states) -> actions [B] int32``.

    In a won position it picks uniformly (driven by ``key``) among the winning moves. In a lost
    position it avoids moves that let the opponent connect at once when it can (it blocks a single
    immediate threat) and otherwise picks uniformly among legal moves. Finished games get action 0
    (stepping a finished game is a no-op). Same duck-typed interface as the AlphaZero agents:
    ``name``, ``board_size``, ``simulations`` (0) and ``act``.
    """

    solver: Solver
    name: str = "solver"
    simulations: int = 0

    @property
    def board_size(self) -> int:
        return self.solver.size

    def choose(self, rng: np.random.Generator, position) -> int:
        """One move for one unfinished position (see the class docstring for the rule)."""
        solver = self.solver
        black, white = solver.position(position)
        black_to_move = solver.check(black, white)
        winning = sorted(solver.winning_moves((black, white)))
        if winning:
            return int(rng.choice(winning))
        empty = solver.full ^ (black | white)
        legal = [cell for cell in range(solver.num_cells) if (empty >> cell) & 1]
        if not legal:
            raise ValueError("solver: no legal move in a full board")
        theirs = white if black_to_move else black
        threats = solver.completing_cells(theirs, empty, not black_to_move)
        if threats and threats & (threats - 1) == 0:
            return threats.bit_length() - 1
        return int(rng.choice(legal))

    def act(self, key: jax.Array, states) -> jax.Array:
        """Actions [B] int32 for a batch of `HexState` (``board`` [B, A], ``terminated`` [B])."""
        boards = np.asarray(states.board)
        cells = self.solver.num_cells
        if boards.ndim != 2 or boards.shape[1] != cells:
            raise ValueError(
                f"solver agent: expected boards of shape [B, {cells}], got {list(boards.shape)}"
            )
        if np.asarray(states.legal_action_mask).shape[-1] != cells:
            raise ValueError("solver agent: the swap rule is not supported")
        terminated = np.asarray(states.terminated)
        rng = _rng_from_key(key)
        actions = np.zeros(boards.shape[0], np.int32)
        for index, board in enumerate(boards):
            if not terminated[index]:
                actions[index] = self.choose(rng, solver_bits(board, self.solver.size))
        return jnp.asarray(actions)


@functools.cache
def _openspiel_connect_four(rows: int, columns: int, x_in_row: int):
    import pyspiel

    return pyspiel.load_game(
        "connect_four", {"rows": rows, "columns": columns, "x_in_row": x_in_row}
    )


def connect_four_moves(board, rows: int, columns: int) -> list[int]:
    """A move list (columns, x first, alternating) that builds ``board`` ([rows * columns] ints:
    0 empty, 1 x, 2 o; row 0 at the bottom) under gravity. A position without a line has every
    such order free of lines (a subset of its stones makes no line either). Raises ValueError
    when no alternating order exists (floating stones, or counts no game can give)."""
    grid = np.asarray(board).reshape(rows, columns)
    filled = (grid != 0).sum(axis=0)
    for col in range(columns):
        if (grid[filled[col] :, col] != 0).any():
            raise ValueError(f"references: column {col} has a stone above an empty cell")
    crosses, noughts = int((grid == 1).sum()), int((grid == 2).sum())
    if not 0 <= crosses - noughts <= 1:
        raise ValueError(f"references: {crosses} x and {noughts} o stones cannot come from a game")
    total = crosses + noughts
    dead: set[tuple[int, ...]] = set()
    moves: list[int] = []

    def extend(heights: list[int]) -> bool:
        if len(moves) == total:
            return True
        key = tuple(heights)
        if key in dead:
            return False
        colour = 1 + len(moves) % 2
        for col in range(columns):
            if heights[col] < filled[col] and grid[heights[col], col] == colour:
                heights[col] += 1
                moves.append(col)
                if extend(heights):
                    return True
                moves.pop()
                heights[col] -= 1
        dead.add(key)
        return False

    if not extend([0] * columns):
        raise ValueError("references: no alternating order of moves builds this board")
    return moves


@dataclasses.dataclass(frozen=True, eq=False)
class ConnectFourMCTSAgent:
    """OpenSpiel's rollout MCTS (the parameters of `MCTSAgent`) on its ``connect_four`` with this
    board's rows, columns and x_in_row. ``board_size`` is the board label (``'c4-RxC-X'``)."""

    game: Any  # games.ConnectFour
    simulations: int
    name: str | None = None
    seed: int = 0

    def __post_init__(self):
        _check_mcts_simulations(self)

    @property
    def board_size(self) -> str:
        return self.game.board_label

    def act(self, key: jax.Array, states) -> jax.Array:
        """Actions [B] int32 for a batch of `games.ConnectFourState`."""
        game = self.game
        spiel_game = _openspiel_connect_four(game.rows, game.columns, game.x_in_row)
        bot = _mcts_bot(spiel_game, self.simulations, host_random_state(key, self.seed))
        boards, terminated = np.asarray(states.board), np.asarray(states.terminated)
        actions = np.zeros(boards.shape[0], np.int32)
        for index, board in enumerate(boards):
            if terminated[index]:
                continue
            state = spiel_game.new_initial_state()
            for move in connect_four_moves(board, game.rows, game.columns):
                state.apply_action(move)
            actions[index] = bot.step(state)
        return jnp.asarray(actions)


@dataclasses.dataclass(frozen=True, eq=False)
class ConnectFourSolverAgent:
    """Perfect play (`games.ConnectFourSolver`): uniformly (driven by ``key``) among the moves
    that keep the position's value; finished games get action 0."""

    solver: Any  # games.ConnectFourSolver
    name: str = "solver"
    simulations: int = 0

    @property
    def board_size(self) -> str:
        return self.solver.game.board_label

    def act(self, key: jax.Array, states) -> jax.Array:
        rng = np.random.default_rng(host_random_state(key).randint(0, 2**31 - 1))
        boards, terminated = np.asarray(states.board), np.asarray(states.terminated)
        actions = np.zeros(boards.shape[0], np.int32)
        for index, board in enumerate(boards):
            if not terminated[index]:
                actions[index] = int(rng.choice(self.solver.best_moves(board)))
        return jnp.asarray(actions)


def _connect_four_reference(kind, game, simulations, seed, allow_slow):
    if kind == "mcts":
        return ConnectFourMCTSAgent(game, simulations, seed=seed)
    from games.connect_four_solver import ConnectFourSolver

    try:
        solver = ConnectFourSolver(game.rows, game.columns, game.x_in_row, allow_slow=allow_slow)
    except ValueError as error:
        raise ValueError(f"reference 'solver' cannot play {game.board_label}: {error}") from None
    return ConnectFourSolverAgent(solver)


def make_reference(
    kind: str, board_size: int, simulations: int = 0, *, seed: int = 0, allow_slow: bool = False
):
    """The reference player ``kind`` on a ``board_size`` board.

    kind: ``'random'`` (`RandomAgent`; ``simulations`` is ignored), ``'mcts'``
    (`MCTSAgent` with ``simulations`` >= 1) or ``'solver'`` (`SolverAgent`, perfect
    play on boards the solver handles; ``allow_slow`` lets it take 5x5).

    ``board_size`` is a board label (`games.board_label`): Hex's integer size, or ``'c4-RxC-X'``
    for Connect Four, whose references are `ConnectFourMCTSAgent` and `ConnectFourSolverAgent`.
    """
    if isinstance(board_size, str) and not board_size.strip().isdigit():
        import games

        game = games.make_board(board_size)
        if kind == "random":
            return RandomAgent(game.board_label)
        if kind in ("mcts", "solver"):
            return _connect_four_reference(kind, game, simulations, seed, allow_slow)
        raise ValueError(
            f"reference kind must be one of {', '.join(REFERENCE_KINDS)}; got {kind!r}"
        )
    if kind == "random":
        return RandomAgent(int(board_size))
    if kind == "mcts":
        return MCTSAgent(board_size, simulations, seed=seed)
    if kind == "solver":
        try:
            solver = Solver(int(board_size), allow_slow=allow_slow)
        except ValueError as error:
            raise ValueError(f"reference 'solver' cannot play size {board_size}: {error}") from None
        return SolverAgent(solver)
    raise ValueError(f"reference kind must be one of {', '.join(REFERENCE_KINDS)}; got {kind!r}")
