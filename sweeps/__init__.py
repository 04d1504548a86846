"""Sweeps: grid specs and presets, the local and Ray runners, the tournament loop and the CLI.

Public surface: `load_spec`, `SweepSpec`, `run_sweep`, `run_tournament`, `sweep_status`.
"""
