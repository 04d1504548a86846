"""Bias and 95%-interval coverage of the exchange-slope estimators on synthetic Jones-model agents.

    python bench/exchange_coverage.py [--replicates 100] [--bootstrap 100] [--noise 20]
        [--design dense|study|teaching] [--seed 0]

Each replicate draws one agent table from `analysis.synthetic` (true exchange slope -1.18, run and
snapshot effects, rating noise), fits it with `analysis.exchange.fit_exchange` (runs resampled
within boards, ratings redrawn from `elo_se`) and records whether each 95% interval covers the
truth. Prints the mean estimate, its bias in percent, the spread, the mean interval half-width and
the coverage with its binomial standard error, for the interpolated iso-Elo fit (the headline),
Jones's construction and the direct regression with per-run effects.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import reference, synthetic  # noqa: E402
from analysis.exchange import fit_exchange  # noqa: E402

DESIGNS = {
    # 2 boards x 6 runs x 16 snapshots x 7 simulation counts, on Jones's snapshot bounds.
    "dense": lambda noise: synthetic.dense_design(
        (8, 9), networks=6, snapshots=16, noise_elo=noise
    ),
    # The same with 2 networks x 3 seeds per board (seeds resampled within their network).
    "dense-seeds": lambda noise: synthetic.dense_design(
        (8, 9), networks=2, seeds=3, snapshots=16, noise_elo=noise
    ),
    # One 5x5 board, 3 runs x 11 snapshots x 7 counts.
    "study": lambda noise: synthetic.dense_design((5,), networks=3, snapshots=11, noise_elo=noise),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--bootstrap", type=int, default=100)
    parser.add_argument("--noise", type=float, default=20.0)
    parser.add_argument("--design", choices=sorted(DESIGNS), default="dense")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    design = DESIGNS[args.design](args.noise)
    truth = reference.EXCHANGE_SLOPE
    keys = {"interpolated iso-Elo": "pooled", "Jones's construction": "jones_pooled",
            "direct, per-run effects": "direct_pooled"}  # fmt: skip
    values = {name: [] for name in keys}
    covered = {name: [] for name in keys}
    widths = {name: [] for name in keys}
    start = time.perf_counter()
    for replicate in range(args.replicates):
        table = synthetic.draw_agents(design, seed=args.seed * 100_000 + replicate)
        fit = fit_exchange(table, bootstrap=args.bootstrap, seed=replicate)
        for name, attribute in keys.items():
            estimate = getattr(fit, attribute).slope
            values[name].append(np.nan if estimate.value is None else estimate.value)
            if estimate.ci95 is not None:
                covered[name].append(estimate.ci95[0] <= truth <= estimate.ci95[1])
                widths[name].append((estimate.ci95[1] - estimate.ci95[0]) / 2)
    seconds = time.perf_counter() - start
    print(
        f"design {args.design}: {design.runs} runs, {design.agents} agents, noise "
        f"{args.noise:g} Elo; {args.replicates} replicates x {args.bootstrap} bootstrap; "
        f"true slope {truth}; {seconds:.0f} s"
    )
    for name in keys:
        x = np.asarray(values[name], np.float64)
        hits = np.asarray(covered[name], bool)
        rate = hits.mean() if hits.size else float("nan")
        se = math.sqrt(rate * (1 - rate) / max(hits.size, 1))
        print(
            f"  {name:26s} mean {np.nanmean(x):+.3f}  bias {100 * (np.nanmean(x) / truth - 1):+.1f}%"
            f"  sd {np.nanstd(x):.3f}  half-width {np.mean(widths[name]) if widths[name] else float('nan'):.3f}"
            f"  coverage {rate:.2f} +- {se:.2f} ({hits.size} intervals)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
