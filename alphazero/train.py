"""One training run: self-play + learner iterations up to a compute budget, with log-spaced snapshots
and resume.

A run directory holds:

    config.json                 the resolved config
    snapshots/snapshot-NNN.ckpt params + metadata (both compute counts, samples, games, wall time,
                                git commit, package versions), one per crossed compute target
    resume.ckpt                 the whole training state as of the last snapshot
    metrics.jsonl               one line per iteration
    .lock                       locked while a process trains here; says which (pid, host)

Rerunning the same command continues from ``resume.ckpt`` (a finished run is skipped with a
message); a run killed at any moment loses at most the work since its last snapshot. The snapshot is
written before ``resume.ckpt``, so a kill between the two only repeats (identically) the last
snapshot.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from alphazero import checkpoint, compute
from alphazero.config import ConfigError, from_dict, to_dict
from alphazero.learner import Losses, make_optimizer, update
from alphazero.networks import init_params, make_network
from alphazero.search import make_recurrent_fn, make_search, resolve_backend
from alphazero.selfplay import MoveStats, SelfPlayState, init_selfplay, selfplay_move
from alphazero.settings import TrainConfig

SNAPSHOT_DIR = "snapshots"
RESUME_FILE = "resume.ckpt"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
LOCK_FILE = ".lock"  # held by the process training in the folder (`checkpoint.exclusive`)


class TrainState(NamedTuple):
    params: Any
    opt_state: Any
    selfplay: SelfPlayState
    key: jax.Array  # [2] uint32 raw key data (typed keys do not serialise)


class IterationMetrics(NamedTuple):
    losses: Losses  # means over the iteration's updates
    moves: MoveStats  # sums (mean for root_value) over the iteration's moves


@dataclasses.dataclass
class Progress:
    """Cumulative counters of a run (stored in every checkpoint)."""

    iterations: int = 0
    samples: int = 0
    games: int = 0
    jones_flops: float = 0.0
    xla_flops: float = 0.0
    wall_seconds: float = 0.0
    snapshots: int = 0
    finished: bool = False


def build_env(config: TrainConfig):
    return config.env()


def build_model(config: TrainConfig, env):
    network = make_network(config.network, config.board_size, env.num_actions)
    return network, network.apply


_COST_CACHE: dict[str, compute.IterationCost] = {}


class Trainer:
    """The compiled pieces of one run: environment, network, search, optimizer, iteration."""

    def __init__(self, config: TrainConfig):
        self.config = config
        self.env = build_env(config)
        self.network, self.model = build_model(config, self.env)
        self.search = make_search(self.env, self.model, config.search, root_noise=True)
        self.optimizer = make_optimizer(config.learner)
        self.iteration = jax.jit(self._iteration, donate_argnums=0)
        self._cost: compute.IterationCost | None = None

    def parameter_count(self) -> int:
        params = jax.eval_shape(
            lambda: init_params(self.network, jax.random.key(0), self.env.observation_shape)
        )
        return compute.tree_size(params)

    def init_state(self) -> TrainState:
        config = self.config
        key = jax.random.key(config.seed)
        init_key, games_key, run_key = jax.random.split(key, 3)
        params = init_params(self.network, init_key, self.env.observation_shape)
        return TrainState(
            params=params,
            opt_state=self.optimizer.init(params),
            selfplay=init_selfplay(
                self.env, games_key, config.selfplay.num_envs, config.learner.buffer_steps
            ),
            key=jax.random.key_data(run_key),
        )

    def _move(self, params, key, selfplay, search=None):
        settings = self.config.selfplay
        temperature = None if settings.act == "search" else settings.temperature
        return selfplay_move(
            self.env,
            search or self.search,
            temperature,
            params,
            key,
            selfplay,
            settings.random_move_fraction,
        )

    def _update(self, params, opt_state, key, selfplay):
        return update(
            self.model,
            self.optimizer,
            self.config.learner,
            params,
            opt_state,
            key,
            selfplay.buffer,
            selfplay.rows_written,
        )

    def _iteration(self, state: TrainState) -> tuple[TrainState, IterationMetrics]:
        config = self.config
        key = jax.random.wrap_key_data(state.key)
        key, play_key, learn_key = jax.random.split(key, 3)

        def play(selfplay, move_key):
            return self._move(state.params, move_key, selfplay)

        selfplay, move_stats = jax.lax.scan(
            play, state.selfplay, jax.random.split(play_key, config.selfplay.steps_per_iteration)
        )

        def learn(carry, update_key):
            params, opt_state = carry
            params, opt_state, losses = self._update(params, opt_state, update_key, selfplay)
            return (params, opt_state), losses

        updates = config.learner.updates_per_iteration
        (params, opt_state), losses = jax.lax.scan(
            learn, (state.params, state.opt_state), jax.random.split(learn_key, max(updates, 1))
        )
        if updates == 0:  # keep the shapes; throw the single computed step away
            params, opt_state = state.params, state.opt_state
        metrics = IterationMetrics(
            losses=jax.tree.map(jnp.mean, losses),
            moves=MoveStats(
                games_finished=move_stats.games_finished.sum(),
                finished_length=move_stats.finished_length.sum(),
                root_value=move_stats.root_value.mean(),
            ),
        )
        return TrainState(params, opt_state, selfplay, jax.random.key_data(key)), metrics

    def jones_iteration_flops(self) -> float:
        """Jones's count for one iteration, known without compiling anything."""
        config = self.config
        samples = config.selfplay.steps_per_iteration * config.selfplay.num_envs
        return float(
            compute.jones_flops(samples, config.search.num_simulations, self.parameter_count())
        )

    def iteration_cost(self, state: TrainState) -> compute.IterationCost:
        """Compute per iteration, both ways (see `alphazero.compute`). XLA's count takes a compile
        of each piece, so it is remembered per process for configs that play and learn alike."""
        if self._cost is not None:
            return self._cost
        cache_key = json.dumps(
            {
                k: v
                for k, v in to_dict(self.config).items()
                if k not in ("seed", "budget", "snapshots")
            },
            sort_keys=True,
        )
        if cache_key in _COST_CACHE:
            self._cost = _COST_CACHE[cache_key]
            return self._cost
        config = self.config
        simulations = config.search.num_simulations
        key = jax.random.key(0)
        steps = config.selfplay.steps_per_iteration
        samples = steps * config.selfplay.num_envs
        if simulations == 0:
            move = compute.cost_flops(jax.jit(self._move), state.params, key, state.selfplay)
        else:
            one = make_search(
                self.env, self.model, config.search, num_simulations=1, root_noise=True
            )
            move_one = compute.cost_flops(
                jax.jit(lambda p, k, s: self._move(p, k, s, search=one)),
                state.params,
                key,
                state.selfplay,
            )
            step = compute.cost_flops(
                jax.jit(make_recurrent_fn(self.env, self.model)),
                state.params,
                key,
                jnp.zeros((config.selfplay.num_envs,), jnp.int32),
                state.selfplay.games,
            )
            move = compute.xla_move_flops(move_one, step, simulations)
        one_update = compute.cost_flops(
            jax.jit(self._update), state.params, state.opt_state, key, state.selfplay
        )
        self._cost = compute.IterationCost(
            samples=samples,
            jones=float(compute.jones_flops(samples, simulations, self.parameter_count())),
            xla_selfplay=steps * move,
            xla_update=config.learner.updates_per_iteration * one_update,
        )
        _COST_CACHE[cache_key] = self._cost
        return self._cost


