"""The sweep runner: train what is missing, register snapshots in the store, then hand over to the
tournament and the analysis. Locally everything runs in this process; on Ray each training run is a
task asking for one GPU (or one CPU when the cluster has none) that writes its run folder only:
this process (the driver) registers the run in the store when the task returns, so the store has
one writer (SQLite's WAL is unsafe on the shared file systems a cluster would put it on).

Every stage is resumable: a training run continues from its last snapshot, registration is
idempotent, and the tournament continues from the matches already stored. Two processes never
train one run folder, or run two tournaments on one store, at once (`alphazero.checkpoint.
exclusive`: the second fails at once, naming the first's pid and host).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from analysis.store import STORE_FILENAME, Store
from sweeps.spec import RUNS_DIR, RunPlan, SweepSpec, read_sweep_spec, save_spec

STAGES = ("train", "tournament", "analyze")
BACKENDS = ("local", "ray")


def run_dir(sweep_dir: str | Path, run_name: str) -> Path:
    return Path(sweep_dir) / RUNS_DIR / run_name


def store_path(sweep_dir: str | Path) -> Path:
    return Path(sweep_dir) / STORE_FILENAME


def store_lock(sweep_dir: str | Path, what: str):
    """The lock of a store's match writer (the tournament), held for a ``with`` block."""
    from alphazero.checkpoint import exclusive

    return exclusive(
        Path(sweep_dir) / f".{STORE_FILENAME}.{what}.lock", f"the {what} of {sweep_dir}"
    )


def snapshot_agent_name(run_name: str, index: int, simulations: int) -> str:
    return f"{run_name}/{index}@{simulations}"


def register_run(store: Store, sweep_dir: str | Path, plan: RunPlan, test_simulations) -> int:
    """Add a run's snapshots (as far as they exist) and their test-time agents to the store.
    Idempotent. Returns the number of snapshots registered."""
    from alphazero import checkpoint
    from alphazero.config import to_dict
    from alphazero.runfolder import snapshot_paths

    folder = run_dir(sweep_dir, plan.name)
    paths = snapshot_paths(folder)
    if not paths:
        return 0
    network = plan.config.network
    width, depth = (
        (network.width, network.depth)
        if network.family == "mlp"
        else (network.channels, network.blocks)
    )
    parameters = checkpoint.read_meta(paths[0])["parameters"]
    run_id = store.add_run(
        plan.name,
        plan.board_size,
        network.family,
        width,
        depth,
        plan.config.seed,
        parameters,
        json.dumps(to_dict(plan.config), sort_keys=True),
    )
    for path in paths:
        meta = checkpoint.read_meta(path)
        snapshot_id = store.add_snapshot(
            run_id,
            meta["index"],
            meta["jones_flops"],
            meta["xla_flops"],
            meta["samples"],
            meta["games"],
            meta["wall_seconds"],
            str(path.relative_to(Path(sweep_dir))),
        )
        for simulations in test_simulations:
            store.add_agent(
                snapshot_agent_name(plan.name, meta["index"], simulations),
                "snapshot",
                plan.board_size,
                simulations,
                snapshot_id,
            )
    return len(paths)


def train_run(sweep_dir: str, plan: RunPlan, show_progress: bool = False) -> dict[str, Any]:
    """Train one run of a sweep (resuming if it was started); writes its run folder, never the
    store. A Ray task body."""
    from alphazero.training import train

    return _summary(
        plan, train(plan.config, run_dir(sweep_dir, plan.name), show_progress=show_progress)
    )


def _summary(plan: RunPlan, result) -> dict[str, Any]:
    """What a trained run reports (`alphazero.runfolder.RunResult` -> a plain dict)."""
    return {
        "run": plan.name,
        "skipped": result.skipped,
        "jones_flops": result.progress.jones_flops,
        "wall_seconds": result.progress.wall_seconds,
    }


def register(sweep_dir: str | Path, plan: RunPlan, test_simulations, result: dict[str, Any]):
    """Register a trained run in the store (the driver's part); ``result`` gains "snapshots"."""
    with Store.open(store_path(sweep_dir)) as store:
        result["snapshots"] = register_run(store, sweep_dir, plan, test_simulations)
    return result


def train_and_register(
    sweep_dir: str, plan: RunPlan, test_simulations, show_progress: bool = False
) -> dict[str, Any]:
    """Train one run of a sweep (resuming if it was started) and register it."""
    result = train_run(str(sweep_dir), plan, show_progress)
    return register(sweep_dir, plan, test_simulations, result)


