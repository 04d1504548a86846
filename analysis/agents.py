"""The agent table: checking it, the Elo zero point, the frontier's simulation count, reference
players.

An agent table is a `dict[str, numpy.ndarray]`, one row per rated agent, with columns board_size
(the board's label, `analysis.boards`: Hex's integer size or a Connect Four label such as
'c4-4x5-3'; int64 while every board is Hex), train_flops (float, Jones's convention), test_flops (float, FLOPs per move), elo (float, any
zero point), and optionally agent_id (int, the store's id: it stays the agent's key from store to
fit and back), elo_se, run (str; the training run, the unit the bootstrap resamples),
simulations (int), train_simulations (int, the run's training search), kind (str) and name (str).
Rows with train_flops 0 are reference players (random play, reference MCTS, the solver): they are
left out of every fit and reported as levels only.

Zero point: on each board, Elo is shifted so that the best trained agent at the frontier's
simulation count is at 0 ("Elo vs best"). Agents searching harder can be above 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from analysis import reference
from analysis.boards import board_column, is_missing, unique_boards
from analysis.tables import Table, num_rows, select_rows

REQUIRED_COLUMNS = ("board_size", "train_flops", "test_flops", "elo")


@dataclass(frozen=True)
class Agents:
    """A checked agent table.

    `table` holds the usable rows (finite Elo and compute) with the input's columns plus
    `elo_vs_best` (float64 [N], Elo minus the best trained agent's on the board, at the frontier's
    simulation count when there is one). `simulations` is that count (None when the table has no
    simulations column); `notes` say what was dropped or chosen.
    """

    table: Table
    simulations: int | None
    notes: tuple[str, ...] = ()
    simulations_reason: str = ""

    def with_elo(self, elo: np.ndarray) -> Agents:
        """The same agents with Elo replaced by `elo` [N] (e.g. a draw from the ratings'
        uncertainty) and `elo_vs_best` recomputed."""
        table = dict(self.table)
        table["elo"] = np.asarray(elo, np.float64)
        table, _ = relative_to_best(table, self.simulations)
        return Agents(table, self.simulations, self.notes, self.simulations_reason)

    def rows(self, rows: np.ndarray) -> Agents:
        """The agents at `rows` (indices [K], repeats allowed), `elo_vs_best` recomputed."""
        table, _ = relative_to_best(select_rows(self.table, rows), self.simulations)
        return Agents(table, self.simulations, self.notes, self.simulations_reason)

    @property
    def boards(self) -> tuple[int | str, ...]:
        """The labels of the boards with a trained agent, Hex sizes first (`board_order`)."""
        trained = self.table["train_flops"] > 0
        return tuple(unique_boards(self.table["board_size"][trained]))


def _numeric_column(table: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    column = np.asarray(table[name])
    if column.dtype == object or column.dtype.kind in "USb":
        try:
            column = column.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"agent table column {name!r} must be numeric") from None
    if column.dtype.kind not in "iuf":
        raise ValueError(f"agent table column {name!r} must be numeric, got dtype {column.dtype}")
    return column.astype(np.float64)


def _board_labels(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels [N], present [N] bool) of a board_size column: a numeric column as numbers (its
    integer check comes later, as before), a text or mixed one label by label (`board_column`),
    empty cells (None, NaN) marked absent. Raises a one-line ValueError for a value that is
    neither a Hex size nor a Connect Four label."""
    if column.dtype != object and column.dtype.kind not in "US":
        return _numeric_column({"board_size": column}, "board_size"), np.ones(column.size, bool)
    present = np.array([not is_missing(value) for value in column.tolist()], bool)
    try:
        labels = board_column(column[present])
    except ValueError as error:
        raise ValueError(f"agent table column 'board_size': {error}") from None
    if labels.dtype != object:
        out = np.full(column.size, np.nan)
    else:
        out = np.full(column.size, None, object)
    out[present] = labels
    return out, present


