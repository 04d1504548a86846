"""Benchmark: time the Elo fit (`analysis.elo.fit_elo`) on 1,000 agents and 20,000 pairs.

Synthetic tournament: true ratings drawn N(0, 1.5^2) in natural units, a first-mover advantage of
0.3, 20,000 distinct ordered pairs drawn uniformly, 32 games each. The fit includes the Laplace
covariance (one dense 1,001 x 1,001 inverse). Prints the median wall-clock seconds of a few fits
and its ratio to the 2-second target (below 1 is within target).

    python bench/elo_fit.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

TARGET_SECONDS = 2.0
NUM_AGENTS = 1000
NUM_PAIRS = 20000
GAMES_PER_PAIR = 32
REPEATS = 3


def synthetic_matches(seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(match table with integer agent ids [P], true ratings in natural units [N])."""
    rng = np.random.default_rng(seed)
    strengths = rng.normal(0.0, 1.5, NUM_AGENTS)
    codes = rng.choice(NUM_AGENTS * (NUM_AGENTS - 1), NUM_PAIRS, replace=False)
    first = codes // (NUM_AGENTS - 1)
    offset = codes % (NUM_AGENTS - 1)
    second = np.where(offset >= first, offset + 1, offset)  # any agent but `first`
    probability = 1.0 / (1.0 + np.exp(-(strengths[first] - strengths[second] + 0.3)))
    wins = rng.binomial(GAMES_PER_PAIR, probability)
    matches = {
        "first": first.astype(np.int64),
        "second": second.astype(np.int64),
        "first_wins": wins,
        "second_wins": GAMES_PER_PAIR - wins,
    }
    return matches, strengths


def main() -> dict:
    """Run the benchmark, print a summary and return the numbers as a dict."""
    from analysis.elo import ELO_PER_NATURAL, fit_elo

    matches, strengths = synthetic_matches()
    seconds = []
    ratings = None
    for _ in range(REPEATS):
        start = time.perf_counter()
        ratings = fit_elo(matches, anchor=None)
        seconds.append(time.perf_counter() - start)
    median = float(np.median(seconds))
    truth = (strengths - strengths.mean()) * ELO_PER_NATURAL
    error = ratings.elo - truth
    results = {
        "agents": NUM_AGENTS,
        "pairs": NUM_PAIRS,
        "games": NUM_PAIRS * GAMES_PER_PAIR,
        "seconds": median,
        "seconds_each": seconds,
        "target_seconds": TARGET_SECONDS,
        "ratio_to_target": median / TARGET_SECONDS,
        "newton_iterations": ratings.iterations,
        "rms_error_elo": float(np.sqrt(np.mean(error**2))),
        "mean_se_elo": float(np.mean(ratings.elo_se)),
        "first_move_advantage_elo": ratings.first_move_advantage,
    }
    print(
        f"elo fit: {NUM_AGENTS} agents, {NUM_PAIRS} pairs, {results['games']} games: "
        f"{median:.3f} s median of {REPEATS} ({', '.join(f'{s:.3f}' for s in seconds)}), "
        f"{results['ratio_to_target']:.2f}x the {TARGET_SECONDS:g} s target"
    )
    print(
        f"  {ratings.iterations} Newton steps; rating error {results['rms_error_elo']:.1f} Elo "
        f"rms vs mean standard error {results['mean_se_elo']:.1f} Elo; first-mover advantage "
        f"{ratings.first_move_advantage:.1f} Elo (true {0.3 * ELO_PER_NATURAL:.1f})"
    )
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
