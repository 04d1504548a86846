"""Elo from files: match CSVs and the results store, into `analysis.elo.fit_elo` and back.

Agents keep the store's integer ids from the store through the fit (`rate_board`) to the agent
table (`sweep_agents`); names are attached only for display (`rate_store`).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path

import numpy as np

from analysis.boards import board_name, board_order
from analysis.elo import COLOURS, DRAWS_COLUMN, MATCH_COLUMNS, Ratings, fit_elo
from analysis.store import STORE_FILENAME, Store
from analysis.tables import Table, write_csv

DEFAULT_ANALYSIS_COLOUR = "symmetric"
"""Colour treatment of the analysis's Elo fit: Jones's (see `analysis.elo`)."""


# -- readers -------------------------------------------------------------------------------------


def read_matches_csv(path: str | os.PathLike) -> Table:
    """Read match totals from a CSV file with header `first,second,first_wins,second_wins` and an
    optional `draws` column (games with no winner; absent means none).

    Agent names are free text (quote them if they contain commas); surrounding spaces are
    stripped. Extra columns are ignored and blank lines skipped.

    Returns:
      {"first": object [P] of str, "second": object [P] of str, "first_wins": int64 [P],
       "second_wins": int64 [P], "draws": int64 [P] (zeros without the column)}.

    Raises:
      ValueError naming the file and line number of the first malformed row (wrong field count,
      empty name, a count that is not a whole number >= 0, an agent playing itself), or a header
      without the four columns.
    """
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = None
        for fields in reader:
            if any(field.strip() for field in fields):
                header = [field.strip() for field in fields]
                break
        if header is None:
            raise ValueError(
                f"{path.name}: empty file; expected a header {','.join(MATCH_COLUMNS)}"
            )
        missing = [name for name in MATCH_COLUMNS if name not in header]
        if missing:
            raise ValueError(
                f"{path.name} line {reader.line_num}: header lacks column(s) {', '.join(missing)} "
                f"(expected {','.join(MATCH_COLUMNS)})"
            )
        positions = [header.index(name) for name in MATCH_COLUMNS]
        draws_position = header.index(DRAWS_COLUMN) if DRAWS_COLUMN in header else None
        table: dict[str, list] = {name: [] for name in (*MATCH_COLUMNS, DRAWS_COLUMN)}
        for fields in reader:
            if not any(field.strip() for field in fields):
                continue
            where = f"{path.name} line {reader.line_num}"
            if len(fields) != len(header):
                raise ValueError(f"{where}: expected {len(header)} fields, got {len(fields)}")
            first, second, first_wins, second_wins = (fields[position] for position in positions)
            first, second = first.strip(), second.strip()
            for field, name in (("first", first), ("second", second)):
                if not name:
                    raise ValueError(f"{where}: {field} agent name is empty")
            if first == second:
                raise ValueError(f"{where}: agent {first!r} cannot play itself")
            table["first"].append(first)
            table["second"].append(second)
            draws = "0" if draws_position is None else fields[draws_position]
            for field, text in (
                ("first_wins", first_wins),
                ("second_wins", second_wins),
                (DRAWS_COLUMN, draws),
            ):
                stripped = text.strip()
                if not stripped.isdigit():
                    raise ValueError(f"{where}: {field} must be a whole number >= 0, got {text!r}")
                table[field].append(int(stripped))
    return {
        "first": np.array(table["first"], dtype=object),
        "second": np.array(table["second"], dtype=object),
        "first_wins": np.array(table["first_wins"], dtype=np.int64),
        "second_wins": np.array(table["second_wins"], dtype=np.int64),
        "draws": np.array(table[DRAWS_COLUMN], dtype=np.int64),
    }


# -- the results store ---------------------------------------------------------------------------


def rate_board(store: Store, board_size: int | str, **fit_options) -> Ratings:
    """Fit ratings to every match on one board of a results store, keyed by agent id.

    `Ratings.agents` are the store's agent ids (int64); only agents with at least one game are
    rated. The anchor is the board's random player (kind 'random', lowest id) when it has played,
    else the ratings are centred. `fit_options` are passed to `fit_elo` (an explicit `anchor`, an
    agent id, wins).

    Raises:
      ValueError: no games on this board, or disconnected agents (see `fit_elo`).
    """
    agents = store.agents(board_size)
    totals = store.match_totals(board_size)
    if len(totals["first_agent"]) == 0:
        raise ValueError(f"board {board_size}: no matches in {store.path}")
    matches = {
        "first": np.asarray(totals["first_agent"], np.int64),
        "second": np.asarray(totals["second_agent"], np.int64),
        "first_wins": totals["first_wins"],
        "second_wins": totals["second_wins"],
        "draws": totals["draws"],
    }
    if "anchor" not in fit_options:
        played = set(matches["first"].tolist()) | set(matches["second"].tolist())
        random_players = sorted(
            agent
            for agent, kind in zip(agents["id"].tolist(), agents["kind"].tolist(), strict=True)
            if kind == "random" and agent in played
        )
        fit_options["anchor"] = random_players[0] if random_players else None
    try:
        return fit_elo(matches, **fit_options)
    except ValueError as error:
        raise ValueError(f"board {board_size}: {error}") from None


def rate_store(store: Store, board_size: int | str, **fit_options) -> Ratings:
    """`rate_board` with the agents (and anchor) given by their store names, for display.

    `fit_options["anchor"]` may be a name (or a name prefix ending in "*").
    """
    agents = store.agents(board_size)
    names = dict(zip(agents["id"].tolist(), agents["name"].tolist(), strict=True))
    anchor = fit_options.get("anchor")
    if isinstance(anchor, str):
        ids = dict(zip(agents["name"].tolist(), agents["id"].tolist(), strict=True))
        if anchor.endswith("*"):
            matching = sorted(name for name in ids if name.startswith(anchor[:-1]))
            exact = anchor[:-1] in ids
            chosen = anchor[:-1] if exact else (matching[0] if matching else None)
            if chosen is None and anchor != "random*":
                raise ValueError(f"anchor {anchor!r} matches no agent on board {board_size}")
            fit_options["anchor"] = None if chosen is None else ids[chosen]
        elif anchor in ids:
            fit_options["anchor"] = ids[anchor]
        else:
            raise ValueError(f"anchor {anchor!r} is not an agent on board {board_size}")
    ratings = rate_board(store, board_size, **fit_options)
    labels = np.array([names[agent] for agent in ratings.agents.tolist()], object)
    return dataclasses.replace(
        ratings,
        agents=labels,
        anchor=None if ratings.anchor is None else names[ratings.anchor],
    )


def _training_simulations(store: Store) -> dict[int, int]:
    """Run id -> the run's training simulation count, from its stored configuration."""
    runs = store.runs()
    out = {}
    for run_id, text in zip(runs["id"].tolist(), runs["config_json"].tolist(), strict=True):
        try:
            config = json.loads(text)
            out[int(run_id)] = int(config["search"]["num_simulations"])
        except (ValueError, KeyError, TypeError):
            continue
    return out


