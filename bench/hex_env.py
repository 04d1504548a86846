"""Benchmark: batched random-play throughput of our Hex (`games.hex`) against pgx's Hex.

Every game runs the same program: a jitted ``lax.scan`` of ``--steps`` plies over a batch of games,
each ply sampling a uniformly random legal move per game, stepping every game (``vmap(step)``) and
putting a fresh board in place of every game that just ended (auto-reset). Reported per (board
size, batch, rule): compile seconds, steps/s (game steps, i.e. batch x plies per second) and
ours/pgx (above 1: ours is faster). Ours and pgx are timed in ``--rounds`` alternating rounds, each
the median of ``--repeats`` (or more, to fill a second) timed calls after a warm-up, and the best
round of each is kept, so that other load on a shared machine hits both alike.

Like is compared with like, rule for rule:

- swap: ours with the swap rule against pgx's Hex as it ships (pgx always has the swap rule; its
  action ``size * size`` is legal on the second ply);
- no swap: ours without the swap rule (our default, and the paper's) against pgx's Hex with the
  swap action masked out of its legal moves. pgx has no option to turn the swap off, so this is
  the nearest pgx comes to the rule: its step still computes its swap branch (a ``lax.cond``, a
  select under ``vmap``) and its action space keeps the extra action, but random play never swaps.

pgx's Hex is 11x11 only out of the box (its state defaults are 11x11); the benchmark subclasses it
to size its initial state for other boards. ``--rules swap`` or ``--rules no-swap`` measures one
rule only.

    python bench/hex_env.py                       # sizes 5 9 11, batches 1024 16384, 64 plies
    python bench/hex_env.py --sizes 5 --batches 256 --steps 16
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax
import jax.numpy as jnp


def format_table(headers: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A plain-text table: numbers right-aligned, strings left-aligned."""

    def cell(value) -> str:
        if isinstance(value, float):
            if value == 0 or 1e-2 <= abs(value) < 1e6:
                return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
            return f"{value:.3g}"
        return str(value)

    text = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], int | float) for row in rows) for i in range(len(headers))]

    def line(values):
        return "  ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, text)])


def time_calls(
    function: Callable[[], object], repeats: int, min_seconds: float = 1.0, max_calls: int = 200
) -> tuple[float, list[float]]:
    """(seconds of a first, warm-up call; seconds of each timed call) of ``function``, its output
    blocked on. Timed calls go on until there are ``repeats`` of them and they took ``min_seconds``
    in all (at most ``max_calls``), so short calls are not timed from one noisy sample."""
    started = time.perf_counter()
    jax.block_until_ready(function())
    first = time.perf_counter() - started
    seconds: list[float] = []
    while len(seconds) < repeats or (sum(seconds) < min_seconds and len(seconds) < max_calls):
        started = time.perf_counter()
        jax.block_until_ready(function())
        seconds.append(time.perf_counter() - started)
    return first, seconds


def _ours(size: int, swap: bool):
    import games

    env = games.make("hex", size=size, swap=swap)
    return env.init, env.step


def pgx_hex(size: int, swap: bool = True):
    """pgx's Hex sized for ``size``; with ``swap=False`` its swap action is never legal."""
    import pgx.hex
    from pgx._src.games.hex import GameState

    class SizedHex(pgx.hex.Hex):
        """pgx's Hex with its initial state sized for ``size`` (its defaults are 11x11), and
        without a legal swap when ``swap`` is false."""

        def _init(self, key):
            state = super()._init(key)
            cells = self.size * self.size
            return state.replace(
                legal_action_mask=jnp.ones(cells + 1, jnp.bool_).at[-1].set(False),
                _x=GameState(board=jnp.zeros(cells, jnp.int32)),
            )

        def _step(self, state, action, key):
            state = super()._step(state, action, key)
            if swap:
                return state
            return state.replace(legal_action_mask=state.legal_action_mask.at[-1].set(False))

    env = SizedHex(size=size)
    return env.init, lambda state, action: env.step(state, action)


def make_rollout(init, step, num_games: int, num_steps: int):
    """``rollout(key, states, fresh) -> (states, games finished)``: ``num_steps`` plies of random
    play over ``num_games`` games, replacing ended games by ``fresh`` ones. Not jitted."""
    batched_step = jax.vmap(step)

    def rollout(key, states, fresh):
        def ply(states, key):
            legal = states.legal_action_mask
            logits = jnp.where(legal, 0.0, -jnp.inf)
            logits = jnp.where(legal.any(axis=-1, keepdims=True), logits, 0.0)
            actions = jax.random.categorical(key, logits).astype(jnp.int32)
            states = batched_step(states, actions)
            done = states.terminated

            def reset(new, old):
                return jnp.where(done.reshape(done.shape + (1,) * (old.ndim - 1)), new, old)

            return jax.tree.map(reset, fresh, states), done.sum()

        states, finished = jax.lax.scan(ply, states, jax.random.split(key, num_steps))
        return states, finished.sum()

    def initial(key):
        return jax.vmap(init)(jax.random.split(key, num_games))

    return rollout, initial


