"""`boardscale train`: one training run of one network on one board up to a compute budget."""

from __future__ import annotations

import argparse

HELP = "train one AlphaZero run up to a compute budget, snapshotting at log-spaced compute"

# Shortcut flags and the config keys they set (applied after --config, before --set).
_FLAGS = {
    "board": "board_size",
    "width": "network.width",
    "depth": "network.depth",
    "budget": "budget",
    "simulations": "search.num_simulations",
    "seed": "seed",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", required=True, help="run folder (rerun the same command to resume)"
    )
    parser.add_argument("--config", metavar="FILE.toml", help="run settings (TrainConfig keys)")
    parser.add_argument("--board", type=int, help="board size S of the S x S Hex board")
    parser.add_argument("--width", type=int, help="network width")
    parser.add_argument("--depth", type=int, help="network depth (residual blocks)")
    parser.add_argument(
        "--budget", type=float, help="training compute in FLOPs (Jones's count by default)"
    )
    parser.add_argument("--simulations", type=int, help="MCTS simulations per self-play move")
    parser.add_argument("--seed", type=int, help="random seed")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override any setting, e.g. --set learner.batch_size=512 (repeatable)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def resolve_config(args: argparse.Namespace):
    """The run's `TrainConfig` from --config, the shortcut flags and --set, in that order."""
    from alphazero.config import apply_overrides, from_dict, read_toml, set_dotted
    from alphazero.settings import TrainConfig

    data = read_toml(args.config) if args.config else {}
    for flag, key in _FLAGS.items():
        value = getattr(args, flag)
        if value is not None:
            set_dotted(data, key, value)
    apply_overrides(data, args.overrides)
    return from_dict(TrainConfig, data)


def run(args: argparse.Namespace) -> int:
    from alphazero.train import train

    config = resolve_config(args)
    result = train(config, args.out, show_progress=not args.quiet)
    progress = result.progress
    if not result.skipped:
        print(
            f"{args.out}: {progress.snapshots} snapshots, {progress.samples:,} positions, "
            f"{progress.jones_flops:.3g} FLOPs (Jones) / {progress.xla_flops:.3g} FLOPs (XLA), "
            f"{progress.wall_seconds:.1f} s"
        )
    return 0
