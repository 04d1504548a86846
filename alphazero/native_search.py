"""A batched search of our own for small boards: Gumbel MuZero and PUCT with mctx's decisions.

`alphazero.search.make_search` uses it when ``search.backend = "native"``. It takes the same pieces
as mctx (the root's masked logits, value and game states, the invalid-action mask at the root and
the recurrent function of `alphazero.search.make_recurrent_fn`) and makes the same decisions as
``mctx.gumbel_muzero_policy`` and ``mctx.muzero_policy`` for the same key; what differs is the tree's
layout and bookkeeping, chosen for small boards and speed:

- Every array is node-major with a fixed size: ``[N, B]`` per node (N = simulations + 1, node 0 the
  root, node ``i + 1`` made by simulation ``i``) and ``[N, B, A]`` per node and action (children
  index, prior logits). Writing simulation ``i``'s new node is a ``dynamic_update_slice`` of one
  contiguous ``[B, ...]`` slab, not a scatter.
- Only node statistics are kept: ``stats [N, B, 2]`` (visit count and q = reward + discount *
  value, the node's worth to its parent's mover, side by side so that reading a node's children is
  one gather through its children index), value, raw value, reward, discount. mctx keeps seven
  ``[N, B, A]`` arrays and, under ``vmap``, its backup loop selects over all of them at every step.
- The descent is one ``while_loop`` over depth for the whole batch (the root step peeled off, so
  the root rule is computed once per simulation and not at every depth), with the tree read-only;
  a row of node ``n`` for game ``b`` is read as one gather of the ``[N * B, ...]`` flattening.
- The backup is a gather and a scatter over the recorded path, 8 rows at a time (one step unless
  the walk went 8 deep): in this game every discount is -1 or 0 and the only reward is on the edge
  into a finished game, so each node stores the product of discounts from the root (``sign``: +1,
  -1 or 0) and the discounted sum of rewards from the root (``gain``), and the return that reaches
  path node ``p`` from leaf ``l`` is ``sign_p * (gain_l - gain_p + sign_l * value_l)`` -- exactly
  mctx's ``r + d * G`` recursion (every term is a sign flip of one value or one +-1 reward, so no
  rounding differs), and 0 below a finished game. The running mean is mctx's formula, written so
  that XLA fuses the same multiply-add.
- The game state per node is stored packed: ``pack(states)`` on the way in and ``unpack(rows)``
  before stepping a parent, both batched (`make_search` passes the env's ``pack`` and ``unpack``
  where it has them: Hex drops its float observation, a function of the board, and keeps int16
  labels, so a 9x9 node's state is 358 bytes instead of 1,180). The children index is int16 while
  the tree has fewer than 32,768 nodes.

Invariants the layout relies on (as in mctx with ``max_depth = num_simulations``): a simulation
always ends on an edge that was never expanded (the tree has ``i + 1`` nodes at simulation ``i``),
so node ``i + 1`` is always new, and the path of visited nodes has at most ``i + 1`` entries.

The PUCT tie-break noise (``1e-7 * uniform`` added to the scores) is drawn from the same key stream
as mctx's (per simulation ``split(key, 3)``; per game ``split(simulate_key, B)``; per depth
``split``), so the visit counts and the sampled action equal mctx's for the same key. The
uniforms themselves are drawn only when some game's best two scores are close enough for them to
matter (`with_tie_noise`); the keys are split at every step regardless.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

UNVISITED = -1
BACKUP_ROWS = 8  # path rows backed up per step of the backup loop (one step covers depth < 8)
TIE_NOISE = 1e-7  # mctx's tie-break noise scale in PUCT


class Tree(NamedTuple):
    """The search tree for a batch: N nodes, B games, A actions; node 0 is the root."""

    stats: jax.Array  # [N, B, 2] float32: visits (1 on expansion, +1 per backup through the
    #   node) and q (reward + discount * value: the node's worth to its parent's mover), kept
    #   side by side so that reading a node's children is one gather
    value: jax.Array  # [N, B] float32, running mean of the returns (mover's view at the node)
    raw_value: jax.Array  # [N, B] float32, the network's value at expansion
    reward: jax.Array  # [N, B] float32, reward of the edge into the node (parent's mover)
    discount: jax.Array  # [N, B] float32, discount of the edge into the node
    sign: jax.Array  # [N, B] float32, product of discounts from the root (+1, -1 or 0)
    gain: jax.Array  # [N, B] float32, sum over the root path of reward * sign of the edge's parent
    logits: jax.Array  # [N, B, A] float32, prior logits of the node's actions
    children: jax.Array  # [N, B, A] int16 (int32 past 32,767 nodes), child index or UNVISITED
    states: Any  # packed game states, every leaf [N, B, ...]

    @property
    def visits(self) -> jax.Array:
        """[N, B] int32 visit counts."""
        return self.stats[..., 0].astype(jnp.int32)


class SearchResult(NamedTuple):
    action: jax.Array  # [B] int32
    action_weights: jax.Array  # [B, A] float32
    root_value: jax.Array  # [B] float32
    tree: Tree


# ---- Sequential halving -------------------------------------------------------------------


def considered_visits(num_considered: int, num_simulations: int) -> tuple[int, ...]:
    """The visit count an action must have to be visited next at each simulation, when
    ``num_considered`` actions are kept by sequential halving (the schedule of mctx's
    ``seq_halving``): rounds of ``max(1, floor(n / (ceil(log2 m) * k)))`` visits to each of the
    ``k`` kept actions, ``k`` halving (never below 2) after every round."""
    if num_considered <= 1:
        return tuple(range(num_simulations))
    rounds_total = math.ceil(math.log2(num_considered))
    kept = num_considered
    visits = 0  # every kept action has this many visits at the start of a round
    schedule: list[int] = []
    while len(schedule) < num_simulations:
        per_action = max(1, int(num_simulations / (rounds_total * kept)))
        for extra in range(per_action):
            schedule.extend([visits + extra] * kept)
        visits += per_action
        kept = max(2, kept // 2)
    return tuple(schedule[:num_simulations])


def considered_visits_table(max_considered: int, num_simulations: int) -> np.ndarray:
    """[max_considered + 1, num_simulations] int32: row k is `considered_visits(k, ...)`."""
    return np.array(
        [considered_visits(k, num_simulations) for k in range(max_considered + 1)], np.int32
    ).reshape(max_considered + 1, num_simulations)


# ---- The pieces of the selection rules, batched over [B, A] ---------------------------------


def mask_invalid(logits, invalid):
    """mctx's masking of root logits: shift so the max is 0, invalid actions at the lowest float."""
    logits = logits - jnp.max(logits, axis=-1, keepdims=True)
    return jnp.where(invalid, jnp.finfo(logits.dtype).min, logits)


