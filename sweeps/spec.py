"""Sweep specs: a grid of training runs plus the tournament that rates them, from TOML.

A spec names board sizes, per board the network grid and compute budget, the seeds, settings for
every run (any `TrainConfig` key; a list value makes that setting a grid axis, e.g. the training
simulation count), the test-time simulation counts and the tournament settings:

    name = "teaching"
    # game = "connect_four"          # default "hex"; Connect Four boards are size = "ROWSxCOLUMNS"
    seeds = [0]
    vmap_seeds = true                # seeds of one network shape train as one vmapped program
    test_simulations = [0, 1, 2, 4, 8, 16]

    [train]                          # TrainConfig keys for every run; lists are grid axes
    search.num_simulations = [4, 16]
    selfplay.num_envs = 64
    # profile = "jones"              # Jones's settings first (`alphazero.settings.jones_profile`),
                                     # the keys given here over them; also allowed at the top level
    # search = [{algorithm = "gumbel"}, {algorithm = "regularized", regularized_sqrt = true}]
                                     # an axis of tables: each one's settings taken together

    [[boards]]
    size = 3                         # Connect Four: size = "4x5" and x_in_row = 3 (default 4)
    widths = [2, 8]
    depths = [1, 2]
    budget = 3e9                     # Jones FLOPs of the last snapshot; 0 = Jones's bound
    first_snapshot = 1e7             # 0 = Jones's bound for the board

    [tournament]
    games_per_pairing = 32
    target_se = 40.0
    budget_games = 20000
    mcts_simulations = [16, 64]      # OpenSpiel MCTS reference players
    solver = true                    # the exact solver joins on boards it can solve

Unknown keys and impossible values are one-line `ConfigError`s naming the key; every run's
`TrainConfig` is built and validated when the spec is loaded.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

from alphazero.config import ConfigError, from_dict, read_toml, require, set_dotted
from alphazero.settings import TrainConfig
from boardscale_core import jones

PRESETS = (
    "teaching",
    "small",
    "jones",
    "algorithms",
    "study",
    "connect-four",
    "connect-four-study",
)
SPEC_FILE = "sweep.json"
RUNS_DIR = "runs"


@dataclasses.dataclass(frozen=True)
class BoardSpec:
    """The runs on one board: ``widths`` x ``depths`` of ``family``, up to ``budget``. ``size`` is
    Hex's integer S or Connect Four's ``"ROWSxCOLUMNS"``; ``x_in_row`` is Connect Four's line
    length (4 by default; Hex leaves it at 4)."""

    size: int | str
    widths: tuple[int, ...] = (8,)
    depths: tuple[int, ...] = (2,)
    family: str = "mlp"
    budget: float = 0.0
    first_snapshot: float = 0.0
    x_in_row: int = 4

    def __post_init__(self):
        if isinstance(self.size, int):
            require(2 <= self.size <= 26, f"boards.size must be between 2 and 26, got {self.size}")
        require(len(self.widths) > 0 and min(self.widths) >= 1, "boards.widths must be >= 1")
        require(len(self.depths) > 0 and min(self.depths) >= 0, "boards.depths must be >= 0")
        require(self.family in ("mlp", "resnet"), "boards.family must be one of mlp, resnet")
        require(self.budget >= 0, "boards.budget must be 0 or more")
        require(self.first_snapshot >= 0, "boards.first_snapshot must be 0 or more")


@dataclasses.dataclass(frozen=True)
class TournamentSpec:
    """How agents are rated: games per pairing per batch, when to stop, which references join."""

    games_per_pairing: int = 32
    pairs_per_batch: int = 32
    target_se: float = 40.0
    budget_games: int = 50_000
    mcts_simulations: tuple[int, ...] = ()
    solver: bool = True
    greedy: bool = False

    def __post_init__(self):
        require(
            self.games_per_pairing >= 2 and self.games_per_pairing % 2 == 0,
            "tournament.games_per_pairing must be an even number of at least 2",
        )
        require(self.pairs_per_batch >= 1, "tournament.pairs_per_batch must be at least 1")
        require(self.target_se > 0, "tournament.target_se must be positive")
        require(self.budget_games >= 0, "tournament.budget_games must be 0 or more")
        require(
            all(s >= 1 for s in self.mcts_simulations),
            "tournament.mcts_simulations must be at least 1",
        )


@dataclasses.dataclass(frozen=True)
class RunPlan:
    """One training run of a sweep."""

    name: str
    config: TrainConfig

    @property
    def board_size(self) -> int | str:
        """The board's label (`games.board_label`): Hex's integer size, or ``'c4-RxC-X'``."""
        return self.config.board_label


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    name: str
    boards: tuple[BoardSpec, ...]
    seeds: tuple[int, ...] = (0,)
    test_simulations: tuple[int, ...] = (0, 1, 2, 4, 8, 16)
    train: dict = dataclasses.field(default_factory=dict)
    tournament: TournamentSpec = TournamentSpec()
    description: str = ""
    # Train the seeds of one config as one program, the iteration vmapped over them (local runner).
    # Not bitwise the same numbers as one run at a time: XLA rounds the batched Adam step
    # differently by about one float32 ulp (see `alphazero.training`), so this may change between
    # invocations like the tournament settings, and false trains one run at a time.
    vmap_seeds: bool = True
    game: str = "hex"

    def runs(self) -> list[RunPlan]:
        """Every run of the grid: boards x networks x seeds x axes of ``train``."""
        axes = _grid_axes(self.train)
        plans = []
        for board in self.boards:
            for width, depth, seed in itertools.product(board.widths, board.depths, self.seeds):
                for values in itertools.product(*(axis_values for _, axis_values in axes)):
                    data = json.loads(json.dumps(self.train))  # a deep copy
                    suffix = ""
                    for (key, axis_values), value in zip(axes, values, strict=True):
                        if isinstance(value, dict):  # a table of settings taken together
                            set_dotted(data, key, {})
                            for item, item_value in value.items():
                                set_dotted(data, f"{key}.{item}", item_value)
                        else:
                            set_dotted(data, key, value)
                        if len(axis_values) > 1:
                            suffix += _axis_suffix(key, value, axis_values)
                    set_dotted(data, "game", self.game)
                    set_dotted(data, "board_size", board.size)
                    if self.game != "hex":
                        set_dotted(data, "x_in_row", board.x_in_row)
                    set_dotted(data, "seed", seed)
                    set_dotted(data, "budget", board.budget)
                    set_dotted(data, "network.family", board.family)
                    if board.family == "mlp":
                        set_dotted(data, "network.width", width)
                        set_dotted(data, "network.depth", depth)
                    else:
                        set_dotted(data, "network.channels", width)
                        set_dotted(data, "network.blocks", depth)
                    if board.first_snapshot:
                        set_dotted(data, "snapshots.first", board.first_snapshot)
                    config = from_dict(TrainConfig, data)
                    name = f"{_board_prefix(config)}-{board.family}-{width}x{depth}{suffix}-s{seed}"
                    plans.append(RunPlan(name, config))
        return plans

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["boards"] = [dataclasses.asdict(board) for board in self.boards]
        return json.loads(json.dumps(data))


def _board_prefix(config: TrainConfig) -> str:
    """A run name's board part: ``hex5`` (as before), or the label, e.g. ``c4-4x5-3``."""
    return f"hex{config.board_size}" if config.game == "hex" else str(config.board_label)


