"""The training progress display: one tqdm bar on stderr with compute done / budget, positions/s,
the losses and the time to go. The rate starts after the first iteration (which compiles)."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


class ProgressBar:
    """``update(spent, record)`` after each iteration; ``close()`` at the end. Does nothing when
    not ``enabled``. Redraws at most every 0.5 s on a terminal, 10 s in a log file."""

    def __init__(self, budget: float, enabled: bool, description: str = ""):
        self.budget = budget
        self.enabled = enabled
        self.description = description
        self.bar: tqdm | None = None

    def update(self, spent: float, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        postfix = (
            f"{record['positions_per_second']:,.0f} pos/s "
            f"policy {record['policy_loss']:.3f} value {record['value_loss']:.3f}"
        )
        if self.bar is None:  # the first iteration includes compiling: the rate starts here
            tty = sys.stderr.isatty()
            self.bar = tqdm(
                total=self.budget,
                initial=min(spent, self.budget),
                desc=self.description or None,
                file=sys.stderr,
                mininterval=0.5 if tty else 10.0,
                ascii=".#",
                ncols=None if tty else 120,
                bar_format=self._format(postfix),
                dynamic_ncols=tty,
            )
            return
        self.bar.bar_format = self._format(postfix)
        self.bar.update(min(spent, self.budget) - self.bar.n)

    @staticmethod
    def _format(stats: str) -> str:
        return "{desc}[{bar:24}] {n:.2e}/{total:.2e} FLOPs " + stats + " ETA {remaining}"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