def completed_qvalues(q, visits, logits, raw_value, value_scale: float, maxvisit_init: float):
    """mctx's ``qtransform_completed_by_mix_value`` (rescaled, mixed value) for a batch of nodes.

    q, visits, logits: [B, A] (q of unvisited children is ignored); raw_value: [B]. Returns [B, A]."""
    visited = visits > 0
    probs = jnp.maximum(jnp.finfo(logits.dtype).tiny, jax.nn.softmax(logits, axis=-1))
    total = jnp.sum(visits, axis=-1)
    visited_mass = jnp.sum(jnp.where(visited, probs, 0.0), axis=-1, keepdims=True)
    weighted_q = jnp.sum(
        jnp.where(visited, probs * q / jnp.where(visited, visited_mass, 1.0), 0.0), axis=-1
    )
    mixed = (raw_value + total * weighted_q) / (total + 1)
    completed = jnp.where(visited, q, mixed[:, None])
    low = jnp.min(completed, axis=-1, keepdims=True)
    high = jnp.max(completed, axis=-1, keepdims=True)
    completed = (completed - low) / jnp.maximum(high - low, 1e-8)
    scale = maxvisit_init + jnp.max(visits, axis=-1, keepdims=True)
    return scale * value_scale * completed


def score_considered(considered, gumbel, logits, completed_q, visits):
    """Sequential halving's score: gumbel + logits + q where the visit count is ``considered``."""
    logits = logits - jnp.max(logits, axis=-1, keepdims=True)
    penalty = jnp.where(visits == considered, 0.0, -jnp.inf)
    return jnp.maximum(-1e9, gumbel + logits + completed_q) + penalty


def argmax(scores):
    """``jnp.argmax`` over the last axis (the first index of the maximum) as two plain reductions,
    which XLA's CPU backend runs several times faster than argmax's (value, index) reduction."""
    best = jnp.max(scores, axis=-1, keepdims=True)
    index = jnp.arange(scores.shape[-1], dtype=jnp.int32)
    return jnp.min(jnp.where(scores == best, index, scores.shape[-1]), axis=-1)


def masked_argmax(scores, invalid):
    return argmax(jnp.where(invalid, -jnp.inf, scores))


def gumbel_interior_action(q, visits, logits, raw_value, value_scale, maxvisit_init):
    """Full Gumbel MuZero's deterministic interior rule: the action whose visit share falls
    furthest below softmax(logits + completed q). [B]"""
    completed = completed_qvalues(q, visits, logits, raw_value, value_scale, maxvisit_init)
    probs = jax.nn.softmax(logits + completed, axis=-1)
    to_argmax = probs - visits / (1 + jnp.sum(visits, axis=-1, keepdims=True))
    return argmax(to_argmax)


