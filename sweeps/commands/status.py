"""`boardscale status`: what a sweep has done, what is running and what is missing."""

from __future__ import annotations

import argparse
import json

HELP = "show a sweep's runs, tournament and analysis: done, started, missing, compute spent"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sweep_dir", metavar="SWEEP_DIR")
    parser.add_argument("--json", action="store_true", help="print the status as JSON")


def run(args: argparse.Namespace) -> int:
    from sweeps.runner import sweep_status

    status = sweep_status(args.sweep_dir)
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    runs = status["runs"]
    counts = {
        state: sum(r["state"] == state for r in runs) for state in ("done", "started", "missing")
    }
    print(
        f"sweep {status['name']}: {len(runs)} runs: {counts['done']} done, "
        f"{counts['started']} started, {counts['missing']} missing"
    )
    width = max(len(r["run"]) for r in runs)
    for r in runs:
        budget = f"{r['budget']:.2e}" if r["budget"] else "Jones"
        print(
            f"  {r['run']:<{width}}  {r['state']:<8} snapshots {r['snapshots']:>2}/"
            f"{r['snapshots_planned']:<2} compute {r['jones_flops']:.2e} / {budget} FLOPs"
        )
    if status["tournament"]:
        for board in status["tournament"]:
            print(
                f"tournament board {board['board_size']}: {board['agents']} agents, "
                f"{board['pairs']} ordered pairs, {board['games']} games"
            )
    else:
        print("tournament: not started")
    print(f"analysis: {status['analysis'] or 'not written'}")
    return 0
