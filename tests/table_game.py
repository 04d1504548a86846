"""A game given by tables, for checking searches against mctx, the NumPy reference and by hand.

Node ids of a complete A-ary tree of depth `DEPTH`: root 0, the children of node ``i`` are
``i * A + a + 1`` (as in `regularized_reference.TableGame`). Per game b and node: prior logits
[B, NODES, A], a value [B, NODES] for the node's mover, the reward of the edge into the node
[B, NODES] for the mover before it, and a finished flag [B, NODES]. Movers alternate every ply.
"""

from __future__ import annotations

import jax.numpy as jnp
import mctx
import numpy as np

A = 3  # actions per node
DEPTH = 3  # nodes at depth 3 are finished games
NODES = sum(A**d for d in range(DEPTH + 1))


def node_depths() -> np.ndarray:
    """[NODES] int32: the depth of every node id (the root's is 0)."""
    depth = np.zeros(NODES, np.int32)
    for node in range(1, NODES):
        depth[node] = depth[(node - 1) // A] + 1
    return depth


def table_recurrent_fn(logits, value, reward, finished):
    """An mctx recurrent function over the tables (arrays or NumPy arrays, shapes as above); the
    embedding is (node id [B] int32, finished [B] bool). The reward of an edge is the child's
    ``reward`` entry; the discount is -1 between plies, 0 into a finished node; a finished node is
    absorbing (reward 0, value 0, it stays put)."""
    logits, value, reward, finished = map(jnp.asarray, (logits, value, reward, finished))

    def recurrent_fn(params, key, action, embedding):
        del params, key
        node, done = embedding
        batch = jnp.arange(node.shape[0])
        child = jnp.where(done, node, node * A + action + 1)
        child_done = done | finished[batch, child]
        out = mctx.RecurrentFnOutput(
            reward=jnp.where(done, 0.0, reward[batch, child]),
            discount=jnp.where(child_done, 0.0, -1.0),
            prior_logits=logits[batch, child],
            value=jnp.where(child_done, 0.0, value[batch, child]),
        )
        return out, (child, child_done)

    return recurrent_fn