def puct_scores(q, visits, logits, node_visits, node_value, pb_c_init, pb_c_base):
    """mctx's ``muzero_action_selection`` scores with ``qtransform_by_parent_and_siblings``,
    before the tie-break noise (`with_tie_noise`).

    q, visits, logits: [B, A]; node_visits (int32), node_value: [B]. Returns [B, A]."""
    node_visits = node_visits[:, None]
    pb_c = pb_c_init + jnp.log((node_visits + pb_c_base + 1.0) / pb_c_base)
    probs = jax.nn.softmax(logits, axis=-1)
    policy = jnp.sqrt(node_visits) * pb_c * probs / (visits + 1)
    visited = visits > 0
    node_value = node_value[:, None]
    safe_q = jnp.where(visited, q, node_value)
    low = jnp.minimum(node_value, jnp.min(safe_q, axis=-1, keepdims=True))
    high = jnp.maximum(node_value, jnp.max(safe_q, axis=-1, keepdims=True))
    value = (jnp.where(visited, q, low) - low) / jnp.maximum(high - low, 1e-8)
    return value + policy


def _uniform_rows(keys, num_actions: int):
    return jax.vmap(lambda k: jax.random.uniform(k, (num_actions,)))(keys)


def with_tie_noise(scores, keys, invalid=None):
    """``scores + 1e-7 * uniform`` as mctx's PUCT adds before its argmax (uniforms from ``keys``,
    one per game), then ``invalid`` actions at -inf -- but the uniforms are only drawn when some
    game has a near tie. Where the best score leads every other valid one by more than
    ``2 * (1e-7 + eps * |best|)``, no noise in [0, 1e-7) can change the argmax (float addition is
    monotone: ``fl(s + noise) <= fl(s + 1e-7) < best <= fl(best + noise)``), so the scores are
    returned without it and the argmax is the same as mctx's. Drawing A uniforms per game (A / 2
    threefry blocks) costs more than the scores themselves. scores: [B, A]; keys: [B]."""
    valid_scores = scores if invalid is None else jnp.where(invalid, -jnp.inf, scores)
    best = jnp.max(valid_scores, axis=-1, keepdims=True)
    margin = 2 * (TIE_NOISE + jnp.finfo(scores.dtype).eps * jnp.abs(best))
    near_tie = jnp.sum(valid_scores >= best - margin, axis=-1) > 1

    def noisy():
        noise = _uniform_rows(keys, scores.shape[-1])
        noisy_scores = scores + TIE_NOISE * noise
        return noisy_scores if invalid is None else jnp.where(invalid, -jnp.inf, noisy_scores)

    return jax.lax.cond(jnp.any(near_tie), noisy, lambda: valid_scores)


# ---- The tree -------------------------------------------------------------------------------


def rows_of(array, node):
    """``array[node[b], b]`` for every game b: array [N, B, ...], node [B] -> [B, ...], as one
    gather of whole rows of the [N * B, ...] flattening."""
    nodes, batch = array.shape[:2]
    flat = array.reshape((nodes * batch,) + array.shape[2:])
    return flat[node * batch + jnp.arange(batch, dtype=node.dtype)]


def _children_stats(tree: Tree, children):
    """Visit counts [B, A] (float32, whole numbers) and q-values [B, A] of the children listed
    in ``children`` (0 and 0 where unvisited, as in mctx)."""
    batch = children.shape[0]
    children = children.astype(jnp.int32)
    visited = children != UNVISITED
    flat = jnp.where(visited, children, 0) * batch + jnp.arange(batch, dtype=jnp.int32)[:, None]
    stats = jnp.where(visited[..., None], tree.stats.reshape(-1, 2)[flat], 0.0)
    return stats[..., 0], stats[..., 1]


def _node_view(tree: Tree, node):
    """(children [B, A], logits [B, A], child visits [B, A], child q [B, A]) of node [B]."""
    children = rows_of(tree.children, node)
    logits = rows_of(tree.logits, node)
    visits, q = _children_stats(tree, children)
    return children, logits, visits, q


def _identity(states):
    return states


def children_dtype(nodes: int):
    """The narrowest integer type that holds every node index and UNVISITED."""
    return jnp.int16 if nodes <= np.iinfo(np.int16).max else jnp.int32


