"""Columnar tables: `dict[str, numpy.ndarray]`, every column one-dimensional and the same length.

Text columns are numpy object arrays of Python `str`; numeric columns are `float64` or `int64`.
CSV files are read with a declared schema (which columns must be there, which are numeric) so a
malformed row is reported with its file and line number instead of surfacing later as a NaN.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from boardscale_core.files import atomic_output

Table = dict[str, np.ndarray]

_PARSERS = {str: "text", float: "number", int: "integer"}


def num_rows(table: Mapping[str, np.ndarray]) -> int:
    """Number of rows of `table`; raises ValueError if its columns differ in length or rank."""
    lengths = set()
    for name, column in table.items():
        column = np.asarray(column)
        if column.ndim != 1:
            raise ValueError(f"column {name!r} must be one-dimensional, got shape {column.shape}")
        lengths.add(len(column))
    if len(lengths) > 1:
        raise ValueError(f"table columns differ in length: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def select_rows(table: Mapping[str, np.ndarray], rows: np.ndarray | Sequence[int]) -> Table:
    """The rows of `table` picked by `rows` (a boolean mask [N] or integer indices [K])."""
    rows = np.asarray(rows)
    return {name: np.asarray(column)[rows] for name, column in table.items()}


def _parse(text: str, kind: str, where: str, column: str) -> object:
    if kind == "text":
        return text
    stripped = text.strip()
    try:
        value = float(stripped)
    except ValueError:
        raise ValueError(f"{where}: column {column!r}: {text!r} is not a number") from None
    if kind == "integer":
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"{where}: column {column!r}: {text!r} is not an integer")
        return int(value)
    return value


def read_csv(
    path: str | os.PathLike,
    required: Sequence[str],
    optional: Sequence[str] = (),
    *,
    types: Mapping[str, type] | None = None,
) -> Table:
    """Read a CSV file with a header row into a table.

    Args:
      path: the file; its first row names the columns (surrounding spaces are ignored).
      required: columns that must be in the header.
      optional: columns read when present and left out of the result when absent.
      types: column name -> `str` (default), `float` (float64) or `int` (int64, accepting "3" and
        "3.0" but not "3.5"). Blank lines are skipped; other columns in the file are ignored.

    Returns:
      {column: array [N]} for the required columns and the optional ones present, in file order.

    Raises:
      ValueError naming the file (and line number) for a missing header column, a row with the
      wrong number of fields, or a value that does not parse.
    """
    path = Path(path)
    types = dict(types or {})
    for name, kind in types.items():
        if kind not in _PARSERS:
            raise ValueError(f"type for column {name!r} must be str, float or int, got {kind!r}")
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        while header is not None and not any(field.strip() for field in header):
            header = next(reader, None)
        if header is None:
            expected = ", ".join(required)
            raise ValueError(f"{path.name}: empty file; expected a header with {expected}")
        header = [field.strip() for field in header]
        missing = [name for name in required if name not in header]
        if missing:
            raise ValueError(
                f"{path.name}: header lacks column(s) {', '.join(missing)} "
                f"(found: {', '.join(header)})"
            )
        wanted = list(required) + [name for name in optional if name in header]
        positions = [header.index(name) for name in wanted]
        kinds = [_PARSERS[types.get(name, str)] for name in wanted]
        columns: list[list[object]] = [[] for _ in wanted]
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            where = f"{path.name} line {reader.line_num}"
            if len(fields) != len(header):
                raise ValueError(f"{where}: expected {len(header)} fields, got {len(fields)}")
            for values, position, kind, name in zip(columns, positions, kinds, wanted, strict=True):
                values.append(_parse(fields[position], kind, where, name))
    dtypes = {"text": object, "number": np.float64, "integer": np.int64}
    return {
        name: np.array(values, dtype=dtypes[kind])
        for name, values, kind in zip(wanted, columns, kinds, strict=True)
    }


def write_csv(path: str | os.PathLike, table: Mapping[str, Iterable]) -> None:
    """Write `table` (columns of equal length) as CSV with a header row, atomically.

    The file is written to a temporary file in the same folder and moved into place, so readers
    see either the old file or the whole new one, never a partial write.
    """
    path = Path(path)
    columns = {name: np.asarray(values) for name, values in table.items()}
    rows = num_rows(columns)
    with atomic_output(path, "w", make_parents=False, newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(columns))
        lists = [column.tolist() for column in columns.values()]
        for row in range(rows):
            writer.writerow([values[row] for values in lists])
