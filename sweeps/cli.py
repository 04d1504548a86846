"""The `boardscale` command line.

Each subcommand lives in its own module under `sweeps.commands` and exposes `HELP` (one line),
`add_arguments(parser)` and `run(args) -> int`. This module only assembles them, so adding a command
never touches another one. Library errors that describe bad input (`ValueError`, `OSError`) are
printed as one line naming what is wrong; set BOARDSCALE_DEBUG=1 to see the traceback instead.

Compiled programs that took a second or more to build are kept in a persistent JAX compilation
cache (``$BOARDSCALE_CACHE``, default ``~/.cache/boardscale/jax``), so a rerun of a sweep, a
tournament or a second sweep with the same kinds of agents does not compile them again. Set
``BOARDSCALE_CACHE=off`` to disable it. The cache holds compiled code only, never results.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from importlib import metadata

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
    parser = argparse.ArgumentParser(
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
        message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        print(f"boardscale {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
