"""Benchmark: batched random-play throughput of our Connect Four (`games.connect_four`) against pgx's
`connect_four`, on the 6x7 board (pgx's only size), in the same run.

Both games run the same program (`hex_env.make_rollout`, timed by `hex_env.measure_together`, as
the Hex benchmark is): a jitted ``lax.scan`` of ``--steps`` plies over a batch of games, each ply
sampling a uniformly random legal move per game, stepping every game (``vmap(step)``) and putting a
fresh board in place of every game that just ended. Each game is compiled once, then the two are
timed in ``--rounds`` alternating rounds (each the median of ``--repeats`` calls after a warm-up),
best round kept; the table gives steps/s (batch x plies per second) and our/pgx ratio (above 1: ours
is faster). pgx's observation is bool, ours float32; pgx
picks the first player at random, ours always starts with player 0.

    python bench/connect_four.py                        # batches 1024 16384, 64 plies
    python bench/connect_four.py --batches 256 --steps 16
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax
from hex_env import (
    PGX_HEADERS,
    ROLLOUT_HEADERS,
    add_rollout_arguments,
    against_pgx,
    format_table,
    measure_together,
    pgx_installed,
    rollout_cells,
)


def _ours(rows: int, columns: int, x_in_row: int):
    import games

    env = games.make("connect_four", size=f"{rows}x{columns}", x_in_row=x_in_row)
    return env.init, env.step


def _pgx():
    import pgx

    env = pgx.make("connect_four")
    return env.init, lambda state, action: env.step(state, action)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_rollout_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Run the benchmark, print its table and return the measurements as a dict."""
    args = parse_args(argv)
    use_pgx = not args.no_pgx and pgx_installed("measuring ours only")
    rows = []
    for batch in args.batches:
        contenders = {"ours": _ours(6, 7, 4)}
        if use_pgx:
            contenders["pgx"] = _pgx()
        measured = measure_together(contenders, batch, args.steps, args.repeats, args.rounds)
        rows.append({"batch": batch, "steps": args.steps, **against_pgx(measured)})
    headers = ["batch", *ROLLOUT_HEADERS, *(PGX_HEADERS if use_pgx else [])]
    table = [[row["batch"], *rollout_cells(row)] for row in rows]
    print(
        f"Connect Four 6x7 random play, {args.steps} plies per call, auto-reset "
        f"({jax.default_backend()})"
    )
    print(format_table(headers, table))
    return {"steps": args.steps, "pgx": use_pgx, "rows": rows}


if __name__ == "__main__":
    main()
