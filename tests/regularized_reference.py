"""An independent NumPy implementation of Jones's regularised-policy search, for the tests.

Written from the search as Jones's code runs it (JONES.md, "Search as Jones's code runs it"), with
his tree layout rather than ours: every node slot has a visit count ``n`` and a value sum ``w`` per
seat, a parent, per-seat rewards of the edge into it and a terminal flag; a simulation whose
descent ends on an existing finished child creates no node and backs up from that child. It runs
one game at a time in plain Python loops, in float32 like the original, and shares nothing with
`alphazero.native_search` but the uniform numbers it is handed.

The game is a table game (`TableGame`): node ids of a complete A-ary tree, root 0, children of
``i`` are ``i * A + a + 1``; per game node a prior logit row, a value (mover's view), the reward of
the edge into it (for the mover before it) and a finished flag. Movers alternate every ply.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

F = np.float32
Q_EPS = F(1e-4)  # in W / (n + eps) and in the min-max normalisation's denominator
GAP = F(1e-4)  # alpha's start: max_a q(a) + max(lambda * pi(a), GAP)
NEWTON_STEPS = 100
NEWTON_TOLERANCE = F(1e-3)


def softmax(logits):
    logits = np.asarray(logits, np.float64)
    shifted = np.exp(logits - logits.max())
    return (shifted / shifted.sum()).astype(F)


def regularized_policy(pi, q, lam):
    """(pi_bar [A], alpha) for one node: pi_bar = lam * pi / (alpha - q), alpha by Newton's
    method on sum(pi_bar) - 1 from alpha = max(q + max(lam * pi, 1e-4)), at most 100 steps,
    stopping when the error is below 1e-3 or stops changing."""
    pi, q, lam = np.asarray(pi, F), np.asarray(q, F), F(lam)
    alpha = F(-np.inf)
    for a in range(len(pi)):
        alpha = max(alpha, F(q[a] + max(F(lam * pi[a]), GAP)))
    error = F(np.inf)
    for _ in range(NEWTON_STEPS):
        top = (lam * pi).astype(F)
        bottom = (alpha - q).astype(F)
        total = np.sum(top / bottom, dtype=F)
        slope = np.sum(-top / (bottom * bottom), dtype=F)
        new_error = F(total - F(1))
        if new_error < NEWTON_TOLERANCE or new_error == error:
            break
        alpha = F(alpha - F(new_error / slope))
        error = new_error
    return (lam * pi / (alpha - q)).astype(F), alpha


def lambda_n(total_visits: float, num_actions: int, c: float, sqrt: bool):
    """c * N / (N + A) as Jones's code has it; c * sqrt(N) / (N + A) as Grill et al."""
    visits = F(math.sqrt(total_visits)) if sqrt else F(total_visits)
    return F(F(c) * visits / F(total_visits + num_actions))


def sample(pi_bar, uniform):
    """The first action with positive probability whose running total reaches ``uniform``; if none
    does (the total falls short of it), the last action with positive probability."""
    total, fallback = F(0), -1
    for a, p in enumerate(pi_bar):
        total = F(total + p)
        if p > 0 and total >= uniform:
            return a
        if p > 0:
            fallback = a
    return fallback


@dataclasses.dataclass
class TableGame:
    """Per game b: logits [B, M, A], value [B, M], reward [B, M], finished [B, M] over game node
    ids M of a complete A-ary tree."""

    logits: np.ndarray
    value: np.ndarray
    reward: np.ndarray
    finished: np.ndarray

    @property
    def num_actions(self) -> int:
        return self.logits.shape[-1]

    def child(self, node: int, action: int) -> int:
        return node * self.num_actions + action + 1


@dataclasses.dataclass
class Trees:
    """Jones's arrays for B games, T node slots, A actions, 2 seats."""

    children: np.ndarray  # [B, T, A] slot or -1
    parents: np.ndarray  # [B, T] slot or -1
    game_node: np.ndarray  # [B, T] the table game's node id in the slot
    seat: np.ndarray  # [B, T] mover at the node
    terminal: np.ndarray  # [B, T]
    rewards: np.ndarray  # [B, T, 2] per seat, of the edge into the node
    value: np.ndarray  # [B, T, 2] per seat, the network's value at the node
    n: np.ndarray  # [B, T]
    w: np.ndarray  # [B, T, 2]
    used: np.ndarray  # [B] slots in use


