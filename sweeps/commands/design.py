"""`boardscale design`: what a sweep's design can measure, before any compute is spent.

    boardscale design SPEC_OR_PRESET [--noise ELO] [--replicates N] [--reach F] [--seed S]

Simulates synthetic agents from Jones's model at exactly the spec's design (boards; runs =
networks x seeds x grid axes; each board's snapshot compute; the test-time simulation counts; the
training simulation count; the tournament's target standard error as rating noise), runs the
analysis's own fits on each and prints the expected bias and 95% interval half-width of the
frontier slope, the perfect-play growth per board size and the exchange slope (per estimator), and
whether the design can tell an exchange slope of -1.18 from -0.9. See `analysis.design`.
"""

from __future__ import annotations

import argparse
import json

HELP = "simulate a sweep's design from Jones's model: expected bias and interval of each fit"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC_OR_PRESET", help="a spec TOML file or a preset name")
    parser.add_argument(
        "--noise", type=float, default=None, metavar="ELO",
        help="rating noise in Elo (default: the spec's tournament.target_se)",
    )  # fmt: skip
    parser.add_argument(
        "--replicates", type=int, default=20, metavar="N",
        help="synthetic studies per truth (default 20)",
    )  # fmt: skip
    parser.add_argument(
        "--reach", type=float, default=0.6, metavar="F",
        help="where in each board's snapshot range (fraction of its log compute span) the "
        "synthetic frontier reaches perfect play (default 0.6); Jones's absolute compute "
        "rarely falls inside a small sweep's range",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulation (default 0)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def design_from_spec(spec, noise: float | None = None):
    """The `analysis.synthetic.Design` of a sweep spec."""
    import collections

    import games
    from alphazero.networks import mlp_parameter_count
    from alphazero.schedule import schedule
    from analysis.synthetic import BoardDesign, Design

    boards: dict[int, dict] = {}
    training = collections.Counter()
    for plan in spec.runs():
        config = plan.config
        size = config.board_size
        _, targets = schedule(config)
        network = config.network
        if network.family == "mlp":
            env = games.make(config.game, size=size, swap=config.swap)
            parameters = mlp_parameter_count(size, network.width, network.depth, env.num_actions)
        else:  # only the ranking of networks matters in the model
            parameters = network.channels**2 * 9 * max(network.blocks, 1)
        entry = boards.setdefault(size, {"snapshots": tuple(float(t) for t in targets), "runs": []})
        entry["runs"].append(parameters)
        training[config.search.num_simulations] += 1
    parts = []
    for size, entry in sorted(boards.items()):
        parts.append(BoardDesign(size, entry["snapshots"], tuple(entry["runs"])))
    return Design(
        tuple(parts),
        seeds=1,  # spec.runs() already lists every seed as its own run
        simulations=tuple(sorted(spec.test_simulations)),
        train_simulations=training.most_common(1)[0][0],
        noise_elo=float(spec.tournament.target_se if noise is None else noise),
    )


def run(args: argparse.Namespace) -> int:
    from analysis.design import check_design, format_check
    from analysis.synthetic import Truth
    from sweeps.spec import load_spec

    if args.replicates < 2:
        raise ValueError(f"--replicates must be at least 2, got {args.replicates}")
    if args.noise is not None and not args.noise >= 0:
        raise ValueError(f"--noise must be >= 0 Elo, got {args.noise}")
    if not 0 < args.reach <= 1:
        raise ValueError(f"--reach must be in (0, 1], got {args.reach}")
    design = design_from_spec(load_spec(args.spec), args.noise)
    check = check_design(
        design, Truth(reach=args.reach), replicates=args.replicates, seed=args.seed
    )
    if args.json:
        print(json.dumps(check.to_json(), indent=2))
    else:
        print(format_check(check))
    return 0
