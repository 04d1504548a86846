"""AlphaZero pieces: parameter counts, compute accounting, self-play targets, checkpoints, resume,
agents, retraces and the `train` command."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import tiny_config

import games
from alphazero import TrainConfig, compute, load_agent, train, untrained_agent
from alphazero.checkpoint import CheckpointError, load, save
from alphazero.config import ConfigError, from_dict
from alphazero.networks import init_params, make_network, mlp_parameter_count
from alphazero.runfolder import snapshot_paths
from alphazero.search import SearchOutput, make_search, resolve_backend
from alphazero.selfplay import init_selfplay, selfplay_move
from alphazero.trainer import Trainer
from boardscale_core import jones
from boardscale_core.files import atomic_write_bytes
from sweeps.cli import main as cli
from sweeps.references import RandomAgent


@pytest.mark.parametrize(
    "size,width,depth,swap", [(2, 1, 1, False), (3, 4, 2, True), (5, 16, 4, False)]
)
def test_parameter_count_matches_formula(size, width, depth, swap):
    env = games.make("hex", size=size, swap=swap)
    config = from_dict(
        TrainConfig, {"board_size": size, "network": {"width": width, "depth": depth}}
    )
    network = make_network(config.network, size, env.num_actions)
    params = init_params(network, jax.random.key(0), size)
    assert compute.tree_size(params) == mlp_parameter_count(size, width, depth, env.num_actions)
    # By hand for 3x3, width 4, depth 2, swap: 18*4+4 + 2*(16+4+1) + 4*10+10 + 4+1 = 173.
    if (size, width, depth, swap) == (3, 4, 2, True):
        assert compute.tree_size(params) == 173


def test_compute_counters_on_a_hand_computed_config():
    config = tiny_config()
    trainer = Trainer(config)
    state = trainer.init_state()
    cost = trainer.iteration_cost(state)
    parameters = 18 * 4 + 4 + (16 + 4 + 1) + 4 * 9 + 9 + 4 + 1  # 143
    assert trainer.parameter_count() == parameters
    samples = 8 * 2
    assert cost.samples == samples
    assert cost.jones == samples * (2 + 1) * parameters
    # XLA counts a multiply-add as two FLOPs and also sees the game, the tree and the backward pass.
    assert cost.xla_selfplay > 2 * cost.jones * 0.9
    assert cost.xla_update > 2 * 3 * 16 * parameters * 0.9 * 2  # forward + backward of 2 updates
    assert jones.test_flops(63, parameters) == 64 * parameters
    targets = compute.snapshot_targets(1e10, 5e11, 21)
    assert targets[0] == pytest.approx(1e10) and targets[-1] == pytest.approx(5e11)
    assert np.allclose(np.diff(np.log10(targets)), np.log10(50) / 20)


def _scripted_search(num_actions):
    """Always plays the lowest-numbered legal cell, with that cell as a one-hot policy."""

    def search(params, key, states):
        action = jnp.argmax(states.legal_action_mask, axis=-1).astype(jnp.int32)
        weights = jax.nn.one_hot(action, num_actions)
        return SearchOutput(action, weights, jnp.zeros(action.shape))

    return search


def test_targets_of_a_scripted_game():
    # Lowest legal cell each ply on 3x3: black 0, 2, 4, 6 and white 1, 3, 5; black's 2-4-6 chain
    # joins top to bottom on the 7th move, so the targets alternate +1 (black to move) / -1.
    env = games.make("hex", size=3)
    state = init_selfplay(env, jax.random.key(0), num_games=2, rows=10)
    move = jax.jit(lambda key, s: selfplay_move(env, _scripted_search(9), None, None, key, s))
    for ply in range(7):
        state, stats = move(jax.random.key(ply), state)
    assert int(stats.games_finished) == 2
    buffer = jax.device_get(state.buffer)
    np.testing.assert_array_equal(buffer.mover[:7, 0], [0, 1, 0, 1, 0, 1, 0])
    np.testing.assert_array_equal(buffer.value[:7, 0], [1, -1, 1, -1, 1, -1, 1])
    assert buffer.resolved[:7].all() and not buffer.resolved[7:].any()
    # White's first position is seen transposed: black's stone at a1 stays at (0, 0) but as the
    # opponent's stone, and white's real move b1 (action 1) is the canonical action 3.
    assert buffer.observation[1, 0, 0, 0, 1] == 1 and buffer.observation[1, 0].sum() == 1
    assert buffer.policy[1, 0, 3] == 1.0
    assert int(state.game_length[0]) == 0  # the game was reset


@pytest.mark.parametrize(
    "size, plies, movers, values",
    [
        # 3 rows x 2 columns, 3 in a row, lowest legal column: x o x up column a and o x o up
        # column b fill the board with no line, a draw, so every position's target is 0.
        ("3x2", 6, [0, 1, 0, 1, 0, 1], [0, 0, 0, 0, 0, 0]),
        # 2 rows x 3 columns: x takes the bottom row a-b-c on the 5th ply and wins.
        ("2x3", 5, [0, 1, 0, 1, 0], [1, -1, 1, -1, 1]),
    ],
)
def test_connect_four_targets_of_a_scripted_draw_and_win(size, plies, movers, values):
    env = games.make("connect_four", size=size, x_in_row=3)
    state = init_selfplay(env, jax.random.key(0), num_games=2, rows=8)
    move = jax.jit(
        lambda key, s: selfplay_move(
            env, _scripted_search(2 if size == "3x2" else 3), None, None, key, s
        )
    )
    for ply in range(plies):
        state, stats = move(jax.random.key(ply), state)
    assert int(stats.games_finished) == 2
    buffer = jax.device_get(state.buffer)
    np.testing.assert_array_equal(buffer.mover[:plies, 0], movers)
    np.testing.assert_array_equal(buffer.value[:plies], np.array([values, values]).T)
    assert buffer.resolved[:plies].all() and not buffer.resolved[plies:].any()


def test_untrained_search_returns_legal_moves_and_valid_weights():
    for algorithm, noise in (("gumbel", True), ("puct", False)):
        config = tiny_config(search={"num_simulations": 4, "algorithm": algorithm})
        trainer = Trainer(config)
        env = trainer.env
        states = jax.vmap(env.init)(jax.random.split(jax.random.key(0), 6))
        states = jax.vmap(env.step)(states, jnp.arange(6, dtype=jnp.int32))
        params = init_params(trainer.network, jax.random.key(1), 3)
        search = make_search(env, trainer.model, config.search, root_noise=noise)
        output = jax.jit(search)(params, jax.random.key(2), states)
        legal = np.asarray(states.legal_action_mask)
        assert legal[np.arange(6), np.asarray(output.action)].all()
        weights = np.asarray(output.action_weights)
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
        assert (weights[~legal] < 1e-6).all()


def test_checkpoint_roundtrip_and_corruption_is_reported_by_name(tmp_path):
    tree = {"a": np.arange(5, dtype=np.float32), "b": {"c": np.ones((2, 3), np.int8)}}
    path = tmp_path / "x.ckpt"
    save(path, tree, {"index": 3})
    restored, meta = load(path, template=tree)
    assert meta["index"] == 3
    np.testing.assert_array_equal(restored["b"]["c"], tree["b"]["c"])
    data = path.read_bytes()
    atomic_write_bytes(path, data[: len(data) - 7])
    with pytest.raises(CheckpointError, match="x.ckpt"):
        load(path, template=tree)
    flipped = bytearray(data)
    flipped[-3] ^= 0xFF
    atomic_write_bytes(path, bytes(flipped))
    with pytest.raises(CheckpointError, match="x.ckpt"):
        load(path, template=tree)
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="junk.ckpt"):
        load(tmp_path / "junk.ckpt")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One finished tiny run, shared by the tests that only read it."""
    return train(tiny_config(), tmp_path_factory.mktemp("tiny") / "whole")


