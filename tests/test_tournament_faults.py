"""The tournament under faults: a kill mid-tournament and a resume store exactly the rows of an
uninterrupted run; the driver alone writes the store; two tournaments or two trainers on one
folder; boards whose pairs all fall outside the predicted-score window; read-only sweeps."""

from __future__ import annotations

import collections
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from alphazero.checkpoint import LockHeld, exclusive
from analysis.store import STORE_FILENAME, Store
from sweeps.cli import main as cli
from sweeps.runner import store_lock
from sweeps.spec import spec_from_dict
from sweeps.tournament import next_pairs, run_tournament

ROOT = Path(__file__).resolve().parent.parent

SPEC = {
    "name": "faults",
    "seeds": [0],
    "test_simulations": [2],
    "train": {
        "search": {"num_simulations": 2},
        "selfplay": {"num_envs": 8, "steps_per_iteration": 2},
        "learner": {"batch_size": 16, "buffer_steps": 8, "updates_per_iteration": 1},
        "snapshots": {"count": 2},
    },
    "boards": [{"size": 2, "widths": [2], "depths": [1], "budget": 2e4, "first_snapshot": 5e3}],
    "tournament": {
        "games_per_pairing": 2,
        "pairs_per_batch": 3,
        "target_se": 1.0,
        "budget_games": 12,
        "mcts_simulations": [],
    },
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A two-board sweep without matches: on board 2 one run's two snapshots (untrained networks
    of two seeds, saved as training saves them: no training needed to test the tournament), on
    board 3 reference players only, so boards take turns."""
    from alphazero import checkpoint, compute, untrained_agent
    from alphazero.config import to_dict
    from sweeps.runner import run_dir, snapshot_agent_name
    from sweeps.spec import save_spec

    folder = tmp_path_factory.mktemp("sweep") / "trained"
    spec = spec_from_dict(SPEC)
    save_spec(spec, folder)
    plan = spec.runs()[0]
    with Store.open(folder / STORE_FILENAME) as store:
        run = None
        for index in range(2):
            params = untrained_agent(plan.config, simulations=2, seed=index).params
            if run is None:
                parameters = compute.tree_size(params)
                run = store.add_run(plan.name, 2, "mlp", 2, 1, 0, parameters)
            path = run_dir(folder, plan.name) / "snapshots" / f"snapshot-{index:03d}.ckpt"
            meta = {"index": index, "config": to_dict(plan.config), "parameters": parameters}
            checkpoint.save(path, params, meta)
            snapshot = store.add_snapshot(
                run, index, 1e3 * (index + 1), 2e3 * (index + 1), 8, 1, 1.0,
                str(path.relative_to(folder)),
            )  # fmt: skip
            store.add_agent(snapshot_agent_name(plan.name, index, 2), "snapshot", 2, 2, snapshot)
        store.add_agent("random-3", "random", 3)
    return folder


def _copy(trained, folder):
    shutil.copytree(trained, folder)
    return folder


def _rows(folder):
    connection = sqlite3.connect(folder / STORE_FILENAME)
    try:
        return connection.execute(
            "SELECT batches.key, first_agent, second_agent, first_wins, second_wins, draws "
            "FROM matches JOIN batches ON batches.id = matches.batch_id ORDER BY matches.id"
        ).fetchall()
    finally:
        connection.close()


def _batches(folder) -> int:
    try:
        connection = sqlite3.connect(f"file:{folder / STORE_FILENAME}?mode=ro", uri=True)
        try:
            return connection.execute("SELECT count(*) FROM batches").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error:
        return 0


def _start(code: str) -> subprocess.Popen:
    environment = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(ROOT),
                   "JAX_COMPILATION_CACHE_DIR": str(ROOT / ".pytest_cache" / "jax"),
                   "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0.5"}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=environment,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_a_killed_and_resumed_tournament_stores_the_rows_of_an_uninterrupted_one(trained, tmp_path):
    whole = _copy(trained, tmp_path / "whole")
    run_tournament(whole, log=lambda message: None)
    expected = _rows(whole)
    keys = list(dict.fromkeys(key for key, *_ in expected))
    assert len(keys) >= 6 and {key.split("/")[0] for key in keys} == {"board2", "board3"}

    part = _copy(trained, tmp_path / "part")
    process = _start(f"from sweeps.tournament import run_tournament; run_tournament({str(part)!r})")
    deadline = time.monotonic() + 240
    while _batches(part) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, f"the tournament ended before the kill: {process.stderr.read()}"
    process.send_signal(signal.SIGKILL)
    process.wait()
    stored = _batches(part)
    assert 3 <= stored < len(keys)
    # The resume, in a fresh process as after a real kill (nothing of the earlier runs in memory).
    resume = _start(f"from sweeps.tournament import run_tournament; run_tournament({str(part)!r})")
    assert resume.wait(timeout=240) == 0, resume.stderr.read()
    assert _rows(part) == expected


def test_a_batch_played_twice_is_stored_once_by_the_driver(trained, tmp_path):
    """As a Ray task retried after it finished: play_batch only reads, the driver stores twice."""
    from sweeps.tournament import play_batch

    folder = _copy(trained, tmp_path / "sweep")
    run_tournament(folder, max_batches=1, log=lambda message: None)
    before = _rows(folder)
    with Store.open(folder / STORE_FILENAME) as store:
        pairs, _ = next_pairs(store, 2, spec_from_dict(SPEC).tournament, 1.0, 12)
        number = store.batch_count(2)
    mtime = (folder / STORE_FILENAME).stat().st_mtime_ns
    batch = play_batch(folder, 2, number, pairs, 2)
    again = play_batch(folder, 2, number, pairs, 2)
    assert batch == again  # same key, same games
    assert (folder / STORE_FILENAME).stat().st_mtime_ns == mtime  # workers never write
    with Store.open(folder / STORE_FILENAME) as store:
        assert store.add_batch(batch["key"], 2, number, batch["rows"])
        assert not store.add_batch(again["key"], 2, number, again["rows"])
    assert _rows(folder) == before + [(batch["key"], *row) for row in batch["rows"]]


def test_snapshot_files_are_read_once_per_process_while_unchanged(trained, tmp_path, monkeypatch):
    from alphazero import agents as agents_module
    from sweeps import tournament

    folder = _copy(trained, tmp_path / "sweep")
    reads = []
    real = agents_module.load_agent
    monkeypatch.setattr(
        agents_module, "load_agent", lambda *a, **k: reads.append(a) or real(*a, **k)
    )
    monkeypatch.setattr(tournament, "_SNAPSHOT_AGENTS", collections.OrderedDict())
    run_tournament(folder, max_batches=3, log=lambda message: None)
    files = [str(args[0]) for args in reads]
    assert len(files) == len(set(files)) == 2  # two snapshots, each read once for all batches
    assert _batches(folder) >= 4
    # A snapshot rewritten in place (new mtime or size) is read again, else never.
    snapshot = Path(files[0])
    tournament._snapshot_agent(snapshot, "again", 0, False)
    assert len(reads) == 2
    snapshot.write_bytes(snapshot.read_bytes())
    os.utime(snapshot, ns=(time.time_ns(), time.time_ns() + 10**9))
    agent = tournament._snapshot_agent(snapshot, "again", 0, False)
    assert len(reads) == 3 and agent.name == "again" and agent.simulations == 0
    assert len(tournament._SNAPSHOT_AGENTS) == 2  # the stale entry was replaced
    monkeypatch.setattr(tournament, "SNAPSHOT_CACHE_SIZE", 1)  # the least recently used go
    tournament._SNAPSHOT_AGENTS.clear()
    for file in files:
        tournament._snapshot_agent(Path(file), "other", 2, False)
    assert [key[0] for key in tournament._SNAPSHOT_AGENTS] == [str(Path(files[1]).resolve())]


def test_two_tournaments_or_trainers_on_one_folder_fail_naming_the_holder(trained, tmp_path):
    import socket

    from sweeps.runner import run_dir

    folder = _copy(trained, tmp_path / "sweep")
    plan = spec_from_dict(SPEC).runs()[0]
    lock = run_dir(folder, plan.name) / ".lock"
    for what, target in (("tournament", None), ("train", lock)):
        hold = (
            f"from sweeps.runner import store_lock; import time\n"
            f"with store_lock({str(folder)!r}, 'tournament'):\n    print('held', flush=True); time.sleep(60)"
            if target is None
            else f"from alphazero.checkpoint import exclusive; import time\n"
            f"with exclusive({str(target)!r}, 'x'):\n    print('held', flush=True); time.sleep(60)"
        )
        process = subprocess.Popen(
            [sys.executable, "-c", hold], cwd=ROOT, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        try:
            assert process.stdout.readline().strip() == "held"
            if what == "tournament":
                with pytest.raises(LockHeld) as error:
                    run_tournament(folder, log=lambda message: None)
            else:
                from alphazero.training import train

                with pytest.raises(LockHeld) as error:
                    train(plan.config, run_dir(folder, plan.name))
            message = str(error.value)
            assert f"pid {process.pid} on {socket.gethostname()}" in message
            assert "\n" not in message
        finally:
            process.kill()  # a killed holder releases the lock
            process.wait()
        with exclusive(target or folder / f".{STORE_FILENAME}.tournament.lock", "x"):
            pass
    with store_lock(folder, "tournament"):
        assert cli(["tournament", str(folder)]) == 2


def _lopsided_store(path):
    """Three reference players on board 3 whose results put every predicted score of a
    neighbour pair outside the default window 0.05-0.95, with standard errors far above 1 Elo."""
    with Store.open(path) as store:
        a = store.add_agent("random-3", "random", 3)
        b = store.add_agent("mcts8-3", "mcts", 3, 8)
        c = store.add_agent("solver-3", "solver", 3)
        store.add_matches([(b, a, 40, 0), (a, b, 0, 40), (c, b, 40, 0), (b, c, 0, 40)])
    return a, b, c


def test_a_board_whose_pairs_leave_the_window_widens_it_or_says_why(tmp_path, monkeypatch):
    from analysis import schedule
    from sweeps.spec import TournamentSpec

    settings = TournamentSpec(games_per_pairing=8, pairs_per_batch=2, mcts_simulations=(8,))
    _lopsided_store(tmp_path / STORE_FILENAME)
    with Store.open(tmp_path / STORE_FILENAME) as store:
        pairs, status = next_pairs(store, 3, settings, 1.0, 10_000)
        assert status["max_se"] > 1.0 and len(pairs) > 0
        assert "window widened" in status["phase"]
        # --games-per-batch reaches the pair choice.
        seen = []
        real = schedule.adaptive_pairs
        monkeypatch.setattr(
            schedule,
            "adaptive_pairs",
            lambda *a, **k: seen.append(k["games_per_pair"]) or real(*a, **k),
        )
        next_pairs(store, 3, settings, 1.0, 10_000, games_per_pairing=2)
        assert seen and set(seen) == {2}
        # When no window holds a pair, the board stops and says why.
        monkeypatch.setattr(schedule, "adaptive_pairs", lambda *a, **k: np.zeros((0, 2), np.int64))
        pairs, status = next_pairs(store, 3, settings, 1.0, 10_000)
        assert pairs == [] and "above the target" in status["stopped"]


def test_read_only_sweep_status_and_elo_work_and_writes_say_read_only(
    trained, tmp_path, capsys, monkeypatch
):
    folder = _copy(trained, tmp_path / "sweep")
    run_tournament(folder, max_batches=2, log=lambda message: None)
    real_access = os.access
    # A read-only file system refuses writes even to root; os.access says so there.
    monkeypatch.setattr(
        os, "access", lambda p, mode, **k: False if mode & os.W_OK else real_access(p, mode, **k)
    )
    assert cli(["status", str(folder)]) == 0
    assert "tournament board 2" in capsys.readouterr().out
    assert cli(["elo", str(folder), "--format", "json"]) == 0
    capsys.readouterr()
    assert cli(["tournament", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and len(err.strip().splitlines()) == 1
