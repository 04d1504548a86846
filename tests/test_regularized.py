"""Jones's regularised policy search (`alphazero.native_search.regularized`) against the
independent NumPy implementation in `regularized_reference` (Jones's tree layout, plain loops):
the same pi_bar and alpha on hand-built bandits, the same action at every node of every descent
(same uniforms) on small random trees, with and without each switch; and the search behind
`make_search` on Hex (legal choices, configuration errors, root noise at evaluation)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import regularized_reference as ref
from table_game import DEPTH, NODES, A, node_depths, table_recurrent_fn

import games
from alphazero import native_search
from alphazero.config import ConfigError, from_dict
from alphazero.networks import init_params, make_network
from alphazero.search import make_search, resolve_backend
from alphazero.settings import NetworkConfig, SearchConfig

FAST_COMPILE = {"xla_backend_optimization_level": 0}
SWITCHES = [(False, False), (True, False), (False, True), (True, True)]  # (sqrt, per_tree)


# ---- The node policy on hand-built bandits ---------------------------------------------------


def random_rows(seed: int, rows: int, actions: int):
    """Priors (some actions illegal), normalised q (some unexpanded: 0) and lambdas."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(rows, actions)) * 2
    logits[rng.random((rows, actions)) < 0.2] = -1e9
    logits[:, 0] = np.maximum(logits[:, 0], 0)  # at least one legal action
    pi = np.stack([ref.softmax(row) for row in logits])
    q = rng.random((rows, actions)).astype(np.float32)
    q[rng.random((rows, actions)) < 0.3] = 0.0
    total = rng.integers(1, 200, rows)
    lam = np.array([ref.lambda_n(n, actions, 1 / 16, sqrt=False) for n in total], np.float32)
    return pi, q, lam


@pytest.mark.parametrize("seed", [0, 1])
def test_node_policy_equals_reference(seed):
    pi, q, lam = random_rows(seed, 64, 9)
    pi_bar, alpha = jax.jit(native_search.regularized_policy)(pi, q, lam)
    for row in range(len(pi)):
        want_pi_bar, want_alpha = ref.regularized_policy(pi[row], q[row], lam[row])
        np.testing.assert_allclose(alpha[row], want_alpha, rtol=1e-5)
        np.testing.assert_allclose(pi_bar[row], want_pi_bar, rtol=1e-4, atol=1e-7)
    assert np.all(np.asarray(pi_bar)[pi == 0] == 0), "an illegal action got probability"
    # Newton stops once the error is below 1e-3, so the sum never exceeds 1 by more; it can fall
    # well short of 1 where alpha's start is set by the 1e-4 floor (Jones's code does the same).
    sums = np.asarray(pi_bar).sum(-1)
    assert np.all(sums < 1 + 1e-3) and np.any(np.abs(sums - 1) < 1e-3)


def test_node_policy_by_hand():
    """Equal q: pi_bar = pi (alpha = q + lambda). Two actions: alpha solves the quadratic
    lam p / (alpha - q1) + lam (1 - p) / (alpha - q2) = 1. One legal action: pi_bar is one-hot."""
    lam = np.float32(0.05)
    pi = np.array([[0.5, 0.3, 0.2]], np.float32)
    pi_bar, alpha = native_search.regularized_policy(
        pi, np.full((1, 3), 0.4, np.float32), lam[None]
    )
    np.testing.assert_allclose(pi_bar, pi, atol=2e-3)
    np.testing.assert_allclose(alpha, 0.4 + lam, atol=1e-4)

    p, q1, q2 = 0.7, 0.2, 0.9
    pi = np.array([[p, 1 - p]], np.float32)
    q = np.array([[q1, q2]], np.float32)
    pi_bar, alpha = native_search.regularized_policy(pi, q, lam[None])
    # (alpha - q1)(alpha - q2) = lam p (alpha - q2) + lam (1 - p)(alpha - q1): the larger root.
    b = -(q1 + q2) - lam
    c = q1 * q2 + lam * p * q2 + lam * (1 - p) * q1
    exact = (-b + np.sqrt(b * b - 4 * c)) / 2
    np.testing.assert_allclose(alpha[0], exact, atol=1e-4)
    assert pi_bar[0, 1] > 0.9 and abs(float(pi_bar.sum()) - 1) < 1e-3  # the better action

    pi = np.array([[0.0, 1.0, 0.0]], np.float32)
    pi_bar, _ = native_search.regularized_policy(pi, np.zeros((1, 3), np.float32), lam[None])
    np.testing.assert_allclose(pi_bar, pi, atol=1e-6)


