"""Drawing positions, `boardscale show` and `boardscale play` (scripted sessions and the CLI)."""

import io
import re

import jax
import numpy as np
import pytest
from matplotlib.figure import Figure

import games
from games.draw import draw_game, draw_position, replay
from games.solver import Solver
from sweeps.cli import main
from sweeps.commands.play import play_session
from sweeps.references import SolverAgent

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SIMULATIONS = 4  # one compiled search program shared by the show and play tests


def untrained(size, algorithm="gumbel"):
    from alphazero import SearchConfig, TrainConfig, untrained_agent

    config = TrainConfig(board_size=size, search=SearchConfig(algorithm=algorithm))
    return untrained_agent(config, SIMULATIONS, seed=0)


def test_draw_game_and_position():
    board, numbers, winner = replay(3, [0, 1, 3, 2, 6])
    assert winner == 0 and numbers.tolist() == [1, 2, 4, 3, 0, 0, 5, 0, 0]
    assert isinstance(draw_game(3, [0, 1, 3, 2, 6]), Figure)
    heat = np.linspace(0, 1, 9) / 4.5
    figure = draw_position(3, board, numbers, heat=heat, title="heat", heat_label="visits")
    assert len(figure.axes) == 2  # the board and the colorbar
    assert figure.axes[1].get_ylabel() == "visits"
    # The swap moves black's stone to the mirrored cell as a white stone.
    board, _, _ = replay(3, [1, 9])
    assert board.tolist() == [0, 0, 0, 2, 0, 0, 0, 0, 0]


@pytest.mark.parametrize(
    "actions, message",
    [([0, 0], "occupied"), ([10], "off"), ([0, 1, 9], "swap"), ([0, 1, 3, 2, 6, 4], "ended")],
)
def test_replay_rejects_bad_games(actions, message):
    with pytest.raises(ValueError, match=message):
        replay(3, actions)


def test_draw_rejects_bad_boards():
    with pytest.raises(ValueError, match="shape"):
        draw_position(3, np.zeros(4, np.int8))
    with pytest.raises(ValueError, match="values"):
        draw_position(3, np.full(9, 5))
    with pytest.raises(ValueError, match="size"):
        draw_position(1, np.zeros(1))
    with pytest.raises(ValueError, match="heat"):
        draw_position(3, np.zeros(9), heat=np.full(9, np.nan))


def test_show_writes_png_and_svg(tmp_path, capsys):
    png, svg = tmp_path / "game.png", tmp_path / "game.svg"
    argv = ["show", "--board", "4", "--moves", "b2 c3 a1", "--out", str(png), "--numbers"]
    assert main(argv) == 0
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert main(["show", "--board", "4", "--moves", "b2,c3", "--out", str(svg)]) == 0
    assert b"<svg" in svg.read_bytes()[:1000]
    assert "wrote" in capsys.readouterr().out


def test_connect_four_replay_and_picture():
    from games.draw import draw_connect_four_position, replay_connect_four

    env = games.make("connect_four", size="3x4", x_in_row=3)
    # x: b, b, b (a vertical three); o: c, d in between.
    board, numbers, winner, finished = replay_connect_four(env, [1, 2, 1, 3, 1])
    assert winner == 0 and finished
    assert numbers.reshape(3, 4)[:, 1].tolist() == [1, 3, 5]  # row 0 is the bottom
    assert board.reshape(3, 4)[0].tolist() == [0, 1, 2, 2]
    heat = np.array([0.1, 0.0, 0.6, 0.3])
    figure = draw_connect_four_position(env, board, numbers, heat=heat, heat_label="policy")
    assert len(figure.axes) == 2 and figure.axes[1].get_ylabel() == "policy"
    texts = {text.get_text() for text in figure.axes[0].texts}
    assert {"a", "b", "c", "d", "1", "3", "5", "60%", "full"} <= texts  # column b is full
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert legend == ["x (first)", "o (second)"]
    _, _, winner, finished = replay_connect_four(env, [0, 0, 0, 2, 1, 1, 2, 1, 3, 3, 2, 3])
    assert (winner, finished) == (-1, True)  # a full board without a line: a draw
    for actions, message in (([1, 1, 1, 1], "full"), ([4], "off"), ([1, 2, 1, 3, 1, 0], "ended")):
        with pytest.raises(ValueError, match=message):
            replay_connect_four(env, actions)
    with pytest.raises(ValueError, match="one value per column"):
        draw_connect_four_position(env, board, heat=np.ones(12))
    with pytest.raises(ValueError, match="values"):
        draw_connect_four_position(env, np.full(12, 3))


