"""Benchmark: AlphaZero self-play throughput (positions/s) and compute rate (FLOPs/s).

Points: every ``--configs`` network at every ``--batches`` batch with ``--simulations`` Gumbel MuZero
simulations per move, then the ``--sweep-config`` network at ``--sweep-batch`` for every
``--sweep-simulations`` count. At each point:

- iteration: `alphazero.trainer.Trainer.iteration` (``--steps`` self-play moves in every game, then
  the learner's updates), positions/s = batch x steps / seconds, with Jones-FLOPs/s and
  XLA-FLOPs/s from `Trainer.iteration_cost`;
- self-play: the same ``--steps`` moves alone (`Trainer.move` scanned: search, act, write to
  the replay buffer, step, reset), and its FLOPs/s (Jones's count is self-play only anyway);
- baseline: the design's reference point measured in the same run, pgx's Hex (size override) +
  ``mctx.gumbel_muzero_policy`` + the same MLP, one sampled move per game per step, no buffer;
  ``ours/base`` is self-play positions/s over the baseline's.

Simulations/s = positions/s x simulations. Memory: the compiled self-play program's footprint
(arguments + outputs + temporaries, from XLA's memory analysis; on any backend) and, where the device
reports it (GPU/TPU), the process's peak device memory so far. Self-play times: ``--rounds`` rounds
that time each backend's moves and the baseline's in turn (so that other load on the machine hits
all alike), each the median of ``--repeats`` calls after a warm-up call; the best round is kept.
Iteration times are medians of ``--repeats`` calls; compile seconds are those of lowering and
compiling the self-play program. Configs are ``SIZE:WIDTHxDEPTH`` of Jones's residual MLP.

    python bench/selfplay.py          # the full grid: 3:2x4 5:16x4 7:128x4 9:512x4 at batches 4k
                                      # and 32k, 64 simulations; 9x9 at 1-256 simulations (a GPU)
    python bench/selfplay.py --cpu    # the same grid at batch 256 (9x9 sweep at batch 64)
    python bench/selfplay.py --configs 3:2x4 --batches 64 --simulations 8 --steps 2 --no-sweep
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax
import jax.numpy as jnp
from hex_env import format_table, pgx_hex, pgx_installed, time_calls

DEFAULT_CONFIGS = ("3:2x4", "5:16x4", "7:128x4", "9:512x4")


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    board_size: int
    width: int
    depth: int

    @property
    def label(self) -> str:
        return f"{self.board_size}x{self.board_size} {self.width}x{self.depth}"


def parse_config(text: str) -> BenchConfig:
    """``'9:512x4'`` -> board 9, MLP width 512, depth 4."""
    try:
        size, network = text.split(":")
        width, depth = network.lower().split("x")
        return BenchConfig(int(size), int(width), int(depth))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"config {text!r} must be SIZE:WIDTHxDEPTH, e.g. 5:16x4"
        ) from None


def train_config(
    config: BenchConfig,
    batch: int,
    simulations: int,
    steps: int,
    dtype: str,
    backend: str = "mctx",
    algorithm: str = "gumbel",
):
    from alphazero.settings import (
        LearnerConfig,
        NetworkConfig,
        SearchConfig,
        SelfPlayConfig,
        TrainConfig,
    )

    return TrainConfig(
        # The replay buffer must outlast the longest game (size * size moves).
        learner=LearnerConfig(buffer_steps=max(64, config.board_size**2 + 2)),
        board_size=config.board_size,
        network=NetworkConfig(family="mlp", width=config.width, depth=config.depth, dtype=dtype),
        search=SearchConfig(algorithm=algorithm, num_simulations=simulations, backend=backend),
        selfplay=SelfPlayConfig(num_envs=batch, steps_per_iteration=steps),
    )


def _median_after_warmup(call, repeats: int) -> tuple[float, float]:
    """(first call seconds, median of the timed calls after it)."""
    first, seconds = time_calls(call, repeats)
    return first, statistics.median(seconds)


def compile_with_memory(function, *args):
    """(compiled program, seconds to lower and compile jitted ``function`` for ``args``, its
    arguments + outputs + temporaries from XLA's memory analysis or None where the backend does
    not report it)."""
    started = time.perf_counter()
    compiled = function.lower(*args).compile()
    seconds = time.perf_counter() - started
    try:
        analysis = compiled.memory_analysis()
        memory = int(
            analysis.argument_size_in_bytes
            + analysis.output_size_in_bytes
            + analysis.temp_size_in_bytes
            - analysis.alias_size_in_bytes
        )
    except Exception:  # not every backend implements it
        memory = None
    return compiled, seconds, memory


def compile_program(function, *args) -> tuple[float, int | None]:
    """`compile_with_memory` without the program: (seconds, bytes or None)."""
    return compile_with_memory(function, *args)[1:]


def peak_device_bytes() -> int | None:
    """The process's peak device memory so far (GPU/TPU), or None (the CPU reports nothing)."""
    stats = jax.devices()[0].memory_stats() or {}
    return stats.get("peak_bytes_in_use")


