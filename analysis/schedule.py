"""Which pairs of agents to play next.

A tournament starts from `seed_pairs`: a sparse set of neighbours on the grid of agents (adjacent
snapshots, adjacent simulation counts, adjacent network sizes, and a ladder from the random player
up through the reference bots) that links every agent of a board into one comparison graph, so a
first Elo fit exists. After that `adaptive_pairs` spends games where they most reduce the rating
uncertainty, using the covariance of the last fit, and `done` says when to stop.

Pairs are unordered: the tournament plays each pair with both colours. Agent ids are the store's
`agents.id` values. Everything here is a pure function of its arguments.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.special

from analysis.boards import board_column, unique_boards
from analysis.elo import ELO_PER_NATURAL, Ratings
from analysis.tables import num_rows

SEED_COLUMNS = ("agent_id", "name", "kind", "run", "snapshot_idx", "simulations", "board_size")
"""Agent-table columns `seed_pairs` needs (as returned by `Store.agent_table`). Network size is
taken from `parameters` when present, else from `width` and `depth`."""

DEFAULT_GAMES_PER_PAIR = 64
DEFAULT_NEIGHBOURS = 8
MIN_PROBABILITY = 0.05
MAX_PROBABILITY = 0.95


def _require_columns(table: Mapping[str, np.ndarray], columns, what: str) -> None:
    missing = [name for name in columns if name not in table]
    if missing:
        raise ValueError(f"{what} lacks column(s) {', '.join(missing)}")
    num_rows({name: np.asarray(table[name]) for name in columns})


def _network_size(agents: Mapping[str, np.ndarray]) -> np.ndarray:
    if "parameters" in agents:
        return np.asarray(agents["parameters"], np.float64)
    if "width" in agents and "depth" in agents:
        # Without a parameter count, width^2 x depth orders networks of one family as it does.
        width = np.asarray(agents["width"], np.float64)
        depth = np.asarray(agents["depth"], np.float64)
        return width * width * np.maximum(depth, 1.0) + width
    raise ValueError("agent table needs a 'parameters' column or 'width' and 'depth' columns")


class _Links:
    def __init__(self) -> None:
        self.pairs: set[tuple[int, int]] = set()

    def add(self, first: int, second: int) -> None:
        if first != second:
            self.pairs.add((min(first, second), max(first, second)))

    def chain(self, ids: list[int]) -> None:
        for first, second in zip(ids[:-1], ids[1:], strict=True):
            self.add(first, second)


def seed_pairs(agents: Mapping[str, np.ndarray]) -> np.ndarray:
    """A first set of pairs that connects every board's agents through near neighbours.

    Within each board (a label, `analysis.boards`: Hex's size or e.g. 'c4-4x5-3'):
      * adjacent snapshots (by `snapshot_idx`) of one run at the same simulation count;
      * adjacent simulation counts of one snapshot;
      * the same snapshot_idx and simulation count of runs adjacent in network size (ordered by
        parameter count, then run name), since snapshot idx k marks similar training compute;
      * a ladder of weak and reference players: the random player(s) against each run's first
        snapshot at its lowest simulation count and against the reference MCTS bots of the
        lowest simulation count; the MCTS bots against their neighbours in simulation count; the
        solver against the strongest MCTS bot and each run's last snapshot at its highest
        simulation count. Without a random player, the weakest MCTS bot plays the first
        snapshots instead.
      * any groups still apart are chained together (lowest agent id of each group).

    Args:
      agents: an agent table (`Store.agent_table`): columns agent_id (int64 [N]), name, kind
        ('snapshot', 'random', 'mcts', 'solver'), run (run name, "" for reference players),
        snapshot_idx (-1 for reference players), simulations, board_size, and `parameters` or
        `width` and `depth`.

    Returns:
      int64 array [P, 2] of agent ids, each row (smaller id, larger id), rows unique and sorted.
    """
    _require_columns(agents, SEED_COLUMNS, "agent table")
    ids = np.asarray(agents["agent_id"], np.int64)
    if len(np.unique(ids)) != len(ids):
        raise ValueError("agent table has repeated agent_id values")
    kind = np.asarray(agents["kind"], object)
    unknown = sorted({str(value) for value in kind} - {"snapshot", "random", "mcts", "solver"})
    if unknown:
        raise ValueError(f"agent kind must be snapshot, random, mcts or solver, got {unknown[0]!r}")
    run = np.asarray(agents["run"], object)
    snapshot_idx = np.asarray(agents["snapshot_idx"], np.int64)
    simulations = np.asarray(agents["simulations"], np.int64)
    board = board_column(agents["board_size"])
    size = _network_size(agents) if len(ids) else np.zeros(0)

    links = _Links()
    for board_size in unique_boards(board):
        on_board = np.flatnonzero(board == board_size)
        snapshots = [row for row in on_board if kind[row] == "snapshot"]
        by_run_sims: dict[tuple[str, int], list[int]] = {}
        by_snapshot: dict[tuple[str, int], list[int]] = {}
        by_run: dict[str, list[int]] = {}
        for row in snapshots:
            by_run_sims.setdefault((run[row], simulations[row]), []).append(row)
            by_snapshot.setdefault((run[row], snapshot_idx[row]), []).append(row)
            by_run.setdefault(run[row], []).append(row)
        for rows in by_run_sims.values():
            links.chain([int(ids[row]) for row in sorted(rows, key=lambda r: snapshot_idx[r])])
        for rows in by_snapshot.values():
            links.chain([int(ids[row]) for row in sorted(rows, key=lambda r: simulations[r])])

        # Adjacent network sizes: the same (snapshot idx, simulations) in neighbouring runs.
        run_order = sorted(by_run, key=lambda name: (max(size[r] for r in by_run[name]), name))
        for smaller, larger in zip(run_order[:-1], run_order[1:], strict=True):
            cells = {(snapshot_idx[row], simulations[row]): row for row in by_run[smaller]}
            for row in by_run[larger]:
                partner = cells.get((snapshot_idx[row], simulations[row]))
                if partner is not None:
                    links.add(int(ids[partner]), int(ids[row]))

        first_snapshots = []
        last_snapshots = []
        for rows in by_run.values():
            earliest = min(snapshot_idx[row] for row in rows)
            latest = max(snapshot_idx[row] for row in rows)
            first_rows = [row for row in rows if snapshot_idx[row] == earliest]
            last_rows = [row for row in rows if snapshot_idx[row] == latest]
            first_snapshots.append(min(first_rows, key=lambda r: (simulations[r], ids[r])))
            last_snapshots.append(max(last_rows, key=lambda r: (simulations[r], -ids[r])))

        randoms = sorted((row for row in on_board if kind[row] == "random"), key=lambda r: ids[r])
        bots = sorted(
            (row for row in on_board if kind[row] == "mcts"), key=lambda r: (simulations[r], ids[r])
        )
        solvers = sorted((row for row in on_board if kind[row] == "solver"), key=lambda r: ids[r])
        links.chain([int(ids[row]) for row in randoms])
        links.chain([int(ids[row]) for row in bots])
        links.chain([int(ids[row]) for row in solvers])
        weakest = randoms[0] if randoms else (bots[0] if bots else None)
        if weakest is not None:
            for row in first_snapshots:
                links.add(int(ids[weakest]), int(ids[row]))
        if randoms and bots:
            lowest = simulations[bots[0]]
            for row in bots:
                if simulations[row] == lowest:
                    links.add(int(ids[randoms[0]]), int(ids[row]))
        if solvers:
            if bots:
                links.add(int(ids[solvers[0]]), int(ids[bots[-1]]))
            for row in last_snapshots:
                links.add(int(ids[solvers[0]]), int(ids[row]))
            if not bots and not first_snapshots and randoms:
                links.add(int(ids[solvers[0]]), int(ids[randoms[0]]))

        _connect_groups(links, [int(ids[row]) for row in on_board])

    if not links.pairs:
        return np.zeros((0, 2), np.int64)
    return np.array(sorted(links.pairs), np.int64)


def _connect_groups(links: _Links, board_ids: list[int]) -> None:
    """Chain the connected components of `links` restricted to `board_ids` into one."""
    parent = {agent: agent for agent in board_ids}

    def root(agent: int) -> int:
        while parent[agent] != agent:
            parent[agent] = parent[parent[agent]]
            agent = parent[agent]
        return agent

    for first, second in links.pairs:
        if first in parent and second in parent:
            parent[root(first)] = root(second)
    groups: dict[int, int] = {}
    for agent in sorted(board_ids):
        groups.setdefault(root(agent), agent)
    links.chain(sorted(groups.values()))


def _rated_ids(agents: Mapping[str, np.ndarray], ratings: Ratings) -> np.ndarray:
    """Agent ids [N] of `ratings.agents` (which are ids or names)."""
    ids = np.asarray(agents["agent_id"], np.int64)
    rated = ratings.agents
    if rated.dtype.kind in "iu":
        known = set(ids.tolist())
        for agent in rated.tolist():
            if agent not in known:
                raise ValueError(f"rated agent id {agent} is not in the agent table")
        return rated.astype(np.int64)
    lookup = dict(zip(np.asarray(agents["name"], object).tolist(), ids.tolist(), strict=True))
    result = []
    for name in rated.tolist():
        if name not in lookup:
            raise ValueError(f"rated agent {name!r} is not in the agent table")
        result.append(lookup[name])
    return np.array(result, np.int64)


def _games_per_unordered_pair(
    agents: Mapping[str, np.ndarray], totals: Mapping[str, np.ndarray]
) -> dict[tuple[int, int], int]:
    if "first_agent" in totals and "second_agent" in totals:
        first = np.asarray(totals["first_agent"], np.int64).tolist()
        second = np.asarray(totals["second_agent"], np.int64).tolist()
    elif "first" in totals and "second" in totals:
        lookup = dict(
            zip(
                np.asarray(agents["name"], object).tolist(),
                np.asarray(agents["agent_id"], np.int64).tolist(),
                strict=True,
            )
        )
        try:
            first = [lookup[name] for name in np.asarray(totals["first"], object).tolist()]
            second = [lookup[name] for name in np.asarray(totals["second"], object).tolist()]
        except KeyError as error:
            raise ValueError(
                f"match totals name agent {error.args[0]!r}, which is not in the agent table"
            ) from None
    else:
        raise ValueError("match totals need columns first_agent, second_agent (or first, second)")
    _require_columns(totals, ("first_wins", "second_wins"), "match totals")
    games = np.asarray(totals["first_wins"]) + np.asarray(totals["second_wins"])
    if "draws" in totals:  # games with no winner count as played
        games = games + np.asarray(totals["draws"])
    games = games.tolist()
    result: dict[tuple[int, int], int] = {}
    for a, b, count in zip(first, second, games, strict=True):
        key = (min(a, b), max(a, b))
        result[key] = result.get(key, 0) + int(count)
    return result


def _candidates(elo: np.ndarray, neighbours: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j), i != j, of agents within `neighbours` places of each other in rating."""
    order = np.argsort(elo, kind="stable")
    count = len(order)
    first, second = [], []
    for offset in range(1, min(neighbours, count - 1) + 1):
        first.append(order[:-offset])
        second.append(order[offset:])
    if not first:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(first), np.concatenate(second)


def predicted_score(ratings: Ratings, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Expected score of agents `first` against `second` (rating indices [P]) over games played
    half with each colour: the mean of P(win moving first) and P(win moving second). [P] float64."""
    difference = (ratings.elo[first] - ratings.elo[second]) / ELO_PER_NATURAL
    advantage = ratings.first_move_advantage / ELO_PER_NATURAL
    return 0.5 * (
        scipy.special.expit(difference + advantage) + scipy.special.expit(difference - advantage)
    )


def adaptive_pairs(
    agents: Mapping[str, np.ndarray],
    totals: Mapping[str, np.ndarray],
    ratings: Ratings,
    num_pairs: int,
    *,
    games_per_pair: int = DEFAULT_GAMES_PER_PAIR,
    neighbours: int = DEFAULT_NEIGHBOURS,
    min_probability: float = MIN_PROBABILITY,
    max_probability: float = MAX_PROBABILITY,
    max_games_per_pair: int | None = None,
) -> np.ndarray:
    """Pairs whose next `games_per_pair` games most reduce the uncertainty of the ratings.

    Criterion: in the Laplace (normal) approximation, playing n games between i and j adds
    n * I_ij along a = e_i - e_j to the posterior precision, where I_ij = p(1 - p) is the Fisher
    information of one game (averaged over both colours) at the predicted score p. The rating
    covariance C then shrinks by a rank-one term, and the summed rating variance (the trace of C,
    i.e. the sum of squared `elo_se`) falls by

        n I ||C a||^2 / (1 + n I a'Ca).

    Pairs are picked greedily by that reduction, updating C after each pick as if the games had
    been played, so later picks go where uncertainty is left rather than piling onto one pair.

    Candidates are the pairs within `neighbours` places of each other in rating order (so the
    work is O(N * neighbours) candidates, not O(N^2)), with a predicted score p between
    `min_probability` and `max_probability` (lopsided pairs carry little information and their
    p is the least trustworthy), and, if `max_games_per_pair` is set, fewer games than that so far.

    Args:
      agents: agent table with agent_id and name (`Store.agent_table` of the board).
      totals: match totals (`Store.match_totals`): first_agent, second_agent (or first, second
        names), first_wins, second_wins, and optionally draws.
      ratings: the current fit of this board (`analysis.elo.fit_elo` / `rate_store`); agents
        without ratings are ignored (give them `seed_pairs` first).
      num_pairs: most pairs to return (>= 0).
      games_per_pair: games each picked pair will play (>= 1).
      neighbours: rating-order neighbours considered on each side of an agent (>= 1).
      min_probability, max_probability: allowed predicted score, 0 < min < max < 1.
      max_games_per_pair: skip pairs that already played this many games (None: no limit).

    Returns:
      int64 array [K, 2], K <= num_pairs, of agent ids (smaller id first), best pair first.
    """
    if isinstance(num_pairs, bool) or not isinstance(num_pairs, int | np.integer) or num_pairs < 0:
        raise ValueError(f"num_pairs must be an integer >= 0, got {num_pairs!r}")
    for name, value in (("games_per_pair", games_per_pair), ("neighbours", neighbours)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if not 0.0 < min_probability < max_probability < 1.0:
        raise ValueError(
            "need 0 < min_probability < max_probability < 1, got "
            f"{min_probability!r} and {max_probability!r}"
        )
    _require_columns(agents, ("agent_id", "name"), "agent table")
    rated_ids = _rated_ids(agents, ratings)
    played = _games_per_unordered_pair(agents, totals)
    if num_pairs == 0 or len(rated_ids) < 2:
        return np.zeros((0, 2), np.int64)

    first, second = _candidates(ratings.elo, int(neighbours))
    probability = predicted_score(ratings, first, second)
    keep = (probability >= min_probability) & (probability <= max_probability)
    if max_games_per_pair is not None:
        low = np.minimum(rated_ids[first], rated_ids[second]).tolist()
        high = np.maximum(rated_ids[first], rated_ids[second]).tolist()
        so_far = np.array([played.get(key, 0) for key in zip(low, high, strict=True)])
        keep &= so_far < max_games_per_pair
    first, second, probability = first[keep], second[keep], probability[keep]
    if len(first) == 0:
        return np.zeros((0, 2), np.int64)

    difference = (ratings.elo[first] - ratings.elo[second]) / ELO_PER_NATURAL
    advantage = ratings.first_move_advantage / ELO_PER_NATURAL
    as_first = scipy.special.expit(difference + advantage)
    as_second = scipy.special.expit(difference - advantage)
    information = games_per_pair * 0.5 * (as_first * (1 - as_first) + as_second * (1 - as_second))

    covariance = ratings.covariance / ELO_PER_NATURAL**2  # natural units^2, [N, N]
    variance = np.maximum(
        np.diag(covariance)[first] + np.diag(covariance)[second] - 2 * covariance[first, second],
        0.0,
    )
    spread = np.empty(len(first))  # ||C a||^2 per candidate
    for start in range(0, len(first), 1024):
        block = slice(start, start + 1024)
        columns = covariance[:, first[block]] - covariance[:, second[block]]
        spread[block] = np.einsum("nk,nk->k", columns, columns)

    available = np.ones(len(first), bool)
    picks: list[int] = []
    while len(picks) < num_pairs and available.any():
        score = np.where(available, information * spread / (1.0 + information * variance), -1.0)
        best = int(np.argmax(score))
        if score[best] <= 0.0:
            break
        picks.append(best)
        available[best] = False
        # Rank-one update C' = C - k u u' with u = C a, as if the games had been played.
        u = covariance[:, first[best]] - covariance[:, second[best]]
        k = information[best] / (1.0 + information[best] * variance[best])
        cu = covariance @ u
        along = u[first] - u[second]  # u'a for every candidate
        cross = cu[first] - cu[second]  # u'C a for every candidate
        spread = spread - 2 * k * along * cross + k * k * along * along * float(u @ u)
        variance = np.maximum(variance - k * along * along, 0.0)
        covariance -= k * np.outer(u, u)
    low = np.minimum(rated_ids[first[picks]], rated_ids[second[picks]])
    high = np.maximum(rated_ids[first[picks]], rated_ids[second[picks]])
    return np.stack([low, high], axis=1).astype(np.int64)


def done(ratings: Ratings | None, target_se: float, games_played: int, budget: int) -> bool:
    """Stop rule: True once every rating is known to `target_se` Elo or the budget is spent.

    Args:
      ratings: the current fit, or None before the first fit (then only the budget can stop).
      target_se: wanted largest standard error of a rating, in Elo (> 0).
      games_played: games played so far (>= 0).
      budget: most games to play in all (>= 0).
    """
    if not (isinstance(target_se, int | float | np.number) and np.isfinite(target_se)) or (
        target_se <= 0
    ):
        raise ValueError(f"target_se must be a finite number of Elo > 0, got {target_se!r}")
    for name, value in (("games_played", games_played), ("budget", budget)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    if games_played >= budget:
        return True
    if ratings is None or len(ratings.elo_se) == 0:
        return False
    return bool(np.max(ratings.elo_se) <= target_se)


__all__ = [
    "SEED_COLUMNS",
    "adaptive_pairs",
    "done",
    "predicted_score",
    "seed_pairs",
]