def test_show_draws_connect_four(tmp_path, capsys):
    png = tmp_path / "c4.png"
    argv = ["show", "--board", "c4-3x4-3", "--moves", "b c b", "--numbers", "--out", str(png)]
    assert main(argv) == 0
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert main(["show", "--board", "c4-3x4-3", "--moves", "b b b b", "--out", str(png)]) == 2
    assert main(["show", "--board", "c4-3x4", "--moves", "b", "--out", str(png)]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and "column b is full" in errors[0] and "c4-3x4" in errors[1]


def test_weights_label_says_what_is_drawn():
    from sweeps.commands.show import weights_label

    assert "visit share" in weights_label("puct", 8)
    gumbel = weights_label("gumbel", 8)
    assert "visit" not in gumbel and "softmax(prior + completed Q)" in gumbel
    assert "no search" in weights_label("gumbel", 0) == weights_label("puct", 0)
    with pytest.raises(ValueError, match="algorithm"):
        weights_label("alphabeta", 8)


def test_show_heat_map_from_untrained_agent(tmp_path, monkeypatch):
    import games.draw

    labels = []
    real_draw = games.draw.draw_position

    def recording_draw(*args, **kwargs):
        labels.append(kwargs.get("heat_label"))
        return real_draw(*args, **kwargs)

    monkeypatch.setattr(games.draw, "draw_position", recording_draw)
    png = tmp_path / "heat.png"
    argv = [
        "show",
        "--board",
        "3",
        "--moves",
        "b2 c1",
        "--out",
        str(png),
        "--agent",
        "random",
        "--simulations",
        str(SIMULATIONS),
    ]
    assert main(argv) == 0
    assert png.read_bytes().startswith(PNG_MAGIC)
    # The default search is Gumbel MuZero: what is drawn is its improved policy, not visits.
    assert labels == ["search policy: softmax(prior + completed Q) (Gumbel)"]


def test_show_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "x.png"
    assert main(["show", "--board", "4", "--moves", "b2 b2", "--out", str(out)]) == 2
    assert main(["show", "--board", "4", "--moves", "b9", "--out", str(out)]) == 2
    assert main(["show", "--board", "4", "--moves", "b2", "--out", str(tmp_path / "x.jpg")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("boardscale show: error:") for line in errors)
    assert list(tmp_path.iterdir()) == []


def hinted_moves(output: io.StringIO, extra=()):
    """Script lines for a human who asks for a hint and plays it, every move."""
    yield from extra
    while True:
        yield "hint"
        hints = re.findall(r"hint: (\S+)", output.getvalue())
        yield hints[-1]


def test_play_against_solver_with_hints_wins():
    env = games.make("hex", size=3)
    agent = SolverAgent(Solver(3))
    output = io.StringIO()
    bad = ["", "zz", "d7", "help", "undo", "b2", "b2", "undo", "dance"]
    winner = play_session(env, agent, "black", hinted_moves(output, bad), output, jax.random.key(0))
    text = output.getvalue()
    assert winner == 0
    assert "You win!" in text
    assert "is not a move" in text and "off the board" in text and "already taken" in text
    assert "Nothing to undo." in text and "Took back" in text
    assert "winning moves for you" in text and "solver plays" in text


def test_play_against_random_on_2x2():
    env = games.make("hex", size=2)
    from sweeps.references import RandomAgent

    output = io.StringIO()
    # b1 threatens a2 and b2 at once; whichever the agent takes, the other wins.
    lines = ["b1", "a2", "b2"]
    winner = play_session(env, RandomAgent(board_size=2), 0, lines, output, jax.random.key(1))
    assert winner == 0 and "You win!" in output.getvalue()


def test_play_quit_and_end_of_input():
    env = games.make("hex", size=3)
    agent = SolverAgent(Solver(3))
    output = io.StringIO()
    assert play_session(env, agent, "white", ["a1", "quit"], output, jax.random.key(0)) is None
    assert "abandoned" in output.getvalue()
    output = io.StringIO()
    assert play_session(env, agent, 1, [], output, jax.random.key(0)) is None
    assert "End of input" in output.getvalue()
    with pytest.raises(ValueError, match="human_color"):
        play_session(env, agent, "red", [], output, jax.random.key(0))


def test_play_against_network_agent_shows_its_search():
    env = games.make("hex", size=3)
    output = io.StringIO()
    result = play_session(
        env, untrained(3), "black", ["b2", "hint", "quit"], output, jax.random.key(0)
    )
    text = output.getvalue()
    assert result is None
    assert "value for untrained" in text and "hint:" in text
    assert "candidates by search policy: softmax(prior + completed Q) (Gumbel):" in text


def test_play_against_puct_agent_names_visit_shares():
    env = games.make("hex", size=3)
    output = io.StringIO()
    agent = untrained(3, algorithm="puct")
    assert play_session(env, agent, "black", ["b2", "quit"], output, jax.random.key(0)) is None
    assert "candidates by search visit share (PUCT):" in output.getvalue()


def test_play_cli_against_solver(monkeypatch, capsys):
    # As white on 2x2 against perfect play the human loses whatever they type.
    monkeypatch.setattr("sys.stdin", io.StringIO("a1\nb1\na2\nb2\nquit\n"))
    assert main(["play", "--board", "2", "--agent", "solver", "--color", "white"]) == 0
    out = capsys.readouterr().out
    assert "solver wins (black)" in out


def test_play_cli_bad_options(capsys):
    assert main(["play", "--board", "7", "--agent", "solver"]) == 2
    assert main(["play", "--agent", "no/such/snapshot.ckpt"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("boardscale play: error:") for line in errors)
