"""Benchmark: one batched search call, mctx against our native search (`alphazero.native_search`).

Both run `alphazero.search.make_search` with the same network, positions, key and settings (root
noise on, as in self-play); only ``search.backend`` differs. Positions are random-play positions at
random plies (finished games included). Reported per point: positions/s of one search call for
each backend (median of the timed calls after a warm-up; ``--rounds`` alternating rounds of both,
best median kept, so that load from other work hits both alike), compile seconds, and native/mctx
(above 1: native is faster). ``--selfplay`` also times one self-play move (search, act, record,
step, reset: `alphazero.trainer.Trainer.move`). ``--network none`` swaps the MLP for a do-nothing
model (logits and value read straight off the board), leaving the search's own bookkeeping.

Points: every ``--configs`` network at ``--batch`` and ``--simulations``, then the ``--sweep-config``
network at ``--sweep-batch`` for every ``--sweep-simulations`` count. Configs are
``SIZE:WIDTHxDEPTH`` of Jones's residual MLP.

    python bench/native_search.py                 # CPU grid: 3:2x4 5:16x4 7:128x4 9:512x4 at
                                                  # batch 256, 64 simulations; 9x9 at 1-256, batch 16
    python bench/native_search.py --algorithm puct --network none
    python bench/native_search.py --configs 9:512x4 --batch 4096 --sweep-batch 1024   # a GPU

``--algorithms`` times the native search under each algorithm instead (Gumbel MuZero, PUCT,
Jones's regularised search and its sqrt variant; mctx has no regularised search), same network,
positions, key and root noise, and reports each one's cost per simulation (microseconds per
position per simulation) and its time relative to Gumbel MuZero measured in the same rounds:

    python bench/native_search.py --algorithms --configs 3:2x4 5:16x4 --batch 64 --no-sweep
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax
import jax.numpy as jnp
from hex_env import format_table
from selfplay import (
    best_of_rounds,
    compile_with_memory,
    mebibytes,
    parse_config,
    train_config,
)

DEFAULT_CONFIGS = ("3:2x4", "5:16x4", "7:128x4", "9:512x4")
BACKENDS = ("mctx", "native")
ALGORITHMS = {  # name: SearchConfig settings
    "gumbel": {"algorithm": "gumbel"},
    "puct": {"algorithm": "puct"},
    "regularized": {"algorithm": "regularized"},
    "regularized-sqrt": {"algorithm": "regularized", "regularized_sqrt": True},
}


def positions(env, batch: int, seed: int = 0):
    """``batch`` random-play positions, each at a uniformly random ply (some games finished)."""

    def play(key):
        plies_key, key = jax.random.split(key)
        plies = jax.random.randint(plies_key, (batch,), 0, env.num_cells + 1)
        states = jax.vmap(env.init)(jax.random.split(key, batch))

        def ply(index, carry):
            states, key = carry
            key, sub = jax.random.split(key)
            logits = jnp.where(states.legal_action_mask, 0.0, -1e9)
            actions = jax.random.categorical(sub, logits).astype(jnp.int32)
            moved = jax.vmap(env.step)(states, actions)
            going = index < plies

            def keep(new, old):
                return jnp.where(going.reshape((-1,) + (1,) * (old.ndim - 1)), new, old)

            return jax.tree.map(keep, moved, states), key

        return jax.lax.fori_loop(0, env.num_cells, ply, (states, key))[0]

    return jax.jit(play)(jax.random.key(seed))


def do_nothing_model(num_actions: int):
    """A model that costs nothing: logits and value read straight off the board."""

    def model(params, observation):
        del params
        batch = observation.shape[0]
        stones = observation.reshape(batch, -1, 2)
        logits = 0.1 * (stones[..., 0] - stones[..., 1]) + jnp.arange(num_actions) / num_actions
        value = jnp.tanh(stones[..., 0].sum(axis=-1) - stones[..., 1].sum(axis=-1))
        return logits, value

    return model


def build(config, batch: int, simulations: int, args):
    """(env, model, params, states) for one point."""
    import games
    from alphazero.networks import init_params, make_network
    from alphazero.settings import NetworkConfig

    env = games.make("hex", size=config.board_size)
    if args.network == "none":
        return env, do_nothing_model(env.num_actions), None, positions(env, batch)
    network = make_network(
        NetworkConfig(family="mlp", width=config.width, depth=config.depth, dtype=args.dtype),
        config.board_size,
        env.num_actions,
    )
    params = init_params(network, jax.random.key(0), config.board_size)
    return env, network.apply, params, positions(env, batch)


def compile_search(env, model, params, states, simulations, backend, args):
    from alphazero.search import make_search
    from alphazero.settings import SearchConfig

    settings = SearchConfig(algorithm=args.algorithm, num_simulations=simulations, backend=backend)
    search = make_search(env, model, settings, root_noise=True)
    return compile_with_memory(jax.jit(search), params, jax.random.key(1), states)


def measure_algorithms(config, batch: int, simulations: int, args) -> dict:
    """One native search call per algorithm at one point, timed in alternating rounds."""
    from alphazero.search import make_search
    from alphazero.settings import SearchConfig

    env, model, params, states = build(config, batch, simulations, args)
    calls = {}
    for name, settings in ALGORITHMS.items():
        search_config = SearchConfig(num_simulations=simulations, backend="native", **settings)
        search = make_search(env, model, search_config, root_noise=True)
        compiled, _, _ = compile_with_memory(jax.jit(search), params, jax.random.key(1), states)
        calls[name] = lambda compiled=compiled: compiled(params, jax.random.key(1), states)
    best = best_of_rounds(calls, args.rounds, args.repeats, args.min_seconds)
    return {
        "config": config.label,
        "batch": batch,
        "simulations": simulations,
        "seconds": best,
        "microseconds_per_simulation": {
            name: 1e6 * seconds / (batch * simulations) for name, seconds in best.items()
        },
        "ratio_to_gumbel": {name: seconds / best["gumbel"] for name, seconds in best.items()},
    }


def print_algorithms(rows) -> None:
    headers = ["config", "batch", "sims"]
    headers += [f"{name} us/sim" for name in ALGORITHMS]
    headers += [f"{name}/gumbel" for name in ALGORITHMS if name != "gumbel"]
    table = []
    for row in rows:
        line = [row["config"], row["batch"], row["simulations"]]
        line += [row["microseconds_per_simulation"][name] for name in ALGORITHMS]
        line += [row["ratio_to_gumbel"][name] for name in ALGORITHMS if name != "gumbel"]
        table.append(line)
    print(
        "Native search per algorithm (root noise), microseconds per position per simulation and "
        f"time relative to Gumbel MuZero in the same rounds ({jax.default_backend()})"
    )
    print(format_table(headers, table))


def compile_move(config, batch, simulations, backend, args):
    """A jitted self-play move of `Trainer` (search, act, record, step, reset), its games and
    buffer donated as in training: (call, compile seconds)."""
    from alphazero.trainer import Trainer

    settings = train_config(config, batch, simulations, 1, args.dtype, backend, args.algorithm)
    trainer = Trainer(settings)
    state = trainer.init_state()
    move = jax.jit(trainer.move, donate_argnums=2)
    compiled, seconds, _ = compile_with_memory(
        move, state.params, jax.random.key(1), state.selfplay
    )
    holder = {"selfplay": state.selfplay}

    def call():
        holder["selfplay"], stats = compiled(state.params, jax.random.key(1), holder["selfplay"])
        return stats

    return call, seconds


def measure_point(config, batch: int, simulations: int, args) -> dict:
    env, model, params, states = build(config, batch, simulations, args)
    calls, compile_seconds, memory = {}, {}, {}
    for backend in BACKENDS:
        compiled, compile_seconds[backend], memory[backend] = compile_search(
            env, model, params, states, simulations, backend, args
        )
        calls[backend] = lambda compiled=compiled: compiled(params, jax.random.key(1), states)
    row = {
        "config": config.label,
        "batch": batch,
        "simulations": simulations,
        "compile_seconds": compile_seconds,
        "program_bytes": memory,
    }
    if args.memory_only:
        return row
    moves = {}
    if args.selfplay and args.network != "none":
        for backend in BACKENDS:
            moves[backend], compile_seconds[f"{backend} move"] = compile_move(
                config, batch, simulations, backend, args
            )
    calls |= {f"{backend} move": call for backend, call in moves.items()}
    best = best_of_rounds(calls, args.rounds, args.repeats, args.min_seconds)
    row["seconds"] = best
    row["positions_per_second"] = {name: batch / s for name, s in best.items()}
    row["ratio"] = best["mctx"] / best["native"]
    if moves:
        row["move_ratio"] = best["mctx move"] / best["native move"]
    return row


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--configs", type=parse_config, nargs="+", default=list(map(parse_config, DEFAULT_CONFIGS))
    )
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--simulations", type=int, default=64)
    parser.add_argument("--sweep-config", type=parse_config, default=parse_config("9:512x4"))
    parser.add_argument("--sweep-batch", type=int, default=16)
    parser.add_argument("--sweep-simulations", type=int, nargs="+", default=[1, 4, 16, 64, 256])
    parser.add_argument("--no-sweep", action="store_true", help="skip the simulation sweep")
    parser.add_argument("--algorithm", choices=("gumbel", "puct"), default="gumbel")
    parser.add_argument("--network", choices=("mlp", "none"), default="mlp")
    parser.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32")
    parser.add_argument("--selfplay", action="store_true", help="also time one self-play move")
    parser.add_argument(
        "--algorithms",
        action="store_true",
        help="time the native search under each algorithm instead of the two backends",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per round")
    parser.add_argument("--min-seconds", type=float, default=0.5, help="timed seconds per round")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per point")
    parser.add_argument(
        "--memory-only",
        action="store_true",
        help="compile only and print each program's memory (GPU sizes can be sized on a CPU)",
    )
    return parser.parse_args(argv)


def print_memory(rows) -> None:
    """The compiled search programs' memory (arguments + outputs + temporaries, XLA's analysis)."""
    table = []
    for row in rows:
        memory = row["program_bytes"]
        line = [row["config"], row["batch"], row["simulations"]]
        line += [mebibytes(memory["mctx"]), mebibytes(memory["native"])]
        both = memory["mctx"] is not None and memory["native"] is not None
        line.append(memory["mctx"] / memory["native"] if both else "n/a")
        table.append(line)
    print(f"One search program's memory, MiB, compiled for {jax.default_backend()}")
    print(format_table(["config", "batch", "sims", "mctx MiB", "native MiB", "mctx/native"], table))


def main(argv=None) -> dict:
    """Run the benchmark, print its table and return the measurements as a dict."""
    args = parse_args(argv)
    grid = [(c, args.batch, args.simulations) for c in args.configs]
    if not args.no_sweep:
        grid += [(args.sweep_config, args.sweep_batch, n) for n in args.sweep_simulations]
    rows = []
    if args.algorithms:
        for config, batch, simulations in dict.fromkeys(grid):
            rows.append(measure_algorithms(config, batch, simulations, args))
        print_algorithms(rows)
        return {"args": vars(args) | {"configs": [c.label for c in args.configs]}, "rows": rows}
    for config, batch, simulations in dict.fromkeys(grid):
        row = measure_point(config, batch, simulations, args)
        rows.append(row)
        if args.memory_only:
            continue
        rate = row["positions_per_second"]
        print(
            f"  {row['config']} batch {batch} sims {simulations}: mctx {rate['mctx']:,.0f}/s, "
            f"native {rate['native']:,.0f}/s, native/mctx {row['ratio']:.2f}",
            file=sys.stderr,
        )
    if args.memory_only:
        print_memory(rows)
        return {"args": vars(args) | {"configs": [c.label for c in args.configs]}, "rows": rows}
    headers = ["config", "batch", "sims", "mctx pos/s", "native pos/s", "native/mctx"]
    headers += ["mctx compile s", "native compile s", "mctx MiB", "native MiB"]
    moves = any("move_ratio" in row for row in rows)
    if moves:
        headers += ["mctx move pos/s", "native move pos/s", "move native/mctx"]
    table = []
    for row in rows:
        rate, compile_seconds = row["positions_per_second"], row["compile_seconds"]
        line = [row["config"], row["batch"], row["simulations"], rate["mctx"], rate["native"]]
        line += [row["ratio"], compile_seconds["mctx"], compile_seconds["native"]]
        line += [mebibytes(row["program_bytes"]["mctx"]), mebibytes(row["program_bytes"]["native"])]
        if moves:
            line += [rate.get("mctx move", 0.0), rate.get("native move", 0.0)]
            line += [row.get("move_ratio", 0.0)]
        table.append(line)
    network = "do-nothing model" if args.network == "none" else f"MLP {args.dtype}"
    print(
        f"One search call ({args.algorithm}, root noise), {network}, positions/s, best of "
        f"{args.rounds} alternating rounds ({jax.default_backend()})"
    )
    print(format_table(headers, table))
    return {"args": vars(args) | {"configs": [c.label for c in args.configs]}, "rows": rows}


if __name__ == "__main__":
    main()
