"""Benchmark: tournament games/s and compile counts with `alphazero.match.play_matches`.

Agents: 2 architectures x ``--snapshots`` parameter sets x 5 simulation counts (20 agents by
default), untrained, on a 5x5 board; every pair plays ``--games`` games (half with each moving
first). Agents of one architecture and simulation count share a *kind*, so the tournament must
build one agent program per kind (10), however many pairings it plays.

Three timed passes over the same round robin:

- first: `play_matches` from cold, compiles included;
- warm: `play_matches` again with another key; nothing new may be compiled;
- baseline: the pairings one at a time with `play_match` (no stacking of same-kind pairings),
  after one untimed pass over the same pairings so that its programs are compiled before it is
  timed, as the stacked path's are before its warm pass; ``stacked/base`` is warm games/s over
  the baseline's, both timed warm.

Reported: games/s per pass, `alphazero.agents.compile_count()` before and after (agent programs
built), and the XLA compilations seen during each pass.

    python bench/tournament.py
    python bench/tournament.py --simulations 0 1 2 --snapshots 1 --games 4
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax
from hex_env import format_table

BACKEND_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
DEFAULT_ARCHITECTURES = ("16x2", "32x4")


class CompileCounter:
    """Counts XLA backend compilations while active (a context manager)."""

    def __init__(self):
        self.count = 0

    def _listener(self, event, duration, **kwargs):
        if event == BACKEND_COMPILE_EVENT:
            self.count += 1

    def __enter__(self):
        jax.monitoring.register_event_duration_secs_listener(self._listener)
        return self

    def __exit__(self, *exc):
        jax.monitoring.unregister_event_duration_listener(self._listener)


def make_agents(board_size: int, architectures, simulations, snapshots: int):
    """Untrained MLP agents: architectures x snapshots (seeds) x simulation counts."""
    from alphazero.agents import untrained_agent
    from alphazero.settings import NetworkConfig, TrainConfig

    agents = []
    for architecture, seed, sims in itertools.product(architectures, range(snapshots), simulations):
        width, depth = (int(part) for part in architecture.split("x"))
        config = TrainConfig(
            board_size=board_size, network=NetworkConfig(family="mlp", width=width, depth=depth)
        )
        agent = untrained_agent(config, sims, seed=seed)
        agents.append(dataclasses.replace(agent, name=f"mlp{architecture}-s{seed}@{sims}"))
    return agents


def timed_pass(play, pairings, games: int, key) -> dict:
    from alphazero.agents import compile_count

    before = compile_count()
    with CompileCounter() as counter:
        started = time.perf_counter()
        results = play(pairings, games, key)
        seconds = time.perf_counter() - started
    played = sum(result.games for result in results)
    return {
        "seconds": seconds,
        "games": played,
        "games_per_second": played / seconds,
        "agent_programs_before": before,
        "agent_programs_after": compile_count(),
        "xla_compiles": counter.count,
    }


def one_by_one(pairings, games: int, key):
    from alphazero.match import play_match

    results = []
    for agent_a, agent_b in pairings:
        key, pair_key = jax.random.split(key)
        results += play_match(agent_a, agent_b, games, pair_key)
    return results


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--board-size", type=int, default=5)
    parser.add_argument("--architectures", nargs=2, default=list(DEFAULT_ARCHITECTURES))
    parser.add_argument("--simulations", type=int, nargs="+", default=[0, 1, 2, 4, 8])
    parser.add_argument("--snapshots", type=int, default=2, help="parameter sets per kind")
    parser.add_argument("--games", type=int, default=8, help="games per pairing (even)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the one-by-one pass")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Run the benchmark, print its table and return the measurements as a dict."""
    from alphazero.match import play_matches

    args = parse_args(argv)
    agents = make_agents(args.board_size, args.architectures, args.simulations, args.snapshots)
    kinds = len({agent.kind for agent in agents})
    pairings = list(itertools.combinations(agents, 2))
    passes = {
        "first": timed_pass(play_matches, pairings, args.games, jax.random.key(0)),
        "warm": timed_pass(play_matches, pairings, args.games, jax.random.key(1)),
    }
    if not args.no_baseline:
        # The stacked path is timed warm (its "warm" pass follows the compiling "first" pass), so
        # the baseline gets one untimed pass too: its one-pairing programs compile there, not in
        # the timed pass.
        one_by_one(pairings, args.games, jax.random.key(3))
        passes["baseline"] = timed_pass(one_by_one, pairings, args.games, jax.random.key(2))
    first = passes["first"]
    built = first["agent_programs_after"] - first["agent_programs_before"]
    new_in_warm = passes["warm"]["agent_programs_after"] - passes["warm"]["agent_programs_before"]
    headers = ["pass", "games", "seconds", "games/s", "programs before", "after", "XLA compiles"]
    table = [
        [
            name,
            result["games"],
            result["seconds"],
            result["games_per_second"],
            result["agent_programs_before"],
            result["agent_programs_after"],
            result["xla_compiles"],
        ]
        for name, result in passes.items()
    ]
    print(
        f"Tournament on {args.board_size}x{args.board_size}: {len(agents)} agents "
        f"({', '.join('mlp ' + a for a in args.architectures)} x {args.snapshots} snapshots x "
        f"simulations {args.simulations}), {len(pairings)} pairings x {args.games} games "
        f"({jax.default_backend()})"
    )
    print(format_table(headers, table))
    summary = {
        "agents": len(agents),
        "kinds": kinds,
        "pairings": len(pairings),
        "games_per_pairing": args.games,
        "agent_programs_built": built,
        "programs_equal_kinds": built == kinds,
        "new_programs_when_warm": new_in_warm,
        "passes": passes,
    }
    line = (
        f"agent programs built: {built} for {kinds} kinds and {len(pairings)} pairings "
        f"({'equal to the kinds' if built == kinds else 'NOT equal to the kinds'}); "
        f"{new_in_warm} new on the warm pass"
    )
    if "baseline" in passes:
        summary["ratio"] = (
            passes["warm"]["games_per_second"] / passes["baseline"]["games_per_second"]
        )
        line += f"; stacked/base {summary['ratio']:.2f}x games/s"
    print(line)
    return summary


if __name__ == "__main__":
    main()
