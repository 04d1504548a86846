"""Checkpoint files: a JSON header line with metadata and a SHA-256 of the payload, then the payload
(flax msgpack of a tree of arrays). Written atomically (`boardscale_core.files`), so a kill leaves
either the old file or the new one. A file whose magic, header, length or checksum is wrong is
reported by name and never loaded.

`exclusive` is the lock that keeps two processes out of one run folder (or one store's writer).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jax
import numpy as np
from flax import serialization

from boardscale_core.files import atomic_write_bytes

MAGIC = b"BOARDSCALE-CHECKPOINT v1\n"


class CheckpointError(ValueError):
    """A checkpoint that cannot be trusted (truncated, corrupt, not a checkpoint)."""


class LockHeld(ValueError):
    """Another process holds the lock (its pid and host are in the message)."""


@contextlib.contextmanager
def exclusive(path: str | Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created if needed) for the block, or raise
    `LockHeld` at once naming the holder: "``what`` is in use by pid N on HOST".

    The lock is the kernel's (``flock``), so it ends with its holder, killed or not; the file
    only says who holds it and is left in place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 (held open for the lock's lifetime)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise LockHeld(f"{what} is in use by {holder}; wait for it or stop it") from None
        handle.truncate(0)
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            handle.flush()
    finally:
        handle.close()  # releases the lock


def save(path: str | Path, tree: Any, meta: dict[str, Any]) -> None:
    """Save a pytree of arrays plus JSON-able ``meta``."""
    arrays = jax.tree.map(np.asarray, serialization.to_state_dict(tree))
    payload = serialization.msgpack_serialize(arrays)
    header = {
        "sha256": hashlib.sha256(payload).hexdigest(),
        "payload_bytes": len(payload),
        "meta": meta,
    }
    atomic_write_bytes(path, MAGIC + json.dumps(header).encode() + b"\n" + payload)


def _read(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path} does not exist") from None
    if not data.startswith(MAGIC):
        raise CheckpointError(f"{path} is not a boardscale checkpoint (bad magic)")
    end = data.find(b"\n", len(MAGIC))
    try:
        header = json.loads(data[len(MAGIC) : end])
        payload = data[end + 1 :]
        expected, length = header["sha256"], header["payload_bytes"]
    except (ValueError, KeyError, TypeError):
        raise CheckpointError(f"checkpoint {path} is corrupt (unreadable header)") from None
    if len(payload) != length:
        raise CheckpointError(
            f"checkpoint {path} is truncated ({len(payload)} of {length} payload bytes)"
        )
    if hashlib.sha256(payload).hexdigest() != expected:
        raise CheckpointError(f"checkpoint {path} is corrupt (checksum mismatch)")
    return header, payload


def read_meta(path: str | Path) -> dict[str, Any]:
    """The metadata of a checkpoint, after verifying the whole file."""
    header, _ = _read(Path(path))
    return header["meta"]


def load(path: str | Path, template: Any | None = None) -> tuple[Any, dict[str, Any]]:
    """Load (tree, meta). With ``template`` the tree is restored into its structure."""
    header, payload = _read(Path(path))
    try:
        state = serialization.msgpack_restore(payload)
    except Exception:  # msgpack raises several types on garbage
        raise CheckpointError(f"checkpoint {path} is corrupt (bad payload)") from None
    if template is not None:
        try:
            state = serialization.from_state_dict(template, state)
        except (ValueError, KeyError, TypeError) as error:
            raise CheckpointError(f"checkpoint {path} does not fit this config: {error}") from None
    return state, header["meta"]
