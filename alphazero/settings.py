"""The settings of one training run, with defaults in code (see `alphazero.config` for loading)."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from alphazero.config import ConfigError, choice, require
from boardscale_core import jones

GAMES = ("hex", "connect_four")

FAMILIES = ("mlp", "resnet")
DTYPES = ("float32", "bfloat16")
ALGORITHMS = ("gumbel", "puct", "regularized")
BACKENDS = ("auto", "native", "mctx")  # native: alphazero.native_search, same decisions as mctx
SCHEDULES = ("jones", "xla")
PROFILES = ("", "jones")


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """Network family and size. ``mlp`` is Jones's residual MLP (width, depth); ``resnet`` is a small
    conv ResNet (channels, blocks). ``dtype`` is the compute dtype (parameters stay float32)."""

    family: str = "mlp"
    width: int = 8
    depth: int = 2
    channels: int = 16
    blocks: int = 2
    dtype: str = "float32"

    def __post_init__(self):
        choice(self.family, FAMILIES, "network.family")
        choice(self.dtype, DTYPES, "network.dtype")
        require(self.width >= 1, f"network.width must be at least 1, got {self.width}")
        require(self.depth >= 0, f"network.depth must be 0 or more, got {self.depth}")
        require(self.channels >= 1, f"network.channels must be at least 1, got {self.channels}")
        require(self.blocks >= 0, f"network.blocks must be 0 or more, got {self.blocks}")


@dataclasses.dataclass(frozen=True)
class SearchConfig:
    """MCTS settings. ``num_simulations`` 0 means acting on the raw policy (one network evaluation).

    gumbel: Gumbel MuZero (mctx defaults for c_visit, c_scale); puct: MuZero's PUCT with Dirichlet
    noise at the root (``dirichlet_alpha`` 0 means Jones's 10 / number of cells); regularized:
    Jones's regularised policy search (`alphazero.native_search.regularized`, native only):
    ``regularized_c`` is his c (1/16), ``regularized_sqrt`` uses c * sqrt(N) / (N + A) as Grill et
    al. instead of his code's c * N / (N + A), ``regularized_per_tree`` normalises q per game's
    tree instead of over the whole batch as his code does, and ``regularized_evaluation_noise``
    (on, as his code) puts the root noise into every search, agents under test included.

    ``backend``: ``native`` (`alphazero.native_search`: the same decisions as mctx for the same
    keys, faster at every simulation count measured on a CPU, up to 3x), ``mctx``, or ``auto``
    (the default: native from `alphazero.search.NATIVE_FROM_SIMULATIONS` simulations on, else
    mctx; at present native from 1)."""

    algorithm: str = "gumbel"
    num_simulations: int = 16
    max_num_considered_actions: int = 16
    gumbel_scale: float = 1.0
    c_visit: float = 50.0
    c_scale: float = 0.1
    pb_c_init: float = 1.25
    pb_c_base: float = 19652.0
    dirichlet_alpha: float = 0.0
    dirichlet_fraction: float = 0.25
    backend: str = "auto"
    regularized_c: float = 1.0 / 16.0
    regularized_sqrt: bool = False
    regularized_per_tree: bool = False
    regularized_evaluation_noise: bool = True

    def __post_init__(self):
        choice(self.algorithm, ALGORITHMS, "search.algorithm")
        choice(self.backend, BACKENDS, "search.backend")
        require(
            not (self.algorithm == "regularized" and self.backend == "mctx"),
            'search.backend "mctx" has no regularized search; use "native" or "auto"',
        )
        require(self.regularized_c > 0, "search.regularized_c must be positive")
        require(
            self.num_simulations >= 0,
            f"search.num_simulations must be 0 or more, got {self.num_simulations}",
        )
        require(
            self.max_num_considered_actions >= 1,
            "search.max_num_considered_actions must be at least 1",
        )
        require(self.dirichlet_alpha >= 0, "search.dirichlet_alpha must be 0 or more")
        require(0 <= self.dirichlet_fraction <= 1, "search.dirichlet_fraction must be in [0, 1]")


@dataclasses.dataclass(frozen=True)
class SelfPlayConfig:
    """``num_envs`` games run in parallel; an iteration plays ``steps_per_iteration`` moves in each.

    ``act = "search"`` plays the search's own choice (Gumbel MuZero: its Gumbel-top-k sample, which
    keeps self-play exploring even when the search policy is sharp; PUCT: a sample of the visit
    counts). ``act = "sample"`` (the default, as Jones) samples the search policy sharpened by
    1/temperature (0 = argmax); with root noise on it explores more than Gumbel's own choice."""

    num_envs: int = 128
    steps_per_iteration: int = 4
    act: str = "sample"
    temperature: float = 1.0
    random_move_fraction: float = 0.0

    # ``random_move_fraction``: the share of self-play moves replaced by a uniformly random legal move
    # (the position and its search policy are still recorded). The value targets then price in an
    # opponent's blunders, which is what beating weak players takes; 0 is Jones's setting.

    def __post_init__(self):
        require(self.num_envs >= 1, f"selfplay.num_envs must be at least 1, got {self.num_envs}")
        require(self.steps_per_iteration >= 1, "selfplay.steps_per_iteration must be at least 1")
        choice(self.act, ("search", "sample"), "selfplay.act")
        require(self.temperature >= 0, "selfplay.temperature must be 0 or more")
        require(
            0 <= self.random_move_fraction <= 1, "selfplay.random_move_fraction must be in [0, 1]"
        )