def test_lambda_by_hand():
    n = jnp.array([0.0, 9.0, 100.0])
    np.testing.assert_allclose(
        native_search.regularized_lambda(n, 9, 1 / 16, False), [0, 9 / 16 / 18, 100 / 16 / 109]
    )
    np.testing.assert_allclose(
        native_search.regularized_lambda(n, 9, 1 / 16, True), [0, 3 / 16 / 18, 10 / 16 / 109]
    )


def test_sampling_equals_reference():
    rng = np.random.default_rng(3)
    pi, q, lam = random_rows(4, 256, 7)
    pi_bar, _ = native_search.regularized_policy(pi, q, lam)
    pi_bar = np.asarray(pi_bar)
    uniform = rng.random(256).astype(np.float32)
    uniform[:16] = 1.0  # the running total may fall short of 1: the last positive action
    uniform[16:32] = 0.0
    actions = native_search.sample_regularized(pi_bar, uniform)
    want = [ref.sample(pi_bar[row], uniform[row]) for row in range(256)]
    np.testing.assert_array_equal(actions, want)
    assert np.all(pi_bar[np.arange(256), np.asarray(actions)] > 0)


# ---- Whole searches on small random trees (`table_game`) -------------------------------------


def random_game(seed: int, batch: int, first_scale: float = 1.0, scaled: int = 1) -> ref.TableGame:
    """Random priors (a few illegal actions), values in (-1, 1); finished games at depth 3 and a
    random fifth of depths 1 and 2, with rewards +-1; the first ``scaled`` games' values and
    rewards times ``first_scale``."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(batch, NODES, A)).astype(np.float32)
    logits[rng.random((batch, NODES, A)) < 0.15] = -1e9
    logits[:, :, 0] = np.maximum(logits[:, :, 0], 0.0)
    depth = node_depths()
    finished = (rng.random((batch, NODES)) < 0.2) & (depth > 0)
    finished |= depth == DEPTH
    reward = np.where(finished, rng.choice([-1.0, 1.0], (batch, NODES)), 0.0).astype(np.float32)
    value = rng.uniform(-1, 1, (batch, NODES)).astype(np.float32)
    reward[:scaled] *= first_scale
    value[:scaled] *= first_scale
    return ref.TableGame(logits, value, reward, finished)


@functools.cache
def _compiled_search(seed, batch, simulations, c, sqrt, per_tree, first_scale=1.0, groups=1):
    game = random_game(seed, batch, first_scale, scaled=batch // groups if groups > 1 else 1)
    invalid = jnp.asarray(game.logits[:, 0] < -1e8)
    embedding = (jnp.zeros((batch,), jnp.int32), jnp.zeros((batch,), jnp.bool_))

    def run(key):
        recurrent_fn = table_recurrent_fn(game.logits, game.value, game.reward, game.finished)
        result = native_search.regularized(
            None, key, jnp.asarray(game.logits[:, 0]), jnp.asarray(game.value[:, 0]), embedding,
            invalid, recurrent_fn, simulations, c=c, sqrt_visits=sqrt,
            per_tree=per_tree, groups=groups,
        )  # fmt: skip
        pi_bar, alpha = native_search.root_regularized_policy(
            result.tree, c, sqrt, per_tree, groups
        )
        return result, pi_bar, alpha

    return game, jax.jit(run).lower(jax.random.key(0)).compile(FAST_COMPILE)


def native_paths(tree, simulations: int, batch: int):
    """paths[sim][b]: the actions from the root to the node simulation ``sim`` made, cut after
    the first finished node (below it the native tree holds only empty nodes)."""
    children = np.asarray(tree.children).astype(np.int64)
    finished = np.asarray(tree.discount) == 0
    paths = []
    for sim in range(simulations):
        row = []
        for b in range(batch):
            node, actions = sim + 1, []
            while node != 0:
                parent, action = np.argwhere(children[:, b, :] == node)[0]
                actions.append(int(action))
                node = parent
            actions.reverse()
            cut, node = [], 0
            for action in actions:
                cut.append(action)
                node = children[node, b, action]
                if finished[node, b]:
                    break
            row.append(cut)
        paths.append(row)
    return paths


@pytest.mark.parametrize("sqrt,per_tree", SWITCHES)
@pytest.mark.parametrize("seed,simulations,c", [(0, 12, 1 / 16), (1, 20, 1 / 16), (2, 16, 0.5)])
def test_random_trees_equal_reference(seed, simulations, c, sqrt, per_tree):
    batch = 4
    game, search = _compiled_search(seed, batch, simulations, c, sqrt, per_tree)
    key = jax.random.key(seed + 10)
    result, pi_bar, alpha = search(key)
    _, descent_key = native_search.regularized_keys(key)
    uniforms = functools.cache(
        lambda sim, depth: np.asarray(native_search.descent_uniform(descent_key, sim, depth, batch))
    )
    trees, paths, want_pi_bar, want_alpha = ref.search(
        game, simulations, uniforms, c, sqrt, per_tree
    )
    assert native_paths(result.tree, simulations, batch) == paths
    np.testing.assert_allclose(alpha, want_alpha, rtol=1e-5)
    np.testing.assert_allclose(pi_bar, want_pi_bar, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(
        result.action_weights, want_pi_bar / want_pi_bar.sum(-1, keepdims=True), atol=1e-6
    )
    # The root's visit counts are Jones's n of the root's children.
    root_children = trees.children[:, 0, :]
    want_visits = np.where(
        root_children > -1, np.take_along_axis(trees.n, root_children.clip(0), 1), 0
    )
    np.testing.assert_array_equal(native_search.root_visit_counts(result.tree), want_visits)
    assert (trees.terminal & (trees.n > 1)).any() or simulations < 16  # finished nodes revisited


def test_normalisation_over_the_batch_couples_games_and_per_tree_does_not():
    """Batch-wide q normalisation (Jones's code): one game's search depends on the others in the
    batch (here the first game's values and rewards are a quarter of the others'); per tree it
    does not."""
    batch, simulations = 4, 16
    key = jax.random.key(3)
    for per_tree, coupled in ((False, True), (True, False)):
        game, search = _compiled_search(5, batch, simulations, 1 / 16, False, per_tree, 0.25)
        _, descent_key = native_search.regularized_keys(key)
        uniforms = functools.cache(
            lambda sim, depth, k=descent_key: np.asarray(
                native_search.descent_uniform(k, sim, depth, batch)
            )
        )
        _, _, together, _ = ref.search(game, simulations, uniforms, per_tree=per_tree)
        alone = []
        for b in range(batch):
            one = ref.TableGame(*(x[b : b + 1] for x in vars(game).values()))
            _, _, pi_bar, _ = ref.search(
                one,
                simulations,
                lambda s, d, b=b, u=uniforms: u(s, d)[b : b + 1],
                per_tree=per_tree,
            )
            alone.append(pi_bar[0])
        differs = not np.allclose(np.stack(alone), together, atol=1e-6)
        assert differs == coupled
        _, pi_bar, _ = search(key)
        np.testing.assert_allclose(pi_bar, together, rtol=1e-4, atol=1e-7)


def test_normalisation_per_agent_group_equals_each_group_searched_alone():
    """A batch holding two agents' games (``groups=2``: games 0-1 and 2-3) normalises q over each
    agent's games: each half's pi_bar equals the reference's search of that half alone, and the
    first half (values a quarter of the others') is not what the whole batch normalised
    gives."""
    batch, simulations = 4, 16
    key = jax.random.key(3)
    game, search = _compiled_search(5, batch, simulations, 1 / 16, False, False, 0.25, groups=2)
    _, descent_key = native_search.regularized_keys(key)
    uniforms = functools.cache(
        lambda sim, depth: np.asarray(native_search.descent_uniform(descent_key, sim, depth, batch))
    )
    halves = []
    for lo in (0, 2):
        part = ref.TableGame(*(x[lo : lo + 2] for x in vars(game).values()))
        _, _, pi_bar, _ = ref.search(
            part, simulations, lambda s, d, lo=lo: uniforms(s, d)[lo : lo + 2], per_tree=False
        )
        halves.append(pi_bar)
    _, pi_bar, _ = search(key)
    np.testing.assert_allclose(pi_bar, np.concatenate(halves), rtol=1e-4, atol=1e-7)
    _, _, whole, _ = ref.search(game, simulations, uniforms, per_tree=False)
    assert not np.allclose(whole[:2], halves[0], atol=1e-6)
    with pytest.raises(ValueError, match="does not split into 3 equal groups"):
        _compiled_search(5, batch, simulations, 1 / 16, False, False, 0.25, groups=3)


# ---- Behind make_search, on Hex ---------------------------------------------------------------


@functools.cache
def hex_model(size: int):
    env = games.make("hex", size=size)
    network = make_network(NetworkConfig(width=8, depth=1), size, env.num_actions)
    params = init_params(network, jax.random.key(0), size)
    return env, network.apply, params


@functools.cache
def hex_positions(size: int, batch: int, seed: int = 0):
    """Random-play positions at random plies, some finished."""
    env = hex_model(size)[0]

    def play(key):
        plies_key, init_key, key = jax.random.split(key, 3)
        plies = jax.random.randint(plies_key, (batch,), 0, env.num_cells + 1)
        states = jax.vmap(env.init)(jax.random.split(init_key, batch))

        def ply(index, carry):
            states, key = carry
            key, move_key = jax.random.split(key)
            logits = jnp.where(states.legal_action_mask, 0.0, -1e9)
            moves = jax.random.categorical(move_key, logits).astype(jnp.int32)
            stepped = jax.vmap(env.step)(states, moves)
            going = (index < plies) & ~states.terminated
            return jax.tree.map(
                lambda new, old: jnp.where(going.reshape((-1,) + (1,) * (old.ndim - 1)), new, old),
                stepped,
                states,
            ), key

        return jax.lax.fori_loop(0, env.num_cells, ply, (states, key))[0]

    return jax.jit(play).lower(jax.random.key(seed)).compile(FAST_COMPILE)(jax.random.key(seed))


def compiled_search(env, model, params, config, states, root_noise=False):
    search = make_search(env, model, config, root_noise=root_noise)
    return jax.jit(search).lower(params, jax.random.key(0), states).compile(FAST_COMPILE)


def test_hex_search_legal_and_policy_is_root_pi_bar():
    env, model, params = hex_model(3)
    states = hex_positions(3, 32)
    config = SearchConfig(algorithm="regularized", num_simulations=15)
    output = compiled_search(env, model, params, config, states)(params, jax.random.key(1), states)
    legal = np.asarray(states.legal_action_mask)
    going = ~np.asarray(states.terminated)
    weights = np.asarray(output.action_weights)
    np.testing.assert_allclose(weights.sum(-1), 1, atol=1e-5)
    assert np.all(weights[going][~legal[going]] == 0)
    assert np.all(legal[going, np.asarray(output.action)[going]])


def test_backend_and_configuration():
    assert resolve_backend("auto", 0, "regularized") == "native"
    assert resolve_backend("auto", 64, "regularized") == "native"
    with pytest.raises(ConfigError, match="mctx.*regularized"):
        from_dict(SearchConfig, {"algorithm": "regularized", "backend": "mctx"})
    with pytest.raises(ConfigError, match="regularized_c"):
        SearchConfig(algorithm="regularized", regularized_c=0.0)


def test_root_noise_at_every_search_unless_switched_off():
    """With ``regularized_evaluation_noise`` (the default) a search built for agents under test
    (``root_noise=False``) is the self-play search, noise included; without it, it is not."""
    env, model, params = hex_model(3)
    states = hex_positions(3, 32)
    key = jax.random.key(4)

    def weights(evaluation_noise, root_noise):
        config = SearchConfig(
            algorithm="regularized",
            num_simulations=4,
            regularized_evaluation_noise=evaluation_noise,
        )
        search = compiled_search(env, model, params, config, states, root_noise)
        return np.asarray(search(params, key, states).action_weights)

    selfplay = weights(True, True)
    np.testing.assert_array_equal(weights(True, False), selfplay)
    assert not np.allclose(weights(False, False), selfplay)
