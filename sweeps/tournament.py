"""The tournament loop: which pairs to play (asked of `analysis.schedule`), playing them in batches
(`alphazero.match`), and storing the results (`analysis.store`), until the ratings are known to a
target standard error or a game budget is spent.

Per board: first every seed pair (neighbours on the grid and a ladder down to the random player)
gets one batch of games; then batches of the pairs that most reduce the rating uncertainty. Batch
n of board S is a function of the store's rows of board S and of (S, n) alone: its pairs come
from the stored matches, its random key from (S, n), and it is stored under the unique key
"board{S}/batch{n}" with its rows in one transaction. So a killed tournament loses at most the
batches in flight, a rerun continues from the stored matches and stores exactly the rows an
uninterrupted run would (in the same order: boards take turns, one batch each), and a batch
stored twice (a Ray task retried after it finished) is stored once.

Workers (local or Ray tasks) only play; this process alone writes the store, under a lock that
keeps a second tournament off the same store (SQLite's WAL is unsafe on the shared file systems a
Ray cluster would put it on).
"""

from __future__ import annotations

import collections
import dataclasses
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from analysis.store import Store
from sweeps.runner import connect_ray, store_lock, store_path
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
    if settings.solver and _solver_plays(board_size):
        store.add_agent(reference_name("solver", board_size), "solver", board_size, 0)


def _solver_plays(board_size: int | str) -> bool:
    """Whether the exact solver joins this board: Hex up to `SOLVER_MAX_BOARD`, Connect Four on
    boards its solver solves quickly (`games.connect_four_solver.FAST_MAX_CELLS` cells)."""
    if isinstance(board_size, str):
        import games
        from games.connect_four_solver import FAST_MAX_CELLS

        return games.make_board(board_size).num_cells <= FAST_MAX_CELLS
    return board_size <= SOLVER_MAX_BOARD and _solver_available()


def _solver_available() -> bool:
    try:
        from games import solver  # noqa: F401
    except ImportError:
        return False
    return True


# Snapshot agents loaded in this process, by (file, modification time, size, greedy); an entry
# is reused for every simulation count and batch until the file changes. The least recently used
# are dropped beyond SNAPSHOT_CACHE_SIZE (more than the agents of any batch), so a sweep of
# thousands of snapshots does not keep every network in memory.
SNAPSHOT_CACHE_SIZE = 512
_SNAPSHOT_AGENTS: collections.OrderedDict[tuple[str, int, int, bool], Any] = (
    collections.OrderedDict()
)


def _snapshot_agent(file: Path, name: str, simulations: int, greedy: bool):
    from alphazero.agents import load_agent

    stat = file.stat()
    key = (str(file.resolve()), stat.st_mtime_ns, stat.st_size, greedy)
    base = _SNAPSHOT_AGENTS.get(key)
    if base is None:
        base = load_agent(file, simulations=0, greedy=greedy)  # reads and verifies the file
        for stale in [k for k in _SNAPSHOT_AGENTS if k[0] == key[0] and k[3] == greedy]:
            del _SNAPSHOT_AGENTS[stale]
        _SNAPSHOT_AGENTS[key] = base
        while len(_SNAPSHOT_AGENTS) > SNAPSHOT_CACHE_SIZE:
            _SNAPSHOT_AGENTS.popitem(last=False)
    _SNAPSHOT_AGENTS.move_to_end(key)
    kind = dataclasses.replace(base.kind, simulations=simulations)
    return base.__class__(name, kind, base.params)


class AgentCache:
    """Agents by store id. A snapshot file is read (and its checksum verified) once per process
    while it is unchanged (same path, modification time and size), whatever the batch."""

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
                agents["board_size"][row].item()
                if isinstance(agents["board_size"][row], np.integer)
                else agents["board_size"][row],
                int(agents["simulations"][row]),
                paths.get(snapshot),
            )
        self.loaded: dict[int, Any] = {}

    def __getitem__(self, agent_id: int):
        if agent_id not in self.loaded:
            self.loaded[agent_id] = self._load(agent_id)
        return self.loaded[agent_id]

    def _load(self, agent_id: int):
        from sweeps.references import make_reference

        name, kind, board_size, simulations, path = self.rows[agent_id]
        if kind == "snapshot":
            file = Path(path)
            file = file if file.is_absolute() else self.sweep_dir / file
            return _snapshot_agent(file, name, simulations, self.greedy)
        agent = make_reference(kind, board_size, simulations)
        if dataclasses.is_dataclass(agent):
            return dataclasses.replace(agent, name=name)
        agent.name = name
        return agent


