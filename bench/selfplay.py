"""Benchmark: AlphaZero self-play throughput (positions/s) and compute rate (FLOPs/s).

For each (board, network) config, with ``--batch`` games in parallel and ``--simulations`` Gumbel
MuZero simulations per move:

- iteration: `alphazero.train.Trainer.iteration` (``--steps`` self-play moves in every game, then
  the learner's updates), positions/s = batch x steps / seconds, with Jones-FLOPs/s and
  XLA-FLOPs/s from `Trainer.iteration_cost`;
- self-play: the same ``--steps`` moves alone (`Trainer._move` scanned: search, act, write to
  the replay buffer, step, reset), and its FLOPs/s (Jones's count is self-play only anyway);
- baseline: the design's reference point measured in the same run, pgx's Hex (size override) +
  ``mctx.gumbel_muzero_policy`` + the same MLP, one sampled move per game per step, no buffer;
  ``ours/base`` is self-play positions/s over the baseline's.

Times are medians of ``--repeats`` calls after a warm-up call (compile seconds are the first call
minus the median). Configs are ``SIZE:WIDTHxDEPTH`` of Jones's residual MLP.

    python bench/selfplay.py                                  # 3:2x4 5:16x4 9:512x4
    python bench/selfplay.py --configs 3:2x4 --batch 64 --simulations 8 --steps 2
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import statistics
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax
import jax.numpy as jnp
from hex_env import _pgx, format_table, time_calls

DEFAULT_CONFIGS = ("3:2x4", "5:16x4", "9:512x4")


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


def train_config(config: BenchConfig, batch: int, simulations: int, steps: int, dtype: str):
    from alphazero.settings import NetworkConfig, SearchConfig, SelfPlayConfig, TrainConfig

    return TrainConfig(
        board_size=config.board_size,
        network=NetworkConfig(family="mlp", width=config.width, depth=config.depth, dtype=dtype),
        search=SearchConfig(num_simulations=simulations),
        selfplay=SelfPlayConfig(num_envs=batch, steps_per_iteration=steps),
    )


def _median_after_warmup(call, repeats: int) -> tuple[float, float]:
    """(first call seconds, median of the timed calls after it)."""
    first, seconds = time_calls(call, repeats)
    return first, statistics.median(seconds)


def measure_trainer(trainer, repeats: int) -> dict:
    """Time full iterations and self-play moves alone; report both FLOPs rates."""
    config = trainer.config
    positions = config.selfplay.num_envs * config.selfplay.steps_per_iteration
    state = trainer.init_state()
    started = time.perf_counter()
    cost = trainer.iteration_cost(state)
    cost_seconds = time.perf_counter() - started

    def moves(params, key, selfplay):
        keys = jax.random.split(key, config.selfplay.steps_per_iteration)
        return jax.lax.scan(lambda s, k: trainer._move(params, k, s), selfplay, keys)[0]

    moves = jax.jit(moves)
    holder = {"selfplay": state.selfplay}

    def play():
        holder["selfplay"] = jax.block_until_ready(
            moves(state.params, jax.random.key(1), holder["selfplay"])
        )

    play_first, play_seconds = _median_after_warmup(play, repeats)
    holder["state"] = state

    def iterate():
        holder["state"], metrics = trainer.iteration(holder["state"])  # donates the old state
        jax.block_until_ready(metrics)

    iteration_first, iteration_seconds = _median_after_warmup(iterate, repeats)
    return {
        "parameters": trainer.parameter_count(),
        "positions_per_iteration": positions,
        "iteration_seconds": iteration_seconds,
        "iteration_positions_per_second": positions / iteration_seconds,
        "iteration_compile_seconds": max(iteration_first - iteration_seconds, 0.0),
        "selfplay_seconds": play_seconds,
        "selfplay_positions_per_second": positions / play_seconds,
        "selfplay_compile_seconds": max(play_first - play_seconds, 0.0),
        "jones_flops_per_iteration": cost.jones,
        "xla_flops_per_iteration": cost.xla,
        "xla_selfplay_flops_per_iteration": cost.xla_selfplay,
        "iteration_jones_flops_per_second": cost.jones / iteration_seconds,
        "iteration_xla_flops_per_second": cost.xla / iteration_seconds,
        "selfplay_jones_flops_per_second": cost.jones / play_seconds,
        "selfplay_xla_flops_per_second": cost.xla_selfplay / play_seconds,
        "cost_analysis_seconds": cost_seconds,
    }


def make_baseline(config: BenchConfig, batch: int, simulations: int, steps: int, dtype: str):
    """pgx Hex + mctx Gumbel MuZero + the same MLP: ``(params, run(params, key, games))``, where
    ``run`` plays ``steps`` sampled moves in every game with auto-reset (jitted)."""
    import mctx

    from alphazero.networks import init_params, make_network
    from alphazero.search import choose
    from alphazero.settings import NetworkConfig, SearchConfig

    size = config.board_size
    init, step = _pgx(size)
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
    return params, games, jax.jit(run)


def measure_baseline(config, batch, simulations, steps, dtype, repeats) -> dict:
    params, games, run = make_baseline(config, batch, simulations, steps, dtype)
    holder = {"games": games}

    def play():
        holder["games"] = jax.block_until_ready(run(params, jax.random.key(1), holder["games"]))

    first, seconds = _median_after_warmup(play, repeats)
    return {
        "seconds": seconds,
        "positions_per_second": batch * steps / seconds,
        "compile_seconds": max(first - seconds, 0.0),
    }


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--configs", type=parse_config, nargs="+", default=list(map(parse_config, DEFAULT_CONFIGS))
    )
    parser.add_argument("--batch", type=int, default=256, help="games in parallel")
    parser.add_argument("--simulations", type=int, default=16)
    parser.add_argument("--steps", type=int, default=4, help="self-play moves per iteration")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32")
    parser.add_argument("--no-baseline", action="store_true", help="skip pgx + mctx")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Run the benchmark, print its table and return the measurements as a dict."""
    from alphazero.train import Trainer

    args = parse_args(argv)
    use_baseline = not args.no_baseline
    if use_baseline:
        try:
            import pgx  # noqa: F401
        except ImportError:
            print("pgx is not installed (pip install pgx); no baseline", file=sys.stderr)
            use_baseline = False
    rows = []
    for config in args.configs:
        settings = train_config(config, args.batch, args.simulations, args.steps, args.dtype)
        row = {
            "config": config.label,
            "board_size": config.board_size,
            "width": config.width,
            "depth": config.depth,
            "batch": args.batch,
            "simulations": args.simulations,
            "steps": args.steps,
            **measure_trainer(Trainer(settings), args.repeats),
        }
        if use_baseline:
            base = measure_baseline(
                config, args.batch, args.simulations, args.steps, args.dtype, args.repeats
            )
            row["baseline"] = base
            row["ratio"] = row["selfplay_positions_per_second"] / base["positions_per_second"]
        rows.append(row)
        print(
            f"  selfplay {config.label}: {row['selfplay_positions_per_second']:,.0f} pos/s",
            file=sys.stderr,
        )
    headers = ["config", "params", "iter pos/s", "self-play pos/s"]
    if use_baseline:
        headers += ["base pos/s", "ours/base"]
    headers += ["iter Jones F/s", "iter XLA F/s", "play XLA F/s", "compile s"]
    table = []
    for row in rows:
        line = [row["config"], row["parameters"], row["iteration_positions_per_second"]]
        line.append(row["selfplay_positions_per_second"])
        if use_baseline:
            line += [row["baseline"]["positions_per_second"], row["ratio"]]
        line += [
            row["iteration_jones_flops_per_second"],
            row["iteration_xla_flops_per_second"],
            row["selfplay_xla_flops_per_second"],
            row["iteration_compile_seconds"],
        ]
        table.append(line)
    print(
        f"Self-play, batch {args.batch}, {args.simulations} simulations (gumbel), {args.steps} "
        f"moves per iteration, {args.dtype} ({jax.default_backend()}); base = pgx + mctx"
    )
    print(format_table(headers, table))
    return {"dtype": args.dtype, "baseline": use_baseline, "rows": rows}


if __name__ == "__main__":
    main()
