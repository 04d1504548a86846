"""Elo fit: recovery of known strengths, error-bar coverage, choix cross-check, edge cases, CSV
reading, the store helpers and the `boardscale elo` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import choix
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.elo import ELO_PER_NATURAL, expected_score, fit_elo
from analysis.elo_io import (
    rate_board,
    rate_store,
    read_matches_csv,
    sweep_agent_table,
    sweep_agents,
)
from analysis.store import STORE_FILENAME, Store
from sweeps import cli

REPOSITORY = Path(__file__).resolve().parents[1]


def round_robin(strengths, games_per_ordered_pair, advantage, rng, names=None):
    """Every ordered pair plays `games_per_ordered_pair` games; strengths and advantage in
    natural units. Returns a match table with names."""
    count = len(strengths)
    names = names or [f"agent{index}" for index in range(count)]
    first, second = np.array([(i, j) for i in range(count) for j in range(count) if i != j]).T
    probability = 1.0 / (1.0 + np.exp(-(strengths[first] - strengths[second] + advantage)))
    wins = rng.binomial(games_per_ordered_pair, probability)
    return {
        "first": np.array([names[i] for i in first], object),
        "second": np.array([names[j] for j in second], object),
        "first_wins": wins,
        "second_wins": games_per_ordered_pair - wins,
    }


def test_recovers_known_strengths_and_first_move_advantage():
    rng = np.random.default_rng(1)
    strengths = np.linspace(-2.0, 2.0, 10)
    matches = round_robin(strengths, 200, 0.4, rng)
    ratings = fit_elo(matches, anchor=None)
    truth = (strengths - strengths.mean()) * ELO_PER_NATURAL
    # Centred fit vs centred truth: every agent within 4 standard errors, and errors of the size
    # the games imply (about 25 Elo per agent for 3,600 games each).
    assert np.all(np.abs(ratings.elo - truth) < 4 * ratings.elo_se)
    assert np.all((ratings.elo_se > 5) & (ratings.elo_se < 40))
    true_advantage = 0.4 * ELO_PER_NATURAL
    assert abs(ratings.first_move_advantage - true_advantage) < 4 * ratings.first_move_advantage_se
    assert 1 < ratings.first_move_advantage_se < 10
    assert ratings.anchor is None
    assert abs(ratings.elo.mean()) < 1e-9
    assert ratings.elo_vs_best.max() == 0.0
    np.testing.assert_allclose(ratings.elo_vs_best, ratings.elo - ratings.elo.max())
    assert np.all(ratings.games == 2 * 9 * 200)


def test_interval_coverage_over_repeated_tournaments():
    """95% Laplace intervals of ratings relative to the random anchor cover the truth between
    90% and 99% of the time (tolerance stated by the design: 1,400 intervals over 200 seeded
    tournaments; the binomial sd at 95% is about 0.6 points, the bounds are >= 4 sd away)."""
    rng = np.random.default_rng(12345)
    strengths = np.array([-1.0, -0.6, -0.2, 0.1, 0.3, 0.8, 1.2, 1.5])
    names = ["random"] + [f"agent{index}" for index in range(1, 8)]
    truth = (strengths - strengths[0]) * ELO_PER_NATURAL
    covered = []
    advantage_covered = []
    for _ in range(200):
        matches = round_robin(strengths, 6, 0.3, rng, names)
        ratings = fit_elo(matches)
        assert ratings.anchor == "random"
        order = [ratings.index(name) for name in names]
        elo, se = ratings.elo[order], ratings.elo_se[order]
        assert elo[0] == 0.0 and se[0] == 0.0
        covered.extend((np.abs(elo[1:] - truth[1:]) <= 1.96 * se[1:]).tolist())
        advantage_error = abs(ratings.first_move_advantage - 0.3 * ELO_PER_NATURAL)
        advantage_covered.append(advantage_error <= 1.96 * ratings.first_move_advantage_se)
    coverage = np.mean(covered)
    assert 0.90 <= coverage <= 0.99, coverage
    assert 0.88 <= np.mean(advantage_covered) <= 1.0


def choix_data(matches, names):
    index = {name: position for position, name in enumerate(names)}
    data = []
    for first, second, first_wins, second_wins in zip(
        matches["first"], matches["second"], matches["first_wins"], matches["second_wins"],
        strict=True,
    ):  # fmt: skip
        data += [(index[first], index[second])] * int(first_wins)
        data += [(index[second], index[first])] * int(second_wins)
    return data


def test_agrees_with_choix_maximum_likelihood():
    rng = np.random.default_rng(7)
    strengths = np.array([-1.2, -0.5, 0.0, 0.4, 1.1, 1.6])
    matches = round_robin(strengths, 15, 0.0, rng)
    names = sorted(set(matches["first"].tolist()))
    reference = choix.opt_pairwise(len(names), choix_data(matches, names), alpha=1e-8, tol=1e-10)
    reference -= reference.mean()
    # A nearly flat prior makes the MAP the maximum-likelihood estimate choix computes.
    ratings = fit_elo(matches, anchor=None, first_move=False, prior_sigma=1e4)
    assert list(ratings.agents) == names
    np.testing.assert_allclose(ratings.elo / ELO_PER_NATURAL, reference, atol=1e-4)
    assert ratings.first_move_advantage == 0.0

    # With every result mirrored across colours the fitted first-mover term is exactly 0 and the
    # ratings are choix's again (the mirrored data double every count, which ML ignores).
    mirrored = {
        "first": np.concatenate([matches["first"], matches["second"]]),
        "second": np.concatenate([matches["second"], matches["first"]]),
        "first_wins": np.concatenate([matches["first_wins"], matches["second_wins"]]),
        "second_wins": np.concatenate([matches["second_wins"], matches["first_wins"]]),
    }
    with_term = fit_elo(mirrored, anchor=None, prior_sigma=1e4, first_move_prior_sigma=1e4)
    assert abs(with_term.first_move_advantage) < 1e-6
    np.testing.assert_allclose(with_term.elo / ELO_PER_NATURAL, reference, atol=1e-4)


def test_symmetric_colours_agree_with_choix_on_symmetrised_data():
    rng = np.random.default_rng(7)
    strengths = np.array([-1.0, -0.3, 0.2, 0.9, 1.4])
    # A strong first-mover advantage and unequal games per colour: the treatments differ.
    matches = round_robin(strengths, 12, 0.8, rng)
    extra = round_robin(strengths, 30, 0.8, rng)
    keep = np.arange(extra["first"].size) % 3 == 0
    for name in matches:
        matches[name] = np.concatenate([matches[name], extra[name][keep]])
    names = sorted(set(matches["first"].tolist()))
    index = {name: position for position, name in enumerate(names)}
    # Symmetrise by hand: per unordered pair, i's win rate averaged over its two colours,
    # times the pair's games, as fractional wins for choix's ML fit.
    won = np.zeros((len(names), len(names)))
    played = np.zeros((len(names), len(names)))
    for first, second, first_wins, second_wins in zip(
        matches["first"],
        matches["second"],
        matches["first_wins"],
        matches["second_wins"],
        strict=True,
    ):
        i, j = index[first], index[second]
        won[i, j] += first_wins  # i's wins when i moved first against j
        played[i, j] += first_wins + second_wins
    comparisons = np.zeros((len(names), len(names)))
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            rate_i_first = won[i, j] / played[i, j]
            rate_i_second = 1.0 - won[j, i] / played[j, i]
            rate = 0.5 * (rate_i_first + rate_i_second)
            total = played[i, j] + played[j, i]
            comparisons[i, j], comparisons[j, i] = rate * total, (1 - rate) * total
    reference = choix.ilsr_pairwise_dense(comparisons, alpha=0.0, tol=1e-12)
    reference -= reference.mean()
    symmetric = fit_elo(matches, anchor=None, prior_sigma=1e4, colour="symmetric")
    np.testing.assert_allclose(symmetric.elo / ELO_PER_NATURAL, reference, atol=1e-4)
    assert symmetric.first_move_advantage == 0.0
    assert np.all(symmetric.games == (played.sum(0) + played.sum(1)))
    term = fit_elo(matches, anchor=None, prior_sigma=1e4)
    assert term.first_move_advantage > 50.0
    assert np.max(np.abs(term.elo - symmetric.elo)) > 0.5  # the choice matters
    with pytest.raises(ValueError, match="colour must be one of"):
        fit_elo(matches, colour="black")


def test_perfect_scores_give_finite_ordered_ratings():
    matches = {
        "first": np.array(["a", "b", "c", "random"], object),
        "second": np.array(["b", "c", "random", "a"], object),
        "first_wins": np.array([20, 20, 20, 0]),
        "second_wins": np.array([0, 0, 0, 20]),
    }
    ratings = fit_elo(matches)
    assert np.all(np.isfinite(ratings.elo)) and np.all(np.isfinite(ratings.elo_se))
    elo = {name: ratings.elo[ratings.index(name)] for name in ("a", "b", "c", "random")}
    assert elo["a"] > elo["b"] > elo["c"] > elo["random"] == 0.0
    # Each perfect link ends up several natural units long but bounded by the weak prior.
    assert 2 * ELO_PER_NATURAL < elo["a"] - elo["b"] < 12 * ELO_PER_NATURAL
    assert np.all(ratings.elo_se[[ratings.index(name) for name in "abc"]] > 0)
    assert np.isfinite(ratings.first_move_advantage)


def test_every_game_won_by_first_mover_is_finite():
    matches = {"first": ["x", "y"], "second": ["y", "x"], "first_wins": [9, 9],
               "second_wins": [0, 0]}  # fmt: skip
    ratings = fit_elo({key: np.array(value) for key, value in matches.items()}, anchor=None)
    assert abs(ratings.elo[0] - ratings.elo[1]) < 1e-6
    assert 0 < ratings.first_move_advantage < 20 * ELO_PER_NATURAL


def test_disconnected_groups_are_named():
    matches = {
        "first": np.array(["a", "c", "b"], object),
        "second": np.array(["b", "d", "a"], object),
        "first_wins": np.array([3, 2, 1]),
        "second_wins": np.array([1, 2, 0]),
    }
    with pytest.raises(ValueError) as error:
        fit_elo(matches)
    message = str(error.value)
    assert "2 disconnected groups" in message and "\n" not in message
    assert "{a, b}" in message and "{c, d}" in message


def test_pairs_without_games_do_not_connect():
    matches = {
        "first": np.array(["a", "b", "c"], object),
        "second": np.array(["b", "c", "d"], object),
        "first_wins": np.array([3, 0, 1]),
        "second_wins": np.array([1, 0, 1]),
    }
    with pytest.raises(ValueError, match="2 disconnected groups"):
        fit_elo(matches)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"first_wins": [1, -2]}, "row 1: first_wins must be a whole number >= 0"),
        ({"second_wins": [1, 0.5]}, "row 1: second_wins must be a whole number >= 0"),
        ({"second": ["b", "a"]}, "row 1: agent 'a' cannot play itself"),
        ({"first": ["a", ""]}, "row 1: first must be a non-empty agent name"),
    ],
)
def test_bad_match_tables_are_rejected(change, message):
    matches = {"first": ["a", "a"], "second": ["b", "c"], "first_wins": [1, 1],
               "second_wins": [1, 1]}  # fmt: skip
    matches.update(change)
    table = {key: np.array(value, object if key in ("first", "second") else None)
             for key, value in matches.items()}  # fmt: skip
    with pytest.raises(ValueError, match=message):
        fit_elo(table)


def test_anchor_choice_and_sampling():
    rng = np.random.default_rng(3)
    names = ["alpha", "beta", "random-5", "gamma"]
    matches = round_robin(np.array([0.5, 1.0, -1.0, 1.5]), 30, 0.2, rng, names)
    automatic = fit_elo(matches)
    assert automatic.anchor == "random-5"
    assert automatic.elo[automatic.index("random-5")] == 0.0
    explicit = fit_elo(matches, anchor="beta")
    centred = fit_elo(matches, anchor=None)
    # Differences do not depend on the anchor, nor do their variances.
    for ratings in (explicit, centred):
        np.testing.assert_allclose(
            ratings.elo - ratings.elo[0], automatic.elo - automatic.elo[0], atol=1e-8
        )
        np.testing.assert_allclose(
            ratings.difference_variance([0, 1, 3], [3, 2, 1]),
            automatic.difference_variance([0, 1, 3], [3, 2, 1]),
            rtol=1e-8,
        )
    with pytest.raises(ValueError, match="anchor 'nobody'"):
        fit_elo(matches, anchor="nobody")

    draws = automatic.sample(20000, seed=0)
    assert draws.shape == (20000, 4)
    assert np.all(draws[:, automatic.index("random-5")] == 0.0)
    np.testing.assert_allclose(draws.mean(axis=0), automatic.elo, atol=5.0)
    np.testing.assert_allclose(np.cov(draws.T), automatic.covariance, rtol=0.05, atol=5.0)
    centred_draws = centred.sample(100, seed=1)
    np.testing.assert_allclose(centred_draws.sum(axis=1), 0.0, atol=1e-6)


def test_expected_score():
    assert expected_score(100.0, 100.0) == pytest.approx(0.5)
    assert expected_score(0.0, -400.0) == pytest.approx(10 / 11)
    assert expected_score(0.0, 0.0, 400.0) == pytest.approx(10 / 11)


@settings(max_examples=25, deadline=None)
@given(
    wins=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), min_size=3, max_size=3),
    split=st.integers(0, 9),
)
def test_split_rows_and_renamed_agents_give_the_same_fit(wins, split):
    first = np.array(["a", "b", "c"], object)
    second = np.array(["b", "c", "a"], object)
    first_wins = np.array([w for w, _ in wins]) + 1
    second_wins = np.array([l for _, l in wins]) + 1
    whole = fit_elo({"first": first, "second": second, "first_wins": first_wins,
                     "second_wins": second_wins}, anchor=None)  # fmt: skip
    part = np.minimum(first_wins, split)
    pieces = fit_elo(
        {
            "first": np.concatenate([first, first]),
            "second": np.concatenate([second, second]),
            "first_wins": np.concatenate([part, first_wins - part]),
            "second_wins": np.concatenate([second_wins, np.zeros(3, np.int64)]),
        },
        anchor=None,
    )
    np.testing.assert_allclose(pieces.elo, whole.elo, atol=1e-7)
    renamed = fit_elo({"first": np.array(["z", "y", "x"], object),
                       "second": np.array(["y", "x", "z"], object),
                       "first_wins": first_wins, "second_wins": second_wins},
                      anchor=None)  # fmt: skip
    np.testing.assert_allclose(renamed.elo[::-1], whole.elo, atol=1e-7)
    np.testing.assert_allclose(renamed.elo_se[::-1], whole.elo_se, atol=1e-7)


# -- CSV -----------------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_matches_csv(tmp_path):
    path = write(
        tmp_path / "matches.csv",
        'first,second,first_wins,second_wins\n"snap 1, 16 sims",random,7,3\n'
        "\nrandom, snap 2 ,2,8\n",
    )
    table = read_matches_csv(path)
    assert table["first"].tolist() == ["snap 1, 16 sims", "random"]
    assert table["second"].tolist() == ["random", "snap 2"]
    assert table["first_wins"].dtype == np.int64
    assert table["second_wins"].tolist() == [3, 8]


@pytest.mark.parametrize(
    "row, message",
    [
        ("a,b,3", "line 4: expected 4 fields, got 3"),
        ("a,b,-1,2", "line 4: first_wins must be a whole number >= 0"),
        ("a,b,1,2.5", "line 4: second_wins must be a whole number >= 0"),
        ("a,b,x,2", "line 4: first_wins must be a whole number >= 0"),
        (",b,1,2", "line 4: first agent name is empty"),
        ("a,a,1,2", "line 4: agent 'a' cannot play itself"),
    ],
)
def test_malformed_csv_rows_are_reported_by_line(tmp_path, row, message):
    # Line 3 is blank, so the bad row is on line 4 of the file, not row 3 of the data.
    path = write(tmp_path / "m.csv", f"first,second,first_wins,second_wins\nx,y,1,1\n\n{row}\n")
    with pytest.raises(ValueError) as error:
        read_matches_csv(path)
    assert f"m.csv {message}" in str(error.value)
    assert "\n" not in str(error.value)


def test_csv_header_must_name_the_columns(tmp_path):
    with pytest.raises(ValueError, match="header lacks column.s. second_wins"):
        read_matches_csv(write(tmp_path / "m.csv", "first,second,first_wins\na,b,1\n"))
    with pytest.raises(ValueError, match="empty file"):
        read_matches_csv(write(tmp_path / "e.csv", "\n\n"))


# -- the store and the command -------------------------------------------------------------------


def small_sweep(folder: Path) -> None:
    """A store with one 3x3 run (2 snapshots x 2 simulation counts), a random player and a
    4x4 board with no matches."""
    rng = np.random.default_rng(0)
    with Store.open(folder / STORE_FILENAME) as store:
        run = store.add_run("hex3-mlp-2x4-s0", 3, "mlp", 2, 4, 0, 100)
        ids = {}
        for idx in range(2):
            snapshot = store.add_snapshot(run, idx, 1e9 * 10**idx, 2e9 * 10**idx, 1000, 100,
                                          1.0, f"run/{idx}")  # fmt: skip
            for simulations in (1, 16):
                name = f"hex3-mlp-2x4-s0/{idx}@{simulations}"
                ids[name] = store.add_agent(name, "snapshot", 3, simulations, snapshot)
        ids["random-3"] = store.add_agent("random-3", "random", 3)
        store.add_agent("random-4", "random", 4)
        strength = {name: index * 0.5 for index, name in enumerate(sorted(ids))}
        strength["random-3"] = -1.0
        rows = []
        for a in ids:
            for b in ids:
                if a != b:
                    p = 1 / (1 + np.exp(-(strength[a] - strength[b])))
                    wins = int(rng.binomial(20, p))
                    rows.append((ids[a], ids[b], wins, 20 - wins))
        store.add_matches(rows)


def test_rate_store_and_sweep_agent_table(tmp_path):
    small_sweep(tmp_path)
    with Store.open(tmp_path / STORE_FILENAME, create=False) as store:
        ratings = rate_store(store, 3)
        with pytest.raises(ValueError, match="board 4: no matches"):
            rate_store(store, 4)
    assert ratings.anchor == "random-3"
    assert len(ratings) == 5 and np.all(ratings.games == 4 * 2 * 20)
    table = sweep_agent_table(tmp_path, colour="term")
    assert table["board_size"].tolist() == [3] * 5 + [4]
    assert table["reference"].tolist() == [False] * 4 + [True, True]
    position = {name: index for index, name in enumerate(table["name"].tolist())}
    for name in ratings.agents:
        assert table["elo"][position[name]] == ratings.elo[ratings.index(name)]
        assert table["elo_se"][position[name]] == ratings.elo_se[ratings.index(name)]
    assert np.isnan(table["elo"][position["random-4"]]) and table["games"][-1] == 0
    assert np.nanmax(table["elo_vs_best"]) == 0.0
    assert table["test_flops"][0] == 2 * 100  # (1 simulation + 1) x 100 parameters
    with pytest.raises(FileNotFoundError, match="no results store"):
        sweep_agent_table(tmp_path / "missing")


def test_ids_stay_ids_from_store_to_fit_and_back(tmp_path):
    small_sweep(tmp_path)
    with Store.open(tmp_path / STORE_FILENAME, create=False) as store:
        by_id = rate_board(store, 3, colour="symmetric")
        agents = store.agent_table(3)
    assert by_id.agents.dtype == np.int64
    random_id = int(agents["agent_id"][agents["kind"] == "random"][0])
    assert by_id.anchor == random_id
    table, fits = sweep_agents(tmp_path)  # Jones's symmetric colours by default
    assert set(fits) == {3} and fits[3].agents.dtype == np.int64
    for row, agent in enumerate(table["agent_id"].tolist()):
        if table["board_size"][row] == 3:
            assert table["elo"][row] == by_id.elo[by_id.index(agent)]
    assert fits[3].first_move_advantage == 0.0  # the symmetric fit has no first-mover term


CSV_TEXT = """first,second,first_wins,second_wins
random,strong,1,19
strong,random,20,0
random,middle,6,14
middle,random,15,5
middle,strong,4,16
strong,middle,12,8
"""


def run_cli(capsys, *argv):
    code = cli.main(["elo", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_formats_on_a_csv(tmp_path, capsys):
    path = write(tmp_path / "matches.csv", CSV_TEXT)
    code, out, _ = run_cli(capsys, "--matches", str(path), "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert [record["agent"] for record in records] == ["strong", "middle", "random"]
    for record in records:
        assert {"agent", "elo", "elo_se", "games", "elo_vs_best", "first_move_advantage_elo",
                "first_move_advantage_se"} <= set(record)  # fmt: skip
    assert records[-1]["elo"] == 0.0 and records[0]["elo_vs_best"] == 0.0
    assert records[0]["games"] == 80

    code, out, _ = run_cli(capsys, "--matches", str(path), "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith(
        "agent,elo,elo_se,elo_vs_best,games,wins,draws,first_move_advantage_elo"
    )
    assert [line.split(",")[0] for line in lines[1:]] == ["strong", "middle", "random"]

    code, out, _ = run_cli(capsys, "--matches", str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "rank", "agent", "elo", "±", "se", "vs", "best", "games", "wins", "draws"
    ]  # fmt: skip
    assert [line.split()[1] for line in lines[1:4]] == ["strong", "middle", "random"]
    assert len({len(line) for line in lines[:4]}) == 1  # aligned columns
    assert lines[4].startswith("first-mover advantage:") and "anchor: random" in lines[4]


def test_cli_errors_are_one_line(tmp_path, capsys):
    bad = write(tmp_path / "bad.csv", "first,second,first_wins,second_wins\na,b,1\n")
    code, out, err = run_cli(capsys, "--matches", str(bad))
    assert code == 2 and out == ""
    assert err.strip() == "boardscale elo: error: bad.csv line 2: expected 4 fields, got 3"
    code, _, err = run_cli(capsys, str(tmp_path))
    assert code == 2 and "no results store" in err and err.count("\n") == 1
    code, _, err = run_cli(capsys)
    assert code == 2 and "exactly one" in err


def test_cli_on_a_sweep_folder(tmp_path, capsys):
    small_sweep(tmp_path)
    code, out, _ = run_cli(capsys, str(tmp_path), "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert len(records) == 5 and {record["board_size"] for record in records} == {3}
    code, out, _ = run_cli(capsys, str(tmp_path), "--board", "3")
    assert code == 0 and out.startswith("board 3x3: 5 agents")
    code, _, err = run_cli(capsys, str(tmp_path), "--board", "9")
    assert code == 2 and "--board 9" in err


def test_analysis_imports_neither_jax_nor_the_game_packages():
    code = (
        "import sys, analysis.elo, analysis.schedule, analysis.store, analysis.tables\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('jax', 'games', 'alphazero')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, check=True)


# -- draws -------------------------------------------------------------------------------------


def drawn_round_robin(strengths, games, advantage, rng, draw_share=0.8):
    """Every ordered pair plays `games` games whose mean score for the first mover is
    sigmoid(r_i - r_j + h), with draws as frequent as that allows: a share `draw_share` of
    2 min(s, 1 - s), so evenly matched pairs draw about 80% of their games."""
    count = len(strengths)
    names = [f"agent{index}" for index in range(count)]
    first, second = np.array([(i, j) for i in range(count) for j in range(count) if i != j]).T
    score = 1.0 / (1.0 + np.exp(-(strengths[first] - strengths[second] + advantage)))
    draw = draw_share * 2.0 * np.minimum(score, 1.0 - score)
    probabilities = np.stack([score - draw / 2, 1.0 - score - draw / 2, draw], axis=1)
    outcomes = np.array([rng.multinomial(games, p) for p in probabilities])
    return {
        "first": np.array([names[i] for i in first], object),
        "second": np.array([names[j] for j in second], object),
        "first_wins": outcomes[:, 0],
        "second_wins": outcomes[:, 1],
        "draws": outcomes[:, 2],
    }


def test_draws_agree_with_choix_on_draws_expanded_as_half_wins():
    """Draws count as half a win each: choix's ML fit on the games with every count doubled and
    each draw written as one win for each side gives the same ratings."""
    rng = np.random.default_rng(11)
    strengths = np.array([-1.0, -0.3, 0.0, 0.5, 1.2])
    matches = drawn_round_robin(strengths, 20, 0.0, rng)
    assert matches["draws"].sum() > 0.5 * (matches["first_wins"] + matches["second_wins"]).sum()
    names = sorted(set(matches["first"].tolist()))
    index = {name: position for position, name in enumerate(names)}
    data = []
    for first, second, wins, losses, draws in zip(
        matches["first"], matches["second"], matches["first_wins"], matches["second_wins"],
        matches["draws"], strict=True,
    ):  # fmt: skip
        data += [(index[first], index[second])] * int(2 * wins + draws)
        data += [(index[second], index[first])] * int(2 * losses + draws)
    reference = choix.opt_pairwise(len(names), data, alpha=1e-8, tol=1e-10)
    reference -= reference.mean()
    ratings = fit_elo(matches, anchor=None, first_move=False, prior_sigma=1e4)
    np.testing.assert_allclose(ratings.elo / ELO_PER_NATURAL, reference, atol=1e-4)
    games = np.zeros(len(names), np.int64)
    drew = np.zeros(len(names), np.int64)
    for first, second, wins, losses, draws in zip(
        matches["first"], matches["second"], matches["first_wins"], matches["second_wins"],
        matches["draws"], strict=True,
    ):  # fmt: skip
        for name in (first, second):
            games[index[name]] += wins + losses + draws
            drew[index[name]] += draws
    assert ratings.games.tolist() == games.tolist() and ratings.draws.tolist() == drew.tolist()
    # Ignoring the draws would give other ratings: the test can tell.
    without = {key: value for key, value in matches.items() if key != "draws"}
    other = fit_elo(without, anchor=None, first_move=False, prior_sigma=1e4)
    assert np.abs(other.elo / ELO_PER_NATURAL - reference).max() > 0.05


def test_draws_with_a_first_mover_term_agree_with_a_direct_likelihood_maximum():
    """The fit with h equals scipy's maximisation of the half-win likelihood written directly."""
    import scipy.optimize

    rng = np.random.default_rng(5)
    strengths = np.array([-0.8, 0.0, 0.3, 0.9])
    matches = drawn_round_robin(strengths, 30, 0.4, rng)
    names = sorted(set(matches["first"].tolist()))
    index = {name: position for position, name in enumerate(names)}
    i = np.array([index[name] for name in matches["first"]])
    j = np.array([index[name] for name in matches["second"]])
    score_first = matches["first_wins"] + 0.5 * matches["draws"]
    score_second = matches["second_wins"] + 0.5 * matches["draws"]

    def negative_log_likelihood(theta):
        ratings = np.concatenate([[0.0], theta[:-1]])  # agent 0 fixed at 0
        margin = ratings[i] - ratings[j] + theta[-1]
        return -np.sum(
            score_first * -np.logaddexp(0, -margin) + score_second * -np.logaddexp(0, margin)
        )

    result = scipy.optimize.minimize(
        negative_log_likelihood, np.zeros(len(names)), method="BFGS", options={"gtol": 1e-10}
    )
    ratings = fit_elo(
        matches, anchor=names[0], prior_sigma=1e4, first_move_prior_sigma=1e4, tolerance=1e-12
    )
    np.testing.assert_allclose(ratings.elo[1:] / ELO_PER_NATURAL, result.x[:-1], atol=1e-4)
    assert abs(ratings.first_move_advantage / ELO_PER_NATURAL - result.x[-1]) < 1e-4


