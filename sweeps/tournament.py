"""The tournament loop: which pairs to play (asked of `analysis.schedule`), playing them in batches
(`alphazero.match`), and storing the results (`analysis.store`), until the ratings are known to a
target standard error or a game budget is spent.

Per board: first every seed pair (neighbours on the grid and a ladder down to the random player)
gets one batch of games; then batches of the pairs that most reduce the rating uncertainty. Every
batch is one transaction in the store, so a killed tournament loses at most the batch in flight and
a rerun continues from the stored matches.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from analysis.store import Store
from sweeps.runner import connect_ray, store_path
from sweeps.spec import TournamentSpec, read_sweep_spec

SOLVER_MAX_BOARD = 4


def reference_name(kind: str, board_size: int, simulations: int = 0) -> str:
    if kind == "mcts":
        return f"mcts{simulations}-{board_size}"
    return f"{kind}-{board_size}"


def ensure_reference_agents(store: Store, board_size: int, settings: TournamentSpec) -> None:
    """The random anchor, the MCTS ladder and (on boards it solves) the exact solver."""
    store.add_agent(reference_name("random", board_size), "random", board_size, 0)
    for simulations in settings.mcts_simulations:
        store.add_agent(
            reference_name("mcts", board_size, simulations), "mcts", board_size, simulations
        )
    if settings.solver and board_size <= SOLVER_MAX_BOARD and _solver_available():
        store.add_agent(reference_name("solver", board_size), "solver", board_size, 0)


def _solver_available() -> bool:
    try:
        from games import solver  # noqa: F401
    except ImportError:
        return False
    return True


class AgentCache:
    """Agents by store id, loaded once per process (snapshot files are read on first use)."""

    def __init__(self, sweep_dir: str | Path, store: Store, greedy: bool = False):
        self.sweep_dir = Path(sweep_dir)
        self.greedy = greedy
        self.rows = {}
        agents = store.agents()
        snapshots = store.snapshots()
        paths = dict(zip(snapshots["id"].tolist(), snapshots["path"].tolist(), strict=True))
        for row in range(len(agents["id"])):
            agent_id = int(agents["id"][row])
            snapshot = int(agents["snapshot_id"][row])
            self.rows[agent_id] = (
                str(agents["name"][row]),
                str(agents["kind"][row]),
                int(agents["board_size"][row]),
                int(agents["simulations"][row]),
                paths.get(snapshot),
            )
        self.loaded: dict[int, Any] = {}

    def __getitem__(self, agent_id: int):
        if agent_id not in self.loaded:
            self.loaded[agent_id] = self._load(agent_id)
        return self.loaded[agent_id]

    def _load(self, agent_id: int):
        from alphazero.agents import load_agent
        from sweeps.references import make_reference

        name, kind, board_size, simulations, path = self.rows[agent_id]
        if kind == "snapshot":
            file = Path(path)
            file = file if file.is_absolute() else self.sweep_dir / file
            agent = load_agent(file, simulations=simulations, greedy=self.greedy)
            return agent.__class__(name, agent.kind, agent.params)
        agent = make_reference(kind, board_size, simulations)
        if dataclasses.is_dataclass(agent):
            return dataclasses.replace(agent, name=name)
        agent.name = name
        return agent


def play_batch(
    sweep_dir: str | Path,
    pairs: list[tuple[int, int]],
    games_per_pairing: int,
    seed: int,
    greedy: bool = False,
) -> int:
    """Play ``games_per_pairing`` games (half each colour) for every pair of agent ids and store
    the results in one transaction. Returns the number of games played. A Ray task body too."""
    import jax

    from alphazero.match import play_matches

    with Store.open(store_path(sweep_dir), create=False) as store:
        cache = AgentCache(sweep_dir, store, greedy)
        pairings = [(cache[a], cache[b]) for a, b in pairs]
        ids = {cache[a].name: a for a, _ in pairs} | {cache[b].name: b for _, b in pairs}
        results = play_matches(pairings, games_per_pairing, jax.random.key(seed))
        rows = [(ids[r.first], ids[r.second], r.first_wins, r.second_wins) for r in results]
        store.add_matches(rows)
    return sum(r.games for r in results)


def _unordered_games(totals) -> dict[tuple[int, int], int]:
    games: dict[tuple[int, int], int] = {}
    for first, second, wins_first, wins_second in zip(
        totals["first_agent"].tolist(),
        totals["second_agent"].tolist(),
        totals["first_wins"].tolist(),
        totals["second_wins"].tolist(),
        strict=True,
    ):
        pair = (min(first, second), max(first, second))
        games[pair] = games.get(pair, 0) + wins_first + wins_second
    return games


def next_pairs(store: Store, board_size: int, settings: TournamentSpec, target_se, budget):
    """The pairs of the next batch on one board and a status dict; no pairs once done."""
    from analysis.elo_io import rate_board
    from analysis.schedule import adaptive_pairs, done, seed_pairs

    agents = store.agent_table(board_size)
    totals = store.match_totals(board_size)
    played = _unordered_games(totals)
    games = sum(played.values())
    status: dict[str, Any] = {
        "board_size": board_size,
        "games": games,
        "agents": len(agents["agent_id"]),
    }
    if len(agents["agent_id"]) < 2:
        return [], status
    seeds = [tuple(pair) for pair in seed_pairs(agents).tolist()]
    unplayed = [pair for pair in seeds if played.get(pair, 0) == 0]
    if unplayed:
        status["phase"] = f"seeding ({len(seeds) - len(unplayed)}/{len(seeds)} pairs)"
        return unplayed[: settings.pairs_per_batch], status
    ratings = rate_board(store, board_size)
    status["max_se"] = float(np.nanmax(ratings.elo_se)) if len(ratings.elo_se) else 0.0
    status["phase"] = "adaptive"
    if done(ratings, target_se, games, budget):
        return [], status
    pairs = adaptive_pairs(
        agents,
        totals,
        ratings,
        settings.pairs_per_batch,
        games_per_pair=settings.games_per_pairing,
    )
    return [tuple(pair) for pair in pairs.tolist()], status


def run_tournament(
    sweep_dir: str | Path,
    *,
    games_per_pairing: int | None = None,
    target_se: float | None = None,
    budget: int | None = None,
    backend: str = "local",
    ray_address: str | None = None,
    log=None,
    max_batches: int | None = None,
) -> list[dict[str, Any]]:
    """Rate every agent of a sweep: batches per board until ``target_se`` (Elo) or ``budget``
    games per board. Defaults come from the sweep's spec. Returns a status per board."""
    log = log or (lambda message: print(message, file=sys.stderr))
    spec = read_sweep_spec(sweep_dir)
    settings = spec.tournament
    games_per_pairing = games_per_pairing or settings.games_per_pairing
    if games_per_pairing < 2 or games_per_pairing % 2:
        raise ValueError(f"--games-per-batch must be even and at least 2, got {games_per_pairing}")
    target_se = target_se or settings.target_se
    budget = settings.budget_games if budget is None else budget
    path = store_path(sweep_dir)
    if not path.exists():
        raise FileNotFoundError(f"{sweep_dir} has no results store yet; train the sweep first")
    with Store.open(path) as store:
        boards = store.board_sizes()
        for board_size in boards:
            ensure_reference_agents(store, board_size, settings)
    ray = connect_ray(ray_address, log) if backend == "ray" else None
    remote = None
    if ray is not None:
        remote = ray.remote(play_batch).options(num_cpus=1, max_retries=1)
    active = set(boards)
    statuses: dict[int, dict[str, Any]] = {}
    batches = played = 0
    started = time.perf_counter()
    while active and (max_batches is None or batches < max_batches):
        work = []
        with Store.open(path) as store:
            for board_size in sorted(active):
                pairs, status = next_pairs(store, board_size, settings, target_se, budget)
                statuses[board_size] = status
                if pairs:
                    seed = 1_000_003 * board_size + status["games"]
                    work.append((board_size, pairs, seed))
                else:
                    active.discard(board_size)
        if not work:
            break
        if remote is not None:
            futures = [
                remote.remote(str(sweep_dir), pairs, games_per_pairing, seed, settings.greedy)
                for _, pairs, seed in work
            ]
            ray.get(futures)
        else:
            for _, pairs, seed in work:
                play_batch(sweep_dir, pairs, games_per_pairing, seed, settings.greedy)
        batches += 1
        elapsed = time.perf_counter() - started
        batch_games = sum(len(pairs) * games_per_pairing for _, pairs, _ in work)
        played += batch_games
        log(
            _progress_line(statuses, boards, budget, target_se, batch_games, played, elapsed)
            + f" | batch {batches}: "
            + "; ".join(_describe(statuses[board]) for board, _, _ in work)
        )
    for board_size, status in statuses.items():
        log(f"tournament board {board_size}: {_describe(status)} (finished)")
    return [statuses[board] for board in sorted(statuses)]


def _progress_line(statuses, boards, budget, target_se, batch_games, played, elapsed) -> str:
    """A bar of the games stored (the batch just played included) against the game budget of all
    boards, this run's games per second, and the largest rating error (as of the batch's start)
    against the target."""
    total = budget * len(boards)
    stored = sum(status["games"] for status in statuses.values()) + batch_games
    stored = min(stored, total)
    filled = int(24 * stored / total) if total else 24
    errors = [status["max_se"] for status in statuses.values() if "max_se" in status]
    se = f"max SE {max(errors):.0f}/{target_se:.0f} Elo" if errors else "seeding"
    return (
        f"tournament [{'#' * filled}{'.' * (24 - filled)}] {stored:,}/{total:,} games "
        f"{played / max(elapsed, 1e-9):,.1f} games/s {se} ({elapsed:.0f} s)"
    )


def _describe(status: dict[str, Any]) -> str:
    text = f"board {status['board_size']}: {status['games']} games, {status['agents']} agents"
    if "phase" in status:
        text += f", {status['phase']}"
    if "max_se" in status:
        text += f", max SE {status['max_se']:.0f} Elo"
    return text
