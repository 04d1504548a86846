"""The `jones` training profile, Jones's per-board sample caps and the uncounted buffer fill, tables
of settings as grid axes, and the presets that use them."""

from __future__ import annotations

import json

import pytest

from alphazero import train
from alphazero.config import ConfigError, from_dict, to_dict
from alphazero.schedule import schedule
from alphazero.settings import TrainConfig
from boardscale_core import jones
from sweeps import cli
from sweeps.spec import PRESETS, estimated_cost, load_spec, spec_from_dict


def test_profile_gives_jones_settings_and_explicit_settings_override():
    config = from_dict(TrainConfig, {"profile": "jones", "board_size": 5})
    assert config.search.algorithm == "regularized" and config.search.num_simulations == 63
    assert config.search.regularized_c == 1 / 16 and not config.search.regularized_sqrt
    assert config.search.regularized_evaluation_noise and config.search.dirichlet_fraction == 0.25
    assert (config.selfplay.num_envs, config.learner.batch_size) == (32768, 32768)
    assert config.learner.updates_per_iteration == 1 and config.selfplay.steps_per_iteration == 1
    assert config.learner.buffer_steps == 64 and config.learner.learning_rate == 1e-3
    assert config.selfplay.random_move_fraction == 0 and config.snapshots.count == 21
    assert config.sample_cap == 3e8 and not config.count_buffer_fill
    # Explicit settings win, the rest of the profile stays; a 9x9 game needs a longer buffer.
    config = from_dict(
        TrainConfig,
        {"profile": "jones", "board_size": 9, "selfplay": {"num_envs": 64}, "sample_cap": 0},
    )
    assert config.selfplay.num_envs == 64 and config.learner.batch_size == 32768
    assert config.sample_cap == 0 and config.learner.buffer_steps == 83
    # The resolved config (saved beside every run) reads back as the same config.
    assert from_dict(TrainConfig, json.loads(json.dumps(to_dict(config)))) == config
    assert from_dict(TrainConfig, {}).profile == "" and from_dict(TrainConfig, {}).sample_cap == 0


def test_unknown_profile_is_a_config_error():
    with pytest.raises(ConfigError, match="profile must be one of"):
        from_dict(TrainConfig, {"profile": "paper"})


def test_sample_caps_are_jones():
    assert jones.SAMPLE_CAPS == {
        3: 1e8, 4: 2e8, 5: 3e8, 6: 6e8, 7: 1e9, 8: 1.5e9, 9: 2e9
    }  # fmt: skip
    assert jones.sample_cap(11) == 2e9 and jones.sample_cap(2) == 1e8


def tiny(**extra) -> TrainConfig:
    data = {
        "board_size": 3,
        "budget": 1e12,
        "network": {"width": 2, "depth": 1},
        "search": {"num_simulations": 1},
        "selfplay": {"num_envs": 8, "steps_per_iteration": 4},
        "learner": {"batch_size": 8, "updates_per_iteration": 1, "buffer_steps": 10},
        "snapshots": {"count": 3, "first": 1e11},
    }
    data.update(extra)
    return from_dict(TrainConfig, data)


def test_a_run_ends_at_its_sample_cap(tmp_path):
    """Far below its budget, the run stops at the iteration that reaches the cap, with a last
    snapshot there; without the cap it would run to the 1e12 budget."""
    result = train(tiny(sample_cap=100), tmp_path / "run", log=lambda message: None)
    assert result.progress.finished
    assert 100 <= result.progress.samples < 100 + 32
    assert result.progress.jones_flops < 1e11 and len(result.snapshots) == 1


def test_uncounted_buffer_fill(tmp_path):
    """With ``count_buffer_fill = false`` the first 10 rows (of 4 per iteration) are neither
    samples nor compute: after 5 iterations, 20 - 10 rows of 8 games count."""
    config = tiny(sample_cap=80, count_buffer_fill=False)
    result = train(config, tmp_path / "run", log=lambda message: None)
    assert result.progress.iterations == 5 and result.progress.samples == 80
    per_sample = result.progress.jones_flops / result.progress.samples
    counted = train(tiny(sample_cap=80), tmp_path / "counted", log=lambda message: None)
    assert counted.progress.iterations == 3 and counted.progress.samples == 96
    assert per_sample == pytest.approx(counted.progress.jones_flops / counted.progress.samples)


TABLES = {
    "name": "tables",
    "profile": "jones",
    "boards": [{"size": 3, "widths": [2], "depths": [1]}],
    "train": {
        "search": [
            {"algorithm": "gumbel", "num_simulations": 4},
            {"algorithm": "regularized", "num_simulations": 4, "regularized_sqrt": True},
        ],
        "selfplay": {"num_envs": 16},
    },
}


def test_profile_and_tables_of_settings_in_a_spec():
    spec = spec_from_dict(json.loads(json.dumps(TABLES)))
    runs = {run.name: run.config for run in spec.runs()}
    assert set(runs) == {
        "hex3-mlp-2x1-gumbel-s0",
        "hex3-mlp-2x1-regularized-regularized_sqrtTrue-s0",
    }
    gumbel = runs["hex3-mlp-2x1-gumbel-s0"]
    regularized = runs["hex3-mlp-2x1-regularized-regularized_sqrtTrue-s0"]
    assert gumbel.search.algorithm == "gumbel" and gumbel.search.num_simulations == 4
    assert regularized.search.regularized_sqrt and not gumbel.search.regularized_sqrt
    # The profile under both; the table's settings and [train]'s over it.
    assert gumbel.profile == "jones" and gumbel.selfplay.num_envs == 16
    assert gumbel.learner.batch_size == 32768 and gumbel.sample_cap == 1e8
    data = json.loads(json.dumps(TABLES))
    data["train"]["profile"] = ""
    with pytest.raises(ConfigError, match="profile is set both"):
        spec_from_dict(data)


def test_jones_preset_uses_the_profile_and_its_caps():
    spec = load_spec("jones")
    runs = spec.runs()
    assert all(run.config.profile == "jones" for run in runs)
    assert {run.config.sample_cap for run in runs if run.board_size == 9} == {2e9}
    cost = estimated_cost(spec)
    assert 0 < cost["capped_runs"] < cost["runs"]
    # No run trains past its cap: the grid's compute is below the uncapped sum of budgets.
    uncapped = sum(schedule(run.config)[0] for run in runs)
    assert cost["train_flops"] < uncapped


def test_algorithms_preset_trains_each_algorithm_on_the_same_grid():
    spec = load_spec("algorithms")
    runs = spec.runs()
    kinds = {(r.config.search.algorithm, r.config.search.regularized_sqrt) for r in runs}
    assert kinds == {
        ("gumbel", False),
        ("puct", False),
        ("regularized", False),
        ("regularized", True),
    }
    widths = {r.config.network.width for r in runs}
    seeds = {r.config.seed for r in runs}
    assert len(widths) >= 3 and len(seeds) >= 2 and len(runs) == 4 * len(widths) * len(seeds)
    assert {r.board_size for r in runs} == {4}


def test_presets_command_prints_cost_and_hours(capsys):
    assert "algorithms" in PRESETS
    assert cli.main(["presets", "--show", "algorithms"]) == 0
    out = capsys.readouterr().out
    assert 'name = "algorithms"' in out and "self-play positions" in out and " h at " in out
    assert cli.main(["presets"]) == 0
    out = capsys.readouterr().out
    assert all(f"{name}: boards" in out for name in PRESETS)
