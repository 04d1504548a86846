"""Bad input through the whole command line, as a user would type it.

Every case runs `sweeps.cli.main` in-process on a command line that is wrong somewhere: a value
(out of range, not a number, not finite, negative), a file it reads (missing, a directory, empty,
truncated, corrupt, of another kind) or a folder it writes to. Each must end with a nonzero exit
status and exactly one line on stderr that names the offending argument, file or setting, with no
traceback, and must leave every file that was there as it was. None of them trains or plays:
each is rejected before any work starts, so the whole file runs in seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from sweeps.cli import main

TINY_SPEC = """
name = "tiny"
seeds = [0]
test_simulations = [0, 2]

[train.search]
num_simulations = 2

[train.selfplay]
num_envs = 16
steps_per_iteration = 2

[train.learner]
batch_size = 32
buffer_steps = 12

[train.snapshots]
count = 3

[[boards]]
size = 2
widths = [2]
depths = [1]
budget = 2e6
first_snapshot = 1e5

[tournament]
games_per_pairing = 8
pairs_per_batch = 16
target_se = 150.0
budget_games = 400
mcts_simulations = [4]
"""

MATCHES = "first,second,first_wins,second_wins\nalpha,beta,3,1\nbeta,alpha,2,2\n"
AGENTS = "board_size,train_flops,test_flops,elo\n3,1e6,10,0\n3,1e7,10,100\n"


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> Path:
    """A folder of inputs, good and bad, shared by every case (none of them may change it)."""
    from analysis.store import STORE_FILENAME, Store
    from sweeps.spec import save_spec, spec_from_dict

    root = tmp_path_factory.mktemp("bad-input")
    _write(root / "spec.toml", TINY_SPEC)
    _write(root / "config.toml", "board_size = 3\n")
    _write(root / "unknown-key.toml", "board_size = 3\ncolour = 'red'\n")
    _write(root / "broken.toml", "board_size = = 3\n")
    _write(root / "budget-inf.toml", "budget = inf\n")
    _write(root / "wrong-type.toml", "board_size = 'three'\n")
    _write(root / "spec-bad-board.toml", TINY_SPEC.replace("size = 2", "size = 0"))
    _write(root / "spec-inf-budget.toml", TINY_SPEC.replace("budget = 2e6", "budget = inf"))
    _write(root / "matches.csv", MATCHES)
    _write(root / "huge.csv", MATCHES + "alpha,beta,99999999999999999999999,1\n")
    _write(root / "negative.csv", MATCHES + "alpha,beta,-3,1\n")
    _write(root / "fraction.csv", MATCHES + "alpha,beta,1.5,1\n")
    _write(root / "header.csv", "a,b,c,d\nalpha,beta,3,1\n")
    _write(root / "empty.csv", "")
    _write(root / "binary.csv", b"\xff\xfe\x00\x81garbage\x00\n")
    _write(root / "agents.csv", AGENTS)
    _write(root / "agents-header.csv", "board,flops\n3,1e6\n")
    _write(root / "agents-text.csv", AGENTS + "three,1e6,10,0\n")
    _write(root / "agents-inf.csv", AGENTS + "3,inf,10,0\n")
    _write(root / "a-file.txt", "not a folder\n")
    (root / "a-folder").mkdir()
    (root / "a-folder.toml").mkdir()  # a "spec" that is a directory
    _write(root / "corrupt.ckpt", os.urandom(256))
    _write(root / "empty.ckpt", b"")

    # A sweep folder with a valid store: one run, one snapshot, two agents and their matches.
    sweep = root / "sweep"
    save_spec(spec_from_dict(__import__("tomllib").loads(TINY_SPEC)), sweep)
    with Store.open(sweep / STORE_FILENAME) as store:
        run = store.add_run("r0", 2, "mlp", 2, 1, 0, 10)
        snapshot = store.add_snapshot(run, 0, 1e5, 2e5, 100, 10, 1.0, "runs/r0/x.ckpt")
        first = store.add_agent("r0-0@0", "snapshot", 2, 0, snapshot)
        second = store.add_agent("random-2", "random", 2)
        store.add_matches([(first, second, 3, 1), (second, first, 2, 2)])
    good_store = (sweep / STORE_FILENAME).read_bytes()

    # Sweep folders whose store is broken in the ways a disk or a user breaks one.
    for name, content in {
        "store-text": b"this is not a database\n",
        "store-empty": b"",
        "store-truncated": good_store[: len(good_store) // 3],
        "store-garbage": good_store[:100] + os.urandom(4096),
    }.items():
        shutil.copytree(sweep, root / name)
        _write(root / name / STORE_FILENAME, content)
    other = root / "store-other"
    shutil.copytree(sweep, other)
    (other / STORE_FILENAME).unlink()
    connection = sqlite3.connect(other / STORE_FILENAME)
    connection.execute("CREATE TABLE things (x)")
    connection.commit()
    connection.close()
    # A sweep folder whose spec is damaged.
    shutil.copytree(sweep, root / "spec-damaged")
    _write(root / "spec-damaged" / "sweep.json", '{"name": "tiny", "boa')
    shutil.copytree(sweep, root / "spec-wrong")
    _write(root / "spec-wrong" / "sweep.json", json.dumps({"name": "tiny", "colour": "red"}))
    return root


def _state(root: Path) -> dict[str, str]:
    """Every file under ``root`` (SQLite's transient -wal/-shm files aside) with its digest."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.endswith(("-wal", "-shm")):
            files[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


# (command line with {d} for the inputs folder, text the error line must contain)
CASES = [
    # train: the budget
    ("train --out {d}/new-run --budget inf", "--budget"),
    ("train --out {d}/new-run --budget 1e400", "--budget"),
    ("train --out {d}/new-run --budget nan", "--budget"),
    ("train --out {d}/new-run --budget -1e9", "--budget"),
    ("train --out {d}/new-run --budget -5", "--budget"),
    ("train --out {d}/new-run --budget 1e30", "--budget"),
    ("train --out {d}/new-run --budget lots", "--budget"),
    ("train --out {d}/new-run --budget -inf", "--budget"),
    ("train --out {d}/new-run --board 16 --set learner.buffer_steps=300", "default budget"),
    ("train --out {d}/new-run --config {d}/budget-inf.toml", "budget"),
    ("train --out {d}/new-run --set budget=inf", "budget"),
    ("train --out {d}/new-run --set budget=nan", "budget"),
    # train: other values
    ("train --out {d}/new-run --board 0", "board"),
    ("train --out {d}/new-run --board 1", "board"),
    ("train --out {d}/new-run --board 1000000", "board"),
    ("train --out {d}/new-run --board -3", "board"),
    ("train --out {d}/new-run --board 3.5", "--board"),
    ("train --out {d}/new-run --width 0", "width"),
    ("train --out {d}/new-run --width -4", "width"),
    ("train --out {d}/new-run --depth -1", "depth"),
    ("train --out {d}/new-run --simulations -1", "simulations"),
    ("train --out {d}/new-run --simulations many", "--simulations"),
    ("train --out {d}/new-run --seed one", "--seed"),
    ("train --out {d}/new-run --set colour=red", "colour"),
    ("train --out {d}/new-run --set learner.batch_size=abc", "batch_size"),
    ("train --out {d}/new-run --set learner.batch_size=0", "batch_size"),
    ("train --out {d}/new-run --set search.algorithm=alphabeta", "search.algorithm"),
    ("train --out {d}/new-run --set selfplay.num_envs=-1", "num_envs"),
    ("train --out {d}/new-run --set nonsense", "--set"),
    # train: the files it reads and writes
    ("train --out {d}/new-run --config {d}/missing.toml", "missing.toml"),
    ("train --out {d}/new-run --config {d}/a-folder", "a-folder"),
    ("train --out {d}/new-run --config {d}/broken.toml", "broken.toml"),
    ("train --out {d}/new-run --config {d}/unknown-key.toml", "colour"),
    ("train --out {d}/new-run --config {d}/wrong-type.toml", "board_size"),
    ("train --out {d}/new-run --config {d}/corrupt.ckpt", "corrupt.ckpt"),
    ("train --out {d}/a-file.txt --board 3", "--out"),
    ("train --out {d}/a-file.txt/run --board 3", "--out"),
    # sweep
    ("sweep {d}/a-folder.toml --out {d}/new-sweep", "a-folder.toml"),
    ("sweep {d}/missing.toml --out {d}/new-sweep", "missing.toml"),
    ("sweep {d}/broken.toml --out {d}/new-sweep", "broken.toml"),
    ("sweep {d}/corrupt.ckpt --out {d}/new-sweep", "corrupt.ckpt"),
    ("sweep {d}/spec-bad-board.toml --out {d}/new-sweep", "size"),
    ("sweep {d}/spec-inf-budget.toml --out {d}/new-sweep", "budget"),
    ("sweep {d}/spec.toml --out {d}/a-file.txt", "--out"),
    ("sweep {d}/spec.toml --out {d}/new-sweep --backend cloud", "--backend"),
    ("sweep {d}/spec.toml --out {d}/new-sweep --only everything", "--only"),
    ("sweep nopreset --out {d}/new-sweep", "nopreset"),
    # status
    ("status {d}/missing-sweep", "missing-sweep"),
    ("status {d}/a-file.txt", "a-file.txt"),
    ("status {d}/a-folder", "a-folder"),
    ("status {d}/spec-damaged", "sweep.json"),
    ("status {d}/spec-wrong", "colour"),
    ("status {d}/store-text", "results.sqlite"),
    ("status {d}/store-empty", "results.sqlite"),
    ("status {d}/store-truncated", "results.sqlite"),
    ("status {d}/store-garbage", "results.sqlite"),
    ("status {d}/store-other", "results.sqlite"),
    # elo
    ("elo", "--matches"),
    ("elo {d}/sweep --matches {d}/matches.csv", "--matches"),
    ("elo --matches {d}/huge.csv", "huge.csv"),
    ("elo --matches {d}/negative.csv", "negative.csv"),
    ("elo --matches {d}/fraction.csv", "fraction.csv"),
    ("elo --matches {d}/header.csv", "header.csv"),
    ("elo --matches {d}/empty.csv", "empty.csv"),
    ("elo --matches {d}/binary.csv", "binary.csv"),
    ("elo --matches {d}/missing.csv", "missing.csv"),
    ("elo --matches {d}/a-folder", "a-folder"),
    ("elo --matches {d}/matches.csv --anchor nobody", "nobody"),
    ("elo --matches {d}/matches.csv --board 3", "--board"),
    ("elo --matches {d}/matches.csv --format xml", "--format"),
    ("elo {d}/sweep --board 9", "--board"),
    ("elo {d}/sweep --board two", "--board"),
    ("elo {d}/missing-sweep", "missing-sweep"),
    ("elo {d}/a-folder", "a-folder"),
    ("elo {d}/store-text", "results.sqlite"),
    ("elo {d}/store-empty", "results.sqlite"),
    ("elo {d}/store-truncated", "results.sqlite"),
    ("elo {d}/store-garbage", "results.sqlite"),
    ("elo {d}/store-other", "results.sqlite"),
    # analyze
    ("analyze", "--agents"),
    ("analyze {d}/missing-sweep", "missing-sweep"),
    ("analyze {d}/a-file.txt", "a-file.txt"),
    ("analyze {d}/store-text", "results.sqlite"),
    ("analyze {d}/store-truncated", "results.sqlite"),
    ("analyze {d}/store-other", "results.sqlite"),
    ("analyze --agents {d}/missing.csv", "missing.csv"),
    ("analyze --agents {d}/a-folder", "a-folder"),
    ("analyze --agents {d}/agents-header.csv", "agents-header.csv"),
    ("analyze --agents {d}/agents-text.csv", "agents-text.csv"),
    ("analyze --agents {d}/agents-inf.csv", "agents-inf.csv"),
    ("analyze --agents {d}/binary.csv", "binary.csv"),
    ("analyze --agents {d}/agents.csv --bootstrap -1", "--bootstrap"),
    ("analyze --agents {d}/agents.csv --bootstrap many", "--bootstrap"),
    ("analyze --agents {d}/agents.csv --simulations -1", "--simulations"),
    ("analyze --agents {d}/agents.csv --out {d}/a-file.txt", "--out"),
    # tournament
    ("tournament {d}/missing-sweep", "missing-sweep"),
    ("tournament {d}/a-file.txt", "a-file.txt"),
    ("tournament {d}/sweep --games-per-batch 3", "games"),
    ("tournament {d}/sweep --games-per-batch -2", "games"),
    ("tournament {d}/sweep --budget -5", "--budget"),
    ("tournament {d}/sweep --target-se -1", "--target-se"),
    ("tournament {d}/sweep --target-se nan", "--target-se"),
    ("tournament {d}/sweep --backend cloud", "--backend"),
    ("tournament {d}/store-truncated", "results.sqlite"),
    # presets
    ("presets --show nope", "nope"),
    # show
    ("show --board 0 --out {d}/new.png", "board"),
    ("show --board 1000 --out {d}/new.png", "board"),
    ("show --board 4 --out {d}/new.jpg", "--out"),
    ("show --board 4 --out {d}/a-folder", "--out"),
    ("show --board 4 --out {d}/missing-folder/new.png", "--out"),
    ("show --board 4 --moves zz9 --out {d}/new.png", "--moves"),
    ("show --board 4 --moves 'b2 b2' --out {d}/new.png", "--moves"),
    ("show --board 4 --agent {d}/missing.ckpt --out {d}/new.png", "missing.ckpt"),
    ("show --board 4 --agent {d}/corrupt.ckpt --out {d}/new.png", "corrupt.ckpt"),
    ("show --board 4 --agent {d}/empty.ckpt --out {d}/new.png", "empty.ckpt"),
    ("show --board 4 --agent {d}/a-folder --out {d}/new.png", "a-folder"),
    ("show --board 4 --agent random --simulations -1 --out {d}/new.png", "--simulations"),
    ("show --board c4-4x5 --out {d}/new.png", "--board"),
    ("show --board c4-4x5-3 --moves 'c c c c c' --out {d}/new.png", "--moves"),
    ("show --board c4-4x5-3 --moves b2 --out {d}/new.png", "--moves"),
    # play
    ("play --board 0 --agent random", "board"),
    ("play --board 99 --agent solver", "board"),
    ("play --board 3 --color red", "--color"),
    ("play --board 3 --agent {d}/corrupt.ckpt", "corrupt.ckpt"),
    ("play --board 3 --agent {d}/missing.ckpt", "missing.ckpt"),
    ("play --board 3 --agent random --simulations -1", "--simulations"),
    # the command itself
    ("nosuchcommand", "nosuchcommand"),
    ("train", "--out"),
]


class TookTooLong(BaseException):
    """Raised by the alarm: not an Exception, so no handler in the CLI can swallow it."""


def _argv(line: str, root: Path) -> list[str]:
    import shlex

    return shlex.split(line.format(d=root))


@pytest.mark.parametrize("line, needle", CASES, ids=[line for line, _ in CASES])
def test_bad_input_is_one_clean_line(place, line, needle, capsys, monkeypatch):
    monkeypatch.delenv("BOARDSCALE_DEBUG", raising=False)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(""))
    before = _state(place)

    def took_too_long(signum, frame):
        raise TookTooLong("the command started working instead of rejecting its input")

    previous = signal.signal(signal.SIGALRM, took_too_long)
    signal.alarm(60)
    try:
        status = main(_argv(line, place))
    except SystemExit as exit:
        status = exit.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    captured = capsys.readouterr()
    errors = [text for text in captured.err.splitlines() if text.strip()]
    assert status not in (0, None), f"accepted: {captured.out[-300:]}"
    assert len(errors) == 1, captured.err
    assert "Traceback" not in captured.err
    assert needle in errors[0], errors[0]
    created = [place / "new-run", place / "new-sweep", *place.glob("new.*")]
    created = [path for path in created if path.exists()]
    for path in created:  # so that one failure does not fail the cases after it
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    assert _state(place) == before, "a file changed"
    assert not created, f"created {created}"


def test_unreachable_budgets_are_refused_with_the_time_they_would_take(tmp_path, capsys):
    from sweeps.commands.train import (
        GENEROUS_FLOPS_PER_SECOND,
        MAX_BUDGET_SECONDS,
        check_budget_value,
    )

    assert main(["train", "--out", str(tmp_path / "run"), "--budget", "3.2e23"]) == 2
    error = capsys.readouterr().err
    assert "could not finish" in error and "about 10.1 years" in error and "1e+15 FLOPs/s" in error
    assert not (tmp_path / "run").exists()
    largest = GENEROUS_FLOPS_PER_SECOND * MAX_BUDGET_SECONDS
    check_budget_value(1e17)  # Jones's largest budget (9x9)
    check_budget_value(largest)
    with pytest.raises(ValueError, match="could not finish"):
        check_budget_value(largest * 1.01)


def test_negative_numbers_parse_as_values(capsys):
    """``--budget -1e9`` is a value to reject, not an unknown option."""
    from sweeps.cli import build_parser

    args = build_parser().parse_args(["train", "--out", "x", "--budget", "-1e9", "--seed", "-2"])
    assert args.budget == -1e9 and args.seed == -2


def test_sweeps_names_its_public_surface():
    import sweeps

    for name in sweeps.__all__:
        assert callable(getattr(sweeps, name)), name
    with pytest.raises(AttributeError):
        sweeps.not_a_thing  # noqa: B018
    assert "sweeps.cli" in sys.modules
