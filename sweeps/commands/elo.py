"""`boardscale elo`: fit Elo ratings to match results and print them.

    boardscale elo --matches FILE.csv [--format table|json|csv] [--anchor NAME]
    boardscale elo SWEEP_DIR [--board N] [--format table|json|csv] [--anchor NAME]

The CSV has the header `first,second,first_wins,second_wins` (agent names, `first` moved first)
and an optional `draws` column (games with no winner; each counts as half a win for each side).
A sweep folder is read through its results store; each board size gets its own fit (all boards
unless `--board` picks one). Ratings are anchored on the random player when there is one (or on
`--anchor`), else centred on their mean. See `analysis.elo` for the model.

Formats (agents sorted by Elo, best first):
  table  aligned text for people, one block per board, ending with the first-mover advantage.
  json   a list of objects, one per agent: agent, elo, elo_se, elo_vs_best, games, wins, draws,
         first_move_advantage_elo, first_move_advantage_se (the fit's first-mover advantage,
         repeated on each object of its board), anchor (the anchor's name or null), and
         board_size for a sweep (Hex's integer size or a label such as "c4-4x5-3"). Numbers are
         in Elo.
  csv    the same fields as json, one row per agent, with a header row.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

from analysis.elo import AUTO_ANCHOR, Ratings, fit_elo
from analysis.elo_io import rate_store, read_matches_csv
from analysis.store import STORE_FILENAME, Store, board_name

HELP = "fit Elo ratings (Bradley-Terry with a first-mover term) to match results and print them"

FORMATS = ("table", "json", "csv")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "sweep_dir",
        nargs="?",
        metavar="SWEEP_DIR",
        help=f"a sweep folder holding {STORE_FILENAME} (or the store file itself)",
    )
    parser.add_argument(
        "--matches",
        metavar="FILE.csv",
        help="a CSV of match totals with header first,second,first_wins,second_wins[,draws]",
    )
    parser.add_argument(
        "--board",
        type=_board,
        metavar="BOARD",
        help="rate only this board: Hex's size N or a label such as c4-4x5-3 (sweeps only)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )
    parser.add_argument(
        "--anchor",
        metavar="NAME",
        help="agent rated 0 Elo (default: the random player if present, else the mean is 0)",
    )


def _read_matches(path: str):
    """`read_matches_csv` with the errors it lets through (a file that is not UTF-8 text, a count
    beyond int64) turned into one line naming --matches and the file."""
    if Path(path).is_dir():
        raise ValueError(f"--matches {path} is a folder, not a CSV file")
    try:
        return read_matches_csv(path)
    except UnicodeDecodeError:
        raise ValueError(f"--matches {path} is not a CSV file (not UTF-8 text)") from None
    except OverflowError:
        raise ValueError(
            f"--matches {path}: a win count is too large (at most {np.iinfo(np.int64).max})"
        ) from None


def _fits(args: argparse.Namespace) -> list[tuple[int | None, Ratings]]:
    anchor_options = {} if args.anchor is None else {"anchor": args.anchor}
    if (args.matches is None) == (args.sweep_dir is None):
        raise ValueError("give either --matches FILE.csv or SWEEP_DIR (exactly one)")
    if args.matches is not None:
        if args.board is not None:
            raise ValueError("--board applies to a sweep folder, not to --matches")
        matches = _read_matches(args.matches)
        return [(None, fit_elo(matches, anchor=anchor_options.get("anchor", AUTO_ANCHOR)))]

    path = Path(args.sweep_dir)
    if path.is_dir():
        path = path / STORE_FILENAME
    if not path.exists():
        raise FileNotFoundError(f"no results store at {path}")
    results = []
    with Store.open(path, create=False) as store:
        boards = store.board_sizes()
        if args.board is not None:
            if args.board not in boards:
                known = ", ".join(str(board) for board in boards) or "none"
                raise ValueError(f"--board {args.board}: no agents of that size (boards: {known})")
            boards = [args.board]
        for board in boards:
            if args.board is None and len(store.match_totals(board)["first_agent"]) == 0:
                continue
            results.append((board, rate_store(store, board, **anchor_options)))
    if not results:
        raise ValueError(f"no matches to rate in {path}")
    return results


def _board(text: str) -> int | str:
    text = text.strip()
    return int(text) if text.isdigit() else text


def _records(fits: list[tuple[int | None, Ratings]]) -> list[dict]:
    records = []
    for board, ratings in fits:
        for index in np.argsort(-ratings.elo, kind="stable").tolist():
            record = {} if board is None else {"board_size": board}
            agent = ratings.agents.tolist()[index]
            record.update(
                agent=agent,
                elo=float(ratings.elo[index]),
                elo_se=float(ratings.elo_se[index]),
                elo_vs_best=float(ratings.elo_vs_best[index]),
                games=int(ratings.games[index]),
                wins=int(ratings.wins[index]),
                draws=int(ratings.draws[index]),
                first_move_advantage_elo=float(ratings.first_move_advantage),
                first_move_advantage_se=float(ratings.first_move_advantage_se),
                anchor=ratings.anchor,
            )
            records.append(record)
    return records


def _print_table(fits: list[tuple[int | None, Ratings]]) -> None:
    for position, (board, ratings) in enumerate(fits):
        if position:
            print()
        if board is not None:
            print(f"board {board_name(board)}: {len(ratings)} agents")
        header = ("rank", "agent", "elo", "± se", "vs best", "games", "wins", "draws")
        rows = []
        for rank, index in enumerate(np.argsort(-ratings.elo, kind="stable").tolist(), 1):
            rows.append(
                (
                    str(rank),
                    str(ratings.agents.tolist()[index]),
                    f"{ratings.elo[index]:.1f}",
                    f"{ratings.elo_se[index]:.1f}",
                    f"{ratings.elo_vs_best[index]:.1f}",
                    str(ratings.games[index]),
                    str(ratings.wins[index]),
                    str(ratings.draws[index]),
                )
            )
        widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
        for row in [header, *rows]:
            cells = [
                cell.ljust(width) if column == 1 else cell.rjust(width)
                for column, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            print("  ".join(cells).rstrip())
        anchor = (
            f"anchor: {ratings.anchor} (0 Elo)"
            if ratings.anchor is not None
            else "ratings centred on mean 0"
        )
        print(
            f"first-mover advantage: {ratings.first_move_advantage:+.1f} ± "
            f"{ratings.first_move_advantage_se:.1f} Elo; {anchor}"
        )


def run(args: argparse.Namespace) -> int:
    fits = _fits(args)
    if args.format == "table":
        _print_table(fits)
    elif args.format == "json":
        print(json.dumps(_records(fits), indent=2))
    else:
        records = _records(fits)
        writer = csv.DictWriter(sys.stdout, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow({key: "" if value is None else value for key, value in record.items()})
    return 0
