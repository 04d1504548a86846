"""The results store: one SQLite file per sweep holding runs, snapshots, agents and match results.

Match rows are the only record of who beat whom; Elo is never stored, it is refitted from them. The
file is in WAL mode with a busy timeout, so several processes on one machine can write to it at
once (on a shared network file system SQLite's WAL is unsafe: there one process, the driver, writes
for all), and every write is one transaction, so killing a writer loses at most the batch it was
writing. Writers are idempotent (`add_run`, `add_snapshot`, `add_agent` return the existing row's
id; `add_batch` of a key already stored is a no-op), so rerunning a stage after a kill, or a task
retried after it committed, never duplicates rows.

A store opened with `readonly=True` (or one whose file or folder cannot be written, e.g. on a
read-only file system) serves every reader and refuses writes with a one-line `StoreReadOnlyError`.

Compute columns hold FLOPs in the two conventions `alphazero.compute` defines (the one place that
states them): Jones's and XLA's.

Schema (version 3). Text timestamps are ISO 8601 UTC, e.g. "2024-05-01T12:00:00.000Z".

meta: key/value text pairs.
    application     always "boardscale"; how a store is told apart from other SQLite files.
    schema_version  integer version of this schema; `MIGRATIONS[v]` upgrades version v to v + 1.

runs: one training run.
    id              integer primary key.
    name            unique text, e.g. "hex5-mlp-16x4-s0".
    board_size      the board's label (`games.board_label`): Hex's integer S of the S x S
                    board, or text for another game, e.g. 'c4-4x5-3' (Connect Four, 4 rows, 5
                    columns, 3 in a row). The column is declared INTEGER CHECK (> 0) since version
                    1; SQLite keeps a text label as text, and text passes the check (SQLite orders
                    every integer below every text), so no table is rebuilt for it.
    family          network family, 'mlp' or 'resnet'.
    width, depth    integer network width (units or channels) and number of residual blocks.
    seed            integer random seed of the run.
    parameters      integer parameter count of the network; test-time compute is counted with it.
    config_json     text, the run's resolved configuration as JSON.
    created_at      text timestamp of insertion.

snapshots: one saved network of a run.
    id              integer primary key.
    run_id          the run (runs.id).
    idx             0-based snapshot number within the run; unique per run.
    jones_flops     real, training compute so far in Jones's convention (`alphazero.compute`).
    xla_flops       real, training compute so far as XLA's cost analysis counts it (ditto).
    samples         integer, self-play positions generated so far.
    games           integer, self-play games finished so far.
    wall_seconds    real, training wall-clock time so far, in seconds.
    path            text, where the checkpoint is stored (relative to the sweep folder or absolute).
    created_at      text timestamp of insertion.

agents: a player in the tournament.
    id              integer primary key.
    name            unique text, e.g. "hex5-mlp-16x4-s0/7@16" or "random-5".
    kind            'snapshot' (a snapshot searching with `simulations`), 'random' (uniform random
                    legal moves), 'mcts' (reference MCTS with random rollouts) or 'solver' (perfect
                    play from the exact solver).
    snapshot_id     the snapshot (snapshots.id) for kind 'snapshot', NULL otherwise.
    simulations     integer test-time MCTS simulations per move; for 'mcts' the reference bot's
                    simulations; 0 means acting on the raw policy (or not searching).
    board_size      the board's label (as in runs); matches are only between agents of one board.
    created_at      text timestamp of insertion.

matches: results of one batch of games between two agents.
    id              integer primary key.
    first_agent     the agent (agents.id) that moved first in these games.
    second_agent    the agent that moved second.
    first_wins      integer games won by first_agent.
    second_wins     integer games won by second_agent.
    draws           integer games drawn (no winner; Hex has none, Connect Four does); 0 for rows
                    stored before version 3.
    created_at      text timestamp of insertion.
    batch_id        the batch (batches.id) the games were played in; NULL for rows stored before
                    version 2 or through `add_matches`.
    Several rows for one ordered pair are normal (one per batch); readers add them up.

batches: one batch of tournament games, stored with its match rows in one transaction (version 2).
    id              integer primary key.
    key             unique text naming the batch, e.g. "board3/batch12"; storing a batch whose
                    key exists is a no-op.
    board_size      the board's label (as in runs) of the batch's games.
    number          integer, 0-based number of the batch on its board.
    created_at      text timestamp of insertion.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from analysis.boards import board_name, board_order  # noqa: F401 (board_name: re-exported)
from analysis.tables import Table
from boardscale_core import jones

STORE_FILENAME = "results.sqlite"
APPLICATION = "boardscale"
FAMILIES = ("mlp", "resnet")
AGENT_KINDS = ("snapshot", "random", "mcts", "solver")

_NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"


def _execute_statements(connection: sqlite3.Connection, script: str) -> None:
    """Run `;`-separated SQL statements inside the caller's transaction.

    `Connection.executescript` would commit the open transaction first (Python 3.11 always
    does), which would end the BEGIN IMMEDIATE a migration runs in and break its atomicity.
    The statements must not contain `;` inside literals.
    """
    for statement in script.split(";"):
        if statement.strip():
            connection.execute(statement)


def _create_version_1(connection: sqlite3.Connection) -> None:
    _execute_statements(
        connection,
        f"""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            board_size INTEGER NOT NULL CHECK (board_size > 0),
            family TEXT NOT NULL CHECK (family IN ('mlp', 'resnet')),
            width INTEGER NOT NULL CHECK (width > 0),
            depth INTEGER NOT NULL CHECK (depth >= 0),
            seed INTEGER NOT NULL,
            parameters INTEGER NOT NULL CHECK (parameters >= 0),
            config_json TEXT NOT NULL DEFAULT '{{}}',
            created_at TEXT NOT NULL DEFAULT {_NOW}
        );
        CREATE TABLE snapshots (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs (id),
            idx INTEGER NOT NULL CHECK (idx >= 0),
            jones_flops REAL NOT NULL,
            xla_flops REAL NOT NULL,
            samples INTEGER NOT NULL,
            games INTEGER NOT NULL,
            wall_seconds REAL NOT NULL,
            path TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT {_NOW},
            UNIQUE (run_id, idx)
        );
        CREATE TABLE agents (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'random', 'mcts', 'solver')),
            snapshot_id INTEGER REFERENCES snapshots (id),
            simulations INTEGER NOT NULL DEFAULT 0 CHECK (simulations >= 0),
            board_size INTEGER NOT NULL CHECK (board_size > 0),
            created_at TEXT NOT NULL DEFAULT {_NOW}
        );
        CREATE INDEX agents_by_board ON agents (board_size);
        CREATE TABLE matches (
            id INTEGER PRIMARY KEY,
            first_agent INTEGER NOT NULL REFERENCES agents (id),
            second_agent INTEGER NOT NULL REFERENCES agents (id),
            first_wins INTEGER NOT NULL CHECK (first_wins >= 0),
            second_wins INTEGER NOT NULL CHECK (second_wins >= 0),
            created_at TEXT NOT NULL DEFAULT {_NOW}
        );
        CREATE INDEX matches_by_pair ON matches (first_agent, second_agent);
        """,
    )
    connection.execute("INSERT INTO meta (key, value) VALUES ('application', ?)", (APPLICATION,))
    connection.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '0')")


def _add_batches(connection: sqlite3.Connection) -> None:
    _execute_statements(
        connection,
        f"""
        CREATE TABLE batches (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            board_size INTEGER NOT NULL CHECK (board_size > 0),
            number INTEGER NOT NULL CHECK (number >= 0),
            created_at TEXT NOT NULL DEFAULT {_NOW}
        );
        CREATE INDEX batches_by_board ON batches (board_size, number);
        ALTER TABLE matches ADD COLUMN batch_id INTEGER REFERENCES batches (id);
        CREATE INDEX matches_by_batch ON matches (batch_id)
        """,
    )


def _add_draws(connection: sqlite3.Connection) -> None:
    connection.execute(
        "ALTER TABLE matches ADD COLUMN draws INTEGER NOT NULL DEFAULT 0 CHECK (draws >= 0)"
    )


# MIGRATIONS[v] turns a store at schema version v into version v + 1 (version 0 is an empty file).
# Each runs inside the transaction that also bumps schema_version, so a kill mid-migration leaves
# the old version intact. Append new migrations; never edit a released one.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _create_version_1,
    _add_batches,
    _add_draws,
]
SCHEMA_VERSION = len(MIGRATIONS)


class StoreReadOnlyError(ValueError):
    """A write to a store that was opened read-only or cannot be written."""


def _writable(path: Path) -> bool:
    """Whether this process may write the store file and create its -wal/-shm files beside it
    (False on a read-only file system, for root too)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _check_sqlite_file(path: Path) -> None:
    """Reject files that are not whole SQLite databases before SQLite gets to touch them."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise ValueError(f"{path} is not a boardscale results store (not a SQLite database)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    change_counter = int.from_bytes(header[24:28], "big")
    page_count = int.from_bytes(header[28:32], "big")
    version_valid_for = int.from_bytes(header[92:96], "big")
    # The in-header page count is only trustworthy when it was written with the change counter,
    # and only when no WAL exists: a checkpoint in progress writes page 1 before growing the file.
    quiet = not Path(f"{path}-wal").exists()
    if quiet and change_counter == version_valid_for and size < page_count * page_size:
        raise ValueError(
            f"{path} is not a usable boardscale results store (truncated: {size} bytes, "
            f"header says {page_count * page_size})"
        )


def _sql_table(cursor: sqlite3.Cursor, columns: Sequence[tuple[str, type]]) -> Table:
    rows = cursor.fetchall()
    table: Table = {}
    for position, (name, kind) in enumerate(columns):
        values = [row[position] for row in rows]
        if kind is BoardLabel:  # integers (Hex) stay int64; any text label makes the column text
            if all(isinstance(value, int) for value in values):
                table[name] = np.array(values, np.int64)
            else:
                table[name] = np.array([str(value) for value in values], object)
        elif kind is str:
            table[name] = np.array(["" if value is None else value for value in values], object)
        elif kind is int:
            table[name] = np.array([-1 if value is None else value for value in values], np.int64)
        else:
            table[name] = np.array([np.nan if v is None else v for v in values], np.float64)
    return table


class BoardLabel:
    """Column type of a board label in `_sql_table`: int64 while every label is an integer."""


def _board_filter(board_size: int | str | None, column: str) -> tuple[str, tuple]:
    if board_size is None:
        return "", ()
    return f" WHERE {column} = ?", (_require_board(board_size),)


def _require_board(value: object) -> int | str:
    """A board label: a positive integer (Hex's size) or a non-empty text label without spaces
    that is not an integer (e.g. 'c4-4x5-3')."""
    if isinstance(value, str):
        if value.strip().isdigit():
            return _require_int("board_size", int(value.strip()), 1)
        if value and value == value.strip() and " " not in value:
            return value
        raise ValueError(
            f"board_size must be an integer or a label such as 'c4-4x5-3', got {value!r}"
        )
    return _require_int("board_size", value, 1)


def _require_int(name: str, value: object, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _require_number(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


class Store:
    """An open results store. Use `Store.open(path)`; close it with `close()` or a `with` block.

    Readers return tables: `dict[str, numpy.ndarray]` with one entry per column, rows ordered by
    id. Text columns are object arrays of `str` ("" for NULL), integer columns int64 (-1 for NULL),
    real columns float64.

    One `Store` belongs to one thread; open one per process or worker.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, readonly: bool = False):
        self._connection = connection
        self.path = path
        self.readonly = readonly
        self.schema_version = SCHEMA_VERSION

    # -- opening and closing --------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike,
        create: bool = True,
        *,
        readonly: bool = False,
        timeout_seconds: float = 60.0,
    ) -> Store:
        """Open the store at `path`, creating it (and upgrading older schemas) as needed.

        Args:
          path: the SQLite file, usually `<sweep folder>/results.sqlite` (`STORE_FILENAME`).
          create: make a new empty store if `path` does not exist.
          readonly: open for reading only (never creates, migrates or writes; older schemas are
            read as they are). A store whose file or folder cannot be written is opened this
            way too, so readers work on a read-only file system; writers then fail with
            `StoreReadOnlyError`.
          timeout_seconds: how long a write waits for another process's write to finish.

        Raises:
          FileNotFoundError: no file at `path` and `create` is False (or `readonly`).
          ValueError: `path` is not a boardscale store (another kind of file, another SQLite
            database, a truncated copy) or was written by a newer boardscale. The file is left
            untouched in these cases.
        """
        path = Path(path)
        if not path.exists():
            if not create or readonly:
                raise FileNotFoundError(f"no results store at {path}")
            cls._create(path, timeout_seconds)
        _check_sqlite_file(path)
        if readonly or not _writable(path):
            return cls._open_readonly(path, timeout_seconds)
        connection = sqlite3.connect(path, timeout=timeout_seconds, isolation_level=None)
        try:
            store = cls(connection, path)
            store._check_and_migrate()
            # WAL lets readers work while another process writes; it persists in the file.
            if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            connection.close()
            raise
        return store

    @classmethod
    def _open_readonly(cls, path: Path, timeout_seconds: float) -> Store:
        """SQLite's `mode=ro`. A WAL store whose log was cleanly removed on a folder that cannot
        be written has no -shm file and cannot get one; there `immutable=1` reads it (nothing
        can be missed: without a log every committed row is in the main file)."""
        uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro"
        log = Path(f"{path}-wal")
        if not _writable(path) and not (log.exists() and log.stat().st_size > 0):
            if not Path(f"{path}-shm").exists():
                uri += "&immutable=1"
        connection = sqlite3.connect(uri, uri=True, timeout=timeout_seconds, isolation_level=None)
        try:
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError as error:
                raise ValueError(
                    f"{path} cannot be read where it is, read-only ({error}); copy the sweep "
                    "folder somewhere writable"
                ) from None
            store = cls(connection, path, readonly=True)
            store._check_and_migrate()
        except BaseException:
            connection.close()
            raise
        return store

    @staticmethod
    def _create(path: Path, timeout_seconds: float) -> None:
        # Build the store under a private name and hard-link it into place: another process never
        # sees a half-initialised file, and if two processes race, the first link wins.
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
        connection = sqlite3.connect(temporary, timeout=timeout_seconds, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            for migration in MIGRATIONS:
                migration(connection)
            connection.execute(
                "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
            )
            connection.execute("COMMIT")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.close()
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
            except OSError:  # a filesystem without hard links: accept a small race instead
                if not path.exists():
                    os.replace(temporary, path)
        finally:
            connection.close()
            for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
                leftover.unlink(missing_ok=True)

    def _schema_version(self) -> int:
        try:
            rows = dict(self._connection.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as error:
            raise ValueError(f"{self.path} is not a boardscale results store ({error})") from None
        if rows.get("application") != APPLICATION:
            raise ValueError(f"{self.path} is not a boardscale results store (no boardscale meta)")
        try:
            return int(rows["schema_version"])
        except (KeyError, ValueError):
            raise ValueError(f"{self.path} has no valid schema_version in its meta table") from None

    def _check_and_migrate(self) -> None:
        version = self._schema_version()
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"{self.path} has schema version {version}, newer than this boardscale's "
                f"{SCHEMA_VERSION}; upgrade boardscale to read it"
            )
        tables = ("runs", "snapshots", "agents", "matches") + (("batches",) if version >= 2 else ())
        try:
            # Touch every table so a store damaged past its header fails here, not mid-sweep.
            for table in tables:
                self._connection.execute(f"SELECT count(*) FROM {table}").fetchone()
        except sqlite3.DatabaseError as error:
            raise ValueError(f"{self.path} is not a usable boardscale store ({error})") from None
        if self.readonly:
            self.schema_version = version  # read as it is; readers allow for older versions
            return
        if version < SCHEMA_VERSION:
            with self._transaction():
                version = self._schema_version()  # another process may have just migrated
                for migration in MIGRATIONS[version:]:
                    migration(self._connection)
                self._connection.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
                )

    def close(self) -> None:
        """Close the connection; further calls on this Store fail."""
        self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exception) -> None:
        self.close()

    def _transaction(self):
        if self.readonly:
            raise StoreReadOnlyError(
                f"{self.path} is read-only (opened for reading, or its file or folder cannot be "
                "written); this needs to write to it"
            )
        return _Transaction(self._connection, self.path)

    # -- writers --------------------------------------------------------------------------------

    def add_run(
        self,
        name: str,
        board_size: int | str,
        family: str,
        width: int,
        depth: int,
        seed: int,
        parameters: int,
        config_json: str = "{}",
    ) -> int:
        """Record a training run and return its id.

        A run of the same name with the same board_size, family, width and depth is returned as
        is (so restarting a run is harmless); one that differs in any of them is a ValueError.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"run name must be a non-empty string, got {name!r}")
        if family not in FAMILIES:
            raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}")
        values = (
            name,
            _require_board(board_size),
            family,
            _require_int("width", width, 1),
            _require_int("depth", depth, 0),
            _require_int("seed", seed),
            _require_int("parameters", parameters, 0),
            str(config_json),
        )
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO runs (name, board_size, family, width, depth, seed, parameters, "
                "config_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                values,
            )
            row = connection.execute(
                "SELECT id, board_size, family, width, depth FROM runs WHERE name = ?", (name,)
            ).fetchone()
        if tuple(row[1:]) != values[1:5]:
            raise ValueError(
                f"run {name!r} already exists with board_size {row[1]}, family {row[2]}, "
                f"width {row[3]}, depth {row[4]}; got {values[1]}, {values[2]}, {values[3]}, "
                f"{values[4]}"
            )
        return int(row[0])

    def add_snapshot(
        self,
        run_id: int,
        idx: int,
        jones_flops: float,
        xla_flops: float,
        samples: int,
        games: int,
        wall_seconds: float,
        path: str,
    ) -> int:
        """Record snapshot `idx` of run `run_id` and return its id (the existing one if present).

        Compute is cumulative from the start of the run: `jones_flops` and `xla_flops` in FLOPs
        (Jones's and XLA's counts, as `alphazero.compute` defines them), `samples` positions,
        `games` games, `wall_seconds` seconds.
        """
        values = (
            _require_int("run_id", run_id),
            _require_int("idx", idx, 0),
            _require_number("jones_flops", jones_flops),
            _require_number("xla_flops", xla_flops),
            _require_int("samples", samples, 0),
            _require_int("games", games, 0),
            _require_number("wall_seconds", wall_seconds),
            str(path),
        )
        with self._transaction() as connection:
            found = connection.execute("SELECT 1 FROM runs WHERE id = ?", (values[0],)).fetchone()
            if found is None:
                raise ValueError(f"no run with id {values[0]}")
            connection.execute(
                "INSERT INTO snapshots (run_id, idx, jones_flops, xla_flops, samples, games, "
                "wall_seconds, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, idx) DO NOTHING",
                values,
            )
            row = connection.execute(
                "SELECT id FROM snapshots WHERE run_id = ? AND idx = ?", values[:2]
            ).fetchone()
        return int(row[0])

    def add_agent(
        self,
        name: str,
        kind: str,
        board_size: int | str,
        simulations: int = 0,
        snapshot_id: int | None = None,
    ) -> int:
        """Record a tournament player and return its id (the existing one for a known name).

        kind 'snapshot' needs `snapshot_id` (of a run on `board_size`); the reference kinds
        ('random', 'mcts', 'solver') must not have one. Re-adding a name with different fields is
        a ValueError.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"agent name must be a non-empty string, got {name!r}")
        if kind not in AGENT_KINDS:
            raise ValueError(f"agent kind must be one of {', '.join(AGENT_KINDS)}, got {kind!r}")
        board_size = _require_board(board_size)
        simulations = _require_int("simulations", simulations, 0)
        if kind == "snapshot":
            if snapshot_id is None:
                raise ValueError(f"agent {name!r} of kind 'snapshot' needs a snapshot_id")
            snapshot_id = _require_int("snapshot_id", snapshot_id)
        elif snapshot_id is not None:
            raise ValueError(f"agent {name!r} of kind {kind!r} must not have a snapshot_id")
        values = (name, kind, snapshot_id, simulations, board_size)
        with self._transaction() as connection:
            if snapshot_id is not None:
                row = connection.execute(
                    "SELECT runs.board_size FROM snapshots JOIN runs ON runs.id = snapshots.run_id "
                    "WHERE snapshots.id = ?",
                    (snapshot_id,),
                ).fetchone()
                if row is None:
                    raise ValueError(f"no snapshot with id {snapshot_id}")
                if row[0] != board_size:
                    raise ValueError(
                        f"agent {name!r}: snapshot {snapshot_id} is from board size {row[0]}, "
                        f"not {board_size}"
                    )
            connection.execute(
                "INSERT INTO agents (name, kind, snapshot_id, simulations, board_size) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                values,
            )
            row = connection.execute(
                "SELECT id, name, kind, snapshot_id, simulations, board_size FROM agents "
                "WHERE name = ?",
                (name,),
            ).fetchone()
        if tuple(row[1:]) != values:
            raise ValueError(
                f"agent {name!r} already exists as kind {row[2]}, snapshot_id {row[3]}, "
                f"simulations {row[4]}, board_size {row[5]}"
            )
        return int(row[0])

    def add_matches(self, rows: Sequence[tuple[int, ...]]) -> None:
        """Append match results, all in one transaction, with no batch (see `add_batch`).

        Args:
          rows: (first_agent_id, second_agent_id, first_wins, second_wins[, draws]) per batch of
            games, first_agent_id having moved first; draws (games with no winner) default to 0.
            Both agents must exist and share a board.
        """
        self._insert_matches(rows, None)

    def add_batch(
        self, key: str, board_size: int | str, number: int, rows: Sequence[tuple[int, ...]]
    ) -> bool:
        """Store one batch of games under the unique `key`, its match rows included, in one
        transaction. A batch whose key is already stored is left as it is (a retried task, a
        rerun after a kill): returns False then, True when the batch was added.

        Args:
          key: the batch's unique name, e.g. "board3/batch12".
          board_size: the board of all its games (every agent must be on it).
          number: the batch's 0-based number on its board.
          rows: match rows as in `add_matches`.
        """
        if not isinstance(key, str) or not key:
            raise ValueError(f"batch key must be a non-empty string, got {key!r}")
        batch = (key, _require_board(board_size), _require_int("number", number, 0))
        return self._insert_matches(rows, batch)

    def batch_count(self, board_size: int | str) -> int:
        """How many batches are stored on one board (0 for stores older than version 2)."""
        if self.schema_version < 2:
            return 0
        row = self._connection.execute(
            "SELECT count(*) FROM batches WHERE board_size = ?", (_require_board(board_size),)
        ).fetchone()
        return int(row[0])

    def _insert_matches(self, rows, batch: tuple[str, int, int] | None) -> bool:
        checked = []
        for position, row in enumerate(rows):
            if len(row) not in (4, 5):
                raise ValueError(f"match row {position} must have 4 or 5 fields, got {len(row)}")
            first, second, first_wins, second_wins, draws = (
                _require_int(f"match row {position} {field}", value, minimum)
                for field, value, minimum in zip(
                    ("first_agent", "second_agent", "first_wins", "second_wins", "draws"),
                    (*row, 0) if len(row) == 4 else row,
                    (None, None, 0, 0, 0),
                    strict=True,
                )
            )
            if first == second:
                raise ValueError(f"match row {position}: agent {first} cannot play itself")
            checked.append((first, second, first_wins, second_wins, draws))
        if not checked and batch is None:
            return False
        with self._transaction() as connection:
            batch_id = None
            if batch is not None:
                found = connection.execute(
                    "SELECT board_size, number FROM batches WHERE key = ?", batch[:1]
                ).fetchone()
                if found is not None:
                    if tuple(found) != batch[1:]:
                        raise ValueError(
                            f"batch {batch[0]!r} already exists as board {found[0]}, number "
                            f"{found[1]}; got board {batch[1]}, number {batch[2]}"
                        )
                    return False
                batch_id = connection.execute(
                    "INSERT INTO batches (key, board_size, number) VALUES (?, ?, ?)", batch
                ).lastrowid
            identifiers = {first for first, *_ in checked} | {second for _, second, *_ in checked}
            boards = dict(
                connection.execute(
                    f"SELECT id, board_size FROM agents WHERE id IN "
                    f"({', '.join('?' * len(identifiers))})",
                    tuple(identifiers),
                ).fetchall()
            )
            for position, (first, second, *_) in enumerate(checked):
                for agent in (first, second):
                    if agent not in boards:
                        raise ValueError(f"match row {position}: no agent with id {agent}")
                if boards[first] != boards[second]:
                    raise ValueError(
                        f"match row {position}: agents {first} and {second} play on different "
                        f"board sizes ({boards[first]} and {boards[second]})"
                    )
                if batch is not None and boards[first] != batch[1]:
                    raise ValueError(
                        f"match row {position}: agents on board {boards[first]} in batch "
                        f"{batch[0]!r} of board {batch[1]}"
                    )
            if batch_id is None:
                connection.executemany(
                    "INSERT INTO matches (first_agent, second_agent, first_wins, second_wins, "
                    "draws) VALUES (?, ?, ?, ?, ?)",
                    checked,
                )
            else:
                connection.executemany(
                    "INSERT INTO matches (first_agent, second_agent, first_wins, second_wins, "
                    "draws, batch_id) VALUES (?, ?, ?, ?, ?, ?)",
                    [(*row, batch_id) for row in checked],
                )
        return True

    # -- readers --------------------------------------------------------------------------------

    def runs(self) -> Table:
        """All runs: id, name, board_size, family, width, depth, seed, parameters, config_json,
        created_at ([N] each)."""
        columns = [
            ("id", int), ("name", str), ("board_size", BoardLabel), ("family", str), ("width", int),
            ("depth", int), ("seed", int), ("parameters", int), ("config_json", str),
            ("created_at", str),
        ]  # fmt: skip
        names = ", ".join(name for name, _ in columns)
        cursor = self._connection.execute(f"SELECT {names} FROM runs ORDER BY id")
        return _sql_table(cursor, columns)

    def snapshots(self, run_id: int | None = None) -> Table:
        """Snapshots (of one run if `run_id` is given): id, run_id, idx, jones_flops, xla_flops,
        samples, games, wall_seconds, path, created_at."""
        columns = [
            ("id", int), ("run_id", int), ("idx", int), ("jones_flops", float),
            ("xla_flops", float), ("samples", int), ("games", int), ("wall_seconds", float),
            ("path", str), ("created_at", str),
        ]  # fmt: skip
        names = ", ".join(name for name, _ in columns)
        where, parameters = ("", ()) if run_id is None else (" WHERE run_id = ?", (int(run_id),))
        cursor = self._connection.execute(
            f"SELECT {names} FROM snapshots{where} ORDER BY id", parameters
        )
        return _sql_table(cursor, columns)

    def agents(self, board_size: int | str | None = None) -> Table:
        """Agents (on one board if given): id, name, kind, snapshot_id (-1 for none),
        simulations, board_size, created_at."""
        columns = [
            ("id", int), ("name", str), ("kind", str), ("snapshot_id", int),
            ("simulations", int), ("board_size", BoardLabel), ("created_at", str),
        ]  # fmt: skip
        names = ", ".join(name for name, _ in columns)
        where, parameters = _board_filter(board_size, "board_size")
        cursor = self._connection.execute(
            f"SELECT {names} FROM agents{where} ORDER BY id", parameters
        )
        return _sql_table(cursor, columns)

    def matches(self, board_size: int | str | None = None) -> Table:
        """Match rows as stored (on one board if given): id, first_agent, second_agent,
        first_wins, second_wins, created_at, batch_id (-1 for none), draws."""
        columns = [
            ("id", int), ("first_agent", int), ("second_agent", int), ("first_wins", int),
            ("second_wins", int), ("created_at", str), ("batch_id", int), ("draws", int),
        ]  # fmt: skip
        names = ", ".join(f"matches.{name}" for name, _ in columns)
        if self.schema_version < 2:  # a read-only store of version 1: no batches
            names = names.replace("matches.batch_id", "NULL")
        if self.schema_version < 3:  # a read-only store older than draws: none
            names = names.replace("matches.draws", "0")
        where, parameters = _board_filter(board_size, "agents.board_size")
        cursor = self._connection.execute(
            f"SELECT {names} FROM matches JOIN agents ON agents.id = matches.first_agent{where} "
            "ORDER BY matches.id",
            parameters,
        )
        return _sql_table(cursor, columns)

    def match_totals(self, board_size: int | str | None = None) -> Table:
        """Games summed per ordered pair (on one board if given): first_agent, second_agent,
        first_wins, second_wins, draws (int64 [P]), ordered by (first_agent, second_agent)."""
        columns = [("first_agent", int), ("second_agent", int), ("first_wins", int),
                   ("second_wins", int), ("draws", int)]  # fmt: skip
        where, parameters = _board_filter(board_size, "agents.board_size")
        draws = "sum(draws)" if self.schema_version >= 3 else "0"
        cursor = self._connection.execute(
            f"SELECT first_agent, second_agent, sum(first_wins), sum(second_wins), {draws} "
            "FROM matches "
            f"JOIN agents ON agents.id = matches.first_agent{where} "
            "GROUP BY first_agent, second_agent ORDER BY first_agent, second_agent",
            parameters,
        )
        return _sql_table(cursor, columns)

    def agent_table(self, board_size: int | str | None = None) -> Table:
        """One row per agent (on one board if given), ordered by agent id, with its compute.

        Columns ([N] each):
          agent_id, name, kind, board_size (int64 while every board is Hex, else the labels as
            text), simulations;
          run (run name, "" for reference players), run_id (-1 for them), family ("" for them),
          width, depth, parameters (0 for them), snapshot_idx (-1 for them);
          train_flops: training compute of the snapshot in Jones's convention, FLOPs (0 for
            reference players); train_flops_xla: the same counted by XLA;
          test_flops: test-time compute per move in Jones's convention, (simulations + 1) x
            parameters FLOPs (0 for reference players).
        """
        where, parameters = _board_filter(board_size, "agents.board_size")
        cursor = self._connection.execute(
            "SELECT agents.id, agents.name, agents.kind, agents.board_size, agents.simulations, "
            "coalesce(runs.name, ''), coalesce(runs.id, -1), coalesce(runs.family, ''), "
            "coalesce(runs.width, 0), coalesce(runs.depth, 0), coalesce(runs.parameters, 0), "
            "coalesce(snapshots.idx, -1), coalesce(snapshots.jones_flops, 0.0), "
            "coalesce(snapshots.xla_flops, 0.0) "
            "FROM agents LEFT JOIN snapshots ON snapshots.id = agents.snapshot_id "
            f"LEFT JOIN runs ON runs.id = snapshots.run_id{where} ORDER BY agents.id",
            parameters,
        )
        columns = [
            ("agent_id", int), ("name", str), ("kind", str), ("board_size", BoardLabel),
            ("simulations", int), ("run", str), ("run_id", int), ("family", str),
            ("width", int), ("depth", int), ("parameters", int), ("snapshot_idx", int),
            ("train_flops", float), ("train_flops_xla", float),
        ]  # fmt: skip
        table = _sql_table(cursor, columns)
        is_snapshot = table["kind"] == "snapshot"
        table["test_flops"] = np.where(
            is_snapshot, jones.test_flops(table["simulations"], table["parameters"]), 0.0
        )
        return table

    def board_sizes(self) -> list[int | str]:
        """The boards (labels) that have at least one agent: Hex sizes ascending, then text
        labels (`board_order`)."""
        cursor = self._connection.execute("SELECT DISTINCT board_size FROM agents")
        labels = [row[0] if isinstance(row[0], str) else int(row[0]) for row in cursor.fetchall()]
        return sorted(labels, key=board_order)


class _Transaction:
    """`BEGIN IMMEDIATE ... COMMIT` (rolled back on error).

    IMMEDIATE takes the write lock up front, so a writer waits for others through the busy
    timeout instead of failing when it would have to upgrade a read snapshot that went stale.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self._connection = connection
        self._path = path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            _raise_if_readonly(error, self._path)
            raise
        return self._connection

    def __exit__(self, exception_type, exception, traceback) -> None:
        if exception_type is None:
            try:
                self._connection.execute("COMMIT")
            except sqlite3.OperationalError as error:
                _raise_if_readonly(error, self._path)
                raise
        else:
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
            if isinstance(exception, sqlite3.OperationalError):
                _raise_if_readonly(exception, self._path)


def _raise_if_readonly(error: sqlite3.OperationalError, path: Path) -> None:
    if "readonly" in str(error) or "read-only" in str(error):
        raise StoreReadOnlyError(
            f"{path} is read-only ({error}); this needs to write to it"
        ) from None