def schedule(config: TrainConfig) -> tuple[float, np.ndarray]:
    """(budget, snapshot compute targets) for a config, with Jones's per-board defaults (Hex only:
    another game must give ``budget`` and ``snapshots.first``)."""
    compute.require_bounds(config.game, config.budget, config.snapshots.first)
    first, last = compute.snapshot_bounds(config.board_size) if config.game == "hex" else (0, 0)
    budget = config.budget or last
    first = config.snapshots.first or first
    if first >= budget:
        first = budget / 100.0
    return budget, compute.snapshot_targets(first, budget, config.snapshots.count)


def provenance() -> dict[str, Any]:
    """Git commit and package versions, for snapshot metadata."""
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "HEAD"],
                cwd=Path(__file__).resolve().parent,
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        commit = None
    versions = {}
    for package in ("boardscale", "jax", "jaxlib", "flax", "optax", "mctx", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {"git_commit": commit, "packages": versions, "backend": jax.default_backend()}


@dataclasses.dataclass(frozen=True)
class RunResult:
    out_dir: Path
    progress: Progress
    snapshots: list[Path]
    skipped: bool  # the run was already finished


def snapshot_paths(out_dir: str | Path) -> list[Path]:
    """A run's snapshot files in order."""
    return sorted((Path(out_dir) / SNAPSHOT_DIR).glob("snapshot-*.ckpt"))


# Settings that change speed only, never a decision: a run may resume under another value.
_SPEED_ONLY = (("search", "backend"),)


def _without_speed_only(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` without the speed-only settings."""
    config = json.loads(json.dumps(config))
    for table, key in _SPEED_ONLY:
        config.get(table, {}).pop(key, None)
    return config


def _used_backend(config: dict[str, Any]) -> str:
    """The search backend a resolved config dict runs (``auto`` resolved)."""
    search = config.get("search", {})
    return resolve_backend(search.get("backend", "auto"), int(search.get("num_simulations", 0)))


def _with_defaults(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored config with the settings added since it was written at their defaults (which
    keep the old behaviour), so a run started by an earlier version resumes. A config that no
    longer parses is compared as it is (and so differs)."""
    try:
        return to_dict(from_dict(TrainConfig, stored))
    except ConfigError:
        return stored


def _check_config(out_dir: Path, resolved: dict[str, Any]) -> None:
    """Refuse to continue a run in ``out_dir`` under another config. The search backend changes
    speed only, except under ``snapshots.schedule = "xla"``: XLA counts the two backends' programs
    differently, so there the backend is part of the run's identity."""
    path = out_dir / CONFIG_FILE
    if not path.exists():
        return
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path} is unreadable ({error}); use another --out") from None
    stored = _with_defaults(stored)
    if _without_speed_only(stored) != _without_speed_only(resolved):
        changed = _first_difference(stored, resolved)
        raise ConfigError(
            f"{out_dir} holds a run with a different config ({changed}); use another --out"
        )
    schedule_of = stored.get("snapshots", {}).get("schedule", "jones")
    if schedule_of == "xla" and _used_backend(stored) != _used_backend(resolved):
        raise ConfigError(
            f"{out_dir} holds a run searched with the {_used_backend(stored)} backend and "
            f'snapshots.schedule = "xla", where the backend changes the counted FLOPs; resume it '
            f"with search.backend = {_used_backend(stored)} or use another --out"
        )


def _first_difference(old: Any, new: Any, prefix: str = "") -> str:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                return _first_difference(old.get(key), new.get(key), f"{prefix}{key}.")
    return f"{prefix.rstrip('.')}: {old!r} -> {new!r}"


def train(
    config: TrainConfig,
    out_dir: str | Path,
    *,
    log: Callable[[str], None] | None = None,
    show_progress: bool = False,
    stop_after_snapshots: int | None = None,
) -> RunResult:
    """Train until the budget, snapshotting at log-spaced compute; resume if ``out_dir`` has a run.

    ``stop_after_snapshots`` stops (as a kill would) once that many snapshots exist; tests use it.

    One process at a time trains in a folder: another one fails at once with a one-line
    `checkpoint.LockHeld` naming the holder (pid and host).
    """
    with contextlib.ExitStack() as locks:
        return _train(config, Path(out_dir), locks, log, show_progress, stop_after_snapshots)


def _lock_run(out_dir: Path, locks: contextlib.ExitStack) -> None:
    locks.enter_context(checkpoint.exclusive(out_dir / LOCK_FILE, f"run folder {out_dir}"))


def _train(config, out_dir, locks, log, show_progress, stop_after_snapshots) -> RunResult:
    log = log or (lambda message: print(message, file=sys.stderr))
    locked = out_dir.exists()
    if locked:  # before reading anything of a run another process may be writing
        _lock_run(out_dir, locks)
    resolved = to_dict(config)
    _check_config(out_dir, resolved)
    budget, targets = schedule(config)
    resume_path = out_dir / RESUME_FILE

    trainer = Trainer(config)
    state = trainer.init_state()
    progress = Progress()
    if resume_path.exists():
        state, meta = checkpoint.load(resume_path, template=state)
        progress = Progress(**meta["progress"])
        if progress.finished:
            log(f"{out_dir}: run already finished ({progress.snapshots} snapshots); skipping")
            return RunResult(out_dir, progress, snapshot_paths(out_dir), skipped=True)
        log(f"{out_dir}: resuming after snapshot {progress.snapshots - 1}")
    # Lines past the last snapshot (or, before the first, every line) are produced again.
    _truncate_metrics(out_dir / METRICS_FILE, progress.iterations)

    if config.snapshots.schedule == "jones" and trainer.jones_iteration_flops() > budget:
        per_iteration = trainer.jones_iteration_flops()
    else:
        cost = trainer.iteration_cost(state)
        per_iteration = cost.jones if config.snapshots.schedule == "jones" else cost.xla
    if per_iteration > budget:
        raise ConfigError(
            f"budget {budget:.3g} FLOPs is below one iteration ({per_iteration:.3g} FLOPs "
            f"with {config.selfplay.num_envs} games x {config.selfplay.steps_per_iteration} moves)"
        )
    cost = trainer.iteration_cost(state)
    if not resume_path.exists():
        out_dir.mkdir(parents=True, exist_ok=True)
        if not locked:
            _lock_run(out_dir, locks)
        checkpoint.atomic_write_bytes(
            out_dir / CONFIG_FILE, (json.dumps(resolved, indent=2) + "\n").encode()
        )
    if per_iteration * 1e7 < budget:
        log(f"warning: {budget / per_iteration:.3g} iterations to the budget")
    parameters = trainer.parameter_count()
    extra = provenance()
    bar = _ProgressBar(budget, enabled=show_progress)
    spent = lambda: (
        progress.jones_flops if config.snapshots.schedule == "jones" else progress.xla_flops
    )  # noqa: E731

    def write_due_snapshots(capped: bool = False) -> bool:
        """Write a snapshot for every target crossed so far (all with the current state, which
        is the state after the iteration that crossed them), and a last one when the run reached
        its sample cap. True if the caller must stop."""
        due = _targets_done(progress, targets, spent())
        if capped:
            due = max(due, progress.snapshots + 1)
        finishing = spent() >= budget * (1 - 1e-12) or capped
        while progress.snapshots < due:
            progress.finished = finishing and progress.snapshots + 1 >= due
            _write_snapshot(out_dir, state, progress, config, resolved, parameters, cost, extra)
            if stop_after_snapshots is not None and progress.snapshots >= stop_after_snapshots:
                return True
        return False

    # A kill between two snapshots of one iteration left some due: write them from this state.
    if write_due_snapshots():
        bar.close()
        return RunResult(out_dir, progress, snapshot_paths(out_dir), skipped=False)
    with (out_dir / METRICS_FILE).open("a") as metrics_file:
        while not progress.finished:
            started = time.perf_counter()
            state, metrics = trainer.iteration(state)
            metrics = jax.device_get(metrics)
            elapsed = time.perf_counter() - started
            counted = _counted_share(config, progress.iterations)  # 1 but in an uncounted fill
            progress.iterations += 1
            progress.samples += round(cost.samples * counted)
            progress.games += int(metrics.moves.games_finished)
            progress.jones_flops += cost.jones * counted
            progress.xla_flops += cost.xla * counted
            progress.wall_seconds += elapsed
            record = {
                "iteration": progress.iterations,
                "samples": progress.samples,
                "games": progress.games,
                "jones_flops": progress.jones_flops,
                "xla_flops": progress.xla_flops,
                "wall_seconds": round(progress.wall_seconds, 4),
                "positions_per_second": cost.samples / max(elapsed, 1e-9),
                "policy_loss": float(metrics.losses.policy),
                "value_loss": float(metrics.losses.value),
                "mean_game_length": float(metrics.moves.finished_length)
                / max(int(metrics.moves.games_finished), 1),
                "root_value": float(metrics.moves.root_value),
            }
            metrics_file.write(json.dumps(record) + "\n")
            bar.update(spent(), record)
            capped = 0 < config.sample_cap <= progress.samples
            if _targets_done(progress, targets, spent()) > progress.snapshots or capped:
                metrics_file.flush()
                if write_due_snapshots(capped):
                    break
    bar.close()
    return RunResult(out_dir, progress, snapshot_paths(out_dir), skipped=False)


def _counted_share(config: TrainConfig, iterations_done: int) -> float:
    """The share of the next iteration's positions that count as samples and compute: all, but
    with ``count_buffer_fill = false`` none of those that first fill the replay buffer."""
    if config.count_buffer_fill:
        return 1.0
    steps = config.selfplay.steps_per_iteration
    filling = min(max(config.learner.buffer_steps - iterations_done * steps, 0), steps)
    return (steps - filling) / steps


def _targets_done(progress: Progress, targets: np.ndarray, spent: float) -> int:
    """How many snapshot targets ``spent`` compute has crossed."""
    return int(np.searchsorted(targets, spent * (1 + 1e-12), side="right"))


def _write_snapshot(out_dir, state, progress, config, resolved, parameters, cost, extra):
    index = progress.snapshots
    progress.snapshots += 1
    meta = {
        "index": index,
        "config": resolved,
        "parameters": parameters,
        "jones_flops": progress.jones_flops,
        "xla_flops": progress.xla_flops,
        "samples": progress.samples,
        "games": progress.games,
        "iterations": progress.iterations,
        "wall_seconds": progress.wall_seconds,
        "iteration_cost": dataclasses.asdict(cost),
        **extra,
    }
    path = out_dir / SNAPSHOT_DIR / f"snapshot-{index:03d}.ckpt"
    checkpoint.save(path, state.params, meta)
    checkpoint.save(out_dir / RESUME_FILE, state, {"progress": dataclasses.asdict(progress)})


def _truncate_metrics(path: Path, iterations: int) -> None:
    """Drop metric lines past the resumed iteration (they will be produced again)."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            if json.loads(line)["iteration"] <= iterations:
                kept.append(line)
        except (ValueError, KeyError):
            continue  # a line cut by the kill
    checkpoint.atomic_write_bytes(path, ("\n".join(kept) + "\n" if kept else "").encode())


class _ProgressBar:
    """One status line on stderr: compute done / budget, positions/s, losses, ETA."""

    def __init__(self, budget: float, enabled: bool):
        self.budget = budget
        self.enabled = enabled
        self.started = time.perf_counter()
        self.last = 0.0
        self.first_spent: float | None = None
        self.tty = sys.stderr.isatty()

    def update(self, spent: float, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.first_spent is None:  # the first iteration includes compiling: no rate yet
            self.first_spent, self.started, self.last = spent, now, now
            return
        if now - self.last < (0.5 if self.tty else 10.0) and spent < self.budget:
            return
        self.last = now
        fraction = min(spent / self.budget, 1.0)
        rate = (spent - self.first_spent) / max(now - self.started, 1e-9)
        eta = (self.budget - spent) / rate if rate > 0 else math.inf
        filled = int(fraction * 24)
        line = (
            f"[{'#' * filled}{'.' * (24 - filled)}] {spent:.2e}/{self.budget:.2e} FLOPs "
            f"{record['positions_per_second']:,.0f} pos/s "
            f"policy {record['policy_loss']:.3f} value {record['value_loss']:.3f} "
            f"ETA {_duration(eta)}"
        )
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=sys.stderr)

    def close(self) -> None:
        if self.enabled and self.tty:
            print(file=sys.stderr)


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"
