"""Sweeps: grid specs and presets, the local and Ray runners, the tournament loop and the CLI.

Public surface: `load_spec`, `SweepSpec`, `run_sweep`, `run_tournament`, `sweep_status`,
`analyze_sweep`. They are imported on first use (``from sweeps import run_sweep``), so that
``import sweeps.cli`` stays cheap: the CLI loads JAX only for the commands that need it.
"""

from __future__ import annotations

import importlib

_PUBLIC = {
    "SweepSpec": "sweeps.spec",
    "load_spec": "sweeps.spec",
    "run_sweep": "sweeps.runner",
    "sweep_status": "sweeps.runner",
    "analyze_sweep": "sweeps.runner",
    "run_tournament": "sweeps.tournament",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'sweeps' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
