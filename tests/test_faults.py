"""Faults that must not change a result: non-finite budgets, kills mid-tournament and before the
first checkpoint, retried batches, two writers on one folder, read-only stores, padded match slots,
snapshot targets crossed together, tournament stop reasons."""

from __future__ import annotations

import math
import tomllib

import pytest

from alphazero.config import ConfigError, from_dict
from alphazero.settings import TrainConfig


@pytest.mark.parametrize("text", ["inf", "nan", "1e400", "-inf"])
def test_non_finite_budgets_are_one_line_errors(tmp_path, text):
    toml = tmp_path / "run.toml"
    toml.write_text(f"board_size = 3\nbudget = {text}\n")
    data = tomllib.loads(toml.read_text())
    assert not math.isfinite(data["budget"])
    with pytest.raises(ConfigError, match="budget must be a finite number") as error:
        from_dict(TrainConfig, data)
    assert "\n" not in str(error.value)
    with pytest.raises(ConfigError, match="snapshots.first must be a finite number"):
        from_dict(TrainConfig, {"board_size": 3, "snapshots": {"first": float(text)}})
