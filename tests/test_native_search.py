"""The native batched search (`alphazero.native_search`) against mctx and against hand-computed
trees: the same actions, weights and root values for the same keys, legal choices, finished games.

Programs are compiled with XLA's backend optimisation off (both searches alike): it halves the
compile time of these small programs and changes nothing that is compared."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import mctx
import numpy as np
import pytest
from mctx._src import seq_halving
from table_game import DEPTH, NODES, A, node_depths, table_recurrent_fn

import games
from alphazero import native_search
from alphazero.config import ConfigError, from_dict
from alphazero.networks import init_params, make_network
from alphazero.search import make_search
from alphazero.settings import NetworkConfig, SearchConfig, TrainConfig

FAST_COMPILE = {"xla_backend_optimization_level": 0}


def compiled(function, *args):
    return jax.jit(function).lower(*args).compile(FAST_COMPILE)


# ---- The table game (`table_game`): a complete tree of depth 3 with tables per node ----------


def random_tables(key, batch):
    keys = jax.random.split(key, 4)
    logits = jax.random.normal(keys[0], (batch, NODES, A))
    value = jax.random.uniform(keys[1], (batch, NODES), minval=-1, maxval=1)
    depth = node_depths()
    # Finished games: all of depth 3, and a random fifth of depths 1 and 2 (with a +-1 reward).
    finished = (jax.random.uniform(keys[2], (batch, NODES)) < 0.2) & (depth > 0)[None]
    finished = finished | (depth == DEPTH)[None]
    reward = jnp.where(finished, jnp.sign(jax.random.normal(keys[3], (batch, NODES))), 0.0)
    return logits, value, reward.astype(jnp.float32), finished


def run_both(algorithm, simulations, tables, invalid, key, **options):
    """(mctx's PolicyOutput, native SearchResult) on the tree game from its root, compiled."""
    return compiled(
        lambda key: _run_both(algorithm, simulations, tables, invalid, key, **options), key
    )(key)


def _run_both(algorithm, simulations, tables, invalid, key, **options):
    logits, value, _, _ = tables
    batch = logits.shape[0]
    root_logits = jnp.where(invalid, -1e9, logits[:, 0])
    root_value = value[:, 0]
    embedding = (jnp.zeros((batch,), jnp.int32), jnp.zeros((batch,), jnp.bool_))
    recurrent_fn = table_recurrent_fn(*tables)
    root = mctx.RootFnOutput(prior_logits=root_logits, value=root_value, embedding=embedding)
    if algorithm == "gumbel":
        qtransform = functools.partial(
            mctx.qtransform_completed_by_mix_value, value_scale=0.1, maxvisit_init=50.0
        )
        theirs = mctx.gumbel_muzero_policy(
            None,
            key,
            root,
            recurrent_fn,
            simulations,
            invalid_actions=invalid,
            qtransform=qtransform,
            **options,
        )
        ours = native_search.gumbel_muzero(
            None, key, root_logits, root_value, embedding, invalid, recurrent_fn, simulations,
            **options,
        )  # fmt: skip
    else:
        theirs = mctx.muzero_policy(
            None, key, root, recurrent_fn, simulations, invalid_actions=invalid,
            dirichlet_fraction=0.0,
        )  # fmt: skip
        ours = native_search.puct(
            None, key, root_logits, root_value, embedding, invalid, recurrent_fn, simulations
        )
    return theirs, ours


def assert_same(theirs, ours, weights_tolerance=1e-6):
    np.testing.assert_array_equal(np.asarray(ours.action), np.asarray(theirs.action))
    np.testing.assert_allclose(
        np.asarray(ours.action_weights), np.asarray(theirs.action_weights), atol=weights_tolerance
    )
    np.testing.assert_allclose(
        np.asarray(ours.root_value),
        np.asarray(theirs.search_tree.node_values[:, 0]),
        atol=1e-6,
    )


# ---- Sequential halving --------------------------------------------------------------------


def test_considered_visits_table_is_mctx_schedule():
    for considered in range(0, 18):
        for simulations in (1, 2, 3, 5, 8, 16, 31, 32, 64, 100, 256):
            ours = native_search.considered_visits(considered, simulations)
            assert ours == seq_halving.get_sequence_of_considered_visits(considered, simulations)
    table = native_search.considered_visits_table(16, 64)
    assert table.shape == (17, 64)
    np.testing.assert_array_equal(table, seq_halving.get_table_of_considered_visits(16, 64))


# ---- Hand-built trees ----------------------------------------------------------------------


def test_bandit_weights_action_and_value_by_hand():
    """Every root action ends the game at once with a known reward: after one visit each, the
    search policy is softmax(logits + (c_visit + 1) * c_scale * rescaled rewards)."""
    batch = 4
    logits = jnp.zeros((batch, NODES, A)).at[:, 0].set(jnp.array([0.3, -0.2, 0.1]))
    value = jnp.full((batch, NODES), 0.25)
    rewards = jnp.array([0.5, -1.0, 0.9])
    reward = jnp.zeros((batch, NODES)).at[:, 1 : A + 1].set(rewards)
    finished = jnp.zeros((batch, NODES), jnp.bool_).at[:, 1:].set(True)
    tables = (logits, value, reward, finished)
    invalid = jnp.zeros((batch, A), jnp.bool_)
    key = jax.random.key(3)
    theirs, ours = run_both("gumbel", A, tables, invalid, key)
    assert_same(theirs, ours)
    root_logits = logits[0, 0] - logits[0, 0].max()
    rescaled = (rewards - rewards.min()) / (rewards.max() - rewards.min())
    expected = jax.nn.softmax(root_logits + (50.0 + 1) * 0.1 * rescaled)
    np.testing.assert_allclose(
        ours.action_weights, np.broadcast_to(expected, (batch, A)), rtol=1e-5
    )
    np.testing.assert_allclose(ours.root_value, (0.25 + rewards.sum()) / (A + 1), rtol=1e-6)
    gumbel = jax.random.gumbel(jax.random.split(key)[1], (batch, A))
    best = jnp.argmax(gumbel + (root_logits + (50.0 + 1) * 0.1 * rescaled)[None], axis=-1)
    np.testing.assert_array_equal(ours.action, best)
    np.testing.assert_array_equal(ours.tree.visits[0], A + 1)


@pytest.mark.parametrize("algorithm", ["gumbel", "puct"])
def test_two_ply_values_by_hand(algorithm):
    """One legal root action into a position worth v (for its mover) whose every move wins:
    simulation 1 sees -v, each later one -1, in whatever order the children are visited."""
    batch, simulations, v, v_root = 2, 4, 0.4, 0.1
    logits = jax.random.normal(jax.random.key(0), (batch, NODES, A))
    value = jnp.full((batch, NODES), v).at[:, 0].set(v_root)
    depth2 = jnp.arange(NODES) > A  # ids A+1.. are depth 2 and deeper
    reward = jnp.where(depth2, 1.0, 0.0)[None, :] * jnp.ones((batch, 1))
    finished = jnp.broadcast_to(depth2, (batch, NODES))
    invalid = jnp.array([[True, False, True]] * batch)
    theirs, ours = run_both(
        algorithm, simulations, (logits, value, reward, finished), invalid, jax.random.key(1)
    )
    assert_same(theirs, ours)
    np.testing.assert_array_equal(ours.action, 1)
    np.testing.assert_allclose(ours.action_weights[:, 1], 1.0, rtol=1e-6)
    child = ours.tree.children[0, :, 1]
    np.testing.assert_array_equal(child, 1)
    expected_child = (v + (simulations - 1) * 1.0) / simulations
    expected_root = (v_root - v - (simulations - 1)) / (simulations + 1)
    np.testing.assert_allclose(ours.tree.value[1], expected_child, rtol=1e-6)
    np.testing.assert_allclose(ours.root_value, expected_root, rtol=1e-6)
    np.testing.assert_array_equal(
        ours.tree.visits[:2], [[simulations + 1] * batch, [simulations] * batch]
    )


@pytest.mark.parametrize("algorithm", ["gumbel", "puct"])
def test_random_trees_equal_mctx(algorithm):
    """Random depth-3 trees with finished games inside and invalid root actions, at several
    simulation counts: the same action, weights, root value and visit counts as mctx."""
    batch = 8
    tables = random_tables(jax.random.key(7), batch)
    invalid = jax.random.uniform(jax.random.key(8), (batch, A)) < 0.3
    invalid = invalid.at[:, 0].set(False)
    counts = (1, 2, 4, 8, 16, 32)
    options = {"max_num_considered_actions": 2} if algorithm == "gumbel" else {}

    def both(key):
        return [_run_both(algorithm, n, tables, invalid, key, **options) for n in counts]

    both = compiled(both, jax.random.key(0))
    for seed in (0, 1):
        for count, (theirs, ours) in zip(counts, both(jax.random.key(seed)), strict=True):
            assert_same(theirs, ours)
            visits = ours.tree.visits[0]
            assert (np.asarray(visits) == count + 1).all()
            np.testing.assert_array_equal(
                np.asarray(theirs.search_tree.children_visits[:, 0]),
                np.asarray(native_search.root_visit_counts(ours.tree)),
            )


def test_tie_noise_is_drawn_wherever_it_can_change_the_argmax():
    """PUCT's tie-break: where the uniforms are skipped, the argmax is still mctx's argmax of
    ``scores + 1e-7 * uniform`` (invalid actions at -inf). Rows are searched one at a time (vmap
    of a batch of one: each row takes its own branch), with the second-best score placed at gaps
    around the skip margin and at scales from 0.01 to 1000."""
    rows, actions = 4096, 9
    rng = np.random.default_rng(0)
    scale = 10.0 ** rng.integers(-2, 4, rows)
    scores = rng.uniform(-1, 1, (rows, actions)) * scale[:, None]
    best = scores.max(axis=1)
    eps = np.finfo(np.float32).eps
    margin = 2 * (native_search.TIE_NOISE + eps * np.abs(best))
    gaps = margin * rng.choice([0.0, 0.01, 0.3, 0.5, 0.9, 0.99, 1.01, 1.5, 3.0], rows)
    second = rng.integers(0, actions, rows)
    scores[np.arange(rows), second] = best - gaps
    scores = jnp.asarray(scores, jnp.float32)
    invalid = jnp.asarray(rng.random((rows, actions)) < 0.2)
    keys = jax.random.split(jax.random.key(3), rows)

    def ours(row, key, mask):
        return native_search.argmax(native_search.with_tie_noise(row[None], key[None], mask[None]))

    mine = jax.jit(jax.vmap(ours))(scores, keys, invalid)[:, 0]
    noise = jax.vmap(lambda k: jax.random.uniform(k, (actions,)))(keys)
    reference = jnp.argmax(jnp.where(invalid, -jnp.inf, scores + 1e-7 * noise), axis=1)
    np.testing.assert_array_equal(np.asarray(mine), np.asarray(reference))
    # Both branches ran: some rows had near ties that the noise decided, most had none.
    plain = jnp.argmax(jnp.where(invalid, -jnp.inf, scores), axis=1)
    assert 0 < int(jnp.sum(plain != reference)) < rows // 4


# ---- Real Hex positions with a small random network ------------------------------------------


def hex_positions(size: int, batch: int, seed: int = 0):
    """A batch of positions from random play: the empty board, openings, finished games and
    random middle games."""
    env = games.make("hex", size=size)
    rng = np.random.default_rng(seed)
    plies = rng.integers(0, env.num_cells, batch)
    plies[:4] = [0, 1, 3, env.num_cells]
    plies[4:6] = env.num_cells
    step = jax.jit(jax.vmap(env.step))
    states = jax.vmap(env.init)(jax.random.split(jax.random.key(0), batch))
    for ply in range(env.num_cells):
        scores = rng.random((batch, env.num_actions)) + np.asarray(states.legal_action_mask)
        actions = np.where(ply < plies, scores.argmax(axis=1), -1)  # -1: not played, see below
        moved = step(states, jnp.asarray(np.maximum(actions, 0), jnp.int32))
        states = jax.tree.map(functools.partial(_keep, jnp.asarray(actions < 0)), states, moved)
    return env, states


def _keep(keep, old, new):
    return jnp.where(keep.reshape((-1,) + (1,) * (old.ndim - 1)), old, new)


@functools.cache
def hex_setup(size: int):
    env, states = hex_positions(size, 12)
    network = make_network(NetworkConfig(width=8, depth=1), size, env.num_actions)
    params = init_params(network, jax.random.key(size), size)
    return env, network.apply, params, states


@functools.cache
def hex_search(size: int, algorithm: str, simulations: int, backend: str, noise: bool):
    env, model, params, states = hex_setup(size)
    config = SearchConfig(algorithm=algorithm, num_simulations=simulations, backend=backend)
    search = make_search(env, model, config, root_noise=noise)
    return compiled(search, params, jax.random.key(0), states)


# Simulation counts from 1 to 32 for both algorithms over the two boards (the tree-game test above
# covers 1-32 for both); root noise on some. 0 simulations never reaches either backend (both take
# the raw-policy path in `make_search`), so it is checked against the network by hand below.
HEX_CASES = [
    (3, "gumbel", 1, False),
    (3, "gumbel", 8, True),
    (4, "gumbel", 32, False),
    (3, "puct", 4, False),
    (3, "puct", 16, True),
    (4, "puct", 2, False),
]


@pytest.mark.parametrize("size,algorithm,simulations,noise", HEX_CASES)
def test_hex_search_equals_mctx(size, algorithm, simulations, noise):
    """``search.backend = "native"`` through `make_search` (root noise, 0 simulations and all)
    against mctx on real positions: equal actions, weights and root values for several keys."""
    env, model, params, states = hex_setup(size)
    ours = hex_search(size, algorithm, simulations, "native", noise)
    theirs = hex_search(size, algorithm, simulations, "mctx", noise)
    for seed in range(3):
        key = jax.random.key(seed)
        mine, reference = ours(params, key, states), theirs(params, key, states)
        np.testing.assert_array_equal(np.asarray(mine.action), np.asarray(reference.action))
        np.testing.assert_allclose(mine.action_weights, reference.action_weights, atol=1e-6)
        np.testing.assert_allclose(mine.root_value, reference.root_value, atol=1e-6)


@pytest.mark.parametrize("backend", ["native", "mctx"])
def test_zero_simulations_act_on_the_raw_policy(backend):
    """0 simulations: the weights are the softmax of the network's masked logits, the root value
    is the network's value (0 for finished games), and the action is drawn from those weights
    with the search key, for either backend."""
    from alphazero.search import evaluate

    env, model, params, states = hex_setup(3)
    search = hex_search(3, "gumbel", 0, backend, False)
    logits, value = evaluate(env, model, params, states)
    weights = jax.nn.softmax(logits, axis=-1)
    legal = np.asarray(states.legal_action_mask)
    finished = np.asarray(states.terminated)
    for seed in range(3):
        key = jax.random.key(seed)
        output = search(params, key, states)
        np.testing.assert_allclose(output.action_weights, weights, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(output.root_value, value, rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(output.root_value[finished], 0.0)
        expected = np.asarray(jax.random.categorical(key, logits))
        np.testing.assert_array_equal(np.asarray(output.action), expected)
        chosen = np.asarray(output.action)
        assert legal[~finished, chosen[~finished]].all()
        assert np.asarray(output.action_weights)[~legal & ~finished[:, None]].max() < 1e-30


def test_hex_search_equals_mctx_at_default_xla_optimisation():
    """The equality tests above compile with XLA's backend optimisation off; this one compiles
    both searches as a trainer does (default options), where fusion could reorder float sums."""
    env, model, params, states = hex_setup(3)
    for algorithm in ("gumbel", "puct"):
        config = {"algorithm": algorithm, "num_simulations": 4}
        programs = {}
        for backend in ("native", "mctx"):
            search = make_search(env, model, SearchConfig(**config, backend=backend))
            programs[backend] = jax.jit(search).lower(params, jax.random.key(0), states).compile()
        for seed in range(2):
            key = jax.random.key(seed)
            mine = programs["native"](params, key, states)
            reference = programs["mctx"](params, key, states)
            np.testing.assert_array_equal(np.asarray(mine.action), np.asarray(reference.action))
            np.testing.assert_allclose(mine.action_weights, reference.action_weights, atol=1e-6)
            np.testing.assert_allclose(mine.root_value, reference.root_value, atol=1e-6)


@pytest.mark.parametrize("algorithm,simulations,noise", [("gumbel", 8, True), ("puct", 16, True)])
def test_hex_legal_choices_and_finished_games(algorithm, simulations, noise):
    """Over many keys the chosen action is always legal and illegal actions get no weight; a
    finished game's root keeps value 0 and weights that sum to 1."""
    env, model, params, states = hex_setup(3)
    search = hex_search(3, algorithm, simulations, "native", noise)
    legal = np.asarray(states.legal_action_mask)
    finished = np.asarray(states.terminated)
    assert finished.any() and (~finished).any()
    for seed in range(20):
        output = search(params, jax.random.key(seed), states)
        action = np.asarray(output.action)
        weights = np.asarray(output.action_weights)
        assert legal[~finished][np.arange((~finished).sum()), action[~finished]].all()
        assert (weights[~finished][~legal[~finished]] < 1e-6).all()
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
        np.testing.assert_array_equal(np.asarray(output.root_value)[finished], 0.0)


def test_puct_action_is_a_sample_of_the_visit_counts():
    """PUCT acts on a sample of its visit shares: over 256 copies of one position the chosen
    actions' frequencies match the weights (4 standard errors)."""
    env, model, params, states = hex_setup(3)
    copies = 256
    one = jax.tree.map(lambda x: jnp.repeat(x[1:2], copies, axis=0), states)
    config = SearchConfig(algorithm="puct", num_simulations=8, backend="native")
    search = compiled(make_search(env, model, config), params, jax.random.key(0), one)
    output = search(params, jax.random.key(11), one)
    weights = np.asarray(output.action_weights[0])
    np.testing.assert_allclose(np.asarray(output.action_weights), weights[None].repeat(copies, 0))
    frequency = np.bincount(np.asarray(output.action), minlength=env.num_actions) / copies
    error = np.sqrt(weights * (1 - weights) / copies)
    assert (np.abs(frequency - weights) <= 4 * error + 1e-9).all()


def test_backend_setting():
    assert SearchConfig(backend="native").backend == "native"
    config = from_dict(TrainConfig, {"search": {"backend": "native"}})
    assert config.search.backend == "native"
    with pytest.raises(ConfigError, match="search.backend"):
        from_dict(TrainConfig, {"search": {"backend": "cuda"}})


def test_children_index_type_holds_every_node():
    assert native_search.children_dtype(32767) == jnp.int16
    assert native_search.children_dtype(32768) == jnp.int32
    assert jnp.iinfo(native_search.children_dtype(32767)).min <= native_search.UNVISITED
