"""The `boardscale` command line.

Each subcommand lives in its own module under `sweeps.commands` and exposes `HELP` (one line),
`add_arguments(parser)` and `run(args) -> int`. This module only assembles them, so adding a command
never touches another one. Library errors that describe bad input (`ValueError`, `OSError`) are
printed as one line naming what is wrong; set BOARDSCALE_DEBUG=1 to see the traceback instead.
Usage errors found by the argument parser are one line too (``boardscale train: error: argument
--budget: ...``), and a negative number after an option is read as its value (``--budget -1e9``
is a budget to reject, not an unknown option).

Compiled programs that took a second or more to build are kept in a persistent JAX compilation
cache (``$BOARDSCALE_CACHE``, default ``~/.cache/boardscale/jax``), so a rerun of a sweep, a
tournament or a second sweep with the same kinds of agents does not compile them again. Set
``BOARDSCALE_CACHE=off`` to disable it. The cache holds compiled code only, never results.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from importlib import metadata
from pathlib import Path

# Order is the order shown in `boardscale --help`.
COMMANDS = (
    "train",
    "tournament",
    "elo",
    "analyze",
    "design",
    "sweep",
    "status",
    "presets",
    "play",
    "show",
)


# What argparse should take for a negative number rather than an option: argparse's own pattern
# knows only plain integers and decimals, so "-1e9" or "-inf" would read as an unknown option.
_NEGATIVE_NUMBER = re.compile(
    r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE
)


class CommandParser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` whose errors are one line, and that reads negative numbers
    in any float notation as values."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _version() -> str:
    try:
        return metadata.version("boardscale")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


def _available_commands():
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"sweeps.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name == f"sweeps.commands.{name}":
                continue  # command not written yet
            raise
        yield name, module


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="boardscale",
        description="Train-vs-test compute trade-offs on board games: AlphaZero on Hex, "
        "Elo tournaments and scaling-law fits.",
    )
    parser.add_argument("--version", action="version", version=f"boardscale {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in _available_commands():
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def enable_compilation_cache() -> str | None:
    """Turn on JAX's persistent compilation cache (see the module docstring); returns its folder."""
    folder = os.environ.get("BOARDSCALE_CACHE")
    if folder is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "boardscale", "jax")
    if folder.lower() in ("", "0", "off", "none"):
        return None
    import jax

    if jax.config.jax_compilation_cache_dir:  # somebody (a test session, a user) chose one
        return jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0
    if args.command not in ("presets", "status", "elo", "analyze"):  # the commands that compile
        enable_compilation_cache()
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print(f"boardscale {args.command}: interrupted; stored results are kept", file=sys.stderr)
        return 130
    except (ValueError, OSError) as error:
        if os.environ.get("BOARDSCALE_DEBUG"):
            raise
        print(f"boardscale {args.command}: error: {error_line(error)}", file=sys.stderr)
        return 2


def check_folder_argument(value, name: str) -> None:
    """Refuse a folder argument (``--out``, ...) that names a file or lies under one: one line
    naming the argument, before anything is written."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name} {value} is a file, not a folder")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{name} {value}: {parent} is a file, not a folder")
            break


def error_line(error: BaseException) -> str:
    """One line for a bad-input error: its message's first line; for an OS error with a file name
    (``[Errno 21] Is a directory: 'x'``), the file and what is wrong with it."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        text = f"{error.filename}: {error.strerror[0].lower()}{error.strerror[1:]}"
    else:
        text = str(error).strip()
    return text.splitlines()[0] if text else repr(error)


if __name__ == "__main__":
    sys.exit(main())
