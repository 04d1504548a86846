"""Benchmark: several seeds of one config as one vmapped program against one run at a time.

Default: three seeds of a 4x4 board with Jones's 8x1 MLP (otherwise the training defaults).
Both sides run the same pure iteration (`alphazero.trainer.make_train`): ``sequential`` calls the
lone jitted iteration once per seed, ``vmapped`` calls ``jit(vmap(iteration))`` once on the
stacked states (what `alphazero.training.train_seeds` runs). Both are compiled and run once
before timing; then ``--rounds`` rounds alternate the two sides (``--iterations`` iterations each),
so both see the same machine load. Reported: self-play positions per second of each side (all
seeds together; the median over rounds) and vmapped / sequential.

    python bench/vmapped_seeds.py
    python bench/vmapped_seeds.py --seeds 3 --rounds 5 --iterations 4
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax
import jax.numpy as jnp


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--board", type=int, default=4)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=4, help="iterations per timed round")
    parser.add_argument("--num-envs", type=int, default=0, help="0: the training default")
    parser.add_argument("--simulations", type=int, default=-1, help="-1: the training default")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    from alphazero.config import from_dict
    from alphazero.settings import TrainConfig
    from alphazero.trainer import Trainer

    args = parse_args(argv)
    data = {"board_size": args.board, "network": {"width": args.width, "depth": args.depth}}
    if args.num_envs:
        data["selfplay"] = {"num_envs": args.num_envs}
    if args.simulations >= 0:
        data["search"] = {"num_simulations": args.simulations}
    config = from_dict(TrainConfig, data)
    trainer = Trainer(config)
    lone = trainer.iteration  # jit(iteration), donating its state
    vmapped = jax.jit(jax.vmap(trainer.functions.iteration), donate_argnums=0)
    states = [trainer.init_state(seed) for seed in range(args.seeds)]
    stacked = jax.tree.map(lambda *leaves: jnp.stack(leaves), *states)
    samples = config.selfplay.num_envs * config.selfplay.steps_per_iteration

    def run_sequential(count):
        nonlocal states
        for _ in range(count):
            states = [lone(state)[0] for state in states]
        jax.block_until_ready(states)

    def run_vmapped(count):
        nonlocal stacked
        for _ in range(count):
            stacked = vmapped(stacked)[0]
        jax.block_until_ready(stacked)

    run_sequential(1)  # compile and warm both
    run_vmapped(1)
    rates = {"sequential": [], "vmapped": []}
    for _ in range(args.rounds):
        for name, run in (("sequential", run_sequential), ("vmapped", run_vmapped)):
            started = time.perf_counter()
            run(args.iterations)
            seconds = time.perf_counter() - started
            rates[name].append(args.seeds * samples * args.iterations / seconds)
    result = {
        "config": f"{args.board}x{args.board} {args.width}x{args.depth}",
        "seeds": args.seeds,
        "num_envs": config.selfplay.num_envs,
        "simulations": config.search.num_simulations,
        "rounds": args.rounds,
        "iterations_per_round": args.iterations,
        "backend": jax.default_backend(),
        "sequential_positions_per_second": statistics.median(rates["sequential"]),
        "vmapped_positions_per_second": statistics.median(rates["vmapped"]),
        "rounds_positions_per_second": rates,
    }
    result["ratio"] = (
        result["vmapped_positions_per_second"] / result["sequential_positions_per_second"]
    )
    print(
        f"{result['config']}, {args.seeds} seeds, {result['num_envs']} games, "
        f"{result['simulations']} simulations ({result['backend']}): sequential "
        f"{result['sequential_positions_per_second']:,.0f} pos/s, vmapped "
        f"{result['vmapped_positions_per_second']:,.0f} pos/s, vmapped/sequential "
        f"{result['ratio']:.2f} (median of {args.rounds} alternating rounds)"
    )
    return result


if __name__ == "__main__":
    main()