def test_resume_after_third_snapshot_equals_uninterrupted_run(tmp_path, tiny_run):
    config = tiny_config()
    whole = tiny_run
    assert whole.progress.snapshots == 5 and len(whole.snapshots) == 5
    part = train(config, tmp_path / "part", stop_after_snapshots=3)
    assert len(part.snapshots) == 3
    resumed = train(config, tmp_path / "part")
    for field in ("iterations", "samples", "games", "jones_flops", "xla_flops", "snapshots"):
        assert getattr(resumed.progress, field) == getattr(whole.progress, field), field
    for a, b in zip(whole.snapshots, snapshot_paths(tmp_path / "part"), strict=True):
        params_a, meta_a = load(a)
        params_b, meta_b = load(b)
        assert meta_a["jones_flops"] == meta_b["jones_flops"]
        jax.tree.map(np.testing.assert_array_equal, params_a, params_b)
    lines = (tmp_path / "part" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["iteration"] for line in lines] == list(range(1, len(lines) + 1))
    again = train(config, tmp_path / "part")
    assert again.skipped
    with pytest.raises(ConfigError, match="different config"):
        train(tiny_config(seed=1), tmp_path / "part")


def test_run_interrupted_under_one_backend_resumes_under_the_other(tmp_path, tiny_run):
    """The search backend changes speed only: a run stopped after its second snapshot under one
    backend and resumed under the other stores what the uninterrupted run stores (the same
    counts and compute, snapshot for snapshot; parameters equal to float rounding, since the two
    searches' weights agree to about 1e-6, not bit for bit)."""
    config = tiny_config()
    used = resolve_backend(config.search.backend, config.search.num_simulations)
    other = "mctx" if used == "native" else "native"
    part = train(config, tmp_path / "part", stop_after_snapshots=2)
    assert len(part.snapshots) == 2 and not part.progress.finished
    resumed = train(tiny_config(search={"backend": other}), tmp_path / "part")
    assert not resumed.skipped and resumed.progress.finished
    for field in ("iterations", "samples", "games", "jones_flops", "snapshots"):
        assert getattr(resumed.progress, field) == getattr(tiny_run.progress, field), field
    assert resumed.progress.iterations > part.progress.iterations
    for a, b in zip(tiny_run.snapshots, snapshot_paths(tmp_path / "part"), strict=True):
        params_a, meta_a = load(a)
        params_b, meta_b = load(b)
        for key in ("jones_flops", "samples", "games"):
            assert meta_a[key] == meta_b[key], key
        jax.tree.map(
            lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-3, atol=1e-4), params_a, params_b
        )


