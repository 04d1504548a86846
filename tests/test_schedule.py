"""Choosing pairs: seed pairs connect each board, adaptive picks keep to informative pairs and go
where the uncertainty is, and the stop rule."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.csgraph

from analysis.elo import ELO_PER_NATURAL, fit_elo
from analysis.schedule import adaptive_pairs, done, predicted_score, seed_pairs


def agent_table(board_sizes=(3, 5), runs=((4, 1), (8, 2), (16, 2)), snapshots=4,
                simulations=(0, 4, 16), seeds=2, references=True):  # fmt: skip
    """A grid of agents like `Store.agent_table` returns: every run (width, depth, seed) has
    `snapshots` snapshots, each at every simulation count; plus random, MCTS and solver players."""
    rows = []

    def add(**row):
        row.setdefault("run", "")
        row.setdefault("snapshot_idx", -1)
        row.setdefault("width", 0)
        row.setdefault("depth", 0)
        row.setdefault("family", "")
        row.setdefault("parameters", 0)
        rows.append(dict(agent_id=len(rows) + 1, **row))

    for board in board_sizes:
        for width, depth in runs:
            for seed in range(seeds):
                run = f"hex{board}-mlp-{width}x{depth}-s{seed}"
                parameters = width * width * depth + 3 * board * board * width
                for idx in range(snapshots):
                    for count in simulations:
                        add(name=f"{run}/{idx}@{count}", kind="snapshot", run=run,
                            snapshot_idx=idx, simulations=count, width=width, depth=depth,
                            family="mlp", parameters=parameters, board_size=board)  # fmt: skip
        if references:
            add(name=f"random-{board}", kind="random", simulations=0, board_size=board)
            for count in (8, 64, 512):
                add(name=f"mcts-{board}@{count}", kind="mcts", simulations=count, board_size=board)
            add(name=f"solver-{board}", kind="solver", simulations=0, board_size=board)
    table = {name: [row[name] for row in rows] for name in rows[0]}
    return {
        name: np.array(values, object if isinstance(values[0], str) else np.int64)
        for name, values in table.items()
    }


def components(table, pairs, board):
    ids = table["agent_id"][table["board_size"] == board]
    position = {agent: index for index, agent in enumerate(ids.tolist())}
    inside = [(position[a], position[b]) for a, b in pairs.tolist() if a in position]
    first, second = np.array(inside).T
    graph = scipy.sparse.coo_matrix((np.ones(len(first)), (first, second)), (len(ids),) * 2)
    return scipy.sparse.csgraph.connected_components(graph, directed=False)[0]


def test_seed_pairs_connect_each_board_without_duplicates():
    table = agent_table()
    pairs = seed_pairs(table)
    assert pairs.dtype == np.int64 and pairs.shape[1] == 2
    assert np.all(pairs[:, 0] < pairs[:, 1])
    assert len({tuple(pair) for pair in pairs.tolist()}) == len(pairs)
    assert pairs.tolist() == sorted(pairs.tolist())
    board = dict(zip(table["agent_id"].tolist(), table["board_size"].tolist(), strict=True))
    assert all(board[a] == board[b] for a, b in pairs.tolist())
    for size in (3, 5):
        assert components(table, pairs, size) == 1
    # Sparse: a handful of neighbours per agent, not all pairs.
    assert len(pairs) < 4 * len(table["agent_id"])

    ids = {name: agent for name, agent in zip(table["name"], table["agent_id"], strict=True)}
    linked = {tuple(pair) for pair in pairs.tolist()}

    def has(a, b):
        return (min(ids[a], ids[b]), max(ids[a], ids[b])) in linked

    assert has("hex3-mlp-4x1-s0/0@4", "hex3-mlp-4x1-s0/1@4")  # adjacent snapshots
    assert has("hex3-mlp-4x1-s0/2@4", "hex3-mlp-4x1-s0/2@16")  # adjacent simulations
    assert not has("hex3-mlp-4x1-s0/2@0", "hex3-mlp-4x1-s0/2@16")
    assert has("hex3-mlp-8x2-s1/3@16", "hex3-mlp-16x2-s0/3@16")  # adjacent network sizes
    assert has("random-3", "hex3-mlp-16x2-s1/0@0")  # the ladder from random
    assert has("random-3", "mcts-3@8") and has("mcts-3@8", "mcts-3@64")
    assert has("solver-3", "mcts-3@512") and has("solver-3", "hex3-mlp-16x2-s1/3@16")


def test_seed_pairs_take_connect_four_labels():
    # Board 5 renamed a Connect Four board, alone and beside Hex 3: the same pairs as before.
    table = agent_table()
    pairs = seed_pairs(table)
    labels = np.array(
        ["c4-5x6-4" if size == 5 else size for size in table["board_size"].tolist()], object
    )
    mixed = dict(table, board_size=labels)
    assert seed_pairs(mixed).tolist() == pairs.tolist()
    only = {name: column[labels == "c4-5x6-4"] for name, column in mixed.items()}
    hex5 = {name: column[table["board_size"] == 5] for name, column in table.items()}
    assert seed_pairs(only).tolist() == seed_pairs(hex5).tolist()


def test_seed_pairs_connect_odd_grids():
    # Runs whose snapshot indices and simulation counts never meet, and no reference players.
    table = agent_table(board_sizes=(4,), runs=((4, 1), (8, 1)), seeds=1, references=False)
    keep = ~(
        (table["run"] == "hex4-mlp-8x1-s0") & np.isin(table["simulations"], [0, 4])
        | (table["run"] == "hex4-mlp-4x1-s0") & (table["simulations"] == 16)
    )
    table = {name: column[keep] for name, column in table.items()}
    assert components(table, seed_pairs(table), 4) == 1
    # A single agent has nobody to play.
    single = {name: column[:1] for name, column in table.items()}
    assert seed_pairs(single).shape == (0, 2)


def test_seed_pairs_reject_bad_tables():
    table = agent_table(board_sizes=(3,), seeds=1)
    with pytest.raises(ValueError, match="lacks column.s. kind"):
        seed_pairs({name: column for name, column in table.items() if name != "kind"})
    broken = dict(table)
    broken["kind"] = table["kind"].copy()
    broken["kind"][0] = "human"
    with pytest.raises(ValueError, match="got 'human'"):
        seed_pairs(broken)


def tournament(strengths, pairs_and_games, rng):
    """Play the given (i, j, games) as half first / half second; strengths in natural units."""
    first, second, first_wins, second_wins = [], [], [], []
    for i, j, games in pairs_and_games:
        for a, b in ((i, j), (j, i)):
            p = 1 / (1 + np.exp(-(strengths[a] - strengths[b])))
            wins = int(rng.binomial(games // 2, p))
            first.append(a)
            second.append(b)
            first_wins.append(wins)
            second_wins.append(games // 2 - wins)
    return {"first_agent": np.array(first), "second_agent": np.array(second),
            "first_wins": np.array(first_wins), "second_wins": np.array(second_wins)}  # fmt: skip


def fitted(totals, names):
    matches = {
        "first": np.array([names[agent] for agent in totals["first_agent"]], object),
        "second": np.array([names[agent] for agent in totals["second_agent"]], object),
        "first_wins": totals["first_wins"],
        "second_wins": totals["second_wins"],
    }
    return fit_elo(matches)


def test_adaptive_pairs_respect_the_probability_window():
    rng = np.random.default_rng(5)
    count = 30
    strengths = np.linspace(-6.0, 6.0, count)  # wide: many pairs are lopsided
    names = {agent: f"agent{agent:02d}" for agent in range(count)}
    names[0] = "random"
    agents = {"agent_id": np.arange(count), "name": np.array(list(names.values()), object)}
    plan = [(i, i + 1, 40) for i in range(count - 1)] + [(i, i + 3, 10) for i in range(count - 3)]
    totals = tournament(strengths, plan, rng)
    ratings = fitted(totals, names)
    picks = adaptive_pairs(agents, totals, ratings, 200, neighbours=6)
    assert 0 < len(picks) <= 200
    assert len({tuple(pair) for pair in picks.tolist()}) == len(picks)
    assert np.all(picks[:, 0] < picks[:, 1])
    position = [ratings.index(names[agent]) for agent in range(count)]
    score = predicted_score(ratings, np.array(position)[picks[:, 0]],
                            np.array(position)[picks[:, 1]])  # fmt: skip
    assert np.all((score >= 0.05) & (score <= 0.95))
    # There were candidates outside the window, so the window did remove some.
    gaps = np.abs(np.subtract.outer(ratings.elo, ratings.elo))
    assert np.any(gaps > ELO_PER_NATURAL * np.log(19.0) * 1.2)
    narrow = adaptive_pairs(agents, totals, ratings, 200, neighbours=6, min_probability=0.3,
                            max_probability=0.7)  # fmt: skip
    assert len(narrow) < len(picks)

    cap = adaptive_pairs(agents, totals, ratings, 200, neighbours=6, max_games_per_pair=40)
    played = {(min(a, b), max(a, b)) for a, b, *_ in plan if _[0] >= 40}
    assert not played & {tuple(pair) for pair in cap.tolist()}


def test_adaptive_pairs_prefer_uncertain_agents():
    rng = np.random.default_rng(11)
    count = 12
    strengths = np.linspace(-1.5, 1.5, count)
    names = {agent: f"agent{agent:02d}" for agent in range(count)}
    names[0] = "random"
    agents = {"agent_id": np.arange(count) + 100, "name": np.array(list(names.values()), object)}
    newcomer = 6
    plan = [
        (i, j, 200 if newcomer not in (i, j) else 2)
        for i in range(count)
        for j in range(i + 1, count)
        if j - i <= 2
    ]
    totals = tournament(strengths, plan, rng)
    totals["first_agent"] = totals["first_agent"] + 100
    totals["second_agent"] = totals["second_agent"] + 100
    ratings = fitted(totals, {agent + 100: name for agent, name in names.items()})
    assert np.argmax(ratings.elo_se) == ratings.index(names[newcomer])

    picks = adaptive_pairs(agents, totals, ratings, 4)
    assert newcomer + 100 in picks[0]  # the best pair involves the uncertain agent
    assert sum(newcomer + 100 in pair for pair in picks.tolist()) >= 3
    assert np.all(np.isin(picks, agents["agent_id"]))
    # Ratings keyed by agent id give the same picks as ratings keyed by name.
    by_id = fit_elo(
        {
            "first": totals["first_agent"],
            "second": totals["second_agent"],
            "first_wins": totals["first_wins"],
            "second_wins": totals["second_wins"],
        },
        anchor=100,
    )
    np.testing.assert_array_equal(adaptive_pairs(agents, totals, by_id, 4), picks)
    assert adaptive_pairs(agents, totals, ratings, 0).shape == (0, 2)


def test_adaptive_pairs_reject_unknown_agents():
    names = {0: "random", 1: "a", 2: "b"}
    totals = tournament(np.zeros(3), [(0, 1, 10), (1, 2, 10)], np.random.default_rng(0))
    ratings = fitted(totals, names)
    agents = {"agent_id": np.array([0, 1]), "name": np.array(["random", "a"], object)}
    with pytest.raises(ValueError, match="rated agent 'b' is not in the agent table"):
        adaptive_pairs(agents, totals, ratings, 3)
    agents = {"agent_id": np.array([0, 1, 2]), "name": np.array(["random", "a", "b"], object)}
    with pytest.raises(ValueError, match="min_probability"):
        adaptive_pairs(agents, totals, ratings, 3, min_probability=0.6, max_probability=0.4)


def test_done():
    names = {0: "random", 1: "a", 2: "b"}
    totals = tournament(np.zeros(3), [(0, 1, 400), (1, 2, 400)], np.random.default_rng(0))
    ratings = fitted(totals, names)
    largest = float(ratings.elo_se.max())
    assert done(ratings, largest + 1.0, games_played=10, budget=1000)
    assert not done(ratings, largest - 1.0, games_played=10, budget=1000)
    assert done(ratings, largest - 1.0, games_played=1000, budget=1000)
    assert not done(None, 10.0, games_played=0, budget=100)
    with pytest.raises(ValueError, match="target_se"):
        done(ratings, 0.0, 0, 10)
    with pytest.raises(ValueError, match="budget"):
        done(ratings, 10.0, 0, -1)


def test_seed_pairs_on_text_board_labels_pair_as_on_hex():
    """Connect Four's boards are text labels ('c4-4x5-3'): the pairs are those of the same grid
    under Hex integer sizes, board for board, and a mixed table keeps its boards apart."""
    hex_table = agent_table(board_sizes=(3, 5))
    labels = {3: "c4-4x5-3", 5: "c4-5x6-4"}
    text = dict(hex_table)
    text["board_size"] = np.array([labels[b] for b in hex_table["board_size"].tolist()], object)
    assert seed_pairs(text).tolist() == seed_pairs(hex_table).tolist()
    mixed = dict(hex_table)
    mixed["board_size"] = np.array(
        [labels[b] if b == 5 else b for b in hex_table["board_size"].tolist()], object
    )
    pairs = seed_pairs(mixed).tolist()
    board = dict(zip(mixed["agent_id"].tolist(), mixed["board_size"].tolist(), strict=True))
    assert pairs == seed_pairs(hex_table).tolist()
    assert all(board[a] == board[b] for a, b in pairs)
