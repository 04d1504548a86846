"""A run folder: its files, resume, config check and provenance.

A run directory holds:

    config.json                 the resolved config
    snapshots/snapshot-NNN.ckpt params + metadata (both compute counts, samples, games, wall time,
                                git commit, package versions), one per crossed compute target
    resume.ckpt                 the whole training state as of the last snapshot
    metrics.jsonl               one line per iteration
    .lock                       locked while a process trains here; says which (pid, host)

The snapshot is written before ``resume.ckpt``, so a kill between the two only repeats
(identically) the last snapshot. Seeds trained together (`alphazero.training.train_seeds`) first
write each folder's new resume state to ``.resume.pending`` and then move them into place one by
one; the next start completes the moves if every folder got its pending file, and else drops the
pending files, so all the folders of a group are at one point again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import jax

from alphazero import checkpoint, compute
from alphazero.config import ConfigError, from_dict, to_dict
from alphazero.schedule import Progress
from alphazero.search import resolve_backend
from alphazero.settings import TrainConfig
from boardscale_core.files import atomic_write_bytes

SNAPSHOT_DIR = "snapshots"
RESUME_FILE = "resume.ckpt"
PENDING_RESUME_FILE = ".resume.pending"  # a group's next resume state, not yet moved into place
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
LOCK_FILE = ".lock"  # held by the process training in the folder (`checkpoint.exclusive`)


@dataclasses.dataclass(frozen=True)
class RunResult:
    out_dir: Path
    progress: Progress
    snapshots: list[Path]
    skipped: bool  # the run was already finished


def snapshot_paths(out_dir: str | Path) -> list[Path]:
    """A run's snapshot files in order."""
    return sorted((Path(out_dir) / SNAPSHOT_DIR).glob("snapshot-*.ckpt"))


def lock_run(out_dir: Path, locks: contextlib.ExitStack) -> None:
    """Hold ``out_dir``'s lock until ``locks`` closes (`checkpoint.LockHeld` if another has it)."""
    locks.enter_context(checkpoint.exclusive(out_dir / LOCK_FILE, f"run folder {out_dir}"))


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


def check_config(out_dir: Path, resolved: dict[str, Any]) -> None:
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


def write_config(out_dir: Path, resolved: dict[str, Any]) -> None:
    """Store the resolved config as ``config.json``."""
    atomic_write_bytes(out_dir / CONFIG_FILE, (json.dumps(resolved, indent=2) + "\n").encode())


def snapshot_meta(
    progress: Progress,
    resolved: dict[str, Any],
    parameters: int,
    cost: compute.IterationCost,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The metadata of the snapshot about to be written at ``progress`` (index = snapshots so far)."""
    return {
        "index": progress.snapshots,
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


def write_snapshot(out_dir: Path, state, progress: Progress, meta: dict[str, Any]) -> None:
    """Write snapshot ``meta["index"]`` (the params of ``state``); ``progress`` counts it."""
    progress.snapshots += 1
    path = out_dir / SNAPSHOT_DIR / f"snapshot-{meta['index']:03d}.ckpt"
    checkpoint.save(path, state.params, meta)


def write_resume(out_dir: Path, state, progress: Progress, pending: bool = False) -> None:
    """Write the whole training state and ``progress`` as the folder's resume point (or, with
    ``pending``, as its next one, moved into place by `commit_pending_resume`)."""
    name = PENDING_RESUME_FILE if pending else RESUME_FILE
    checkpoint.save(out_dir / name, state, {"progress": dataclasses.asdict(progress)})


def pending_progress(out_dir: Path) -> Progress | None:
    """The progress of ``out_dir``'s complete ``.resume.pending``, or None; a damaged one (a kill
    while it was written) is removed."""
    pending = out_dir / PENDING_RESUME_FILE
    if not pending.exists():
        return None
    try:
        return Progress(**checkpoint.read_meta(pending)["progress"])
    except (checkpoint.CheckpointError, KeyError, TypeError):
        pending.unlink()
        return None


def commit_pending_resume(out_dir: Path) -> None:
    """Move ``.resume.pending`` into place as ``resume.ckpt``."""
    os.replace(out_dir / PENDING_RESUME_FILE, out_dir / RESUME_FILE)


def drop_pending_resume(out_dir: Path) -> None:
    """Remove ``.resume.pending`` (its work is repeated)."""
    (out_dir / PENDING_RESUME_FILE).unlink(missing_ok=True)


def read_progress(out_dir: Path) -> Progress | None:
    """The progress stored in ``out_dir``'s resume file, or None if it has none."""
    path = out_dir / RESUME_FILE
    if not path.exists():
        return None
    return Progress(**checkpoint.read_meta(path)["progress"])


def truncate_metrics(path: Path, iterations: int) -> None:
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
    atomic_write_bytes(path, ("\n".join(kept) + "\n" if kept else "").encode())
