"""`boardscale design`: what a sweep's design can measure, before any compute is spent.

    boardscale design SPEC_OR_PRESET [--noise ELO] [--replicates N] [--reach F] [--seed S]

Simulates synthetic agents from Jones's model at exactly the spec's design (boards; runs =
networks x seeds x grid axes; each board's snapshot compute; the test-time simulation counts; the
training simulation count; the tournament's target standard error as rating noise), runs the
analysis's own fits on each and prints the expected bias and 95% interval half-width of the
frontier slope, the perfect-play growth per board size and the exchange slope (per estimator), and
whether the design can tell an exchange slope of -1.18 from -0.9. See `analysis.design`.

Jones's model is a model of Hex. A board of another game (Connect Four's ``c4-RxC-X``) is
simulated as the Hex board with about as many cells (size round(sqrt(cells)): 4x5 as 4x4, 5x6 as
5x5), with its own snapshots, networks and simulation counts; the output says so. What the check
measures, the bias and spread each estimator has at this density of snapshots, simulation counts,
seeds and rating noise, depends on the game only through the Elo ranges the model gives that size.
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


def model_size(env) -> int:
    """The Hex board size Jones's model simulates for ``env``: Hex's own size, else the Hex
    board with about as many cells (round(sqrt(cells)), at least 2)."""
    import math

    from analysis.boards import is_hex

    if is_hex(env.board_label):
        return int(env.board_label)
    return max(2, round(math.sqrt(env.num_cells)))


def design_from_spec(spec, noise: float | None = None):
    """The `analysis.synthetic.Design` of a sweep spec, and the lines that say which boards were
    simulated as which Hex size (empty for Hex alone)."""
    import collections

    from alphazero.networks import mlp_parameter_count
    from alphazero.schedule import schedule
    from analysis.synthetic import BoardDesign, Design

    boards: dict[int, dict] = {}
    labels: dict[int, tuple[str, int]] = {}  # model size -> (board label, cells)
    training = collections.Counter()
    for plan in spec.runs():
        config = plan.config
        _, targets = schedule(config)
        network = config.network
        env = config.env()
        size = model_size(env)
        label = str(config.board_label)
        if labels.setdefault(size, (label, env.num_cells))[0] != label:
            raise ValueError(
                f"boards {labels[size][0]} and {label} would both be simulated as Hex {size}x{size}"
            )
        if network.family == "mlp":
            shape = tuple(env.observation_shape)
            parameters = mlp_parameter_count(shape, network.width, network.depth, env.num_actions)
        else:  # only the ranking of networks matters in the model
            parameters = network.channels**2 * 9 * max(network.blocks, 1)
        entry = boards.setdefault(size, {"snapshots": tuple(float(t) for t in targets), "runs": []})
        entry["runs"].append(parameters)
        training[config.search.num_simulations] += 1
    parts = []
    for size, entry in sorted(boards.items()):
        parts.append(BoardDesign(size, entry["snapshots"], tuple(entry["runs"])))
    design = Design(
        tuple(parts),
        seeds=1,  # spec.runs() already lists every seed as its own run
        simulations=tuple(sorted(spec.test_simulations)),
        train_simulations=training.most_common(1)[0][0],
        noise_elo=float(spec.tournament.target_se if noise is None else noise),
    )
    notes = [
        f"board {label} ({cells} cells) simulated as Hex {size}x{size}"
        for size, (label, cells) in labels.items()
        if label != str(size)
    ]
    return design, notes


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
    design, notes = design_from_spec(load_spec(args.spec), args.noise)
    check = check_design(
        design, Truth(reach=args.reach), replicates=args.replicates, seed=args.seed
    )
    if args.json:
        print(json.dumps({**check.to_json(), "model_boards": notes}, indent=2))
    else:
        print("\n".join([*notes, format_check(check)]))
    return 0