def measure_trainer(trainer, repeats: int) -> tuple[dict, Callable[[], None]]:
    """Time full iterations; compile the self-play moves alone. Returns (numbers, ``play``): the
    self-play call, timed by `measure_point` in rounds alternating with the other programs."""
    config = trainer.config
    positions = config.selfplay.num_envs * config.selfplay.steps_per_iteration
    state = trainer.init_state()
    started = time.perf_counter()
    cost = trainer.iteration_cost(state)
    cost_seconds = time.perf_counter() - started

    def moves(params, key, selfplay):
        keys = jax.random.split(key, config.selfplay.steps_per_iteration)
        return jax.lax.scan(lambda s, k: trainer.move(params, k, s), selfplay, keys)[0]

    # The games and replay buffer are donated, as `Trainer.iteration` donates them: otherwise
    # every call copies the whole buffer to write one row of it.
    moves = jax.jit(moves, donate_argnums=2)
    play_compile, memory = compile_program(moves, state.params, jax.random.key(1), state.selfplay)
    holder = {"state": state}

    def iterate():
        holder["state"], metrics = trainer.iteration(holder["state"])  # donates the old state
        jax.block_until_ready(metrics)

    iteration_first, iteration_seconds = _median_after_warmup(iterate, repeats)
    # Self-play goes on from the games and parameters the iterations left (the state passed in
    # was donated to them).
    params, holder["selfplay"] = holder["state"].params, holder["state"].selfplay

    def play():
        holder["selfplay"] = jax.block_until_ready(
            moves(params, jax.random.key(1), holder["selfplay"])
        )

    numbers = {
        "parameters": trainer.parameter_count(),
        "positions_per_iteration": positions,
        "iteration_seconds": iteration_seconds,
        "iteration_positions_per_second": positions / iteration_seconds,
        "iteration_compile_seconds": max(iteration_first - iteration_seconds, 0.0),
        "selfplay_compile_seconds": play_compile,
        "jones_flops_per_iteration": cost.jones,
        "xla_flops_per_iteration": cost.xla,
        "xla_selfplay_flops_per_iteration": cost.xla_selfplay,
        "iteration_jones_flops_per_second": cost.jones / iteration_seconds,
        "iteration_xla_flops_per_second": cost.xla / iteration_seconds,
        "cost_analysis_seconds": cost_seconds,
        "selfplay_program_bytes": memory,
    }
    return numbers, play


def add_selfplay_time(numbers: dict, seconds: float) -> None:
    """Fill the self-play rates of `measure_trainer`'s numbers from the move's time."""
    numbers["selfplay_seconds"] = seconds
    numbers["selfplay_positions_per_second"] = numbers["positions_per_iteration"] / seconds
    numbers["selfplay_jones_flops_per_second"] = numbers["jones_flops_per_iteration"] / seconds
    numbers["selfplay_xla_flops_per_second"] = numbers["xla_selfplay_flops_per_iteration"] / seconds


def best_of_rounds(
    calls: dict[str, Callable[[], object]], rounds: int, repeats: int, min_seconds: float = 1.0
) -> dict[str, float]:
    """Seconds per call of each of ``calls``: ``rounds`` rounds that run every call in turn (so
    that other load on the machine hits all alike), each the median of at least ``repeats`` timed
    calls (and ``min_seconds`` of them) after a warm-up; the best round's median is kept."""
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, call in calls.items():
            _, seconds = time_calls(call, repeats, min_seconds=min_seconds)
            best[name] = min(best.get(name, float("inf")), statistics.median(seconds))
    return best


