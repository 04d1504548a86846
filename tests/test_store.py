"""The SQLite results store, on real files: creation, idempotent writers, readers, refusal of
files that are not stores, and several processes writing at once."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3

import numpy as np
import pytest

from analysis.store import SCHEMA_VERSION, STORE_FILENAME, Store


def fill(store: Store) -> dict[str, int]:
    """A 3x3 run with two snapshots, three of its agents, a random and a solver, and matches."""
    run = store.add_run("hex3-mlp-2x4-s0", 3, "mlp", 2, 4, 0, 120, '{"lr": 0.001}')
    first = store.add_snapshot(run, 0, 1e10, 1.2e10, 1000, 40, 2.5, "runs/a/0")
    second = store.add_snapshot(run, 1, 1e11, 1.2e11, 10000, 400, 25.0, "runs/a/1")
    ids = {
        "run": run,
        "early@1": store.add_agent("hex3-mlp-2x4-s0/0@1", "snapshot", 3, 1, first),
        "late@1": store.add_agent("hex3-mlp-2x4-s0/1@1", "snapshot", 3, 1, second),
        "late@16": store.add_agent("hex3-mlp-2x4-s0/1@16", "snapshot", 3, 16, second),
        "random": store.add_agent("random-3", "random", 3),
        "solver": store.add_agent("solver-3", "solver", 3),
    }
    store.add_matches([(ids["late@1"], ids["random"], 7, 3), (ids["random"], ids["late@1"], 2, 8)])
    store.add_matches(
        [(ids["late@1"], ids["random"], 5, 5), (ids["early@1"], ids["late@16"], 1, 9)]
    )
    return ids


def test_create_reopen_and_schema_version(tmp_path):
    path = tmp_path / "sweep" / STORE_FILENAME
    with Store.open(path) as store:
        ids = fill(store)
    assert path.exists()
    assert not [name for name in os.listdir(path.parent) if name.startswith(".")]
    connection = sqlite3.connect(path)
    meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    assert meta == {"application": "boardscale", "schema_version": str(SCHEMA_VERSION)}
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.close()
    with Store.open(path, create=False) as store:
        assert store.runs()["name"].tolist() == ["hex3-mlp-2x4-s0"]
        assert store.agents()["id"].tolist() == sorted(ids[k] for k in ids if k != "run")


def test_open_without_create_leaves_no_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results store"):
        Store.open(tmp_path / STORE_FILENAME, create=False)
    assert os.listdir(tmp_path) == []


def test_writers_are_idempotent_and_check_conflicts(tmp_path):
    with Store.open(tmp_path / STORE_FILENAME) as store:
        ids = fill(store)
        assert store.add_run("hex3-mlp-2x4-s0", 3, "mlp", 2, 4, 0, 120) == ids["run"]
        with pytest.raises(ValueError, match="already exists with board_size 3"):
            store.add_run("hex3-mlp-2x4-s0", 3, "mlp", 8, 4, 0, 120)
        snapshot = store.snapshots(ids["run"])["id"][1]
        assert store.add_snapshot(ids["run"], 1, 5.0, 5.0, 1, 1, 1.0, "elsewhere") == snapshot
        assert store.snapshots()["path"].tolist() == ["runs/a/0", "runs/a/1"]
        again = store.add_agent("hex3-mlp-2x4-s0/1@16", "snapshot", 3, 16, int(snapshot))
        assert again == ids["late@16"]
        assert store.add_agent("random-3", "random", 3) == ids["random"]
        with pytest.raises(ValueError, match="already exists as kind random"):
            store.add_agent("random-3", "mcts", 3, 8)
        with pytest.raises(ValueError, match="is from board size 3, not 4"):
            store.add_agent("wrong-board", "snapshot", 4, 1, int(snapshot))
        with pytest.raises(ValueError, match="needs a snapshot_id"):
            store.add_agent("no-snapshot", "snapshot", 3, 1)
        with pytest.raises(ValueError, match="family must be one of mlp, resnet"):
            store.add_run("other", 3, "cnn", 2, 4, 0, 1)
        with pytest.raises(ValueError, match="no run with id 999"):
            store.add_snapshot(999, 0, 1.0, 1.0, 1, 1, 1.0, "x")
        random_4 = store.add_agent("random-4", "random", 4)
        before = len(store.matches()["id"])
        # A bad row rolls back the whole batch, including the good row before it.
        with pytest.raises(ValueError, match="no agent with id 12345"):
            store.add_matches([(ids["late@1"], ids["random"], 1, 1), (ids["random"], 12345, 1, 1)])
        with pytest.raises(ValueError, match="different board sizes"):
            store.add_matches([(ids["random"], random_4, 1, 1)])
        with pytest.raises(ValueError, match="cannot play itself"):
            store.add_matches([(ids["random"], ids["random"], 1, 1)])
        with pytest.raises(ValueError, match="first_wins must be >= 0"):
            store.add_matches([(ids["random"], ids["solver"], -1, 1)])
        assert len(store.matches()["id"]) == before == 4


def test_readers_and_agent_table(tmp_path):
    with Store.open(tmp_path / STORE_FILENAME) as store:
        ids = fill(store)
        store.add_agent("random-5", "random", 5)
        totals = store.match_totals(3)
        rows = zip(*(totals[name].tolist() for name in totals), strict=True)
        summed = {(first, second): (wins, losses) for first, second, wins, losses, _ in rows}
        assert list(summed) == sorted(summed)
        assert summed[(ids["late@1"], ids["random"])] == (12, 8)
        assert summed[(ids["random"], ids["late@1"])] == (2, 8)
        assert summed[(ids["early@1"], ids["late@16"])] == (1, 9)
        assert len(store.match_totals(5)["first_agent"]) == 0
        assert store.board_sizes() == [3, 5]

        table = store.agent_table(3)
        assert table["agent_id"].tolist() == sorted(ids[k] for k in ids if k != "run")
        row = {name: index for index, name in enumerate(table["name"].tolist())}
        late = row["hex3-mlp-2x4-s0/1@16"]
        assert table["kind"][late] == "snapshot" and table["run"][late] == "hex3-mlp-2x4-s0"
        assert table["snapshot_idx"][late] == 1 and table["simulations"][late] == 16
        assert table["width"][late] == 2 and table["depth"][late] == 4
        assert table["parameters"][late] == 120 and table["family"][late] == "mlp"
        assert table["train_flops"][late] == 1e11 and table["train_flops_xla"][late] == 1.2e11
        assert table["test_flops"][late] == (16 + 1) * 120
        solver = row["solver-3"]
        assert table["run"][solver] == "" and table["run_id"][solver] == -1
        assert table["snapshot_idx"][solver] == -1 and table["parameters"][solver] == 0
        assert table["test_flops"][solver] == 0.0 and table["train_flops"][solver] == 0.0
        for column in table.values():
            assert column.shape == (5,)
        assert table["train_flops"].dtype == np.float64 and table["agent_id"].dtype == np.int64


def sqlite_file_of_another_application(path):
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    connection.execute("INSERT INTO notes (text) VALUES ('hello')")
    connection.commit()
    connection.close()


def random_bytes(path):
    path.write_bytes(np.random.default_rng(0).bytes(8192))


def truncated_store(path):
    with Store.open(path) as store:
        run = store.add_run("r", 3, "mlp", 2, 1, 0, 10)
        for idx in range(200):
            store.add_snapshot(run, idx, 1.0, 1.0, 1, 1, 1.0, "checkpoint/" + "x" * 200)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def empty_file(path):
    path.write_bytes(b"")


@pytest.mark.parametrize(
    "make, message",
    [
        (sqlite_file_of_another_application, "is not a boardscale results store"),
        (random_bytes, "not a SQLite database"),
        (truncated_store, "truncated"),
        (empty_file, "not a SQLite database"),
    ],
)
def test_files_that_are_not_stores_give_one_line_errors(tmp_path, make, message):
    path = tmp_path / STORE_FILENAME
    make(path)
    before = path.read_bytes()
    with pytest.raises(ValueError) as error:
        Store.open(path)
    assert message in str(error.value) and str(path) in str(error.value)
    assert "\n" not in str(error.value)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [STORE_FILENAME]


def test_newer_schema_version_is_refused(tmp_path):
    path = tmp_path / STORE_FILENAME
    with Store.open(path) as store:
        fill(store)
    connection = sqlite3.connect(path)
    connection.execute(
        "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
    )
    connection.commit()
    connection.close()
    with pytest.raises(ValueError) as error:
        Store.open(path)
    assert f"schema version {SCHEMA_VERSION + 1}, newer than" in str(error.value)
    assert "\n" not in str(error.value)


TRANSACTIONS = 60


def write_many(path: str, worker: int, barrier) -> None:
    """One writer process: shared rows every worker adds (idempotent), then many small batches."""
    barrier.wait()  # start together, so creation and writes race
    with Store.open(path) as store:
        run = store.add_run("shared-run", 3, "mlp", 4, 1, 0, 100)
        snapshot = store.add_snapshot(run, 0, 1e9, 1e9, 10, 1, 1.0, "shared")
        shared = store.add_agent("random-3", "random", 3)
        mine = store.add_agent(f"worker-{worker}", "snapshot", 3, worker + 1, snapshot)
        for transaction in range(TRANSACTIONS):
            store.add_matches([(mine, shared, 1, 0), (shared, mine, transaction, 1)])


def test_concurrent_writers_lose_and_corrupt_nothing(tmp_path):
    path = tmp_path / STORE_FILENAME
    context = multiprocessing.get_context("spawn")
    workers = 4
    barrier = context.Barrier(workers)
    processes = [
        context.Process(target=write_many, args=(str(path), worker, barrier))
        for worker in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0] * workers

    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()
    with Store.open(path, create=False) as store:
        assert len(store.runs()["id"]) == 1 and len(store.snapshots()["id"]) == 1
        agents = store.agents()
        assert sorted(agents["name"].tolist()) == ["random-3"] + [
            f"worker-{worker}" for worker in range(workers)
        ]
        assert len(store.matches()["id"]) == workers * TRANSACTIONS * 2
        totals = store.match_totals()
        shared = int(agents["id"][agents["name"] == "random-3"][0])
        for first, second, first_wins, second_wins, _ in zip(
            *(totals[name].tolist() for name in totals), strict=True
        ):
            if first == shared:
                assert (first_wins, second_wins) == (
                    TRANSACTIONS * (TRANSACTIONS - 1) // 2,
                    TRANSACTIONS,
                )
            else:
                assert second == shared and (first_wins, second_wins) == (TRANSACTIONS, 0)
    leftovers = [name for name in os.listdir(tmp_path) if name.startswith(".")]
    assert leftovers == []


def test_a_batch_stored_twice_is_stored_once(tmp_path):
    """A retried task (or a rerun after a kill) stores its batch again: the key makes it a no-op."""
    with Store.open(tmp_path / STORE_FILENAME) as store:
        ids = fill(store)
        rows = [(ids["late@1"], ids["random"], 3, 1), (ids["random"], ids["late@1"], 1, 3)]
        before = len(store.matches()["id"])
        assert store.add_batch("board3/batch0", 3, 0, rows) is True
        assert store.add_batch("board3/batch0", 3, 0, rows) is False
        matches = store.matches()
        assert len(matches["id"]) == before + 2
        assert len(set(matches["batch_id"][before:].tolist())) == 1
        assert (matches["batch_id"][:before] == -1).all()
        assert store.batch_count(3) == 1 and store.batch_count(4) == 0
        with pytest.raises(ValueError, match="already exists as board 3, number 0"):
            store.add_batch("board3/batch0", 3, 5, rows)
        with pytest.raises(ValueError, match="in batch 'board4/batch0' of board 4"):
            store.add_batch("board4/batch0", 4, 0, rows)
        assert store.batch_count(4) == 0  # the failed batch left nothing behind
    connection = sqlite3.connect(tmp_path / STORE_FILENAME)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        connection.execute("INSERT INTO batches (key, board_size, number) VALUES (?, 3, 1)",
                           ("board3/batch0",))  # fmt: skip
    connection.close()


def _version_1_store(path):
    """A store as version 1 wrote it (before batches), with its rows."""
    from analysis.store import MIGRATIONS

    connection = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](connection)
    connection.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.close()
    with Store.open(path, readonly=True) as store:
        assert store.schema_version == 1
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(
        "INSERT INTO agents (name, kind, board_size) VALUES ('random-3', 'random', 3)"
    )
    connection.execute(
        "INSERT INTO agents (name, kind, board_size) VALUES ('solver-3', 'solver', 3)"
    )
    connection.execute(
        "INSERT INTO matches (first_agent, second_agent, first_wins, second_wins) VALUES (1, 2, 0, 4)"
    )
    connection.close()


def test_a_version_1_store_is_read_as_is_and_upgraded_by_a_writer(tmp_path):
    path = tmp_path / STORE_FILENAME
    _version_1_store(path)
    with Store.open(path, readonly=True) as store:  # readers need no upgrade
        assert store.matches()["batch_id"].tolist() == [-1]
        assert store.matches()["draws"].tolist() == [0]
        assert store.match_totals(3)["draws"].tolist() == [0]
        assert store.batch_count(3) == 0
    with Store.open(path, create=False) as store:
        assert store.schema_version == SCHEMA_VERSION == 3
        assert store.match_totals(3)["second_wins"].tolist() == [4]
        assert store.add_batch("board3/batch0", 3, 0, [(2, 1, 2, 0)])
        assert store.matches()["batch_id"].tolist()[0] == -1
        assert store.matches()["draws"].tolist() == [0, 0]
    connection = sqlite3.connect(path)
    assert dict(connection.execute("SELECT key, value FROM meta"))["schema_version"] == "3"
    connection.close()


def test_a_version_2_store_reads_without_draws_and_upgrades(tmp_path):
    from analysis.store import MIGRATIONS

    path = tmp_path / STORE_FILENAME
    connection = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](connection)
    MIGRATIONS[1](connection)
    connection.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    connection.execute("INSERT INTO agents (name, kind, board_size) VALUES ('a', 'random', 3)")
    connection.execute("INSERT INTO agents (name, kind, board_size) VALUES ('b', 'solver', 3)")
    connection.execute(
        "INSERT INTO matches (first_agent, second_agent, first_wins, second_wins) VALUES (1, 2, 1, 3)"
    )
    connection.close()
    with Store.open(path, readonly=True) as store:
        assert store.schema_version == 2
        assert store.match_totals()["draws"].tolist() == [0]
    with Store.open(path, create=False) as store:
        assert store.schema_version == 3
        store.add_matches([(1, 2, 0, 1, 5)])
        totals = store.match_totals()
        assert totals["first_wins"].tolist() == [1] and totals["draws"].tolist() == [5]


def test_draws_and_text_board_labels(tmp_path):
    """A Connect Four board is stored under its text label beside Hex's integer sizes; draws are
    summed per ordered pair; a negative draw count or a bad label is refused in one line."""
    with Store.open(tmp_path / STORE_FILENAME) as store:
        a = store.add_agent("random-c4-4x5-3", "random", "c4-4x5-3")
        b = store.add_agent("solver-c4-4x5-3", "solver", "c4-4x5-3")
        c = store.add_agent("random-3", "random", 3)
        d = store.add_agent("solver-3", "solver", 3)
        assert store.add_batch("boardc4-4x5-3/batch0", "c4-4x5-3", 0, [(a, b, 0, 2, 6)])
        store.add_matches([(a, b, 1, 1, 2), (c, d, 0, 4)])
        assert store.board_sizes() == [3, "c4-4x5-3"]
        totals = store.match_totals("c4-4x5-3")
        assert totals["first_wins"].tolist() == [1] and totals["second_wins"].tolist() == [3]
        assert totals["draws"].tolist() == [8]
        assert store.match_totals(3)["draws"].tolist() == [0]
        assert store.agents(3)["board_size"].dtype == np.int64
        assert store.agent_table("c4-4x5-3")["board_size"].tolist() == ["c4-4x5-3"] * 2
        assert store.agent_table()["board_size"].tolist() == ["c4-4x5-3"] * 2 + ["3", "3"]
        with pytest.raises(ValueError, match="different board"):
            store.add_matches([(a, c, 1, 1)])
        with pytest.raises(ValueError, match="draws must be >= 0"):
            store.add_matches([(a, b, 1, 1, -1)])
        with pytest.raises(ValueError, match="board_size must be an integer or a label"):
            store.add_agent("x", "random", "c4 4x5")
        assert store.match_totals()["draws"].sum() == 8


def _store_bytes(folder):
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


def test_read_only_store_reads_and_refuses_writes_in_one_line(tmp_path, monkeypatch):
    """Readers work and writers fail with "read-only": opened read-only on purpose, and (with
    the permission check made to say so, as a read-only file system does even for root) in a
    folder that cannot be written, where SQLite cannot create its -shm file."""
    from analysis.store import StoreReadOnlyError

    folder = tmp_path / "sweep"
    with Store.open(folder / STORE_FILENAME) as store:
        ids = fill(store)
        totals = store.match_totals(3)
    assert sorted(os.listdir(folder)) == [STORE_FILENAME]  # a clean close removes the log
    before = _store_bytes(folder)
    real_access = os.access
    for readonly, unwritable in ((True, False), (False, True)):
        with monkeypatch.context() as patch:
            if unwritable:
                patch.setattr(os, "access", lambda p, mode, **kw: (
                    False if mode & os.W_OK else real_access(p, mode, **kw)))  # fmt: skip
            with Store.open(folder / STORE_FILENAME, create=False, readonly=readonly) as store:
                assert store.readonly
                for name in totals:
                    np.testing.assert_array_equal(store.match_totals(3)[name], totals[name])
                assert len(store.agent_table(3)["agent_id"]) == 5
                with pytest.raises(StoreReadOnlyError, match="read-only") as error:
                    store.add_agent("random-3b", "random", 3)
                assert "\n" not in str(error.value)
                with pytest.raises(StoreReadOnlyError, match="read-only"):
                    store.add_batch("b", 3, 0, [(ids["random"], ids["solver"], 0, 1)])
        assert _store_bytes(folder)[STORE_FILENAME] == before[STORE_FILENAME]
    # The SQLite layer refuses too: a write that got past the check fails in one line.
    with Store.open(folder / STORE_FILENAME, readonly=True) as store:
        store.readonly = False
        with pytest.raises(StoreReadOnlyError, match="read-only") as error:
            store.add_agent("random-3b", "random", 3)
        assert "\n" not in str(error.value)


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root writes through chmod; covered by the test above"
)
def test_store_in_a_folder_without_write_permission(tmp_path):
    from analysis.store import StoreReadOnlyError

    folder = tmp_path / "sweep"
    with Store.open(folder / STORE_FILENAME) as store:
        fill(store)
    (folder / STORE_FILENAME).chmod(0o444)
    folder.chmod(0o555)
    try:
        with Store.open(folder / STORE_FILENAME, create=False) as store:
            assert len(store.agents()["id"]) == 5
            with pytest.raises(StoreReadOnlyError, match="read-only"):
                store.add_agent("random-3b", "random", 3)
    finally:
        folder.chmod(0o755)
