"""Analysis per group of runs: one sweep whose runs differ in a training setting (a grid axis such
as ``search``), fitted group by group on one joint rating, and the groups compared.

    boardscale analyze SWEEP_DIR --by search

`run_groups` reads each run's stored configuration and labels it by the settings under the given
dotted prefix that differ between the sweep's runs (``search`` -> ``gumbel``, ``puct``,
``regularized``, ``regularized, regularized_sqrt``). `analyze_groups` fits every group with
`analysis.report.analyze_agents` on the rows of its runs plus the board's reference players, all
with the ratings of the sweep's one Elo fit per board (so the groups' Elo scales are the same scale:
a joint tournament makes strength comparable across groups), and writes:

    OUT/groups.json, OUT/groups.md    per group: runs, trained agents, frontier slope, exchange
                                      slope and test-per-10x-train factor with their 95% intervals
    OUT/figures/groups.{png,svg}      the two slopes side by side per group, with the intervals
    OUT/<group slug>/                 each group's own report and figures (as `analyze` writes)

Every interval is the group's own bootstrap (`analysis.bootstrap`): its training runs resampled
within each network, its ratings redrawn from the joint fit's Laplace covariance. Groups share
the reference players and the joint fit, so their intervals are not independent of each other's.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from analysis.store import STORE_FILENAME, Store
from boardscale_core.files import atomic_write_text

SCHEMA = "boardscale-groups/1"


def _flatten(tree: Mapping, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def group_label(settings: Mapping[str, object]) -> str:
    """A group's label from its differing settings (dotted key -> value), joined by ', ': string
    values as themselves, a switch by its name (the key's last part) where on and not at all
    where off, other values as ``name=value``."""
    parts = []
    for key, value in settings.items():
        name = key.rsplit(".", 1)[-1]
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, bool) or value is None:
            if value:
                parts.append(name)
        else:
            parts.append(f"{name}={value}")
    return ", ".join(parts) if parts else "all runs"


def slug(label: str) -> str:
    """A folder name for a group label: lower case letters, digits and '-'."""
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "group"


def run_groups(sweep_dir: str | os.PathLike, by: str) -> dict[str, list[int]]:
    """Group label -> run ids, grouping the sweep's runs by their settings under ``by`` (a dotted
    prefix of the training configuration, e.g. ``search``, or one key, e.g. ``search.algorithm``)
    that differ between runs. Groups are in the order of their first run.

    Raises:
      FileNotFoundError: no results store in ``sweep_dir``.
      ValueError: no run has a setting under ``by``, or the runs do not differ in it.
    """
    path = Path(sweep_dir) / STORE_FILENAME
    if not path.exists():
        raise FileNotFoundError(f"no results store at {path}")
    with Store.open(path, create=False) as store:
        runs = store.runs()
    settings: dict[int, dict[str, object]] = {}
    for run_id, text in zip(runs["id"].tolist(), runs["config_json"].tolist(), strict=True):
        flat = _flatten(json.loads(text))
        settings[int(run_id)] = {
            key: value for key, value in flat.items() if key == by or key.startswith(f"{by}.")
        }
    keys = sorted({key for found in settings.values() for key in found})
    if not keys:
        raise ValueError(f"--by {by}: no run has a setting {by!r} (try e.g. 'search')")
    varying = [
        key
        for key in keys
        if len({json.dumps(found.get(key), sort_keys=True) for found in settings.values()}) > 1
    ]
    if not varying:
        raise ValueError(f"--by {by}: every run has the same {by} settings; nothing to compare")
    groups: dict[str, list[int]] = {}
    for run_id, found in settings.items():
        label = group_label({key: found.get(key) for key in varying})
        groups.setdefault(label, []).append(run_id)
    return groups


def _entry(section: Mapping, key: str) -> dict:
    value = section.get(key) if isinstance(section, Mapping) else None
    if not isinstance(value, Mapping):
        return {"value": None, "ci95": None}
    return {"value": value.get("value"), "ci95": value.get("ci95")}


def summarise(label: str, runs: list[int], report: Mapping) -> dict:
    """One group's row of groups.json from its `analyze_agents` report."""
    exchange = report.get("exchange_rate") or {}
    frontier = report.get("frontier") or {}
    return {
        "group": label,
        "folder": slug(label),
        "runs": len(runs),
        "trained_agents": report["inputs"]["trained_agents"],
        "frontier_slope_elo_per_decade": _entry(frontier, "slope_elo_per_decade"),
        "exchange_slope": _entry(exchange, "slope"),
        "test_per_10x_train": _entry(exchange, "test_per_10x_train"),
        "exchange_method": exchange.get("method"),
        "interval_sources": report["inputs"].get("interval_sources"),
    }


