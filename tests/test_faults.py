"""Faults that must not change a result: non-finite budgets, kills mid-tournament and before the
first checkpoint, retried batches, two writers on one folder, read-only stores, padded match slots,
snapshot targets crossed together, tournament stop reasons."""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib

import jax
import numpy as np
import pytest
from helpers import assert_one_move_per_game_and_ply, recorded_move_writes, tiny_config

from alphazero import training
from alphazero.checkpoint import load
from alphazero.config import ConfigError, from_dict, to_dict
from alphazero.runfolder import snapshot_paths
from alphazero.schedule import schedule
from alphazero.search import resolve_backend
from alphazero.settings import TrainConfig
from alphazero.trainer import Trainer
from alphazero.training import train


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


def _iterations(run_dir):
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line)["iteration"] for line in lines]


def test_metrics_are_not_repeated_after_a_failure_before_the_first_snapshot(tmp_path, monkeypatch):
    per_iteration = Trainer(tiny_config()).jones_iteration_flops()
    config = tiny_config(
        budget=6 * per_iteration, snapshots={"count": 2, "first": 2.5 * per_iteration}
    )
    run = tmp_path / "run"

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(training, "write_snapshot", disk_full)
        with pytest.raises(OSError, match="No space"):
            train(config, run)
    assert not (run / "resume.ckpt").exists() and _iterations(run) == [1, 2, 3]
    result = train(config, run)
    assert result.progress.iterations == 6 and _iterations(run) == [1, 2, 3, 4, 5, 6]


def _double_crossing_config():
    """A config whose first iteration crosses the first two of three snapshot targets."""
    per_iteration = Trainer(tiny_config()).jones_iteration_flops()
    return tiny_config(
        budget=4 * per_iteration, snapshots={"count": 3, "first": per_iteration / 10}
    )


def test_an_iteration_crossing_two_targets_writes_both_snapshots(tmp_path):
    config = _double_crossing_config()
    budget, targets = schedule(config)
    whole = train(config, tmp_path / "whole")
    assert whole.progress.snapshots == 3 and len(whole.snapshots) == 3
    metas = [load(path)[1] for path in whole.snapshots]
    assert [meta["iterations"] for meta in metas] == [1, 1, 4]
    assert all(meta["jones_flops"] >= target for meta, target in zip(metas, targets, strict=True))
    # A kill between the two snapshots of one iteration: the resumed run writes the second from
    # the same state, so the run equals the uninterrupted one.
    part = train(config, tmp_path / "part", stop_after_snapshots=1)
    assert len(part.snapshots) == 1
    resumed = train(config, tmp_path / "part")
    assert resumed.progress == dataclasses.replace(
        whole.progress, wall_seconds=resumed.progress.wall_seconds
    )
    for a, b in zip(whole.snapshots, snapshot_paths(tmp_path / "part"), strict=True):
        params_a, meta_a = load(a)
        params_b, meta_b = load(b)
        assert (meta_a["index"], meta_a["iterations"]) == (meta_b["index"], meta_b["iterations"])
        jax.tree.map(np.testing.assert_array_equal, params_a, params_b)
    assert _iterations(tmp_path / "part") == [1, 2, 3, 4]


def test_xla_schedule_makes_the_search_backend_part_of_the_run(tmp_path):
    config = tiny_config(budget=4e6, snapshots={"schedule": "xla", "count": 2})
    train(config, tmp_path / "run", stop_after_snapshots=1)
    used = resolve_backend(config.search.backend, config.search.num_simulations)
    other = "mctx" if used == "native" else "native"
    with pytest.raises(ConfigError, match=f"search.backend = {used}") as error:
        train(tiny_config(budget=4e6, snapshots={"schedule": "xla", "count": 2},
                          search={"backend": other}), tmp_path / "run")  # fmt: skip
    assert "\n" not in str(error.value)
    # The same backend named explicitly is the same run.
    same = tiny_config(budget=4e6, snapshots={"schedule": "xla", "count": 2},
                       search={"backend": used})  # fmt: skip
    assert train(same, tmp_path / "run").progress.snapshots == 2


def _untrained(names):
    from alphazero import untrained_agent

    config = tiny_config()
    agents = []
    for seed, name in enumerate(names):
        agent = untrained_agent(dataclasses.replace(config, seed=seed), simulations=2)
        agents.append(agent.__class__(name, agent.kind, agent.params))
    return agents


def test_padded_match_slots_never_share_a_game_and_results_follow_the_key(monkeypatch):
    from alphazero import match
    from sweeps.references import RandomAgent

    a, b, c, d, e = _untrained("abcde")
    small = [(a, b), (b, c), (a, RandomAgent(3))]  # 4 network slots of one kind, padded to 8
    with recorded_move_writes(monkeypatch) as writes:
        first = match.play_matches(small, 4, jax.random.key(3))
    for size, index in writes:
        real = index[index < 12]  # 3 pairings x 4 games
        assert len(np.unique(real)) == len(real), "two slots wrote one game"
        assert set(index[index >= 12].tolist()) <= {size - 1}
    # Every game gets exactly one move per ply (network and random movers together).
    assert_one_move_per_game_and_ply(writes, 12)
    # A larger batch played before (more slots of the same kind) changes nothing: the result is a
    # function of the pairings and the key, as a resumed tournament needs.
    match.play_matches([(a, b), (c, d), (e, a), (b, c), (d, e)], 4, jax.random.key(0))
    assert match.play_matches(small, 4, jax.random.key(3)) == first


def test_a_run_stored_before_new_settings_existed_resumes_and_a_changed_one_does_not(tmp_path):
    """Settings added later are filled in at their defaults when a stored config is compared."""
    from alphazero.runfolder import CONFIG_FILE, check_config

    config = from_dict(TrainConfig, {"board_size": 3, "network": {"width": 2, "depth": 1}})
    stored = to_dict(config)
    for key in ("sample_cap", "count_buffer_fill"):
        stored.pop(key)
    (tmp_path / CONFIG_FILE).write_text(json.dumps(stored))
    check_config(tmp_path, to_dict(config))  # an older run of the same config resumes
    changed = to_dict(from_dict(TrainConfig, {"board_size": 3, "sample_cap": 1000}))
    with pytest.raises(ConfigError, match="different config"):
        check_config(tmp_path, changed)
