"""The committed Hex study (results/hex-study) regenerates its report and figures exactly.

`boardscale analyze results/hex-study` refits everything from the committed store (Elo from the
match rows, the frontier and exchange fits, the bootstrap with its fixed seed) and redraws every
figure; the result must equal the committed analysis byte for byte.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from sweeps.cli import main as cli

STUDY = Path(__file__).resolve().parents[1] / "results" / "hex-study"
ALGORITHMS = STUDY.parent / "algorithms-study"
CONNECT_FOUR = STUDY.parent / "connect-four-study"


def _files(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def _regenerates_exactly(study: Path, tmp_path, monkeypatch, *options: str) -> None:
    """``analyze results/<study> [options]`` into a fresh folder writes the committed analysis
    folder's files, every one byte for byte."""
    committed = study / "analysis"
    assert (committed / "report.json").exists(), f"{committed} is missing"
    monkeypatch.chdir(study.parents[1])  # the report names the study by the path it was given
    out = tmp_path / "analysis"
    assert cli(["analyze", f"results/{study.name}", *options, "--out", str(out)]) == 0
    assert _files(out) == _files(committed)
    different = [
        name for name in _files(committed) if not filecmp.cmp(out / name, committed / name, False)
    ]
    assert different == [], f"regenerated files differ from the committed ones: {different}"


def test_the_committed_study_regenerates_its_analysis_exactly(tmp_path, monkeypatch):
    _regenerates_exactly(STUDY, tmp_path, monkeypatch)


def test_status_counts_the_committed_runs_done_from_their_snapshots(capsys):
    """The committed runs have no resume files: status reads them as done from their snapshots."""
    assert cli(["status", str(STUDY)]) == 0
    out = capsys.readouterr().out
    assert "27 runs: 27 done, 0 started, 0 missing" in out
    assert "hex5-mlp-64x1-s2  done     snapshots 16/16 compute 6.00e+10 / 6.00e+10 FLOPs" in out


@pytest.mark.slow
def test_the_committed_algorithms_study_regenerates_its_groups_exactly(tmp_path, monkeypatch):
    """`analyze results/algorithms-study --by search` rewrites the committed per-search analysis
    (groups.json/md, the comparison figure, one report per search) byte for byte (about a
    minute)."""
    assert (ALGORITHMS / "analysis" / "groups.json").exists()
    _regenerates_exactly(ALGORITHMS, tmp_path, monkeypatch, "--by", "search")


@pytest.mark.slow
def test_the_committed_connect_four_study_regenerates_its_analysis_exactly(tmp_path, monkeypatch):
    _regenerates_exactly(CONNECT_FOUR, tmp_path, monkeypatch)


def test_the_committed_tables_hold_every_game_and_agent():
    """analysis/matches.csv sums to the games the README states; agents.csv has every agent."""
    import csv

    for study, games, agents in ((STUDY, 717_984, 3032), (CONNECT_FOUR, 108_960, 725)):
        with open(study / "analysis" / "matches.csv", newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert (
            sum(int(r["first_wins"]) + int(r["second_wins"]) + int(r["draws"]) for r in rows)
            == games
        )
        with open(study / "analysis" / "agents.csv", newline="", encoding="utf-8") as handle:
            assert sum(1 for _ in csv.DictReader(handle)) == agents