def run_is_finished(sweep_dir: str | Path, plan: RunPlan) -> bool:
    from alphazero import checkpoint
    from alphazero.runfolder import RESUME_FILE

    path = run_dir(sweep_dir, plan.name) / RESUME_FILE
    if not path.exists():
        return False
    try:
        return bool(checkpoint.read_meta(path)["progress"]["finished"])
    except (ValueError, KeyError):
        return False


def run_training(
    spec: SweepSpec,
    sweep_dir: str | Path,
    backend: str = "local",
    ray_address: str | None = None,
    log=None,
) -> list[dict[str, Any]]:
    """Train every run of the spec that is not finished; register all of them in the store."""
    log = log or (lambda message: print(message, file=sys.stderr))
    plans = spec.runs()
    with Store.open(store_path(sweep_dir)) as store:  # runs finished earlier, maybe unregistered
        for plan in plans:
            if run_is_finished(sweep_dir, plan):
                register_run(store, sweep_dir, plan, spec.test_simulations)
    todo = [plan for plan in plans if not run_is_finished(sweep_dir, plan)]
    log(f"train: {len(plans) - len(todo)} of {len(plans)} runs done, {len(todo)} to go")
    if not todo:
        return []
    if backend == "ray":
        return _train_on_ray(spec, sweep_dir, todo, ray_address, log)
    results = []
    groups = seed_groups(todo) if spec.vmap_seeds else [[plan] for plan in todo]
    done = 0
    for group in groups:
        names = ", ".join(plan.name for plan in group)
        log(
            f"train [{done + 1}{f'-{done + len(group)}' if len(group) > 1 else ''}/{len(todo)}] {names}"
        )
        if len(group) == 1:
            results.append(
                train_and_register(str(sweep_dir), group[0], spec.test_simulations, True)
            )
        else:
            results.extend(train_group_and_register(str(sweep_dir), group, spec.test_simulations))
        done += len(group)
    return results


def seed_groups(plans: list[RunPlan]) -> list[list[RunPlan]]:
    """``plans`` grouped by config but for the seed (in first-appearance order): each group can
    train as one vmapped program."""
    from alphazero.config import to_dict

    groups: dict[str, list[RunPlan]] = {}
    for plan in plans:
        shape = to_dict(plan.config)
        shape.pop("seed")
        groups.setdefault(json.dumps(shape, sort_keys=True), []).append(plan)
    return list(groups.values())


def train_group_and_register(
    sweep_dir: str, plans: list[RunPlan], test_simulations, show_progress: bool = True
) -> list[dict[str, Any]]:
    """Train runs that differ only in their seed as one vmapped program
    (`alphazero.training.train_seeds`), then register each."""
    from alphazero.training import train_seeds

    outcomes = train_seeds(
        [plan.config for plan in plans],
        [run_dir(sweep_dir, plan.name) for plan in plans],
        show_progress=show_progress,
    )
    return [
        register(sweep_dir, plan, test_simulations, _summary(plan, result))
        for plan, result in zip(plans, outcomes, strict=True)
    ]


def connect_ray(ray_address: str | None, log):
    """Connect to a cluster at ``ray_address``, or start a local Ray for this command."""
    try:
        import ray
    except ImportError:
        raise ValueError("--backend ray needs Ray: pip install 'boardscale[ray]'") from None
    if not ray.is_initialized():
        if ray_address:
            ray.init(address=ray_address, log_to_driver=False)
        else:
            ray.init(include_dashboard=False, log_to_driver=False)
        resources = ray.cluster_resources()
        log(
            f"ray: {resources.get('CPU', 0):.0f} CPUs, {resources.get('GPU', 0):.0f} GPUs "
            f"({'cluster ' + ray_address if ray_address else 'local'})"
        )
    return ray


def _ray_options(ray) -> dict[str, float]:
    return {"num_gpus": 1} if ray.cluster_resources().get("GPU", 0) >= 1 else {"num_cpus": 1}


