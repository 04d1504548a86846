"""`boardscale presets`: the sweep presets shipped with boardscale and what they cost."""

from __future__ import annotations

import argparse

HELP = "list the sweep presets with their size and estimated cost"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--show", metavar="PRESET", help="print a preset's TOML (to copy and edit)")


def run(args: argparse.Namespace) -> int:
    from sweeps.spec import PRESETS, estimated_cost, load_spec, preset_path

    if args.show:
        if args.show not in PRESETS:
            raise ValueError(f"unknown preset {args.show!r}; presets: {', '.join(PRESETS)}")
        print(preset_path(args.show).read_text(), end="")
        return 0
    for name in PRESETS:
        spec = load_spec(name)
        cost = estimated_cost(spec)
        boards = ", ".join(str(board.size) for board in spec.boards)
        print(
            f"{name:<9} boards {boards}: {cost['runs']} runs, {cost['agents']:.0f} agents, "
            f"{cost['train_flops']:.1e} training FLOPs (Jones), "
            f"{cost['positions']:.1e} self-play positions"
        )
        print(f"{'':<9} {spec.description}")
    return 0