def _axis_suffix(key: str, value, axis_values: list) -> str:
    """The run-name part of one grid axis value: ``-simulations16``; for a table of settings, the
    settings that differ along the axis, strings as themselves and the rest as ``keyvalue``
    (``-regularized-regularized_sqrtTrue``)."""
    if isinstance(value, dict):
        parts = [
            item_value if isinstance(item_value, str) else f"{item}{item_value}"
            for item, item_value in value.items()
            if any(
                not isinstance(other, dict) or other.get(item) != item_value
                for other in axis_values
            )
        ]
        return "-" + "-".join(parts)
    return f"-{key.rsplit('.', 1)[-1]}{value}"


def _grid_axes(tree: dict, prefix: str = "") -> list[tuple[str, list]]:
    axes = []
    for key, value in sorted(tree.items()):
        if isinstance(value, dict):
            axes += _grid_axes(value, f"{prefix}{key}.")
        elif isinstance(value, list):
            if not value:
                raise ConfigError(f"train.{prefix}{key}: a grid axis needs at least one value")
            axes.append((f"{prefix}{key}", value))
    return axes


_TOP_KEYS = {
    "name",
    "description",
    "profile",
    "seeds",
    "vmap_seeds",
    "test_simulations",
    "train",
    "boards",
    "tournament",
    "game",
}