def test_snapshot_metadata_and_log_spacing(tiny_run):
    result = tiny_run
    metas = [load(path)[1] for path in result.snapshots]
    jones = np.array([meta["jones_flops"] for meta in metas])
    assert np.all(np.diff(jones) > 0) and jones[-1] >= 2e7
    assert np.all(np.diff([meta["xla_flops"] for meta in metas]) > 0)
    for key in (
        "config",
        "parameters",
        "samples",
        "games",
        "wall_seconds",
        "git_commit",
        "packages",
    ):
        assert key in metas[-1]
    assert metas[-1]["config"]["board_size"] == 3


def test_corrupt_snapshot_is_never_loaded(tmp_path, tiny_run):
    (tmp_path / "run" / "snapshots").mkdir(parents=True)
    path = tmp_path / "run" / "snapshots" / "snapshot-001.ckpt"
    path.write_bytes(tiny_run.snapshots[1].read_bytes()[:-10])
    with pytest.raises(CheckpointError, match="snapshot-001"):
        load_agent(path, simulations=2)


def test_agents_act_legally_and_compile_once_per_kind(tiny_run):
    from alphazero import agents as agents_module
    from alphazero.match import play_matches

    result = tiny_run
    env = games.make("hex", size=3)
    states = jax.vmap(env.init)(jax.random.split(jax.random.key(0), 4))
    for simulations in (0, 2):
        agent = load_agent(result.snapshots[-1], simulations=simulations)
        actions = np.asarray(agent.act(jax.random.key(1), states))
        assert np.asarray(states.legal_action_mask)[np.arange(4), actions].all()
    snapshots = [load_agent(path, simulations=2) for path in result.snapshots]
    play_matches([(snapshots[0], snapshots[1])], 4, jax.random.key(0))
    before = agents_module.compile_count()
    pairings = [(a, b) for a in snapshots for b in snapshots if a is not b]
    results = play_matches(pairings, 4, jax.random.key(1))
    assert agents_module.compile_count() == before  # 20 more pairings, no new program
    assert all(r.games == 2 for r in results) and len(results) == 2 * len(pairings)
    # Two results per pairing, in pairing order: A first, then B first.
    assert [(r.first, r.second) for r in results[::2]] == [(a.name, b.name) for a, b in pairings]
    assert [(r.first, r.second) for r in results[1::2]] == [(b.name, a.name) for a, b in pairings]
    random_results = play_matches([(snapshots[0], RandomAgent(3))], 6, jax.random.key(2))
    assert sum(r.games for r in random_results) == 6


def test_iteration_is_not_retraced():
    trainer = Trainer(tiny_config())
    state = trainer.init_state()
    for _ in range(3):
        state, _ = trainer.iteration(state)
    assert trainer.iteration._cache_size() == 1


def test_untrained_agent_and_bad_simulations():
    agent = untrained_agent(tiny_config(), simulations=2)
    assert agent.simulations == 2
    with pytest.raises(ValueError, match="simulations"):
        untrained_agent(tiny_config(), simulations=-1)


def test_train_command_and_its_errors(tmp_path, capsys):
    out = tmp_path / "run"
    toml = tmp_path / "run.toml"
    toml.write_text("board_size = 3\n[network]\nwidth = 4\ndepth = 1\n[selfplay]\nnum_envs = 8\n")
    args = ["train", "--config", str(toml), "--depth", "2", "--budget", "1e7", "--quiet",
            "--set", "learner.batch_size=16", "--set", "snapshots.count=2", "--out", str(out)]  # fmt: skip
    assert cli(args) == 0
    assert len(snapshot_paths(out)) == 2
    assert "2 snapshots" in capsys.readouterr().out
    resolved = json.loads((out / "config.json").read_text())
    assert resolved["network"] == {**resolved["network"], "width": 4, "depth": 2}
    assert resolved["learner"]["batch_size"] == 16
    assert cli(args) == 0
    assert "already finished" in capsys.readouterr().err
    for bad, message in [
        (["--board", "1"], "board_size"),
        (["--width", "0"], "network.width"),
        (["--set", "search.nope=3"], "nope"),
        (["--budget", "10"], "below one iteration"),
        (["--set", "selfplay.act=maybe"], "selfplay.act"),
        (["--config", str(tmp_path / "missing.toml")], "missing.toml"),
    ]:
        assert cli(["train", "--out", str(tmp_path / "bad"), *bad]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bad").exists()