def frontier_simulations(
    table: Mapping[str, np.ndarray], train_simulations: int | None = None
) -> tuple[int | None, str]:
    """The simulation count the frontier is read at, and a sentence saying why.

    Jones reads the frontier where test = train search. The training count is `train_simulations`
    when given, else the most common value of a `train_simulations` column among trained agents.
    When that count was evaluated, it is the answer; when it was not, the evaluated count nearest
    it in log nodes (ties to the larger). Without a training count, the count evaluated at the
    most snapshots, ties to the count nearest 63 simulations (Jones's 64 nodes) in log nodes.
    (None, reason) when the table has no `simulations` column or no trained agent.
    """
    if "simulations" not in table:
        return None, "the table has no simulations column; every trained agent is used"
    trained = np.asarray(table["train_flops"], dtype=np.float64) > 0
    if not trained.any():
        return None, "no trained agent"
    simulations = np.asarray(table["simulations"])[trained].astype(np.int64)
    if train_simulations is None and "train_simulations" in table:
        counts = np.asarray(table["train_simulations"])[trained].astype(np.int64)
        counts = counts[counts >= 0]  # -1: unknown
        if counts.size:
            values, frequency = np.unique(counts, return_counts=True)
            train_simulations = int(values[np.argmax(frequency)])
            if values.size > 1:
                note = f" (the most common of the training counts {values.tolist()})"
            else:
                note = ""
        else:
            note = ""
    else:
        note = ""
    evaluated = sorted({int(s) for s in simulations})
    if train_simulations is not None:
        train_simulations = int(train_simulations)
        if train_simulations in evaluated:
            return train_simulations, (
                f"read at the training count, {train_simulations} simulations{note}"
            )
        target = math.log(train_simulations + 1)
        nearest = min(evaluated, key=lambda s: (abs(math.log(s + 1) - target), -s))
        return nearest, (
            f"the training count, {train_simulations} simulations{note}, was not evaluated; "
            f"read at the nearest evaluated count in log nodes, {nearest}"
        )
    boards = np.asarray(table["board_size"])[trained]
    flops = np.asarray(table["train_flops"], dtype=np.float64)[trained]
    runs = np.asarray(table["run"])[trained] if "run" in table else np.full(flops.size, "")
    snapshots: dict[int, set] = {}
    for sims, size, run, train in zip(simulations, boards.tolist(), runs, flops, strict=True):
        snapshots.setdefault(int(sims), set()).add((size, str(run), float(train)))
    target = math.log(reference.NODES_PER_MOVE)

    def rank(sims: int):
        return (-len(snapshots[sims]), abs(math.log(sims + 1) - target), -sims)

    chosen = min(snapshots, key=rank)
    return chosen, (
        f"the training count is unknown (no train_simulations column); read at {chosen} "
        "simulations, the count evaluated at the most snapshots"
    )


def relative_to_best(table: Table, simulations: int | None) -> tuple[Table, list[str]]:
    """`table` with `elo_vs_best` added (Elo minus the best trained agent's at `simulations` on
    its board), and notes; boards without a trained agent are dropped."""
    notes = []
    sizes = table["board_size"]
    trained = table["train_flops"] > 0
    at_count = trained
    if simulations is not None and "simulations" in table:
        at_count = trained & (table["simulations"] == simulations)
    best = np.full(sizes.size, np.nan)
    for size in unique_boards(sizes):
        on_board = sizes == size
        pool = on_board & at_count
        if not pool.any():
            pool = on_board & trained
            if pool.any() and simulations is not None:
                notes.append(
                    f"board {size}: no agent at {simulations} simulations; Elo is relative to "
                    "the best trained agent at any count"
                )
        if not pool.any():
            notes.append(f"board {size}: no trained agent (train_flops > 0); board left out")
            continue
        best[on_board] = table["elo"][pool].max()
    keep = np.isfinite(best)
    out = select_rows(table, keep)
    out["elo_vs_best"] = out["elo"] - best[keep]
    return out, notes