def _tuple(value, key: str, kind=int) -> tuple:
    values = value if isinstance(value, list) else [value]
    try:
        return tuple(kind(v) for v in values)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a list of {kind.__name__}s, got {value!r}") from None


def spec_from_dict(data: dict[str, Any]) -> SweepSpec:
    """Build and validate a spec (every run's config included)."""
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown sweep key {unknown[0]!r}; allowed: {', '.join(sorted(_TOP_KEYS))}"
        )
    boards = []
    for position, board in enumerate(data.get("boards", [])):
        if not isinstance(board, dict):
            raise ConfigError(f"boards[{position}] must be a table")
        fields = {f.name for f in dataclasses.fields(BoardSpec)}
        extra = sorted(set(board) - fields)
        if extra:
            raise ConfigError(
                f"unknown key boards[{position}].{extra[0]}; allowed: {', '.join(sorted(fields))}"
            )
        board = dict(board)
        for key in ("widths", "depths"):
            if key in board:
                board[key] = _tuple(board[key], f"boards[{position}].{key}")
        if "size" not in board:
            raise ConfigError(f"boards[{position}] needs a size")
        if "size" in board and not isinstance(board["size"], int | str):
            raise ConfigError(f"boards[{position}].size must be an integer or 'ROWSxCOLUMNS'")
        boards.append(BoardSpec(**board))
    require(boards, "a sweep needs at least one [[boards]] entry")
    game = data.get("game", "hex")
    require(game in ("hex", "connect_four"), f"game must be one of hex, connect_four; got {game!r}")
    for position, board in enumerate(boards):
        if game == "hex":
            require(
                isinstance(board.size, int),
                f"boards[{position}].size must be an integer for hex, got {board.size!r}",
            )
            require(board.x_in_row == 4, f"boards[{position}].x_in_row is a connect_four setting")
        else:
            require(
                isinstance(board.size, str),
                f'boards[{position}].size must be "ROWSxCOLUMNS" (such as "4x5") for {game}, '
                f"got {board.size!r}",
            )
            require(
                board.budget > 0 and board.first_snapshot > 0,
                f"boards[{position}]: {game} has no default compute bounds (Jones's are Hex's); "
                "set budget and first_snapshot",
            )
    sizes = [(board.size, board.x_in_row) for board in boards]
    require(len(set(sizes)) == len(sizes), f"boards repeat a size: {sizes}")
    tournament = dict(data.get("tournament", {}))
    fields = {f.name for f in dataclasses.fields(TournamentSpec)}
    extra = sorted(set(tournament) - fields)
    if extra:
        raise ConfigError(
            f"unknown key tournament.{extra[0]}; allowed: {', '.join(sorted(fields))}"
        )
    if "mcts_simulations" in tournament:
        tournament["mcts_simulations"] = _tuple(
            tournament["mcts_simulations"], "tournament.mcts_simulations"
        )
    train = data.get("train", {})
    if not isinstance(train, dict):
        raise ConfigError("train must be a table of TrainConfig settings")
    if "profile" in data:  # shorthand for [train] profile: the profile of every run
        if "profile" in train and train["profile"] != data["profile"]:
            raise ConfigError("profile is set both at the top level and under [train]")
        train = {**train, "profile": data["profile"]}
    for key in ("game", "board_size", "x_in_row", "seed", "budget"):
        if key in train:
            raise ConfigError(f"train.{key} is set per board or by seeds, not under [train]")
    seeds = _tuple(data.get("seeds", [0]), "seeds")
    test_simulations = _tuple(data.get("test_simulations", [0, 1, 2, 4, 8, 16]), "test_simulations")
    require(seeds, "seeds must not be empty")
    vmap_seeds = data.get("vmap_seeds", True)
    if not isinstance(vmap_seeds, bool):
        raise ConfigError(f"vmap_seeds must be true or false, got {vmap_seeds!r}")
    require(
        test_simulations and min(test_simulations) >= 0,
        "test_simulations must be a non-empty list of counts >= 0",
    )
    spec = SweepSpec(
        name=str(data.get("name", "sweep")),
        description=str(data.get("description", "")),
        boards=tuple(boards),
        seeds=seeds,
        vmap_seeds=vmap_seeds,
        test_simulations=tuple(sorted(set(test_simulations))),
        train=train,
        tournament=TournamentSpec(**tournament),
        game=game,
    )
    try:
        runs = spec.runs()  # validates every run's config
    except ConfigError as error:
        raise ConfigError(f"train: {error}") from None
    names = [run.name for run in runs]
    require(len(set(names)) == len(names), "two runs of the grid share a name")
    return spec


