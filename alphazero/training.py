"""Training runs: self-play + learner iterations up to a compute budget, with log-spaced
snapshots and resume (the folder's files: `alphazero.runfolder`).

`train` trains one run. `train_seeds` trains several seeds of one config (the same in all but
``seed``) as one program: the iteration (`alphazero.trainer.make_train`) vmapped over the seed
axis. The seeds spend the same compute per iteration, so they cross their snapshot targets
together; each seed's snapshots, resume file and metrics go to its own folder as a lone run's
would. Whether a vmapped seed's numbers equal a lone run's bitwise depends on the backend's batched
arithmetic (see `tests/test_vmapped_seeds.py`); the sweep runner's ``vmap_seeds`` setting chooses.

Rerunning the same command continues from ``resume.ckpt`` (a finished run is skipped with a
message); a run killed at any moment loses at most the work since its last snapshot.
"""

from __future__ import annotations

import contextlib
import json
import operator
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp

from alphazero import checkpoint
from alphazero.config import ConfigError, to_dict
from alphazero.progress import ProgressBar
from alphazero.runfolder import (
    METRICS_FILE,
    RESUME_FILE,
    RunResult,
    check_config,
    commit_pending_resume,
    drop_pending_resume,
    lock_run,
    pending_progress,
    provenance,
    read_progress,
    snapshot_meta,
    snapshot_paths,
    truncate_metrics,
    write_config,
    write_resume,
    write_snapshot,
)
from alphazero.schedule import Progress, schedule, targets_done
from alphazero.settings import TrainConfig
from alphazero.trainer import Trainer

Log = Callable[[str], None]


def train(
    config: TrainConfig,
    out_dir: str | Path,
    *,
    log: Log | None = None,
    show_progress: bool = False,
    stop_after_snapshots: int | None = None,
) -> RunResult:
    """Train until the budget, snapshotting at log-spaced compute; resume if ``out_dir`` has a run.

    ``stop_after_snapshots`` stops (as a kill would) once that many snapshots exist; tests use it.

    One process at a time trains in a folder: another one fails at once with a one-line
    `checkpoint.LockHeld` naming the holder (pid and host).
    """
    return train_seeds(
        [config],
        [out_dir],
        log=log,
        show_progress=show_progress,
        stop_after_snapshots=stop_after_snapshots,
    )[0]


def train_seeds(
    configs: Sequence[TrainConfig],
    out_dirs: Sequence[str | Path],
    *,
    log: Log | None = None,
    show_progress: bool = False,
    stop_after_snapshots: int | None = None,
) -> list[RunResult]:
    """Train ``configs`` (equal but for ``seed``) into ``out_dirs`` together, the iteration
    vmapped over the seeds; one config trains alone, unbatched (exactly `train`).

    Each folder ends up as an uninterrupted run of the group leaves it. After a kill, folders at
    different points are brought together: a kill between the group's resume writes is completed
    or undone (see `alphazero.runfolder`); folders that differ otherwise (e.g. one seed trained
    alone further) train alone, unbatched, up to the furthest one's snapshot count first.
    """
    configs = list(configs)
    out_dirs = [Path(path) for path in out_dirs]
    if not configs or len(configs) != len(out_dirs):
        raise ValueError("train_seeds: give one out_dir per config (and at least one)")
    shape = [_without_seed(config) for config in configs]
    if any(item != shape[0] for item in shape):
        raise ConfigError("train_seeds: the configs must be equal but for their seed")
    if len({config.seed for config in configs}) != len(configs):
        raise ConfigError("train_seeds: the seeds must differ")
    if len({path.resolve() for path in out_dirs}) != len(out_dirs):
        raise ConfigError("train_seeds: the run folders must differ")
    log = log or (lambda message: print(message, file=sys.stderr))
    with contextlib.ExitStack() as locks:
        group = _Group(configs, out_dirs, locks, log)
        return group.run(show_progress, stop_after_snapshots)