def batch_key(board_size: int, number: int) -> str:
    """The store key of batch ``number`` (0-based) of a board."""
    return f"board{board_size}/batch{number}"


def _board_seed(board_size: int | str) -> int:
    """The integer folded into a batch's key: Hex's size, or a CRC-32 of a text label (stable
    across processes, unlike ``hash``)."""
    if isinstance(board_size, str):
        return zlib.crc32(board_size.encode()) & 0x7FFFFFFF
    return board_size


def play_batch(
    sweep_dir: str | Path,
    board_size: int,
    number: int,
    pairs: list[tuple[int, int]],
    games_per_pairing: int,
    greedy: bool = False,
) -> dict[str, Any]:
    """Play batch ``number`` of a board: ``games_per_pairing`` games (half each colour) for every
    pair of agent ids, with the random key of (board, number). Reads the store, never writes it;
    returns the batch for the caller to store (`Store.add_batch`). A Ray task body too."""
    import jax

    from alphazero.match import play_matches

    with Store.open(store_path(sweep_dir), create=False, readonly=True) as store:
        cache = AgentCache(sweep_dir, store, greedy)
        pairings = [(cache[a], cache[b]) for a, b in pairs]
    ids = {cache[a].name: a for a, _ in pairs} | {cache[b].name: b for _, b in pairs}
    key = jax.random.fold_in(jax.random.fold_in(jax.random.key(0), _board_seed(board_size)), number)
    results = play_matches(pairings, games_per_pairing, key)
    rows = [(ids[r.first], ids[r.second], r.first_wins, r.second_wins, r.draws) for r in results]
    return {
        "key": batch_key(board_size, number),
        "board_size": board_size,
        "number": number,
        "rows": rows,
        "games": sum(r.games for r in results),
    }


def _unordered_games(totals) -> dict[tuple[int, int], int]:
    games: dict[tuple[int, int], int] = {}
    for first, second, wins_first, wins_second, draws in zip(
        totals["first_agent"].tolist(),
        totals["second_agent"].tolist(),
        totals["first_wins"].tolist(),
        totals["second_wins"].tolist(),
        totals["draws"].tolist(),
        strict=True,
    ):
        pair = (min(first, second), max(first, second))
        games[pair] = games.get(pair, 0) + wins_first + wins_second + draws
    return games


# Predicted-score windows for adaptive pairs, tried in turn while none is found (lopsided pairs
# carry little information, but when nothing else is left they are what can still lower the SE),
# each with the rating-order neighbours considered (None: all agents). The last is every pair.
WINDOWS = ((0.05, 8), (0.01, 16), (1e-9, None))


