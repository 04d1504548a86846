"""`boardscale sweep`: run a whole study (train, tournament, analyze), skipping what is done."""

from __future__ import annotations

import argparse

HELP = "run a sweep from a spec file or preset: train, tournament, analyze (resumable)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC_OR_PRESET", help="a sweep TOML file or a preset name")
    parser.add_argument("--out", required=True, metavar="SWEEP_DIR", help="the sweep folder")
    parser.add_argument("--backend", choices=("local", "ray"), default="local")
    parser.add_argument(
        "--ray-address", help="an existing Ray cluster (default: start a local one)"
    )
    parser.add_argument(
        "--only", choices=("train", "tournament", "analyze"), help="run one stage only"
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sweeps.cli import check_folder_argument
    from sweeps.runner import run_sweep
    from sweeps.spec import load_spec

    if Path(args.spec).is_dir():
        raise ValueError(f"SPEC_OR_PRESET {args.spec} is a folder, not a sweep TOML file")
    check_folder_argument(args.out, "--out")
    spec = load_spec(args.spec)
    summary = run_sweep(
        spec, args.out, backend=args.backend, only=args.only, ray_address=args.ray_address
    )
    if "analyze" in summary:
        out = summary["analyze"]["out_dir"]
        print(f"figures: {out}/*.png (and .svg)")
        print(f"report:  {out}/report.md, {out}/report.json")
    print(f"status:  boardscale status {args.out}")
    return 0
