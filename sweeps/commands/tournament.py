"""`boardscale tournament`: rate a sweep's snapshots, continuing from the stored matches."""

from __future__ import annotations

import argparse

HELP = "play rating matches between a sweep's agents until a target error or a game budget"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sweep_dir", metavar="SWEEP_DIR")
    parser.add_argument(
        "--games-per-batch", type=int, help="games per pairing per batch (even; default: spec)"
    )
    parser.add_argument("--target-se", type=float, help="stop at this rating standard error (Elo)")
    parser.add_argument("--budget", type=int, help="stop after this many games per board")
    parser.add_argument("--backend", choices=("local", "ray"), default="local")
    parser.add_argument(
        "--ray-address", help="an existing Ray cluster (default: start a local one)"
    )


def run(args: argparse.Namespace) -> int:
    import math

    from sweeps.tournament import run_tournament

    if args.budget is not None and args.budget < 1:
        raise ValueError(f"--budget must be at least 1 game, got {args.budget}")
    if args.target_se is not None and not (math.isfinite(args.target_se) and args.target_se > 0):
        raise ValueError(f"--target-se must be a positive number of Elo, got {args.target_se:g}")
    statuses = run_tournament(
        args.sweep_dir,
        games_per_pairing=args.games_per_batch,
        target_se=args.target_se,
        budget=args.budget,
        backend=args.backend,
        ray_address=args.ray_address,
    )
    for status in statuses:
        se = f", max SE {status['max_se']:.0f} Elo" if "max_se" in status else ""
        stopped = f"; {status['stopped']}" if "stopped" in status else ""
        print(
            f"board {status['board_size']}: {status['games']} games, {status['agents']} agents"
            f"{se}{stopped}"
        )
    return 0