def _train_on_ray(spec, sweep_dir, plans, ray_address, log):
    ray = connect_ray(ray_address, log)
    task = ray.remote(train_run).options(**_ray_options(ray), max_retries=1)
    sweep_dir = str(Path(sweep_dir).resolve())
    pending = {task.remote(sweep_dir, plan): plan for plan in plans}
    results = []
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        plan = pending.pop(done[0])
        result = register(sweep_dir, plan, spec.test_simulations, ray.get(done[0]))
        results.append(result)
        log(
            f"train: {plan.name} done ({result['snapshots']} snapshots, "
            f"{result['wall_seconds']:.0f} s); {len(pending)} running or queued"
        )
    return results


def run_sweep(
    spec: SweepSpec,
    sweep_dir: str | Path,
    *,
    backend: str = "local",
    only: str | None = None,
    ray_address: str | None = None,
    log=None,
) -> dict[str, Any]:
    """Run the stages that are missing: train, tournament, analyze (or just ``only``)."""
    from sweeps.tournament import run_tournament

    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    if only is not None and only not in STAGES:
        raise ValueError(f"--only must be one of {', '.join(STAGES)}; got {only!r}")
    log = log or (lambda message: print(message, file=sys.stderr))
    save_spec(spec, sweep_dir)
    summary: dict[str, Any] = {}
    if only in (None, "train"):
        summary["train"] = run_training(spec, sweep_dir, backend, ray_address, log)
    if only in (None, "tournament"):
        summary["tournament"] = run_tournament(
            sweep_dir, backend=backend, ray_address=ray_address, log=log
        )
    if only in (None, "analyze"):
        summary["analyze"] = analyze_sweep(sweep_dir, log=log)
    return summary


def analyze_sweep(sweep_dir: str | Path, out_dir: str | Path | None = None, log=None):
    """Fit ratings, frontier and exchange rate; write the figures and the reports."""
    from analysis.elo_io import sweep_agents
    from analysis.report import analyze_agents

    log = log or (lambda message: print(message, file=sys.stderr))
    out_dir = Path(out_dir) if out_dir else Path(sweep_dir) / "analysis"
    table, ratings = sweep_agents(sweep_dir)
    report = analyze_agents(table, out_dir, ratings=ratings)
    log(f"analyze: figures and report in {out_dir}")
    return {"out_dir": str(out_dir), "report": report}


def sweep_status(sweep_dir: str | Path) -> dict[str, Any]:
    """What is done, running (started, not finished) and missing, with compute spent. A run
    folder without its resume file (as committed under results/) counts as done when it holds
    every planned snapshot, its compute read from the last one."""
    from alphazero import checkpoint
    from alphazero.runfolder import RESUME_FILE, snapshot_paths
    from analysis.store import Store as _Store

    spec = read_sweep_spec(sweep_dir)
    runs = []
    for plan in spec.runs():
        folder = run_dir(sweep_dir, plan.name)
        paths = snapshot_paths(folder)
        spent = 0.0
        if (folder / RESUME_FILE).exists():
            try:
                spent = checkpoint.read_meta(folder / RESUME_FILE)["progress"]["jones_flops"]
            except (ValueError, KeyError):
                spent = float("nan")
        elif paths:  # a stored folder without its resume file (a committed study): the snapshots
            try:
                spent = checkpoint.read_meta(paths[-1])["jones_flops"]
            except (ValueError, KeyError):
                spent = float("nan")
        stored = not (folder / RESUME_FILE).exists() and len(paths) >= plan.config.snapshots.count
        state = (
            "done"
            if run_is_finished(sweep_dir, plan) or stored
            else ("started" if paths or folder.exists() else "missing")
        )
        budget = plan.config.budget or None
        runs.append(
            {
                "run": plan.name,
                "state": state,
                "snapshots": len(paths),
                "snapshots_planned": plan.config.snapshots.count,
                "jones_flops": spent,
                "budget": budget,
            }
        )
    boards = []
    path = store_path(sweep_dir)
    if path.exists():
        with _Store.open(path, create=False, readonly=True) as store:
            for board in store.board_sizes():
                agents = store.agents(board)
                totals = store.match_totals(board)
                games = int(
                    totals["first_wins"].sum() + totals["second_wins"].sum() + totals["draws"].sum()
                )
                boards.append(
                    {
                        "board_size": board,
                        "agents": len(agents["id"]),
                        "pairs": len(totals["first_agent"]),
                        "games": games,
                    }
                )
    report = Path(sweep_dir) / "analysis" / "report.json"
    return {
        "name": spec.name,
        "runs": runs,
        "tournament": boards,
        "analysis": str(report) if report.exists() else None,
    }
