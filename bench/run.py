"""Run every benchmark, print each table and a summary, and write bench/results.json.

    python bench/run.py            # --full on a GPU/TPU, --cpu on a CPU
    python bench/run.py --full     # the full sizes (for a GPU: minutes there, hours on a CPU)
    python bench/run.py --cpu      # the same grids at CPU-sized batches
    python bench/run.py --quick    # small sizes, a few minutes on a 2-core CPU
    python bench/run.py --only hex_env selfplay

Benchmarks: hex_env (our Hex vs pgx's, random play), selfplay (Trainer iterations vs pgx + mctx),
tournament (play_matches games/s and compile counts), elo_fit (the Elo fit at 1,000 agents),
vmapped_seeds (seeds of one config in one vmapped program vs one at a time). Each
is also a script of its own with flags to change its sizes. The JSON file holds the machine
(platform, CPU count, JAX backend and devices), the arguments each benchmark ran with and all its
numbers. A benchmark that fails is reported and recorded with its error; the others still run, and
the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

NAMES = ("hex_env", "selfplay", "tournament", "elo_fit", "vmapped_seeds")
QUICK_ARGS = {
    "hex_env": ["--sizes", "5", "11", "--batches", "1024", "--steps", "16", "--repeats", "2"],
    "selfplay": [
        *("--configs", "3:2x4", "--batches", "64", "--simulations", "8", "--steps", "2"),
        "--no-sweep",
    ],
    "tournament": ["--simulations", "0", "1", "4", "--snapshots", "2", "--games", "2"],
    "vmapped_seeds": ["--rounds", "2", "--iterations", "1"],
}
FULL_ARGS: dict[str, list[str]] = {
    "hex_env": [],
    "selfplay": [],
    "tournament": [],
    "vmapped_seeds": [],
}
CPU_ARGS: dict[str, list[str]] = {
    "hex_env": [],
    "selfplay": ["--cpu"],
    "tournament": [],
    "vmapped_seeds": [],
}


def machine_info() -> dict:
    """Where the numbers were measured."""
    import jax

    devices = jax.devices()
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jax_backend": jax.default_backend(),
        "devices": [str(device) for device in devices],
        "device_kind": devices[0].device_kind if devices else None,
    }


def run_one(name: str, argv: list[str]) -> dict:
    module = __import__(name)
    if name == "elo_fit":  # its main takes no arguments
        return module.main()
    return module.main(argv)


def summary_lines(results: dict) -> list[str]:
    """One or two lines per benchmark with its headline numbers."""
    lines = []
    hex_env = results.get("hex_env", {})
    for row in hex_env.get("rows", []):
        text = (
            f"hex {row['size']}x{row['size']} batch {row['batch']} {row.get('rule', '')}: "
            f"ours {row['ours']['steps_per_second']:,.0f} steps/s"
        )
        if "ratio" in row:
            text += f", pgx {row['pgx']['steps_per_second']:,.0f}, ours/pgx {row['ratio']:.2f}"
        lines.append(text)
    for row in results.get("selfplay", {}).get("rows", []):
        text = (
            f"self-play {row['config']} batch {row['batch']} sims {row['simulations']}: "
            f"{row['selfplay_positions_per_second']:,.0f} pos/s self-play "
            f"({row.get('search_backend', 'mctx')}), "
            f"{row['iteration_positions_per_second']:,.0f} pos/s with learning, "
            f"{row['iteration_jones_flops_per_second']:.3g} Jones-FLOPs/s, "
            f"{row['iteration_xla_flops_per_second']:.3g} XLA-FLOPs/s"
        )
        for name, numbers in row.get("backends", {}).items():
            if "ratio" in numbers:
                text += f", {name}/pgx+mctx {numbers['ratio']:.2f}"
        lines.append(text)
    tournament = results.get("tournament", {})
    if "passes" in tournament:
        text = (
            f"tournament {tournament['agents']} agents, {tournament['pairings']} pairings: "
            f"{tournament['passes']['warm']['games_per_second']:.1f} games/s warm, "
            f"{tournament['agent_programs_built']} agent programs for {tournament['kinds']} kinds"
        )
        if "ratio" in tournament:
            text += f", stacked/one-by-one {tournament['ratio']:.2f}"
        lines.append(text)
    seeds = results.get("vmapped_seeds", {})
    if "ratio" in seeds:
        lines.append(
            f"vmapped seeds {seeds['config']} x{seeds['seeds']}: "
            f"{seeds['vmapped_positions_per_second']:,.0f} pos/s vmapped, "
            f"{seeds['sequential_positions_per_second']:,.0f} sequential, "
            f"vmapped/sequential {seeds['ratio']:.2f}"
        )
    elo = results.get("elo_fit", {})
    if "seconds" in elo:
        lines.append(
            f"elo fit {elo['agents']} agents, {elo['pairs']} pairs: {elo['seconds']:.2f} s "
            f"({elo['ratio_to_target']:.2f}x the {elo['target_seconds']:g} s target)"
        )
    for name, result in results.items():
        if isinstance(result, dict) and "error" in result:
            lines.append(f"{name}: FAILED: {result['error']}")
    return lines


def _plain(value):
    """JSON fallback for NumPy scalars and arrays."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file renamed over it)."""
    from boardscale_core.files import atomic_write_text

    atomic_write_text(path, json.dumps(data, indent=2, default=_plain) + "\n")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="small sizes (CPU, minutes)")
    sizes.add_argument("--cpu", action="store_true", help="full grids at CPU-sized batches")
    sizes.add_argument("--full", action="store_true", help="full sizes (the default on a GPU/TPU)")
    parser.add_argument("--only", nargs="+", choices=NAMES, default=list(NAMES))
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Run the chosen benchmarks; returns everything written to the JSON file."""
    args = parse_args(argv)
    if not (args.quick or args.cpu or args.full):
        import jax

        args.cpu = jax.default_backend() == "cpu"
    arguments = QUICK_ARGS if args.quick else CPU_ARGS if args.cpu else FULL_ARGS
    report = {
        "quick": args.quick,
        "cpu": args.cpu,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "arguments": {name: arguments.get(name, []) for name in args.only},
        "results": {},
        "seconds": {},
    }
    machine = report["machine"]
    print(
        f"machine: {machine['platform']}, {machine['cpu_count']} CPUs, "
        f"jax {machine['jax']} on {machine['jax_backend']} ({machine['device_kind']})"
    )
    failed = False
    for name in args.only:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        try:
            report["results"][name] = run_one(name, arguments.get(name, []))
        except Exception as error:  # one broken benchmark must not lose the others' numbers
            traceback.print_exc()
            report["results"][name] = {"error": f"{type(error).__name__}: {error}"}
            failed = True
        report["seconds"][name] = time.perf_counter() - started
    report["summary"] = summary_lines(report["results"])
    print("\n== summary ==")
    print("\n".join(report["summary"]))
    print(f"total {sum(report['seconds'].values()):.0f} s; results in {args.out}")
    write_json(args.out, report)
    if failed:
        raise SystemExit(1)
    return report


if __name__ == "__main__":
    main()