def compile_rollout(init, step, num_games: int, num_steps: int):
    """``(compile seconds, call)``: one game's rollout compiled, ``call()`` running it once on a
    fixed batch (returning its output)."""
    rollout, initial = make_rollout(init, step, num_games, num_steps)
    key = jax.random.key(0)
    states = jax.jit(initial)(key)
    started = time.perf_counter()
    compiled = jax.jit(rollout).lower(key, states, states).compile()
    compile_seconds = time.perf_counter() - started
    return compile_seconds, lambda: compiled(key, states, states)


def measure_together(
    games: dict[str, tuple], num_games: int, num_steps: int, repeats: int, rounds: int
) -> dict[str, dict]:
    """Compile each of ``games`` (name -> (init, step)) and time them in ``rounds`` alternating
    rounds (so that other load on a shared machine hits all alike), each round the median of at
    least ``repeats`` calls after a warm-up; the best round is kept. Returns a row per game."""
    calls, compile_seconds = {}, {}
    for name, (init, step) in games.items():
        compile_seconds[name], calls[name] = compile_rollout(init, step, num_games, num_steps)
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, call in calls.items():
            _, seconds = time_calls(call, repeats)
            best[name] = min(best.get(name, float("inf")), statistics.median(seconds))
    rows = {}
    for name, call in calls.items():
        _, finished = call()
        rows[name] = {
            "game": name,
            "compile_seconds": compile_seconds[name],
            "seconds": best[name],
            "steps_per_second": num_games * num_steps / best[name],
            "games_finished": int(finished),
        }
    return rows


def pgx_installed(instead: str) -> bool:
    """Whether pgx imports; if not, a line on stderr says so and what is measured ``instead``."""
    try:
        import pgx  # noqa: F401
    except ImportError:
        print(f"pgx is not installed (pip install pgx); {instead}", file=sys.stderr)
        return False
    return True


def add_rollout_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the random-play benchmarks against pgx (this one and Connect Four's):
    ``--batches``, ``--steps``, ``--repeats``, ``--rounds`` and ``--no-pgx``."""
    parser.add_argument("--batches", type=int, nargs="+", default=[1024, 16384])
    parser.add_argument("--steps", type=int, default=64, help="plies per timed call")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per round")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds of ours and pgx; best kept"
    )
    parser.add_argument("--no-pgx", action="store_true", help="skip the pgx baseline")


ROLLOUT_HEADERS = ["ours steps/s", "ours compile s"]
PGX_HEADERS = ["pgx steps/s", "pgx compile s", "ours/pgx"]


def against_pgx(measured: dict[str, dict]) -> dict:
    """The measurements of `measure_together` for ``ours`` and, where measured, ``pgx``, with
    ``ratio``: ours/pgx in steps per second (above 1: ours is faster)."""
    row = {"ours": measured["ours"]}
    if "pgx" in measured:
        row["pgx"] = measured["pgx"]
        row["ratio"] = row["ours"]["steps_per_second"] / row["pgx"]["steps_per_second"]
    return row


def rollout_cells(row: dict) -> list:
    """A row's cells under `ROLLOUT_HEADERS`, then `PGX_HEADERS` where pgx was measured."""
    cells = [row["ours"]["steps_per_second"], row["ours"]["compile_seconds"]]
    if "pgx" in row:
        cells += [row["pgx"]["steps_per_second"], row["pgx"]["compile_seconds"], row["ratio"]]
    return cells


RULES = {"no-swap": False, "swap": True}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 9, 11])
    add_rollout_arguments(parser)
    parser.add_argument(
        "--rules",
        nargs="+",
        choices=list(RULES),
        default=list(RULES),
        help="which rules to measure, both games under the same rule (default: both)",
    )
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Run the benchmark, print its table and return the measurements as a dict.

    Each row is one (size, batch, rule); ``ratio`` is ours/pgx under that rule."""
    args = parse_args(argv)
    use_pgx = not args.no_pgx and pgx_installed("measuring ours only")
    rows = []
    for size in args.sizes:
        for batch in args.batches:
            for rule in args.rules:
                swap = RULES[rule]
                contenders = {"ours": _ours(size, swap)}
                if use_pgx:
                    contenders["pgx"] = pgx_hex(size, swap)
                measured = measure_together(
                    contenders, batch, args.steps, args.repeats, args.rounds
                )
                ours = measured["ours"]
                row = {"size": size, "batch": batch, "steps": args.steps, "rule": rule}
                row.update(against_pgx(measured))
                rows.append(row)
                print(
                    f"  hex {size}x{size} batch {batch} {rule}: "
                    f"ours {ours['steps_per_second']:,.0f} steps/s"
                    + (f", pgx {row['pgx']['steps_per_second']:,.0f}" if use_pgx else ""),
                    file=sys.stderr,
                )
    headers = ["size", "batch", "rule", *ROLLOUT_HEADERS, *(PGX_HEADERS if use_pgx else [])]
    table = [[row["size"], row["batch"], row["rule"], *rollout_cells(row)] for row in rows]
    print(
        f"Hex random play, {args.steps} plies per call, auto-reset; both games under the rule "
        f"of the row (pgx no-swap: its swap action masked out) ({jax.default_backend()})"
    )
    print(format_table(headers, table))
    return {"rules": args.rules, "steps": args.steps, "pgx": use_pgx, "rows": rows}


if __name__ == "__main__":
    main()