@dataclasses.dataclass(frozen=True)
class LearnerConfig:
    """Adam on policy cross-entropy + value MSE, from a device-resident replay buffer holding the
    last ``buffer_steps`` self-play moves of every game (``buffer_steps * num_envs`` positions)."""

    learning_rate: float = 1e-3
    batch_size: int = 256
    buffer_steps: int = 64
    updates_per_iteration: int = 4
    value_loss_weight: float = 1.0
    weight_decay: float = 0.0

    def __post_init__(self):
        require(self.learning_rate > 0, "learner.learning_rate must be positive")
        require(self.batch_size >= 1, "learner.batch_size must be at least 1")
        require(self.buffer_steps >= 1, "learner.buffer_steps must be at least 1")
        require(self.updates_per_iteration >= 0, "learner.updates_per_iteration must be 0 or more")
        require(self.value_loss_weight >= 0, "learner.value_loss_weight must be 0 or more")
        require(self.weight_decay >= 0, "learner.weight_decay must be 0 or more")


@dataclasses.dataclass(frozen=True)
class SnapshotConfig:
    """``count`` snapshots at log-spaced cumulative compute from ``first`` to the budget.
    ``first`` 0 means the board's lower bound from Jones's paper (clipped below the budget).
    ``schedule`` names the compute count that places them: ``jones`` or ``xla``."""

    count: int = 21
    first: float = 0.0
    schedule: str = "jones"

    def __post_init__(self):
        require(self.count >= 1, f"snapshots.count must be at least 1, got {self.count}")
        require(
            math.isfinite(self.first) and self.first >= 0,
            f"snapshots.first must be a finite number, 0 or more, got {self.first:g}",
        )
        choice(self.schedule, SCHEDULES, "snapshots.schedule")