def make_baseline(config: BenchConfig, batch: int, simulations: int, steps: int, dtype: str):
    """pgx Hex + mctx Gumbel MuZero + the same MLP: ``(params, run(params, key, games))``, where
    ``run`` plays ``steps`` sampled moves in every game with auto-reset (jitted)."""
    import mctx

    from alphazero.networks import init_params, make_network
    from alphazero.search import choose
    from alphazero.settings import NetworkConfig, SearchConfig

    size = config.board_size
    init, step = pgx_hex(size)
    network = make_network(
        NetworkConfig(family="mlp", width=config.width, depth=config.depth, dtype=dtype),
        size,
        size * size + 1,  # pgx's Hex always has the swap action
    )
    settings = SearchConfig(num_simulations=simulations)
    batched_step = jax.vmap(step)

    def evaluate(params, games):
        logits, value = network.apply(params, games.observation[..., :2].astype(jnp.float32))
        logits = jnp.where(games.legal_action_mask, logits, -1e9)
        return logits, jnp.where(games.terminated, 0.0, value)

    def recurrent_fn(params, key, action, games):
        del key
        mover = games.current_player
        games = batched_step(games, action)
        reward = jnp.take_along_axis(games.rewards, mover[:, None], axis=1)[:, 0]
        logits, value = evaluate(params, games)
        discount = jnp.where(games.terminated, 0.0, -1.0)
        output = mctx.RecurrentFnOutput(
            reward=reward, discount=discount, prior_logits=logits, value=value
        )
        return output, games

    qtransform = functools.partial(
        mctx.qtransform_completed_by_mix_value,
        value_scale=settings.c_scale,
        maxvisit_init=settings.c_visit,
    )

    def move(params, games, key):
        search_key, act_key, reset_key = jax.random.split(key, 3)
        logits, value = evaluate(params, games)
        root = mctx.RootFnOutput(prior_logits=logits, value=value, embedding=games)
        output = mctx.gumbel_muzero_policy(
            params,
            search_key,
            root,
            recurrent_fn,
            num_simulations=simulations,
            invalid_actions=~games.legal_action_mask,
            qtransform=qtransform,
            max_num_considered_actions=settings.max_num_considered_actions,
        )
        games = batched_step(games, choose(act_key, output.action_weights, 1.0))
        fresh = jax.vmap(init)(jax.random.split(reset_key, batch))
        done = games.terminated

        def reset(new, old):
            return jnp.where(done.reshape(done.shape + (1,) * (old.ndim - 1)), new, old)

        return jax.tree.map(reset, fresh, games), done.sum()

    def run(params, key, games):
        return jax.lax.scan(lambda g, k: move(params, g, k), games, jax.random.split(key, steps))[0]

    params = init_params(network, jax.random.key(0), size)
    games = jax.jit(lambda key: jax.vmap(init)(jax.random.split(key, batch)))(jax.random.key(0))
    return params, games, jax.jit(run, donate_argnums=2)


def prepare_baseline(config, batch, simulations, steps, dtype) -> tuple[dict, Callable[[], None]]:
    """(compile numbers, ``play``: ``steps`` baseline moves in every game)."""
    params, games, run = make_baseline(config, batch, simulations, steps, dtype)
    compile_seconds, memory = compile_program(run, params, jax.random.key(1), games)
    holder = {"games": games}

    def play():
        holder["games"] = jax.block_until_ready(run(params, jax.random.key(1), holder["games"]))

    return {"compile_seconds": compile_seconds, "program_bytes": memory}, play


CPU_ARGS = ["--batches", "256", "--sweep-batch", "64"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--configs", type=parse_config, nargs="+", default=list(map(parse_config, DEFAULT_CONFIGS))
    )
    parser.add_argument("--batches", type=int, nargs="+", default=[4096, 32768])
    parser.add_argument("--simulations", type=int, default=64)
    parser.add_argument("--sweep-config", type=parse_config, default=parse_config("9:512x4"))
    parser.add_argument("--sweep-batch", type=int, default=4096)
    parser.add_argument("--sweep-simulations", type=int, nargs="+", default=[1, 4, 16, 64, 256])
    parser.add_argument("--no-sweep", action="store_true", help="skip the simulation sweep")
    parser.add_argument("--steps", type=int, default=1, help="self-play moves per iteration")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per round")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of timing every backend and the baseline in turn; the best is kept",
    )
    parser.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32")
    parser.add_argument("--no-baseline", action="store_true", help="skip pgx + mctx")
    parser.add_argument(
        "--backends",
        nargs="+",
        choices=("native", "mctx"),
        default=["native", "mctx"],
        help="our search backends to measure (the first fills the summary)",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="the same grid at CPU-sized batches: " + " ".join(CPU_ARGS),
    )
    args = parser.parse_args(argv)
    if args.cpu:  # CPU sizes, but flags given explicitly still win
        args = parser.parse_args(CPU_ARGS + list(argv if argv is not None else sys.argv[1:]))
    return args