def prepare_agents(
    table: Mapping[str, np.ndarray],
    *,
    simulations: int | None = None,
    train_simulations: int | None = None,
) -> Agents:
    """Check an agent table and put Elo relative to the best agent on each board.

    Args:
      table: columns board_size, train_flops, test_flops, elo (numeric [N]); optional elo_se,
        run, simulations, kind, name. Other columns are carried along.
      simulations: the frontier's simulation count; None picks it (`frontier_simulations`: the
        training count by default).
      train_simulations: the runs' training simulation count, when the table has no
        `train_simulations` column (or to override it).

    Returns:
      `Agents`. Rows with a non-finite Elo, compute or board size are dropped and counted in the
      notes; boards with no trained agent are dropped.

    Raises:
      ValueError (one line) for a missing or non-numeric column, negative compute, a trained agent
      with no test compute, or a table with no usable trained agent.
    """
    if not isinstance(table, Mapping):
        raise ValueError(
            f"agent table must be a mapping of column name to array, got {type(table)}"
        )
    absent = [name for name in REQUIRED_COLUMNS if name not in table]
    if absent:
        raise ValueError(
            f"agent table lacks column(s) {', '.join(absent)} (has: {', '.join(table) or 'none'})"
        )
    rows = num_rows(table)
    if rows == 0:
        raise ValueError("agent table has no rows")
    columns: Table = {name: np.asarray(values) for name, values in table.items()}
    columns["board_size"], board_present = _board_labels(columns["board_size"])
    for name in ("train_flops", "test_flops", "elo"):
        columns[name] = _numeric_column(columns, name)
    if "elo_se" in columns:
        columns["elo_se"] = _numeric_column(columns, "elo_se")
    for name in ("simulations", "train_simulations"):
        if name in columns:
            columns[name] = _numeric_column(columns, name)
    for name in ("run", "kind", "name"):
        if name in columns:
            columns[name] = np.array([str(value) for value in columns[name]], dtype=object)

    finite = np.ones(rows, bool)
    reasons = []
    for name in ("board_size", "train_flops", "test_flops", "elo", "simulations"):
        if name not in columns:
            continue
        if name == "board_size" and columns[name].dtype == object:
            bad = ~board_present
        else:
            bad = ~np.isfinite(columns[name])
        if bad.any():
            reasons.append(f"{int(bad.sum())} with no finite {name}")
        finite &= ~bad
    notes = []
    if reasons:
        notes.append(f"dropped {int((~finite).sum())} of {rows} rows: {'; '.join(reasons)}")
    columns = select_rows(columns, finite)
    if num_rows(columns) == 0:
        raise ValueError("agent table has no row with a finite elo, board_size and compute")

    for name in ("train_flops", "test_flops"):
        negative = np.flatnonzero(columns[name] < 0)
        if negative.size:
            raise ValueError(
                f"agent table column {name!r} must be >= 0, got {columns[name][negative[0]]:g}"
            )
    size = columns["board_size"]
    if size.dtype == object:
        columns["board_size"] = board_column(size)
    else:
        if np.any(size < 1) or np.any(size != np.round(size)):
            bad = size[(size < 1) | (size != np.round(size))][0]
            raise ValueError(
                f"agent table column 'board_size' must be a positive integer, got {bad:g}"
            )
        columns["board_size"] = size.astype(np.int64)
    if "simulations" in columns:
        sims = columns["simulations"]
        if np.any(sims < 0) or np.any(sims != np.round(sims)):
            bad = sims[(sims < 0) | (sims != np.round(sims))][0]
            raise ValueError(
                f"agent table column 'simulations' must be an integer >= 0, got {bad:g}"
            )
        columns["simulations"] = sims.astype(np.int64)
    trained = columns["train_flops"] > 0
    no_test = trained & (columns["test_flops"] <= 0)
    if no_test.any():
        raise ValueError(
            "agent table column 'test_flops' must be > 0 for trained agents (train_flops > 0); "
            f"{int(no_test.sum())} rows have 0"
        )
    if not trained.any():
        raise ValueError("agent table has no trained agent (train_flops > 0) with a finite elo")

    if simulations is None:
        simulations, reason = frontier_simulations(columns, train_simulations)
    elif "simulations" not in columns:
        raise ValueError("a frontier simulation count was given but the table has no simulations")
    else:
        simulations = int(simulations)
        reason = f"read at {simulations} simulations, as asked"
        if not np.any(trained & (columns["simulations"] == simulations)):
            present = sorted({int(s) for s in columns["simulations"][trained]})
            raise ValueError(
                f"no trained agent searches with {simulations} simulations (present: {present})"
            )
    normalised, more = relative_to_best(columns, simulations)
    return Agents(normalised, simulations, tuple(notes + more), reason)


def reference_levels(agents: Agents) -> dict[int | str, dict[str, float]]:
    """Elo vs best of the reference players (train_flops 0), per board: {board: {label: elo}}
    (the solver, where there is one, is perfect play on its board).

    Labels are the `name` column when present, else `kind`, else "reference"; a reference player
    with kind "random" (or, without a kind column, the only one with zero test compute on its board)
    is also listed as "random".
    """
    table = agents.table
    out: dict[int | str, dict[str, float]] = {}
    reference_rows = np.flatnonzero(table["train_flops"] == 0)
    boards = table["board_size"].tolist()
    for row in reference_rows:
        size = boards[row]
        levels = out.setdefault(size, {})
        if "name" in table and table["name"][row]:
            label = str(table["name"][row])
        elif "kind" in table and table["kind"][row]:
            label = str(table["kind"][row])
        else:
            label = "reference"
        base, suffix = label, 2
        while label in levels:
            label, suffix = f"{base}-{suffix}", suffix + 1
        levels[label] = float(table["elo_vs_best"][row])
    for size, levels in out.items():
        on_board = (table["board_size"] == size) & (table["train_flops"] == 0)
        if "kind" in table:
            random_rows = np.flatnonzero(on_board & (table["kind"] == "random"))
        else:
            random_rows = np.flatnonzero(on_board & (table["test_flops"] == 0))
        if random_rows.size == 1:
            levels["random"] = float(table["elo_vs_best"][random_rows[0]])
    return out