def jones_profile(board_size: int, swap: bool = False) -> dict[str, Any]:
    """The settings of Jones's runs (JONES.md) for one board, as a nested dict of `TrainConfig`
    keys. What cannot be matched exactly, and why:

    - Value targets: his are the reward-to-go within the 64-step chunk, bootstrapped from the
      stored value where the game has not ended inside it; ours are the game's final outcome, a
      position waiting (weight 0 in the loss) until its game ends. Our buffer therefore has to hold
      a whole game: ``learner.buffer_steps`` is 64 as his, or the board's longest game + 1 where
      that is longer (8x8: 66, 9x9: 83).
    - Learning during the buffer fill: he first fills the buffer, then takes one optimiser step per
      self-play step; we learn from the first iteration (positions of unfinished games have weight
      0). ``count_buffer_fill = false`` leaves the filling positions out of both compute counts
      and the sample count, as his accounting does.
    - Parallel games and batch: 32,768 games and a 32,768-position batch, one step per move, as his
      (the learner ratio 1); a machine that cannot hold them can lower both together (e.g. with
      ``selfplay.num_envs`` and ``learner.batch_size``), keeping the ratio.
    - Search: his regularised search (`alphazero.native_search.regularized`), 63 simulations (64
      nodes), c 1/16, his N instead of sqrt(N), q normalised over the whole batch, root Dirichlet
      noise 0.25 with concentration 10/cells at every search, evaluation included. His tree keeps
      values and rewards in float16; ours in float32.
    - Sample caps: his per-board caps (`boardscale_core.jones.SAMPLE_CAPS`); a run ends at its
      budget or its cap, whichever comes first, with a last snapshot at the cap.
    """
    return {
        "network": {"family": "mlp"},
        "search": {
            "algorithm": "regularized",
            "num_simulations": 63,
            "regularized_c": 1.0 / 16.0,
            "regularized_sqrt": False,
            "regularized_per_tree": False,
            "regularized_evaluation_noise": True,
            "dirichlet_alpha": 0.0,
            "dirichlet_fraction": 0.25,
        },
        "selfplay": {
            "num_envs": 32768,
            "steps_per_iteration": 1,
            "act": "sample",
            "temperature": 1.0,
            "random_move_fraction": 0.0,
        },
        "learner": {
            "learning_rate": 1e-3,
            "batch_size": 32768,
            "updates_per_iteration": 1,
            "buffer_steps": max(64, board_size**2 + int(swap) + 2),
            "value_loss_weight": 1.0,
            "weight_decay": 0.0,
        },
        "snapshots": {"count": 21, "first": 0.0, "schedule": "jones"},
        "sample_cap": jones.sample_cap(board_size),
        "count_buffer_fill": False,
    }


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = json.loads(json.dumps(base))
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """One training run: one network on one board up to a compute ``budget`` (FLOPs in the
    snapshot schedule's unit; 0 means the board's upper bound from Jones's paper) or a
    ``sample_cap`` (self-play positions counted; 0 means none), whichever comes first.

    ``game`` is ``"hex"`` (``board_size`` an integer S: an S x S board) or ``"connect_four"``
    (``board_size`` a string ``"ROWSxCOLUMNS"`` such as ``"4x5"``, with ``x_in_row`` stones in a
    line to win; ``x_in_row`` is Connect Four's only and stays 4 for Hex). Connect Four has no
    swap rule, no Jones profile and no Jones bounds: give its ``budget`` and
    ``snapshots.first`` explicitly.

    ``profile = "jones"`` starts from Jones's settings for the board (`jones_profile`); settings
    given explicitly override the profile's. ``count_buffer_fill = false`` leaves the positions
    that first fill the replay buffer out of the sample and compute counts (Jones's accounting).
    """

    game: str = "hex"
    board_size: int | str = 4
    swap: bool = False
    x_in_row: int = 4
    seed: int = 0
    budget: float = 0.0
    network: NetworkConfig = NetworkConfig()
    search: SearchConfig = SearchConfig()
    selfplay: SelfPlayConfig = SelfPlayConfig()
    learner: LearnerConfig = LearnerConfig()
    snapshots: SnapshotConfig = SnapshotConfig()
    profile: str = ""
    sample_cap: float = 0.0
    count_buffer_fill: bool = True

    @staticmethod
    def with_profile(data: dict[str, Any]) -> dict[str, Any]:
        """``data`` (`TrainConfig` keys) over its profile's settings; unchanged without one."""
        profile = data.get("profile") or ""
        choice(profile, PROFILES, "profile")
        if not profile or not isinstance(data.get("board_size", 4), int):
            return data
        if data.get("game", "hex") != "hex":
            raise ConfigError(f'profile "{profile}" is for Hex; game is {data.get("game")!r}')
        base = jones_profile(data.get("board_size", 4), bool(data.get("swap", False)))
        return _merged(base, data)

    def __post_init__(self):
        choice(self.game, GAMES, "game")
        choice(self.profile, PROFILES, "profile")
        require(self.sample_cap >= 0, f"sample_cap must be 0 or more, got {self.sample_cap:g}")
        if self.game == "hex":
            require(
                isinstance(self.board_size, int),
                f"board_size must be an integer for hex, got {self.board_size!r}",
            )
            require(
                2 <= self.board_size <= 26,
                f"board_size must be between 2 and 26, got {self.board_size}",
            )
            require(
                self.x_in_row == 4, f"x_in_row is a connect_four setting; hex got {self.x_in_row}"
            )
        else:
            require(
                isinstance(self.board_size, str),
                f'board_size must be "ROWSxCOLUMNS" (such as "4x5") for {self.game}, '
                f"got {self.board_size!r}",
            )
        env = self.env()
        require(
            math.isfinite(self.budget) and self.budget >= 0,
            f"budget must be a finite number of FLOPs, 0 or more, got {self.budget:g}",
        )
        require(
            self.learner.buffer_steps >= env.max_game_length + 1,
            f"learner.buffer_steps must be longer than a game ({env.max_game_length + 1} moves), "
            f"got {self.learner.buffer_steps}",
        )

    def env(self):
        """The game of this config (`games.make`); a bad size or option is a `ConfigError`."""
        import games

        options = {} if self.game == "hex" else {"x_in_row": self.x_in_row}
        try:
            return games.make(self.game, size=self.board_size, swap=self.swap, **options)
        except ValueError as error:
            raise ConfigError(str(error)) from None

    @property
    def board_label(self) -> int | str:
        """The board's label in stores and tournaments (`games.board_label`): Hex's integer
        size, or ``'c4-RxC-X'``."""
        return self.env().board_label
