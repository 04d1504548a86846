"""Atomic file writing, the one implementation every package uses.

A file is written to a temporary file in the same folder, flushed to disk and renamed over the
target, so readers (and a process killed mid-write) see either the old file or the whole new one,
never a mix; a failed write leaves no temporary behind. The new file keeps the mode of the file it
replaces, or gets an ordinary file's 0644 (not `mkstemp`'s private 0600). Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike, mode: str = "wb", *, make_parents: bool = True, **open_args
) -> Iterator[IO]:
    """Open a stream (``mode`` "wb" or "w") whose content replaces ``path`` when the block ends
    without an error; on an error the target is untouched and the temporary file is removed.

    ``open_args`` go to `open` (e.g. ``encoding``, ``newline`` for text)."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_output: mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if make_parents:
        directory.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, mode, **open_args) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        try:
            mode_bits = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode_bits = 0o644
        os.chmod(temporary, mode_bits)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (parents created)."""
    with atomic_output(path, "wb") as stream:
        stream.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (parents created)."""
    with atomic_output(path, "w", encoding="utf-8") as stream:
        stream.write(text)