def search_name(search: Mapping[str, object]) -> str:
    """A run's search in words: ``gumbel``, ``puct``, ``regularized`` (Jones's lambda = c * N /
    (N + A)) or ``regularized, sqrt(N)`` (Grill et al.'s c * sqrt(N) / (N + A)), with
    ``q per tree`` where the regularised search normalises q per game."""
    name = str(search.get("algorithm", "gumbel"))
    if name == "regularized":
        if search.get("regularized_sqrt"):
            name += ", sqrt(N)"
        if search.get("regularized_per_tree"):
            name += ", q per tree"
    return name


def sweep_settings(
    sweep_dir: str | os.PathLike, run_ids: Collection[int] | None = None
) -> dict[str, object]:
    """The sweep's training settings that Jones's may differ from (`reference.JONES_SETTINGS`'s
    keys), read from the runs' stored configurations (of the runs ``run_ids`` only, if given); a
    setting that differs between runs is listed as the sorted distinct values. Empty without a
    store or runs."""
    path = Path(sweep_dir) / STORE_FILENAME
    if not path.exists():
        return {}
    values: dict[str, set] = {}
    with Store.open(path, create=False) as store:
        runs = store.runs()
        for run_id, size, text in zip(
            runs["id"].tolist(), runs["board_size"].tolist(), runs["config_json"].tolist(),
            strict=True,
        ):  # fmt: skip
            if run_ids is not None and int(run_id) not in run_ids:
                continue
            try:
                config = json.loads(text)
                selfplay, learner = config["selfplay"], config["learner"]
                reuse = (learner["batch_size"] * learner["updates_per_iteration"]) / (
                    selfplay["num_envs"] * selfplay["steps_per_iteration"]
                )
                found = {
                    "training simulations per move": int(config["search"]["num_simulations"]),
                    "search": search_name(config["search"]),
                    "learning rate": float(learner["learning_rate"]),
                    "random self-play moves": float(selfplay.get("random_move_fraction", 0.0)),
                    "sample reuse (learner positions per new position)": round(reuse, 3),
                    "board sizes": size,
                }
            except (ValueError, KeyError, TypeError, ZeroDivisionError):
                continue
            for key, value in found.items():
                values.setdefault(key, set()).add(value)
    out: dict[str, object] = {}
    for key, found in values.items():
        if key == "board sizes":
            out[key] = ", ".join(board_name(size) for size in sorted(found, key=board_order))
            continue
        ordered = sorted(found)
        out[key] = ordered[0] if len(ordered) == 1 else ordered
    return out


