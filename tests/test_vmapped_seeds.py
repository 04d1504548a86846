"""Seeds of one config trained as one vmapped program (`alphazero.training.train_seeds`).

On XLA's CPU backend a vmapped seed is not bitwise a lone run: self-play, the forward pass, the
losses, the gradients and Adam's moments are bitwise equal, but the Adam update step differs by
about one float32 ulp on some parameter leaves (XLA compiles the elementwise update differently
when the step count is a [seeds] array), and the differences grow slowly with training. So the
tests check equality within a tolerance against the lone run, bitwise equality of each piece that
is exact, and bitwise equality between a killed-and-resumed group and an uninterrupted one.
"""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from alphazero import training
from alphazero.checkpoint import load, read_meta
from alphazero.config import ConfigError, from_dict
from alphazero.runfolder import PENDING_RESUME_FILE, RESUME_FILE, snapshot_paths
from alphazero.settings import TrainConfig
from alphazero.trainer import Trainer
from alphazero.training import train, train_seeds

DETERMINISTIC = ("index", "samples", "iterations", "jones_flops", "xla_flops", "config")


def config(seed: int, **extra) -> TrainConfig:
    data = {
        "board_size": 3,
        "seed": seed,
        "network": {"width": 4, "depth": 1},
        "selfplay": {"num_envs": 4, "steps_per_iteration": 2},
        "learner": {"batch_size": 8, "updates_per_iteration": 1, "buffer_steps": 12},
        "search": {"num_simulations": 1},
        "budget": 2.2e4,
        "snapshots": {"count": 3},
    }
    data.update(extra)
    return from_dict(TrainConfig, data)


def _params(path):
    return jax.tree.leaves(load(path)[0])


def _fingerprint(folder):
    """Everything a run folder stores that does not depend on the clock or the machine."""
    snapshots = []
    for path in snapshot_paths(folder):
        tree, meta = load(path)
        snapshots.append(
            ([np.asarray(leaf).tobytes() for leaf in jax.tree.leaves(tree)], meta["games"])
        )
    resume = read_meta(folder / RESUME_FILE)["progress"]
    resume.pop("wall_seconds")
    lines = []
    for line in (folder / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        record.pop("wall_seconds"), record.pop("positions_per_second")
        lines.append(record)
    return snapshots, resume, lines


def test_a_vmapped_seed_matches_the_seed_trained_alone(tmp_path):
    group = train_seeds([config(0), config(1)], [tmp_path / "s0", tmp_path / "s1"])
    alone = train(config(1), tmp_path / "alone")
    assert [r.progress.snapshots for r in group] == [3, 3] and len(alone.snapshots) == 3
    for grouped, lone in zip(group[1].snapshots, alone.snapshots, strict=True):
        grouped_meta, lone_meta = read_meta(grouped), read_meta(lone)
        assert {k: grouped_meta[k] for k in DETERMINISTIC} == {
            k: lone_meta[k] for k in DETERMINISTIC
        }
        for a, b in zip(_params(grouped), _params(lone), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    # the seeds really differ (the vmap axis is not one seed repeated)
    assert not np.array_equal(
        _params(group[0].snapshots[-1])[1], _params(group[1].snapshots[-1])[1]
    )


def test_what_is_exact_under_vmap_and_what_rounds_differently():
    trainer = Trainer(config(0))
    functions = trainer.functions
    state = trainer.init_state(1)
    for _ in range(3):  # fill the buffer so the update sees real positions
        state, _ = jax.jit(functions.iteration)(state)
    stacked = jax.tree.map(lambda *leaves: jnp.stack(leaves), trainer.init_state(0), state)
    key = jax.random.key(7)
    lone_move = jax.jit(functions.move)(state.params, key, state.selfplay)
    vmapped_move = jax.jit(jax.vmap(functions.move, in_axes=(0, None, 0)))(
        stacked.params, key, stacked.selfplay
    )
    for a, b in zip(jax.tree.leaves(lone_move), jax.tree.leaves(vmapped_move), strict=True):
        assert np.array_equal(a, b[1])  # self-play: bitwise
    lone = jax.jit(functions.update)(state.params, state.opt_state, key, state.selfplay)
    vmapped = jax.jit(jax.vmap(functions.update, in_axes=(0, 0, None, 0)))(
        stacked.params, stacked.opt_state, key, stacked.selfplay
    )
    assert np.array_equal(lone[2].total, vmapped[2].total[1])  # losses: bitwise
    for a, b in zip(jax.tree.leaves(lone[0]), jax.tree.leaves(vmapped[0]), strict=True):
        np.testing.assert_allclose(a, b[1], rtol=2 * np.finfo(np.float32).eps * 4, atol=1e-9)


@pytest.mark.parametrize("kill_at", ["pending", "commit"])
def test_a_group_killed_between_its_resume_writes_resumes_to_the_uninterrupted_result(
    tmp_path, monkeypatch, kill_at
):
    configs = [config(0), config(1)]
    whole = [tmp_path / "whole0", tmp_path / "whole1"]
    train_seeds(configs, whole)
    part = [tmp_path / "part0", tmp_path / "part1"]
    calls = {"count": 0}
    name = "write_resume" if kill_at == "pending" else "commit_pending_resume"
    real = getattr(training, name)

    def killed(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] == 4:  # the second seed's, at the second snapshot
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(training, name, killed)
        with pytest.raises(KeyboardInterrupt):
            train_seeds(configs, part)
    # The kill left the two folders at different points (or a pending file in one).
    assert (part[1] / PENDING_RESUME_FILE).exists() or kill_at == "pending"
    train_seeds(configs, part)
    for a, b in zip(whole, part, strict=True):
        assert _fingerprint(a) == _fingerprint(b)
        assert not (b / PENDING_RESUME_FILE).exists()


def test_a_seed_behind_the_others_trains_alone_to_their_point_first(tmp_path):
    configs = [config(0), config(1)]
    folders = [tmp_path / "s0", tmp_path / "s1"]
    train(configs[0], folders[0], stop_after_snapshots=2)
    results = train_seeds(configs, folders)
    assert [r.progress.snapshots for r in results] == [3, 3]
    assert all(r.progress.finished for r in results)


def test_train_seeds_refuses_configs_that_differ_in_more_than_the_seed(tmp_path):
    with pytest.raises(ConfigError, match="equal but for their seed"):
        train_seeds([config(0), config(1, budget=3e4)], [tmp_path / "a", tmp_path / "b"])
    with pytest.raises(ConfigError, match="seeds must differ"):
        train_seeds([config(0), config(0)], [tmp_path / "a", tmp_path / "b"])
