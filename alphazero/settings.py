"""The settings of one training run, with defaults in code (see `alphazero.config` for loading)."""

from __future__ import annotations

import dataclasses
import math

from alphazero.config import choice, require

FAMILIES = ("mlp", "resnet")
DTYPES = ("float32", "bfloat16")
ALGORITHMS = ("gumbel", "puct")
BACKENDS = ("auto", "native", "mctx")  # native: alphazero.native_search, same decisions as mctx
SCHEDULES = ("jones", "xla")


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
    noise at the root (``dirichlet_alpha`` 0 means Jones's 10 / number of cells).

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

    def __post_init__(self):
        choice(self.algorithm, ALGORITHMS, "search.algorithm")
        choice(self.backend, BACKENDS, "search.backend")
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
        require(self.first >= 0, "snapshots.first must be 0 or more")
        choice(self.schedule, SCHEDULES, "snapshots.schedule")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """One training run: one network on one board up to a compute ``budget`` (FLOPs in the
    snapshot schedule's unit; 0 means the board's upper bound from Jones's paper)."""

    game: str = "hex"
    board_size: int = 4
    swap: bool = False
    seed: int = 0
    budget: float = 0.0
    network: NetworkConfig = NetworkConfig()
    search: SearchConfig = SearchConfig()
    selfplay: SelfPlayConfig = SelfPlayConfig()
    learner: LearnerConfig = LearnerConfig()
    snapshots: SnapshotConfig = SnapshotConfig()

    def __post_init__(self):
        choice(self.game, ("hex",), "game")
        require(
            2 <= self.board_size <= 26,
            f"board_size must be between 2 and 26, got {self.board_size}",
        )
        require(
            math.isfinite(self.budget) and self.budget >= 0,
            f"budget must be a finite number of FLOPs, 0 or more, got {self.budget:g}",
        )
        require(
            self.learner.buffer_steps >= self.board_size**2 + int(self.swap) + 1,
            f"learner.buffer_steps must be longer than a game ({self.board_size**2 + 1} moves), "
            f"got {self.learner.buffer_steps}",
        )