def init_tree(root_logits, root_value, root_states, num_simulations: int, pack=_identity) -> Tree:
    """The tree before any simulation: the root's statistics and its packed state."""
    batch, num_actions = root_logits.shape
    nodes = num_simulations + 1

    def node_array(root, fill=0):
        return jnp.full((nodes, batch), fill, root.dtype).at[0].set(root)

    def node_states(x):
        return jnp.zeros((nodes,) + x.shape, x.dtype).at[0].set(x)

    zeros = jnp.zeros((batch,), jnp.float32)
    root_stats = jnp.stack([jnp.ones((batch,), jnp.float32), zeros], axis=-1)
    return Tree(
        stats=jnp.zeros((nodes, batch, 2), jnp.float32).at[0].set(root_stats),
        value=node_array(root_value.astype(jnp.float32)),
        raw_value=node_array(root_value.astype(jnp.float32)),
        reward=node_array(zeros),
        discount=node_array(zeros),
        sign=node_array(jnp.ones((batch,), jnp.float32)),
        gain=node_array(zeros),
        logits=jnp.zeros((nodes, batch, num_actions), jnp.float32).at[0].set(root_logits),
        children=jnp.full((nodes, batch, num_actions), UNVISITED, children_dtype(nodes)),
        states=jax.tree.map(node_states, pack(root_states)),
    )