def points(args) -> list[tuple[BenchConfig, int, int]]:
    """(config, batch, simulations) in the order they are measured, without repeats."""
    grid = [(c, b, args.simulations) for c in args.configs for b in args.batches]
    if not args.no_sweep:
        grid += [(args.sweep_config, args.sweep_batch, n) for n in args.sweep_simulations]
    return list(dict.fromkeys(grid))


def measure_point(config, batch, simulations, args, use_baseline) -> dict:
    """The first of ``args.backends`` fills the row's top-level numbers; every backend's numbers
    are under ``row["backends"][name]``, each with its ratio to the baseline."""
    from alphazero.trainer import Trainer

    row = {
        "config": config.label,
        "board_size": config.board_size,
        "width": config.width,
        "depth": config.depth,
        "batch": batch,
        "simulations": simulations,
        "steps": args.steps,
        "backends": {},
    }
    plays = {}
    for backend in args.backends:
        settings = train_config(config, batch, simulations, args.steps, args.dtype, backend)
        row["backends"][backend], plays[backend] = measure_trainer(Trainer(settings), args.repeats)
    if use_baseline:
        row["baseline"], plays["base"] = prepare_baseline(
            config, batch, simulations, args.steps, args.dtype
        )
    best = best_of_rounds(plays, args.rounds, args.repeats)
    for backend, numbers in row["backends"].items():
        add_selfplay_time(numbers, best[backend])
        numbers["selfplay_simulations_per_second"] = (
            numbers["selfplay_positions_per_second"] * simulations
        )
    row.update(row["backends"][args.backends[0]])
    row["search_backend"] = args.backends[0]
    if use_baseline:
        base = row["baseline"]
        base["seconds"] = best["base"]
        base["positions_per_second"] = batch * args.steps / best["base"]
        for numbers in row["backends"].values():
            numbers["ratio"] = (
                numbers["selfplay_positions_per_second"] / base["positions_per_second"]
            )
        row["ratio"] = row["backends"][args.backends[0]]["ratio"]
    row["peak_device_bytes"] = peak_device_bytes()
    return row


def mebibytes(value) -> float | str:
    return "n/a" if value is None else value / 2**20


def main(argv=None) -> dict:
    """Run the benchmark, print its table and return the measurements as a dict."""
    args = parse_args(argv)
    use_baseline = not args.no_baseline and pgx_installed("no baseline")
    rows = []
    for config, batch, simulations in points(args):
        row = measure_point(config, batch, simulations, args, use_baseline)
        rows.append(row)
        print(
            f"  selfplay {config.label} batch {batch} sims {simulations}: "
            f"{row['selfplay_positions_per_second']:,.0f} pos/s"
            + (
                "".join(
                    f", {name}/base {numbers['ratio']:.2f}"
                    for name, numbers in row["backends"].items()
                )
                if use_baseline
                else ""
            ),
            file=sys.stderr,
        )
    headers = ["config", "params", "batch", "sims"]
    for backend in args.backends:
        headers += [f"{backend} pos/s", f"{backend} sims/s"]
        if use_baseline:
            headers.append(f"{backend}/base")
    if use_baseline:
        headers.append("base pos/s")
    headers += ["iter pos/s", "iter Jones F/s", "play XLA F/s", "compile s", "program MiB"]
    headers += ["peak MiB"]
    table = []
    for row in rows:
        line = [row["config"], row["parameters"], row["batch"], row["simulations"]]
        for backend in args.backends:
            numbers = row["backends"][backend]
            line += [
                numbers["selfplay_positions_per_second"],
                numbers["selfplay_simulations_per_second"],
            ]
            if use_baseline:
                line.append(numbers["ratio"])
        if use_baseline:
            line.append(row["baseline"]["positions_per_second"])
        line += [
            row["iteration_positions_per_second"],
            row["iteration_jones_flops_per_second"],
            row["selfplay_xla_flops_per_second"],
            row["selfplay_compile_seconds"],
            mebibytes(row["selfplay_program_bytes"]),
            mebibytes(row["peak_device_bytes"]),
        ]
        table.append(line)
    print(
        f"Self-play (gumbel), {args.steps} move(s) per iteration, {args.dtype} "
        f"({jax.default_backend()}); base = pgx Hex + mctx + the same MLP; iteration, compile and "
        f"memory columns for the {args.backends[0]} search"
    )
    print(format_table(headers, table))
    return {"dtype": args.dtype, "baseline": use_baseline, "rows": rows}


if __name__ == "__main__":
    main()
