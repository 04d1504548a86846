"""The bottom layer (`boardscale_core`): atomic writes, Jones's constants, and the layering and
private-name rules that keep one home per concept."""

from __future__ import annotations

import ast
import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from boardscale_core import jones
from boardscale_core.files import atomic_output, atomic_write_bytes, atomic_write_text

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("boardscale_core", "games", "alphazero", "sweeps", "analysis", "bench")
# What each package may import of the project (DESIGN.md's layers, with the core below all).
ALLOWED = {
    "boardscale_core": set(),
    "games": {"boardscale_core", "games"},
    "alphazero": {"boardscale_core", "games", "alphazero"},
    "analysis": {"boardscale_core", "analysis"},
    "sweeps": {"boardscale_core", "games", "alphazero", "analysis", "sweeps"},
}


def test_atomic_write_replaces_whole_file_and_keeps_an_ordinary_mode(tmp_path):
    path = tmp_path / "sub" / "out.txt"
    atomic_write_text(path, "first\n")
    assert path.read_text() == "first\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    os.chmod(path, 0o600)
    atomic_write_bytes(path, b"second\n")
    assert path.read_bytes() == b"second\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the replaced file's mode is kept


def test_a_failed_atomic_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out.csv"
    atomic_write_text(path, "old\n")
    with pytest.raises(RuntimeError), atomic_output(path, "w") as stream:
        stream.write("half of the new")
        raise RuntimeError("killed")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_atomic_output_refuses_other_modes(tmp_path):
    with pytest.raises(ValueError, match="mode must be"), atomic_output(tmp_path / "x", "a"):
        pass


def test_jones_bounds_caps_and_formulas():
    assert jones.snapshot_bounds(3) == (1e10, 5e11)
    assert jones.snapshot_bounds(10) == (1e12, 1e17 * 7.0)
    assert jones.sample_cap(11) == jones.SAMPLE_CAPS[9]
    assert jones.train_flops(10, 63, 100) == 10 * 64 * 100
    sims = np.array([0, 1, 63])
    assert np.array_equal(jones.test_flops(sims, 10), [10.0, 20.0, 640.0])


def _imports(path: Path):
    """(module, names) for every import in a file; names empty for a plain `import`."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, tuple(alias.name for alias in node.names)


def _project_files():
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def test_layers_hold():
    third_party_core = {"numpy", "__future__"}
    for path in _project_files():
        package = path.relative_to(ROOT).parts[0]
        if package not in ALLOWED:
            continue
        for module, _ in _imports(path):
            top = module.split(".")[0]
            if top in PACKAGES and top != "bench":
                assert top in ALLOWED[package], f"{path.relative_to(ROOT)} imports {module}"
            if package == "boardscale_core":
                assert top in third_party_core or top in sys.stdlib_module_names, (
                    f"{path.relative_to(ROOT)} imports {module}"
                )
            if package == "analysis":
                assert top not in ("jax", "flax", "optax", "mctx"), f"{path} imports {module}"


def test_no_module_imports_another_modules_private_names():
    local = {path.stem for path in (ROOT / "bench").glob("*.py")}  # bench's scripts import these
    for path in [*_project_files(), *sorted((ROOT / "tests").glob("*.py"))]:
        for module, names in _imports(path):
            if module.split(".")[0] not in (*PACKAGES, *local):
                continue
            private = [name for name in names if name.startswith("_") and name != "__version__"]
            assert not private, f"{path.relative_to(ROOT)} imports {private} from {module}"