def _descend(tree: Tree, root_action, select, max_depth: int, carry_extra):
    """Walk from the root's chosen child down to the first edge that was never expanded.

    ``select(node [B], depth, extra) -> (action [B], extra)`` is the interior rule. Returns
    (parent [B], action [B], path [D, B], rows): path row d holds the depth-d node of the walk (row
    0 the root), or N past the walk's end; ``rows`` is the number of rows any walk filled. D is
    ``max_depth`` rounded up to whole chunks of `BACKUP_ROWS`."""
    nodes, batch, num_actions = tree.children.shape
    batch_range = jnp.arange(batch, dtype=jnp.int32)
    rows = -(-max_depth // BACKUP_ROWS) * BACKUP_ROWS
    path = jnp.full((rows, batch), nodes, jnp.int32).at[0].set(0)
    child = tree.children[0, batch_range, root_action].astype(jnp.int32)
    start = (jnp.zeros((batch,), jnp.int32), root_action, child, jnp.int32(1), path, carry_extra)

    def cond(state):
        _, _, child, depth, _, _ = state
        return (depth < max_depth) & jnp.any(child != UNVISITED)

    def body(state):
        node, action, child, depth, path, extra = state
        going = child != UNVISITED
        node = jnp.where(going, child, node)
        chosen, extra = select(node, depth, extra)
        action = jnp.where(going, chosen, action)
        child = tree.children.reshape(-1)[(node * batch + batch_range) * num_actions + chosen]
        child = child.astype(jnp.int32)
        child = jnp.where(going, child, UNVISITED)
        path = jax.lax.dynamic_update_index_in_dim(path, jnp.where(going, node, nodes), depth, 0)
        return node, action, child, depth + 1, path, extra

    node, action, _, depth, path, _ = jax.lax.while_loop(cond, body, start)
    return node, action, path, depth


def _expand_and_backup(
    params, tree: Tree, recurrent_fn, parent, action, path, rows, sim, key, codec
):
    """Step the game from ``parent`` by ``action`` into node ``sim + 1``, then back the new
    node's value up the first ``rows`` rows of the path. ``codec`` is (pack, unpack)."""
    pack, unpack = codec
    nodes, batch = tree.value.shape
    batch_range = jnp.arange(batch)
    new = sim + 1
    parent_states = unpack(jax.tree.map(lambda x: rows_of(x, parent), tree.states))
    output, states = recurrent_fn(params, key, action, parent_states)
    reward = output.reward.astype(jnp.float32)
    discount = output.discount.astype(jnp.float32)
    value = output.value.astype(jnp.float32)
    parent_sign = rows_of(tree.sign, parent)
    sign = parent_sign * discount
    gain = rows_of(tree.gain, parent) + parent_sign * reward

    def put(array, row):
        return jax.lax.dynamic_update_index_in_dim(array, row.astype(array.dtype), new, 0)

    leaf_stats = jnp.stack([jnp.ones((batch,), jnp.float32), reward + discount * value], axis=-1)
    tree = tree._replace(
        stats=put(tree.stats, leaf_stats),
        value=put(tree.value, value),
        raw_value=put(tree.raw_value, value),
        reward=put(tree.reward, reward),
        discount=put(tree.discount, discount),
        sign=put(tree.sign, sign),
        gain=put(tree.gain, gain),
        logits=put(tree.logits, output.prior_logits.astype(jnp.float32)),
        children=tree.children.at[parent, batch_range, action].set(
            jnp.asarray(new, tree.children.dtype)
        ),
        states=jax.tree.map(put, tree.states, pack(states)),
    )
    leaf_return = sign * value

    # Backup, BACKUP_ROWS path rows at a time (one chunk unless the walk went deeper): every
    # node on the path (distinct nodes, so one scatter) takes the return that reaches it.
    def chunk(carry):
        start, stats, values = carry
        nodes_here = jax.lax.dynamic_slice_in_dim(path, start, BACKUP_ROWS, 0)  # [R, B]
        flat = nodes_here * batch + batch_range[None, :]  # past the walk's end: out of range
        safe = jnp.where(nodes_here < nodes, flat, 0)
        node_stats = stats.reshape(-1, 2)[safe]  # [R, B, 2]
        visits, value_here = node_stats[..., 0], values.reshape(-1)[safe]
        sign_here, gain_here = tree.sign.reshape(-1)[safe], tree.gain.reshape(-1)[safe]
        returns = (gain[None, :] - gain_here) + leaf_return[None, :]
        # sign * returns as a select, not a product: XLA contracts `value * visits + returns`
        # into one fused multiply-add, as it does mctx's `value * count + leaf_value`.
        returns = jnp.where(sign_here > 0, returns, jnp.where(sign_here < 0, -returns, 0.0))
        new_value = (value_here * visits + returns) / (visits + 1.0)
        reward_here = tree.reward.reshape(-1)[safe]
        discount_here = tree.discount.reshape(-1)[safe]
        new_stats = jnp.stack([visits + 1.0, reward_here + discount_here * new_value], axis=-1)
        stats = stats.reshape(-1, 2).at[flat].set(new_stats, mode="drop").reshape(stats.shape)
        values = values.reshape(-1).at[flat].set(new_value, mode="drop").reshape(values.shape)
        return start + BACKUP_ROWS, stats, values

    _, stats, values = jax.lax.while_loop(
        lambda carry: carry[0] < rows, chunk, (jnp.int32(0), tree.stats, tree.value)
    )
    return tree._replace(stats=stats, value=values)


def _root_counts(tree: Tree):
    return _children_stats(tree, tree.children[0])


def root_visit_counts(tree: Tree) -> jax.Array:
    """The root's visit count per action, [B, A] int32."""
    return _root_counts(tree)[0].astype(jnp.int32)


def _simulated_tree(
    params, root_logits, root_value, root_states, recurrent_fn, num_simulations, descent, codec
) -> Tree:
    """The tree after ``num_simulations`` simulations from the root, for a policy whose descent
    carries nothing from node to node. Simulation ``sim`` asks ``descent(sim, tree)`` for
    (the root's action [B], ``select``: the interior rule as `_descend` takes it), walks down to
    the first edge never expanded, expands it into node ``sim + 1`` and backs its value up.
    ``codec`` is (pack, unpack)."""

    def simulate(sim, tree):
        root_action, select = descent(sim, tree)
        parent, action, path, rows = _descend(tree, root_action, select, num_simulations, ())
        return _expand_and_backup(
            params, tree, recurrent_fn, parent, action, path, rows, sim, None, codec
        )

    tree = init_tree(root_logits, root_value, root_states, num_simulations, codec[0])
    return jax.lax.fori_loop(0, num_simulations, simulate, tree)


# ---- The two policies ------------------------------------------------------------------------


def gumbel_muzero(
    params,
    key,
    root_logits,
    root_value,
    root_states,
    invalid,
    recurrent_fn: Callable,
    num_simulations: int,
    max_num_considered_actions: int = 16,
    gumbel_scale: float = 1.0,
    value_scale: float = 0.1,
    maxvisit_init: float = 50.0,
    pack: Callable = _identity,
    unpack: Callable = _identity,
) -> SearchResult:
    """Gumbel MuZero as ``mctx.gumbel_muzero_policy`` with ``qtransform_completed_by_mix_value``
    (``value_scale``, ``maxvisit_init``, rescaled, mixed value): the same action, weights and root
    value for the same key. root_logits, invalid: [B, A]; root_value: [B]. ``pack`` and ``unpack``
    (batched) convert game states to and from the form stored per node; identity by default."""
    if num_simulations < 1:
        raise ValueError("num_simulations must be at least 1")
    root_logits = mask_invalid(root_logits, invalid)
    _, gumbel_key = jax.random.split(key)
    gumbel = gumbel_scale * jax.random.gumbel(gumbel_key, root_logits.shape, root_logits.dtype)
    table = jnp.asarray(considered_visits_table(max_num_considered_actions, num_simulations))
    num_valid = jnp.sum(~invalid, axis=-1).astype(jnp.int32)
    num_considered = jnp.minimum(max_num_considered_actions, num_valid)
    completed = functools.partial(
        completed_qvalues, value_scale=value_scale, maxvisit_init=maxvisit_init
    )
    interior = functools.partial(
        gumbel_interior_action, value_scale=value_scale, maxvisit_init=maxvisit_init
    )

    def descent(sim, tree):
        visits, q = _root_counts(tree)
        considered = table[num_considered, sim][:, None]
        scores = score_considered(
            considered, gumbel, root_logits, completed(q, visits, root_logits, root_value), visits
        )

        def select(node, depth, extra):
            del depth
            _, logits, visits, q = _node_view(tree, node)
            return interior(q, visits, logits, rows_of(tree.raw_value, node)), extra

        return masked_argmax(scores, invalid), select

    tree = _simulated_tree(
        params, root_logits, root_value, root_states, recurrent_fn, num_simulations, descent,
        (pack, unpack),
    )  # fmt: skip

    visits, q = _root_counts(tree)
    completed_q = completed(q, visits, root_logits, root_value)
    visit_counts = visits.astype(jnp.float32)
    considered = jnp.max(visit_counts, axis=-1, keepdims=True)
    scores = score_considered(considered, gumbel, root_logits, completed_q, visit_counts)
    action = masked_argmax(scores, invalid)
    weights = jax.nn.softmax(mask_invalid(root_logits + completed_q, invalid), axis=-1)
    return SearchResult(action, weights, tree.value[0], tree)


def _split_rows(keys):
    pairs = jax.vmap(jax.random.split)(keys)
    return pairs[:, 0], pairs[:, 1]


def puct(
    params,
    key,
    root_logits,
    root_value,
    root_states,
    invalid,
    recurrent_fn: Callable,
    num_simulations: int,
    pb_c_init: float = 1.25,
    pb_c_base: float = 19652.0,
    pack: Callable = _identity,
    unpack: Callable = _identity,
) -> SearchResult:
    """MuZero's PUCT as ``mctx.muzero_policy`` with ``dirichlet_fraction=0`` (any root noise is
    already in ``root_logits``), ``qtransform_by_parent_and_siblings`` and temperature 1: the same
    visit counts, weights (visit shares), sampled action and root value for the same key.
    ``pack`` and ``unpack`` as in `gumbel_muzero`."""
    if num_simulations < 1:
        raise ValueError("num_simulations must be at least 1")
    num_batch, num_actions = root_logits.shape
    action_key, _, search_key = jax.random.split(key, 3)
    tiny = jnp.finfo(root_logits.dtype).tiny
    root_logits = mask_invalid(
        jnp.log(jnp.maximum(jax.nn.softmax(root_logits, axis=-1), tiny)), invalid
    )
    scores = functools.partial(puct_scores, pb_c_init=pb_c_init, pb_c_base=pb_c_base)

    def simulate(sim, carry):
        tree, key = carry
        key, simulate_key, _ = jax.random.split(key, 3)
        keys, selection_keys = _split_rows(jax.random.split(simulate_key, num_batch))
        visits, q = _root_counts(tree)
        root_visits = tree.stats[0, :, 0]
        root_scores = scores(q, visits, tree.logits[0], root_visits, tree.value[0])
        root_action = argmax(with_tie_noise(root_scores, selection_keys, invalid))

        def select(node, depth, keys):
            del depth
            keys, selection_keys = _split_rows(keys)
            _, logits, visits, q = _node_view(tree, node)
            node_scores = scores(
                q, visits, logits, rows_of(tree.stats, node)[:, 0], rows_of(tree.value, node)
            )
            return argmax(with_tie_noise(node_scores, selection_keys)), keys

        parent, action, path, rows = _descend(tree, root_action, select, num_simulations, keys)
        tree = _expand_and_backup(
            params, tree, recurrent_fn, parent, action, path, rows, sim, None, (pack, unpack)
        )
        return tree, key

    tree = init_tree(root_logits, root_value, root_states, num_simulations, pack)
    tree, _ = jax.lax.fori_loop(0, num_simulations, simulate, (tree, search_key))

    visits, _ = _root_counts(tree)
    counts = visits.astype(jnp.float32)
    total = jnp.sum(counts, axis=-1, keepdims=True)
    weights = jnp.where(total > 0, counts / jnp.maximum(total, 1), 1 / num_actions)
    logits = jnp.log(jnp.maximum(weights, tiny))
    logits = logits - jnp.max(logits, axis=-1, keepdims=True)
    action = jax.random.categorical(action_key, logits).astype(jnp.int32)
    return SearchResult(action, weights, tree.value[0], tree)


# ---- Jones's regularised policy search ------------------------------------------------------

REGULARIZED_C = 1.0 / 16.0  # Jones's c_puct
Q_EPSILON = 1e-4  # in W / (n + eps) and in the min-max normalisation's denominator
ALPHA_GAP = 1e-4  # alpha's start: max_a q(a) + max(lambda * pi(a), ALPHA_GAP)
NEWTON_STEPS = 100
NEWTON_TOLERANCE = 1e-3


def regularized_lambda(total_visits, num_actions: int, c: float, sqrt_visits: bool):
    """lambda_N = c * N / (N + A) as Jones's code has it, or c * sqrt(N) / (N + A) as Grill et
    al. (2020). total_visits: [B] float32. Returns [B]."""
    visits = jnp.sqrt(total_visits) if sqrt_visits else total_visits
    return c * visits / (total_visits + num_actions)


def regularized_policy(pi, q, lam):
    """(pi_bar [B, A], alpha [B]): pi_bar = lam * pi / (alpha - q) with alpha solved by Newton's
    method on sum(pi_bar) - 1, from alpha = max_a(q + max(lam * pi, 1e-4)), at most 100 steps,
    each row stopping when its error (sum - 1, signed) is below 1e-3 or repeats exactly.

    pi, q: [B, A] float32 (q already normalised); lam: [B] float32."""
    top = lam[:, None] * pi
    alpha = jnp.max(q + jnp.maximum(top, ALPHA_GAP), axis=-1)

    class Carry(NamedTuple):
        step: jax.Array  # [] int32
        alpha: jax.Array  # [B]
        error: jax.Array  # [B], the last error a step was taken on
        done: jax.Array  # [B] bool

    def cond(carry: Carry):
        return (carry.step < NEWTON_STEPS) & ~jnp.all(carry.done)

    def body(carry: Carry):
        bottom = carry.alpha[:, None] - q
        total = jnp.sum(top / bottom, axis=-1)
        slope = jnp.sum(-top / (bottom * bottom), axis=-1)
        error = total - 1.0
        stop = (error < NEWTON_TOLERANCE) | (error == carry.error)
        moving = ~carry.done & ~stop
        return Carry(
            step=carry.step + 1,
            alpha=jnp.where(moving, carry.alpha - error / slope, carry.alpha),
            error=jnp.where(moving, error, carry.error),
            done=carry.done | stop,
        )

    start = Carry(
        jnp.int32(0), alpha, jnp.full_like(alpha, jnp.inf), jnp.zeros(alpha.shape, jnp.bool_)
    )
    alpha = jax.lax.while_loop(cond, body, start).alpha
    return top / (alpha[:, None] - q), alpha


def sample_regularized(pi_bar, uniform):
    """Jones's sampling with one uniform per node: the first action with positive probability
    whose running total reaches ``uniform``, else (the total falls short) the last action with
    positive probability. pi_bar: [B, A]; uniform: [B]. Returns [B] int32."""
    num_actions = pi_bar.shape[-1]
    index = jnp.arange(num_actions, dtype=jnp.int32)
    positive = pi_bar > 0
    reached = positive & (jnp.cumsum(pi_bar, axis=-1) >= uniform[:, None])
    first = jnp.min(jnp.where(reached, index, num_actions), axis=-1)
    last = jnp.max(jnp.where(positive, index, -1), axis=-1)
    return jnp.where(first < num_actions, first, last).astype(jnp.int32)


def regularized_keys(key):
    """(acting key, descent key) of a regularised search called with ``key``."""
    action_key, descent_key = jax.random.split(key)
    return action_key, descent_key


def descent_uniform(descent_key, sim, depth, batch: int):
    """The uniform numbers [B] used at depth ``depth`` (0 = the root) of simulation ``sim``'s
    descent: one per node visited (a walk visits one node per depth)."""
    key = jax.random.fold_in(jax.random.fold_in(descent_key, sim), depth)
    return jax.random.uniform(key, (batch,))


def q_scale(tree: Tree, per_tree: bool, groups: int = 1):
    """M with the whole tensor of Jones's q = W / (n + 1e-4) (every node, both seats) inside
    [-M, M]: with one zero-sum value per node, the other seat's q is the negation, so the
    tensor's min is -M and its max M. Node slots not yet used hold 0, inside the range.

    A node's W from its parent mover's seat is n * (its q statistic); the root, never backed up
    into in Jones's tree, has n = visits - 1 and W = the sum of the returns backed up through it.
    ``per_tree`` takes M per game instead of over the batch; otherwise the batch is ``groups``
    equal runs of consecutive games (one per agent when several agents' games share one search,
    as in a tournament's stacked program) and M is taken over each run, so that one agent's
    search never depends on another agent's games. Returns [B] (equal entries within a group
    unless ``per_tree``)."""
    visits, child_q = tree.stats[1:, :, 0], tree.stats[1:, :, 1]
    children = jnp.abs(visits * child_q / (visits + Q_EPSILON))
    root_visits = tree.stats[0, :, 0] - 1.0
    root_sum = tree.value[0] * tree.stats[0, :, 0] - tree.raw_value[0]
    root = jnp.abs(root_sum / (root_visits + Q_EPSILON))
    scale = jnp.maximum(jnp.max(children, axis=0), root)  # [B]
    if per_tree:
        return scale
    grouped = jnp.max(scale.reshape(groups, -1), axis=1, keepdims=True)
    return jnp.broadcast_to(grouped, (groups, scale.shape[0] // groups)).reshape(scale.shape)


def _regularized_node_policy(tree: Tree, node, scale, c, sqrt_visits):
    """(pi_bar [B, A], alpha [B]) at node [B], with q normalised by ``scale`` [B]."""
    children, logits, visits, child_q = _node_view(tree, node)
    expanded = children != UNVISITED
    q = visits * child_q / (visits + Q_EPSILON)
    q = jnp.where(expanded, (q + scale[:, None]) / (2.0 * scale[:, None] + Q_EPSILON), 0.0)
    total = jnp.sum(jnp.where(expanded, visits, 1.0), axis=-1)
    lam = regularized_lambda(total, logits.shape[-1], c, sqrt_visits)
    return regularized_policy(jax.nn.softmax(logits, axis=-1), q, lam)


def root_regularized_policy(
    tree: Tree,
    c: float = REGULARIZED_C,
    sqrt_visits: bool = False,
    per_tree: bool = False,
    groups: int = 1,
):
    """(pi_bar [B, A], alpha [B]) at the root of ``tree`` as it stands."""
    batch = tree.value.shape[1]
    scale = q_scale(tree, per_tree, groups)
    return _regularized_node_policy(tree, jnp.zeros((batch,), jnp.int32), scale, c, sqrt_visits)


def regularized(
    params,
    key,
    root_logits,
    root_value,
    root_states,
    invalid,
    recurrent_fn: Callable,
    num_simulations: int,
    c: float = REGULARIZED_C,
    sqrt_visits: bool = False,
    per_tree: bool = False,
    groups: int = 1,
    pack: Callable = _identity,
    unpack: Callable = _identity,
) -> SearchResult:
    """Jones's regularised policy search (Grill et al. 2020 as his code runs it, JONES.md).

    At every node of a descent: prior pi = softmax(logits); N = sum over actions of the child's
    visits, or 1 where the child was never expanded; lambda = c * N / (N + A) (``sqrt_visits``:
    c * sqrt(N) / (N + A)); q = the child's W / (n + 1e-4) from the mover's seat, min-max
    normalised over the whole tree tensor of the batch (``per_tree``: of each game's tree;
    ``groups``: of each of that many equal runs of consecutive games, one per agent),
    computed once per simulation, and 0 for unexpanded children; pi_bar = lambda * pi /
    (alpha - q) (`regularized_policy`); the action is sampled from pi_bar with one uniform per
    node (`sample_regularized`, `descent_uniform`). The walk expands the first edge never
    expanded. A finished game is absorbing (no reward, no value), so a walk that reaches a
    finished child expands an empty node below it: the finished node's statistics take its
    reward alone, as in Jones's tree, and the empty node (value 0) changes no decision.

    Returns the root pi_bar (normalised to sum 1) as the weights, an action sampled from it, and
    the root value. Any root noise is already in ``root_logits``. Shapes as `puct`."""
    if num_simulations < 1:
        raise ValueError("num_simulations must be at least 1")
    batch = root_logits.shape[0]
    if batch % groups:
        raise ValueError(f"a batch of {batch} games does not split into {groups} equal groups")
    action_key, descent_key = regularized_keys(key)
    root_logits = mask_invalid(root_logits, invalid)
    policy = functools.partial(_regularized_node_policy, c=c, sqrt_visits=sqrt_visits)

    def descent(sim, tree):
        scale = q_scale(tree, per_tree, groups)
        root_pi_bar, _ = policy(tree, jnp.zeros((batch,), jnp.int32), scale)
        root_action = sample_regularized(root_pi_bar, descent_uniform(descent_key, sim, 0, batch))

        def select(node, depth, extra):
            pi_bar, _ = policy(tree, node, scale)
            return sample_regularized(
                pi_bar, descent_uniform(descent_key, sim, depth, batch)
            ), extra

        return root_action, select

    tree = _simulated_tree(
        params, root_logits, root_value, root_states, recurrent_fn, num_simulations, descent,
        (pack, unpack),
    )  # fmt: skip
    pi_bar, _ = root_regularized_policy(tree, c, sqrt_visits, per_tree, groups)
    weights = pi_bar / jnp.sum(pi_bar, axis=-1, keepdims=True)
    logits = jnp.where(weights > 0, jnp.log(jnp.maximum(weights, 1e-30)), -jnp.inf)
    action = jax.random.categorical(action_key, logits).astype(jnp.int32)
    return SearchResult(action, weights, tree.value[0], tree)
