"""Board labels: Hex sizes and Connect Four labels, read, ordered, named and grouped by game."""

import numpy as np
import pytest

from analysis.boards import (
    board_caption,
    board_codes,
    board_column,
    board_title,
    by_game,
    game_of,
    on_boards,
    parse_label,
    unique_boards,
)


def test_labels_are_read_ordered_and_named():
    assert [parse_label(v) for v in (3, np.int64(3), 3.0, "3", " 3.0 ", " c4-4x5-3 ")] == [
        3, 3, 3, 3, 3, "c4-4x5-3",
    ]  # fmt: skip
    for bad in (0, -2, 2.5, "three", "c4-4x5", "c5-4x5-3", True, None, float("nan")):
        with pytest.raises(ValueError, match="Connect Four label"):
            parse_label(bad)
    assert game_of(5) == "hex" and game_of("c4-6x7-4") == "connect_four"
    assert board_caption(5) == "5x5" and board_title(5) == "5x5 Hex"
    assert board_caption("c4-6x7-4") == board_title("c4-6x7-4") == "Connect Four 6x7 (4 in a row)"
    mixed = board_column(["c4-4x5-3", 5, "3", "c4-3x4-3"])
    assert mixed.dtype == object and mixed.tolist() == ["c4-4x5-3", 5, 3, "c4-3x4-3"]
    assert board_column(np.array([5, 3])).dtype == np.int64
    assert board_column(["5", 3.0]).tolist() == [5, 3]
    assert unique_boards(mixed) == [3, 5, "c4-3x4-3", "c4-4x5-3"]
    codes, labels = board_codes(mixed)
    assert labels == [3, 5, "c4-3x4-3", "c4-4x5-3"] and codes.tolist() == [3, 1, 0, 2]
    codes, labels = board_codes(np.array([5, 3, 5]))
    assert labels == [3, 5] and codes.tolist() == [1, 0, 1]
    assert on_boards(mixed, [5, "c4-3x4-3"]).tolist() == [False, True, False, True]
    assert by_game(mixed.tolist()) == {"hex": [3, 5], "connect_four": ["c4-3x4-3", "c4-4x5-3"]}
    assert list(by_game(["c4-3x4-3", 4])) == ["hex", "connect_four"]