def test_mostly_drawn_tournaments_recover_strengths_with_conservative_intervals():
    """Where most games are drawn (over 60% here) the ratings are
    unbiased and the Laplace intervals cover at least their nominal 95% (conservative: a
    game's score varies less than a Bernoulli game's)."""
    rng = np.random.default_rng(3)
    strengths = np.array([-0.6, -0.2, 0.0, 0.3, 0.6])
    errors, covered, drawn, played = [], [], 0, 0
    for _ in range(150):
        matches = drawn_round_robin(strengths, 16, 0.2, rng, draw_share=0.9)
        drawn += matches["draws"].sum()
        played += 16 * len(matches["draws"])
        ratings = fit_elo(matches, anchor="agent0")
        truth = (strengths - strengths[0]) * ELO_PER_NATURAL
        errors.append(ratings.elo - truth)
        covered.append(np.abs(ratings.elo - truth)[1:] <= 1.96 * ratings.elo_se[1:])
    assert drawn / played > 0.6
    errors = np.array(errors)
    standard_error = errors.std(axis=0)[1:] / np.sqrt(len(errors))
    assert np.all(np.abs(errors.mean(axis=0)[1:]) < 4 * standard_error + 2.0)
    assert np.mean(covered) >= 0.94


def test_read_matches_csv_with_a_draws_column(tmp_path):
    path = write(
        tmp_path / "matches.csv",
        "first,second,first_wins,second_wins,draws\na,b,1,2,7\nb,a,0,0,10\n",
    )
    table = read_matches_csv(path)
    assert table["draws"].tolist() == [7, 10]
    ratings = fit_elo(table, anchor="a")
    assert ratings.draws.tolist() == [17, 17] and ratings.games.tolist() == [20, 20]
    plain = write(tmp_path / "plain.csv", "first,second,first_wins,second_wins\na,b,1,2\n")
    assert read_matches_csv(plain)["draws"].tolist() == [0]
    bad = write(tmp_path / "bad.csv", "first,second,first_wins,second_wins,draws\na,b,1,2,-1\n")
    with pytest.raises(ValueError, match="line 2: draws must be a whole number >= 0"):
        read_matches_csv(bad)