def preset_path(name: str) -> Path:
    return Path(__file__).resolve().parent / "presets" / f"{name}.toml"


def load_spec(spec_or_preset: str) -> SweepSpec:
    """A spec from a TOML file path or a preset name."""
    if spec_or_preset in PRESETS:
        return spec_from_dict(read_toml(preset_path(spec_or_preset)))
    path = Path(spec_or_preset)
    if not path.exists():
        raise ConfigError(
            f"{spec_or_preset!r} is neither a spec file nor a preset ({', '.join(PRESETS)})"
        )
    return spec_from_dict(read_toml(path))


def save_spec(spec: SweepSpec, sweep_dir: str | Path) -> None:
    """Store the resolved spec in the sweep folder, refusing to mix two different sweeps. The
    tournament settings may change between invocations (they decide what is played next, never
    what is stored); the folder then records the latest."""
    from boardscale_core.files import atomic_write_bytes

    path = Path(sweep_dir) / SPEC_FILE
    data = spec.to_dict()
    if path.exists():
        stored = read_sweep_spec(sweep_dir).to_dict()  # settings added since at their defaults
        if _without_tournament(stored) != _without_tournament(data):
            raise ConfigError(
                f"{sweep_dir} holds a different sweep ({stored.get('name')!r}); use another --out"
            )
        if stored == data:
            return
        # Only the tournament's settings changed (a target, a budget, which references join):
        # they decide how many games are played next, never what is stored already.
    Path(sweep_dir).mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, (json.dumps(data, indent=2) + "\n").encode())


def _without_tournament(data: dict[str, Any]) -> dict[str, Any]:
    """A spec dict without the settings that may change between invocations: the tournament
    table, the description (prose) and ``vmap_seeds`` (how the remaining runs train)."""
    return {
        key: value
        for key, value in data.items()
        if key not in ("tournament", "description", "vmap_seeds")
    }


def read_sweep_spec(sweep_dir: str | Path) -> SweepSpec:
    """The spec a sweep folder was created with."""
    path = Path(sweep_dir) / SPEC_FILE
    if not path.exists():
        raise FileNotFoundError(f"{sweep_dir} is not a sweep folder (no {SPEC_FILE})")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is damaged (not the JSON a sweep writes): {error}") from None
    return spec_from_dict(data)


def estimated_cost(spec: SweepSpec) -> dict[str, float]:
    """What the grid takes: training compute in Jones's FLOPs (each run to its budget or its sample
    cap, whichever comes first), the self-play positions generated (an uncounted buffer fill
    included), the number of runs, of runs stopped by their cap, and of agents (snapshots x
    test-time simulation counts)."""
    from alphazero.schedule import schedule

    flops = positions = agents = capped = 0.0
    runs = spec.runs()
    for run in runs:
        config = run.config
        budget, targets = schedule(config)
        per_sample = jones.train_flops(1, config.search.num_simulations, _parameter_count(config))
        samples = budget / per_sample
        snapshots = len(targets)
        if config.sample_cap and config.sample_cap < samples:
            samples = config.sample_cap
            snapshots = int((targets < samples * per_sample).sum()) + 1  # the last at the cap
            capped += 1
        flops += samples * per_sample
        positions += samples
        if not config.count_buffer_fill:
            positions += config.learner.buffer_steps * config.selfplay.num_envs
        agents += snapshots * len(spec.test_simulations)
    return {
        "runs": len(runs),
        "capped_runs": capped,
        "train_flops": flops,
        "positions": positions,
        "agents": agents,
    }


def _parameter_count(config: TrainConfig) -> int:
    from alphazero.networks import mlp_parameter_count

    env = config.env()
    if config.network.family == "mlp":
        return mlp_parameter_count(
            env.observation_shape, config.network.width, config.network.depth, env.num_actions
        )
    from alphazero.trainer import Trainer

    return Trainer(config).parameter_count()  # the conv net's count, from its shapes


__all__ = [
    "BoardSpec",
    "RunPlan",
    "SweepSpec",
    "TournamentSpec",
    "load_spec",
    "read_sweep_spec",
    "save_spec",
    "spec_from_dict",
]
