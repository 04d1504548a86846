"""`boardscale presets`: the sweep presets shipped with boardscale and what they cost.

Every preset's cost is the training it asks for (each run to its budget or its sample cap, the
positions an uncounted buffer fill generates included) and an estimate of the hours it takes at a
stated throughput: self-play and learning positions per second, measured with a tiny run of one of
the preset's configs (`--measure`, which prints the entry to paste into ``presets/throughput.toml``
with the machine it ran on). The hours are that config's rate applied to the whole grid: runs with
larger networks or boards are slower per position, so for grids that mix sizes it is a lower bound;
the same figure at the measured Jones-FLOPs rate (compute-bound, an upper bound where networks are
small) is printed beside it. The tournament is not included.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from pathlib import Path

HELP = "list the sweep presets with their size and estimated cost"
THROUGHPUT_FILE = Path(__file__).resolve().parents[1] / "presets" / "throughput.toml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--show", metavar="PRESET", help="print a preset's TOML (to copy and edit) and its cost"
    )
    parser.add_argument(
        "--measure",
        metavar="PRESET",
        help="time a tiny run of one of the preset's configs and print its throughput entry",
    )
    parser.add_argument("--run", help="with --measure: the run to time (default: the first)")
    parser.add_argument(
        "--iterations", type=int, default=3, help="with --measure: timed iterations"
    )


def _throughputs() -> dict:
    from alphazero.config import read_toml

    return read_toml(THROUGHPUT_FILE) if THROUGHPUT_FILE.exists() else {}


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.3g} h"


def cost_lines(name: str) -> list[str]:
    """The cost of preset ``name``: what it trains and the hours at its measured throughput."""
    from sweeps.spec import estimated_cost, load_spec

    spec = load_spec(name)
    cost = estimated_cost(spec)
    boards = ", ".join(str(board.size) for board in spec.boards)
    lines = [
        f"{name}: boards {boards}: {cost['runs']} runs ({cost['capped_runs']:.0f} stopped by "
        f"their sample cap), {cost['agents']:.0f} agents, {cost['train_flops']:.2e} training "
        f"FLOPs (Jones), {cost['positions']:.2e} self-play positions",
        f"  {spec.description}",
    ]
    measured = _throughputs().get(name)
    if measured is None:
        lines.append(f"  hours: no throughput measured (boardscale presets --measure {name})")
        return lines
    rate, flops_rate = measured["positions_per_second"], measured["jones_flops_per_second"]
    lines.append(
        f"  training about {_hours(cost['positions'] / rate)} at {rate:,.0f} positions/s "
        f"({_hours(cost['train_flops'] / flops_rate)} at {flops_rate:.3g} Jones-FLOPs/s), "
        f"measured on {measured['machine']} with {measured['run']} ({measured['command']})"
    )
    return lines


def measure(name: str, run_name: str | None, iterations: int) -> dict:
    """Positions/s and Jones-FLOPs/s of ``iterations`` training iterations of one run of the
    preset (after one untimed iteration that compiles)."""
    import jax

    from alphazero.trainer import Trainer
    from sweeps.spec import load_spec

    runs = load_spec(name).runs()
    run = runs[0] if run_name is None else next((r for r in runs if r.name == run_name), None)
    if run is None:
        raise ValueError(f"preset {name} has no run {run_name!r}")
    trainer = Trainer(run.config)
    state = trainer.init_state()
    state, _ = trainer.iteration(state)
    jax.block_until_ready(state)
    started = time.perf_counter()
    for _ in range(iterations):
        state, metrics = trainer.iteration(state)
    jax.block_until_ready((state, metrics))
    seconds = time.perf_counter() - started
    selfplay = run.config.selfplay
    positions = iterations * selfplay.steps_per_iteration * selfplay.num_envs
    return {
        "positions_per_second": positions / seconds,
        "jones_flops_per_second": iterations * trainer.jones_iteration_flops() / seconds,
        "run": run.name,
        "machine": f"{platform.machine()} {jax.default_backend()} ({jax.devices()[0].device_kind})",
        "command": f"boardscale presets --measure {name} --run {run.name} "
        f"--iterations {iterations}",
    }


def run(args: argparse.Namespace) -> int:
    from sweeps.spec import PRESETS, preset_path

    for option in ("show", "measure"):
        value = getattr(args, option)
        if value and value not in PRESETS:
            raise ValueError(f"unknown preset {value!r}; presets: {', '.join(PRESETS)}")
    if args.iterations < 1:
        raise ValueError(f"--iterations must be at least 1, got {args.iterations}")
    if args.measure:
        entry = measure(args.measure, args.run, args.iterations)
        print(f"[{args.measure}]")
        for key, value in dataclasses.asdict(_Entry(**entry)).items():
            print(
                f"{key} = {json.dumps(value)}" if isinstance(value, str) else f"{key} = {value:.4g}"
            )
        return 0
    if args.show:
        print(preset_path(args.show).read_text(), end="")
        print("\n# " + "\n# ".join(cost_lines(args.show)))
        return 0
    for name in PRESETS:
        print("\n".join(cost_lines(name)))
    return 0


@dataclasses.dataclass
class _Entry:
    positions_per_second: float
    jones_flops_per_second: float
    run: str
    machine: str
    command: str
