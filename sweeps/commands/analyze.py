"""`boardscale analyze`: fit the compute frontier and the exchange rate, write figures and a report.

    boardscale analyze SWEEP_DIR [--out DIR]        agents and Elo from the sweep's results store
    boardscale analyze --agents FILE.csv [--out DIR]  an agent table from CSV

The default output folder is SWEEP_DIR/analysis, or `analysis` beside FILE.csv. For a sweep it
also holds the sweep's agents and matches as text (agents.csv, matches.csv). Boards are Hex
sizes or Connect Four labels (c4-4x5-3); only Hex boards are set beside Jones's numbers, and the
Connect Four boards' own frontier slopes and exchange rates are printed apart.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "fit the compute frontier and train/test exchange rate; write figures and a report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "sweep_dir", nargs="?", type=Path, metavar="SWEEP_DIR",
        help="sweep folder whose results store holds the agents and matches",
    )  # fmt: skip
    parser.add_argument(
        "--agents", type=Path, metavar="FILE.csv",
        help="agent table as CSV: board_size,train_flops,test_flops,elo "
        "(optional elo_se,run,simulations) instead of a sweep; board_size is a Hex size or a "
        "Connect Four label such as c4-4x5-3",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, metavar="DIR",
        help="output folder (default SWEEP_DIR/analysis, or 'analysis' beside FILE.csv)",
    )  # fmt: skip
    parser.add_argument(
        "--bootstrap", type=int, default=200, metavar="N",
        help="bootstrap resamples for the 95%% intervals (default 200; 0 for none)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (default 0)")
    parser.add_argument(
        "--simulations", type=int, default=None, metavar="N",
        help="simulation count of the agents drawn as the frontier (default: the runs' training "
        "count, or the nearest evaluated one; for a CSV without train_simulations, the count "
        "evaluated at the most snapshots)",
    )  # fmt: skip
    parser.add_argument(
        "--colour", choices=("symmetric", "term"), default="symmetric",
        help="Elo colour treatment for a sweep: 'symmetric' averages each pair's win rates over "
        "the two colours (Jones's, default); 'term' fits a first-mover term",
    )  # fmt: skip
    parser.add_argument(
        "--by", metavar="SETTING",
        help="also fit each group of runs that differ in this training setting (a dotted prefix "
        "such as 'search'), on the sweep's one joint rating, and compare the groups "
        "(OUT/groups.md, OUT/figures/groups.png, OUT/<group>/report.md)",
    )  # fmt: skip
    parser.add_argument("--no-figures", action="store_true", help="write only the report")


def run(args: argparse.Namespace) -> int:
    from analysis.report import analyze_agents, read_agents_csv

    if (args.sweep_dir is None) == (args.agents is None):
        raise ValueError("give either SWEEP_DIR or --agents FILE.csv (exactly one)")
    if args.bootstrap < 0:
        raise ValueError(f"--bootstrap must be >= 0, got {args.bootstrap}")
    if args.simulations is not None and args.simulations < 0:
        raise ValueError(f"--simulations must be >= 0, got {args.simulations}")
    if args.out is not None:
        from sweeps.cli import check_folder_argument

        check_folder_argument(args.out, "--out")
    ratings = settings = colour = None
    if args.by is not None and args.agents is not None:
        raise ValueError("--by needs SWEEP_DIR (an agent CSV has no run settings)")
    if args.agents is not None:
        try:
            table = read_agents_csv(args.agents)
        except UnicodeDecodeError:
            raise ValueError(f"--agents {args.agents} is not a CSV file (not UTF-8 text)") from None
        out = args.out if args.out is not None else args.agents.parent / "analysis"
        source = str(args.agents)
    else:
        if not args.sweep_dir.is_dir():
            raise ValueError(f"sweep folder {args.sweep_dir} does not exist")
        from analysis.elo_io import sweep_agents, sweep_settings

        colour = args.colour
        table, ratings = sweep_agents(args.sweep_dir, colour=colour)
        settings = sweep_settings(args.sweep_dir)
        out = args.out if args.out is not None else args.sweep_dir / "analysis"
        source = str(args.sweep_dir)
    report = analyze_agents(
        table,
        out,
        bootstrap=args.bootstrap,
        seed=args.seed,
        simulations=args.simulations,
        figures=not args.no_figures,
        ratings=ratings,
        colour=colour,
        settings=settings,
    )
    print(f"analysed {report['inputs']['trained_agents']} trained agents from {source}")
    print(f"  intervals include: {report['inputs']['interval_sources']}")
    for row in report["comparison"]:
        ours = row["ours"]
        value = "not estimable" if ours["value"] is None else f"{ours['value']:.3g}"
        print(f"  {row['quantity']}: {value} (Jones: {row['jones']:g})")
    not_compared = report.get("jones_not_compared")
    if not_compared:
        from analysis.boards import board_caption

        per_board = report["frontier"]["per_board"]
        for board in not_compared["boards"]:
            slope = per_board.get(str(board), {}).get("slope_elo_per_decade", {}).get("value")
            exchange = report["exchange_rate"]["iso_elo"]["per_board"].get(str(board), {})
            factor = exchange.get("test_per_10x_train", {}).get("value")
            print(
                f"  {board_caption(board)}: frontier slope "
                f"{'not estimable' if slope is None else f'{slope:.3g} Elo per decade'}; "
                f"10x train ~ {'not estimable' if factor is None else f'{factor:.3g}x'} test"
            )
        print(f"  not compared with Jones (2021): {not_compared['reason']}")
    if report["figures"]:
        print(f"figures: {out / 'figures'} ({len(report['figures'])} files, PNG and SVG)")
    print(f"report: {out / 'report.md'}")
    print(f"data: {out / 'report.json'}")
    if args.sweep_dir is not None:
        from analysis.elo_io import write_sweep_tables

        agents_csv, matches_csv = write_sweep_tables(args.sweep_dir, table, out)
        print(f"tables: {agents_csv}, {matches_csv}")
    if args.by is not None:
        _analyze_groups(args, table, ratings, colour, out)
    return 0


def _analyze_groups(args, table, ratings, colour, out: Path) -> None:
    """``--by``: every group's fits and the comparison (`analysis.groups`)."""
    from analysis.elo_io import sweep_settings
    from analysis.groups import analyze_groups, format_entry, run_groups

    groups = run_groups(args.sweep_dir, args.by)
    settings = {label: sweep_settings(args.sweep_dir, set(runs)) for label, runs in groups.items()}
    result = analyze_groups(
        table, groups, out, by=args.by, figures=not args.no_figures, settings=settings,
        bootstrap=args.bootstrap, seed=args.seed, simulations=args.simulations, ratings=ratings,
        colour=colour,
    )  # fmt: skip
    for row in result["groups"]:
        frontier, slope = row["frontier_slope_elo_per_decade"], row["exchange_slope"]
        print(
            f"  {args.by} = {row['group']}: frontier slope {format_entry(frontier)} Elo/decade, "
            f"exchange slope {format_entry(slope)}"
        )
    print(f"groups: {out / 'groups.md'}")