def new_trees(game: TableGame, slots: int) -> Trees:
    batch, num_actions = game.logits.shape[0], game.num_actions
    trees = Trees(
        children=np.full((batch, slots, num_actions), -1, np.int64),
        parents=np.full((batch, slots), -1, np.int64),
        game_node=np.zeros((batch, slots), np.int64),
        seat=np.zeros((batch, slots), np.int64),
        terminal=np.zeros((batch, slots), bool),
        rewards=np.zeros((batch, slots, 2), F),
        value=np.zeros((batch, slots, 2), F),
        n=np.zeros((batch, slots), np.int64),
        w=np.zeros((batch, slots, 2), F),
        used=np.ones(batch, np.int64),
    )
    for b in range(batch):  # the root: evaluated, never backed up into
        trees.value[b, 0] = [game.value[b, 0], -game.value[b, 0]]
    return trees


def normalised_q(trees: Trees, per_tree: bool):
    """W / (n + 1e-4) per slot and seat, min-max normalised over the whole tensor (every slot of
    every tree, both seats) or, with ``per_tree``, over each tree's own slots. [B, T, 2]"""
    q = (trees.w / (trees.n[..., None].astype(F) + Q_EPS)).astype(F)
    if per_tree:
        low = q.min(axis=(1, 2), keepdims=True)
        high = q.max(axis=(1, 2), keepdims=True)
    else:
        low, high = q.min(), q.max()
    return ((q - low) / (high - low + Q_EPS)).astype(F)


def node_policy(game, trees, q, b, slot, c, sqrt):
    """(pi_bar, alpha) at one slot: unexpanded actions have q 0 and count one visit each."""
    num_actions = game.num_actions
    pi = softmax(game.logits[b, trees.game_node[b, slot]])
    qa = np.zeros(num_actions, F)
    total = 0
    for a in range(num_actions):
        child = trees.children[b, slot, a]
        if child > -1:
            qa[a] = q[b, child, trees.seat[b, slot]]
            total += int(trees.n[b, child])
        else:
            total += 1
    return regularized_policy(pi, qa, lambda_n(total, num_actions, c, sqrt))


def search(game: TableGame, simulations: int, uniforms, c=1 / 16, sqrt=False, per_tree=False):
    """Run ``simulations`` simulations on every game. ``uniforms(sim, depth) -> [B]`` gives the
    uniform used at the depth-``depth`` node of simulation ``sim``'s descent.

    Returns (trees, paths, root pi_bar [B, A], root alpha [B]); paths[sim][b] is the list of
    actions from the root to the simulation's leaf."""
    batch = game.logits.shape[0]
    trees = new_trees(game, simulations + 1)
    paths = []
    for sim in range(simulations):
        q = normalised_q(trees, per_tree)
        sim_paths = []
        for b in range(batch):
            slot, parent, action, depth, actions = 0, 0, -1, 0, []
            while True:
                if trees.terminal[b, slot]:
                    break
                pi_bar, _ = node_policy(game, trees, q, b, slot, c, sqrt)
                action = sample(pi_bar, uniforms(sim, depth)[b])
                actions.append(action)
                parent, slot, depth = slot, trees.children[b, slot, action], depth + 1
                if slot == -1:
                    break
            leaf = trees.children[b, parent, action]
            if leaf == -1:  # a new node; an existing (finished) child is backed up again
                leaf = trees.used[b]
                trees.used[b] += 1
                node = game.child(trees.game_node[b, parent], action)
                mover = trees.seat[b, parent]
                trees.children[b, parent, action] = leaf
                trees.parents[b, leaf] = parent
                trees.game_node[b, leaf] = node
                trees.seat[b, leaf] = 1 - mover
                trees.terminal[b, leaf] = game.finished[b, node]
                trees.rewards[b, leaf, mover] = game.reward[b, node]
                trees.rewards[b, leaf, 1 - mover] = -game.reward[b, node]
                value = F(0) if game.finished[b, node] else game.value[b, node]
                trees.value[b, leaf, 1 - mover] = value
                trees.value[b, leaf, mover] = -value
            backed = trees.value[b, leaf].copy()
            current = leaf
            while current != -1:
                if trees.terminal[b, current]:
                    backed[:] = 0
                backed = (backed + trees.rewards[b, current]).astype(F)
                trees.n[b, current] += 1
                trees.w[b, current] = (trees.w[b, current] + backed).astype(F)
                current = trees.parents[b, current]
            sim_paths.append(actions)
        paths.append(sim_paths)
    q = normalised_q(trees, per_tree)
    roots = [node_policy(game, trees, q, b, 0, c, sqrt) for b in range(batch)]
    pi_bar = np.stack([r[0] for r in roots])
    alpha = np.array([r[1] for r in roots], F)
    return trees, paths, pi_bar, alpha