def next_pairs(
    store: Store,
    board_size: int,
    settings: TournamentSpec,
    target_se,
    budget,
    games_per_pairing: int | None = None,
):
    """The pairs of the next batch on one board and a status dict; no pairs once done.

    A function of the board's stored rows and the arguments alone. When no pair is left in the
    usual predicted-score window while the largest standard error is above target, the window
    widens (`WINDOWS`); if even the widest holds no informative pair, the board stops with
    ``status["stopped"]`` saying why."""
    from analysis.elo_io import rate_board
    from analysis.schedule import adaptive_pairs, done, seed_pairs

    games_per_pairing = games_per_pairing or settings.games_per_pairing
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
    for low, neighbours in WINDOWS:
        pairs = adaptive_pairs(
            agents,
            totals,
            ratings,
            settings.pairs_per_batch,
            games_per_pair=games_per_pairing,
            neighbours=neighbours or max(len(ratings.elo) - 1, 1),
            min_probability=low,
            max_probability=1.0 - low,
        )
        if len(pairs):
            if low != WINDOWS[0][0]:
                status["phase"] = (
                    f"adaptive, window widened to predicted scores {low:g}-{1 - low:g}"
                )
            return [tuple(pair) for pair in pairs.tolist()], status
    status["stopped"] = (
        f"stopped with max SE {status['max_se']:.0f} Elo above the target {target_se:.0f}: no "
        "pair of agents would lower it (every predicted score is within "
        f"{WINDOWS[-1][0]:g} of 0 or 1)"
    )
    return [], status


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
    games per board. Defaults come from the sweep's spec. Returns a status per board.

    Each round, the boards with the fewest stored batches play one batch each (in parallel on
    Ray), and this process stores them in board order; ``max_batches`` limits the rounds."""
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
    with Store.open(path, create=False, readonly=True):
        pass  # a damaged store is refused before the lock file is made
    with store_lock(sweep_dir, "tournament"):
        return _run_tournament(
            sweep_dir, settings, games_per_pairing, target_se, budget, backend, ray_address, log,
            max_batches,
        )  # fmt: skip


def _run_tournament(
    sweep_dir, settings, games_per_pairing, target_se, budget, backend, ray_address, log,
    max_batches,
):  # fmt: skip
    path = store_path(sweep_dir)
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
    rounds = played = 0
    started = time.perf_counter()
    while active and (max_batches is None or rounds < max_batches):
        ready = []
        with Store.open(path) as store:
            for board_size in sorted(active):
                pairs, status = next_pairs(
                    store, board_size, settings, target_se, budget, games_per_pairing
                )
                statuses[board_size] = status
                if pairs:
                    ready.append((board_size, store.batch_count(board_size), pairs))
                else:
                    active.discard(board_size)
        if not ready:
            break
        # A board ahead of the others (a kill landed between two boards' batches) waits, so the
        # boards take turns as in an uninterrupted run.
        fewest = min(number for _, number, _ in ready)
        work = [(board, number, pairs) for board, number, pairs in ready if number == fewest]
        arguments = [
            (str(sweep_dir), board, number, pairs, games_per_pairing, settings.greedy)
            for board, number, pairs in work
        ]
        if remote is not None:
            batches = ray.get([remote.remote(*args) for args in arguments])
        else:
            batches = [play_batch(*args) for args in arguments]
        with Store.open(path) as store:
            for batch in batches:  # in board order, whichever worker finished first
                store.add_batch(batch["key"], batch["board_size"], batch["number"], batch["rows"])
        rounds += 1
        elapsed = time.perf_counter() - started
        batch_games = sum(batch["games"] for batch in batches)
        played += batch_games
        log(
            _progress_line(statuses, boards, budget, target_se, batch_games, played, elapsed)
            + f" | round {rounds}: "
            + "; ".join(_describe(statuses[board]) for board, _, _ in work)
        )
    for board_size, status in statuses.items():
        log(
            f"tournament board {board_size}: {_describe(status)} "
            f"({status.get('stopped') or 'finished'})"
        )
    return [statuses[board] for board in sorted(statuses)]


def _progress_line(statuses, boards, budget, target_se, batch_games, played, elapsed) -> str:
    """A bar of the games stored (the batch just played included) against the game budget of all
    boards, this run's games per second, and the largest rating error (as of the batch's start)
    against the target."""
    total = budget * len(boards)
    stored = sum(status["games"] for status in statuses.values()) + batch_games
    stored = min(stored, total)
    errors = [status["max_se"] for status in statuses.values() if "max_se" in status]
    se = f"max SE {max(errors):.0f}/{target_se:.0f} Elo" if errors else "seeding"
    # tqdm renders the bar; the line goes to the log (one per round), not to a live terminal bar.
    bar = tqdm.format_meter(
        stored, total or stored or 1, elapsed, ascii=".#", bar_format="[{bar:24}]"
    )
    return (
        f"tournament {bar} {stored:,}/{total:,} games "
        f"{played / max(elapsed, 1e-9):,.1f} games/s {se} ({elapsed:.0f} s)"
    )


def _describe(status: dict[str, Any]) -> str:
    text = f"board {status['board_size']}: {status['games']} games, {status['agents']} agents"
    if "phase" in status:
        text += f", {status['phase']}"
    if "max_se" in status:
        text += f", max SE {status['max_se']:.0f} Elo"
    return text
