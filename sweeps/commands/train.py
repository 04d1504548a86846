"""`boardscale train`: one training run of one network on one board up to a compute budget.

The budget must be a finite number of FLOPs that a run could reach: one that would take more than
`MAX_BUDGET_SECONDS` (a year) at `GENEROUS_FLOPS_PER_SECOND` is refused before anything starts,
with the time it would take. That rate, 1e15 FLOPs/s, is about one H100's dense bf16 peak and some
140 times the fastest self-play rate measured for this project on one (7e12 Jones-FLOPs/s at 9x9,
DESIGN.md), so a budget refused by it could not finish on any one accelerator; in practice
budgets are far below it (Jones's largest, 9x9, is 1e17).
"""

from __future__ import annotations

import argparse
import math
import re

HELP = "train one AlphaZero run up to a compute budget, snapshotting at log-spaced compute"

# Shortcut flags and the config keys they set (applied after --config, before --set).
_FLAGS = {
    "game": "game",
    "board": "board_size",
    "x_in_row": "x_in_row",
    "width": "network.width",
    "depth": "network.depth",
    "budget": "budget",
    "simulations": "search.num_simulations",
    "seed": "seed",
}


GENEROUS_FLOPS_PER_SECOND = 1e15
SECONDS_PER_YEAR = 365.25 * 24 * 3600.0
MAX_BUDGET_SECONDS = SECONDS_PER_YEAR


def check_budget_value(budget: float, name: str = "--budget") -> None:
    """Refuse a budget that is not finite, is negative, or could not finish (see the module
    docstring); ``name`` is what the message calls it."""
    if not math.isfinite(budget):
        raise ValueError(f"{name} must be a finite number of FLOPs, got {budget:g}")
    if budget < 0:
        raise ValueError(f"{name} must be 0 (the board's default) or more FLOPs, got {budget:g}")
    seconds = budget / GENEROUS_FLOPS_PER_SECOND
    if seconds > MAX_BUDGET_SECONDS:
        raise ValueError(
            f"{name} {budget:.3g} FLOPs could not finish: it would take about "
            f"{seconds / SECONDS_PER_YEAR:.3g} years even at {GENEROUS_FLOPS_PER_SECOND:.0e} "
            f"FLOPs/s (about one H100's peak); the most accepted is "
            f"{GENEROUS_FLOPS_PER_SECOND * MAX_BUDGET_SECONDS:.2g}"
        )


def board_argument(text: str) -> int | str:
    """``--board``: an integer (a Hex size) or a ``ROWSxCOLUMNS`` string (Connect Four); anything
    else is an argparse error naming both forms."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if re.fullmatch(r"\d+x\d+", text):
        return text
    raise argparse.ArgumentTypeError(
        f"expected a Hex size (an integer) or ROWSxCOLUMNS such as 4x5, got {text!r}"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", required=True, help="run folder (rerun the same command to resume)"
    )
    parser.add_argument("--config", metavar="FILE.toml", help="run settings (TrainConfig keys)")
    parser.add_argument("--game", choices=("hex", "connect_four"), help="the game (default hex)")
    parser.add_argument(
        "--board",
        type=board_argument,
        help="board: Hex's size S (an S x S board), or ROWSxCOLUMNS for Connect Four (4x5)",
    )
    parser.add_argument(
        "--x-in-row", dest="x_in_row", type=int, help="Connect Four: stones in a line to win"
    )
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
    from alphazero.schedule import schedule
    from alphazero.training import train
    from sweeps.cli import check_folder_argument

    check_folder_argument(args.out, "--out")
    if args.budget is not None:
        check_budget_value(args.budget)
    config = resolve_config(args)
    # A budget from --config or --set, or the board's default (Jones's bound, extrapolated 7x
    # per size above 9x9), must be reachable too.
    source = "--budget" if args.budget is not None else "budget"
    check_budget_value(config.budget, source)
    if not config.budget:
        check_budget_value(
            schedule(config)[0],
            f"the default budget for {config.board_size}x{config.board_size} (set --budget)",
        )
    result = train(config, args.out, show_progress=not args.quiet)
    progress = result.progress
    if not result.skipped:
        print(
            f"{args.out}: {progress.snapshots} snapshots, {progress.samples:,} positions, "
            f"{progress.jones_flops:.3g} FLOPs (Jones) / {progress.xla_flops:.3g} FLOPs (XLA), "
            f"{progress.wall_seconds:.1f} s"
        )
    return 0