def _without_seed(config: TrainConfig) -> str:
    resolved = to_dict(config)
    resolved.pop("seed")
    return json.dumps(resolved, sort_keys=True)


class _Group:
    """The seeds of one config trained in one program (or one seed, unbatched)."""

    def __init__(self, configs, out_dirs, locks, log, held: bool = False):
        """``held``: this process already holds the folders' locks."""
        self.configs, self.out_dirs, self.locks, self.log = configs, out_dirs, locks, log
        self.config = configs[0]
        self.locked = [held or path.exists() for path in out_dirs]
        for path in out_dirs:
            if path.exists() and not held:  # before reading anything another may be writing
                lock_run(path, locks)
        self.resolved = [to_dict(config) for config in configs]
        for path, resolved in zip(out_dirs, self.resolved, strict=True):
            check_config(path, resolved)

    def run(self, show_progress, stop_after_snapshots) -> list[RunResult]:
        if len(self.configs) > 1:
            self._settle()
        progresses = [read_progress(path) or Progress() for path in self.out_dirs]
        if all(progress.finished for progress in progresses):
            for path, progress in zip(self.out_dirs, progresses, strict=True):
                self.log(f"{path}: run already finished ({progress.snapshots} snapshots); skipping")
            return [
                RunResult(path, progress, snapshot_paths(path), skipped=True)
                for path, progress in zip(self.out_dirs, progresses, strict=True)
            ]
        return self._train(show_progress, stop_after_snapshots)

    def _settle(self) -> None:
        """Bring the group's folders to one point (see `train_seeds`)."""
        pending = [pending_progress(path) for path in self.out_dirs]
        stored = [read_progress(path) for path in self.out_dirs]
        if any(item is not None for item in pending):
            target = max(item.iterations for item in pending if item is not None)
            moved = all(
                (p is not None and p.iterations == target)
                or (s is not None and s.iterations == target)
                for p, s in zip(pending, stored, strict=True)
            )
            for path, item in zip(self.out_dirs, pending, strict=True):
                if item is None:
                    continue
                if moved:
                    commit_pending_resume(path)
                else:
                    drop_pending_resume(path)
        stored = [read_progress(path) or Progress() for path in self.out_dirs]
        leader = max(progress.snapshots for progress in stored)
        for config, path, progress in zip(self.configs, self.out_dirs, stored, strict=True):
            if progress.snapshots < leader:
                self.log(f"{path}: behind the other seeds; training it alone to snapshot {leader}")
                _Group([config], [path], self.locks, self.log, held=True).run(False, leader)

    def _train(self, show_progress, stop_after_snapshots) -> list[RunResult]:
        config, log = self.config, self.log
        count = len(self.configs)
        budget, targets = schedule(config)
        trainer = Trainer(config)
        states, progresses = [], []
        for seed_config, path in zip(self.configs, self.out_dirs, strict=True):
            state = trainer.init_state(seed_config.seed)
            progress = Progress()
            if (path / RESUME_FILE).exists():
                state, meta = checkpoint.load(path / RESUME_FILE, template=state)
                progress = Progress(**meta["progress"])
                log(f"{path}: resuming after snapshot {progress.snapshots - 1}")
            # Lines past the last snapshot (or, before the first, every line) are produced again.
            truncate_metrics(path / METRICS_FILE, progress.iterations)
            states.append(state)
            progresses.append(progress)
        lead = progresses[0]

        if config.snapshots.schedule == "jones" and trainer.jones_iteration_flops() > budget:
            per_iteration = trainer.jones_iteration_flops()
        else:
            cost = trainer.iteration_cost(states[0])
            per_iteration = cost.jones if config.snapshots.schedule == "jones" else cost.xla
        if per_iteration > budget:
            raise ConfigError(
                f"budget {budget:.3g} FLOPs is below one iteration ({per_iteration:.3g} FLOPs "
                f"with {config.selfplay.num_envs} games x {config.selfplay.steps_per_iteration} "
                "moves)"
            )
        cost = trainer.iteration_cost(states[0])
        for index, path in enumerate(self.out_dirs):
            if not (path / RESUME_FILE).exists():
                path.mkdir(parents=True, exist_ok=True)
                if not self.locked[index]:
                    lock_run(path, self.locks)
                write_config(path, self.resolved[index])
        if per_iteration * 1e7 < budget:
            log(f"warning: {budget / per_iteration:.3g} iterations to the budget")
        parameters = trainer.parameter_count()
        extra = provenance()
        bar = ProgressBar(
            budget, enabled=show_progress, description=f"{count} seeds " if count > 1 else ""
        )

        if count == 1:
            state = states[0]
            iteration = trainer.iteration
            seed_state = lambda index: state  # noqa: E731
        else:
            state = jax.tree.map(lambda *leaves: jnp.stack(leaves), *states)
            iteration = jax.jit(jax.vmap(trainer.functions.iteration), donate_argnums=0)
            seed_state = lambda index: jax.tree.map(lambda leaf: leaf[index], state)  # noqa: E731
        del states

        def write_due_snapshots(capped: bool = False) -> bool:
            """Write a snapshot for every target crossed so far (all with the current state,
            which is the state after the iteration that crossed them), and a last one when the
            run reached its sample cap. True if the caller must stop."""
            due = targets_done(targets, lead.spent(config))
            if capped:
                due = max(due, lead.snapshots + 1)
            finishing = lead.spent(config) >= budget * (1 - 1e-12) or capped
            while lead.snapshots < due:
                finished = finishing and lead.snapshots + 1 >= due
                seeds = [seed_state(index) for index in range(count)]
                for index, path in enumerate(self.out_dirs):
                    progress = progresses[index]
                    progress.finished = finished
                    meta = snapshot_meta(progress, self.resolved[index], parameters, cost, extra)
                    write_snapshot(path, seeds[index], progress, meta)
                    if count == 1:
                        write_resume(path, seeds[index], progress)
                if count > 1:  # all pending first, then moved: a kill leaves one point or both
                    for index, path in enumerate(self.out_dirs):
                        write_resume(path, seeds[index], progresses[index], pending=True)
                    for path in self.out_dirs:
                        commit_pending_resume(path)
                if stop_after_snapshots is not None and lead.snapshots >= stop_after_snapshots:
                    return True
            return False

        results = lambda: [  # noqa: E731
            RunResult(path, progress, snapshot_paths(path), skipped=False)
            for path, progress in zip(self.out_dirs, progresses, strict=True)
        ]
        # A kill between two snapshots of one iteration left some due: write them from this state.
        if write_due_snapshots():
            bar.close()
            return results()
        with contextlib.ExitStack() as files:
            metrics_files = [
                files.enter_context((path / METRICS_FILE).open("a")) for path in self.out_dirs
            ]
            while not lead.finished:
                started = time.perf_counter()
                state, metrics = iteration(state)
                metrics = jax.device_get(metrics)
                elapsed = time.perf_counter() - started
                for index in range(count):
                    seed_metrics = (
                        metrics if count == 1 else jax.tree.map(operator.itemgetter(index), metrics)
                    )
                    record = _advance(progresses[index], config, cost, seed_metrics, elapsed)
                    metrics_files[index].write(json.dumps(record) + "\n")
                bar.update(lead.spent(config), record)
                capped = 0 < config.sample_cap <= lead.samples
                if targets_done(targets, lead.spent(config)) > lead.snapshots or capped:
                    for metrics_file in metrics_files:
                        metrics_file.flush()
                    if write_due_snapshots(capped):
                        break
        bar.close()
        return results()


def _advance(progress: Progress, config, cost, metrics, elapsed: float) -> dict[str, Any]:
    """Count one iteration in ``progress``; the iteration's metrics line."""
    progress.advance(config, cost, int(metrics.moves.games_finished), elapsed)
    return {
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