def analyze_groups(
    table: Mapping[str, np.ndarray],
    groups: Mapping[str, list[int]],
    out_dir: str | os.PathLike,
    *,
    by: str,
    figures: bool = True,
    settings: Mapping[str, Mapping[str, object]] | None = None,
    **options,
) -> dict:
    """Fit every group (rows of its runs, by ``run_id``, plus the reference players) with
    `analysis.report.analyze_agents` into ``out_dir/<slug>``, then write groups.json, groups.md
    and (``figures``) figures/groups.{png,svg}. ``settings``: per group label, the training
    settings printed beside Jones's. ``options`` go to `analyze_agents` (bootstrap, seed,
    simulations, ratings, colour). Returns the groups.json dictionary."""
    from analysis.report import analyze_agents

    out_dir = Path(out_dir)
    run_ids = np.asarray(table["run_id"])
    reference = np.asarray(table["reference"], bool)
    rows = []
    for label, runs in groups.items():
        keep = np.isin(run_ids, np.asarray(runs, np.int64)) | reference
        subset = {name: np.asarray(column)[keep] for name, column in table.items()}
        report = analyze_agents(
            subset,
            out_dir / slug(label),
            figures=figures,
            settings=(settings or {}).get(label),
            **options,
        )
        rows.append(summarise(label, runs, report))
    result = {"schema": SCHEMA, "by": by, "groups": rows, "figures": []}
    if figures:
        from analysis.plots import plot_groups, save_figure

        written = save_figure(plot_groups(result), out_dir / "figures", "groups")
        result["figures"] = [path.relative_to(out_dir).as_posix() for path in written]
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "groups.json", json.dumps(result, indent=2) + "\n")
    atomic_write_text(out_dir / "groups.md", render_groups(result))
    return result


def format_entry(entry: Mapping, digits: int = 3) -> str:
    """``value (low to high)`` of a ``{value, ci95}`` entry, or 'not estimable'."""
    value, interval = entry.get("value"), entry.get("ci95")
    if value is None:
        return "not estimable"
    text = f"{value:.{digits}g}"
    if interval and None not in interval:
        text += f" ({interval[0]:.{digits}g} to {interval[1]:.{digits}g})"
    return text


def render_groups(result: Mapping) -> str:
    """groups.md: one row per group."""
    lines = [
        f"# Groups by {result['by']}",
        "",
        "Each group is fitted on its own runs (plus the reference players) with the ratings of one "
        "joint Elo fit per board, so the groups' Elo values are on one scale. 95% intervals in "
        "parentheses; what each includes is listed below the table.",
        "",
        "| group | runs | trained agents | frontier slope (Elo/decade) | exchange slope | "
        "10x train ~ Nx test |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["groups"]:
        lines.append(
            f"| {row['group']} | {row['runs']} | {row['trained_agents']} | "
            f"{format_entry(row['frontier_slope_elo_per_decade'])} | {format_entry(row['exchange_slope'])} "
            f"| {format_entry(row['test_per_10x_train'])} |"
        )
    lines += ["", "Intervals include:", ""]
    for row in result["groups"]:
        lines.append(f"- {row['group']}: {row['interval_sources']}")
    lines += ["", "Each group's own report: `<folder>/report.md` (" + ", ".join(
        f"`{row['folder']}`" for row in result["groups"]
    ) + ")."]  # fmt: skip
    return "\n".join(lines) + "\n"