def sweep_agents(
    sweep_dir: str | os.PathLike, *, colour: str = DEFAULT_ANALYSIS_COLOUR
) -> tuple[Table, dict[int, Ratings]]:
    """Every agent of a sweep with its fitted rating, and the fits (one per board, by agent id).

    Opens `<sweep_dir>/results.sqlite` (nothing is written). Rows are the store's `agent_table`
    rows (see `Store.agent_table`), board by board (Hex sizes ascending, then labels such as
    'c4-4x5-3') and by agent id within a board, with these columns added ([N] each):

      reference: bool, True for reference players (kind 'random', 'mcts', 'solver').
      network: str, the run's name without its seed suffix (the bootstrap resamples seeds
        within a network when networks have several).
      train_simulations: int64, the run's training simulation count (-1 when unknown or for
        reference players).
      elo, elo_se, elo_vs_best: float64 Elo, as in `Ratings` (anchored on the board's random
        player when present); NaN for agents without games or on boards without matches.
      games, wins, draws: int64 games played, won and drawn (0 without games).

    The ratings (board label -> `Ratings` keyed by agent id) carry the Laplace covariance the
    bootstrap draws from. `colour` is the Elo fit's colour treatment (Jones's by default).

    Raises:
      FileNotFoundError: no results store in `sweep_dir`.
      ValueError: the file is not a usable store, or a board's agents form disconnected groups.
    """
    if colour not in COLOURS:
        raise ValueError(f"colour must be one of {', '.join(COLOURS)}, got {colour!r}")
    path = Path(sweep_dir) / STORE_FILENAME
    if not path.exists():
        raise FileNotFoundError(f"no results store at {path}")
    parts: list[Table] = []
    fits: dict[int, Ratings] = {}
    with Store.open(path, create=False) as store:
        training = _training_simulations(store)
        for board_size in store.board_sizes():
            has_matches = len(store.match_totals(board_size)["first_agent"]) > 0
            ratings = rate_board(store, board_size, colour=colour) if has_matches else None
            if ratings is not None:
                fits[board_size] = ratings
            parts.append(_join_ratings(store.agent_table(board_size), ratings, training))
        if not parts:
            return _join_ratings(store.agent_table(), None, training), fits
    table = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    return table, fits


AGENT_CSV_COLUMNS = (
    "agent_id", "name", "kind", "board_size", "run", "snapshot_idx", "simulations",
    "train_simulations", "parameters", "train_flops", "test_flops", "elo", "elo_se",
    "elo_vs_best", "games", "wins", "draws",
)  # fmt: skip


def write_sweep_tables(sweep_dir: str | os.PathLike, table: Table, out_dir: str | os.PathLike):
    """Write the sweep's two tables as text beside its analysis: ``agents.csv`` (`sweep_agents`'
    table, `AGENT_CSV_COLUMNS`, one row per agent with its compute and rating) and
    ``matches.csv`` (board, first, second, first_wins, second_wins, draws: the store's games
    summed per ordered pair of agents, named from ``table``; one board's rows are what
    `boardscale elo --matches` reads). Returns the two paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    agents = out_dir / "agents.csv"
    write_csv(agents, {name: table[name] for name in AGENT_CSV_COLUMNS})
    columns: dict[str, list] = {
        name: [] for name in ("board", "first", "second", "first_wins", "second_wins", "draws")
    }
    names = dict(zip(table["agent_id"].tolist(), table["name"].tolist(), strict=True))
    with Store.open(Path(sweep_dir) / STORE_FILENAME, create=False) as store:
        for board in store.board_sizes():
            totals = store.match_totals(board)
            count = len(totals["first_agent"])
            columns["board"] += [board] * count
            columns["first"] += [names[i] for i in totals["first_agent"].tolist()]
            columns["second"] += [names[i] for i in totals["second_agent"].tolist()]
            for name in ("first_wins", "second_wins", "draws"):
                columns[name] += totals[name].tolist()
    matches = out_dir / "matches.csv"
    write_csv(matches, {name: np.array(values, object) for name, values in columns.items()})
    return agents, matches


def sweep_agent_table(
    sweep_dir: str | os.PathLike, *, colour: str = DEFAULT_ANALYSIS_COLOUR
) -> Table:
    """The agent table of `sweep_agents` without the fits."""
    return sweep_agents(sweep_dir, colour=colour)[0]


def _join_ratings(
    table: Table, ratings: Ratings | None, training: Mapping[int, int] | None = None
) -> Table:
    """`table` (an agent table of one board) with reference, train_simulations, elo, elo_se,
    elo_vs_best, games, wins and draws columns added from `ratings`, matched by agent id (NaN / 0 for
    unrated agents)."""
    rows = len(table["agent_id"])
    table = dict(table)
    table["reference"] = table["kind"] != "snapshot"
    # The network (and grid settings) of a run: its name without the seed suffix.
    table["network"] = np.array(
        [re.sub(r"-s\d+$", "", str(run)) for run in table["run"].tolist()], object
    )
    training = training or {}
    table["train_simulations"] = np.array(
        [training.get(int(run), -1) for run in table["run_id"].tolist()], np.int64
    )
    for name in ("elo", "elo_se", "elo_vs_best"):
        table[name] = np.full(rows, np.nan)
    for name in ("games", "wins", "draws"):
        table[name] = np.zeros(rows, np.int64)
    if ratings is None:
        return table
    position = {int(agent): index for index, agent in enumerate(ratings.agents.tolist())}
    for row, agent in enumerate(table["agent_id"].tolist()):
        index = position.get(int(agent))
        if index is None:
            continue
        for column in ("elo", "elo_se", "elo_vs_best", "games", "wins", "draws"):
            table[column][row] = getattr(ratings, column)[index]
    return table
