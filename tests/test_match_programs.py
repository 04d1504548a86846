"""Match batches compile a bounded set of programs: the games of a board batch are padded to a
power-of-two number of pairings with dummy games, so a tournament whose batches hold 1, 2, 3, ...
pairings loads new programs only when the count crosses a power of two (each loaded XLA program
maps memory; an unbounded count once exhausted the kernel's map limit). Dummy games are played
but never written by an agent nor counted, and results of real games are exact.

``PYTHONPATH=. python tests/test_match_programs.py`` prints the programs loaded per batch size (the figure
the changelog and report quote)."""

from __future__ import annotations

import dataclasses
import functools
import sys

import jax
import numpy as np
from helpers import assert_one_move_per_game_and_ply, recorded_move_writes

from alphazero import match
from alphazero.config import from_dict
from alphazero.settings import TrainConfig
from sweeps.references import RandomAgent

GAMES = 2

_LOADED: list[tuple[str, float]] = []  # (function name, seconds) of every XLA program loaded


@functools.cache
def _listen() -> None:
    """Count every XLA executable compiled or read from the persistent cache (each is loaded
    into the process and maps memory), with its time."""
    event_name = "/jax/core/compile/backend_compile_duration"

    def listener(event, duration, **kwargs):
        if event == event_name:
            _LOADED.append((kwargs.get("fun_name", "?"), duration))

    jax.monitoring.register_event_duration_secs_listener(listener)


def _config() -> TrainConfig:
    return from_dict(
        TrainConfig,
        {"board_size": 3, "network": {"width": 4, "depth": 1}, "search": {"num_simulations": 2}},
    )


def _agents(count: int, simulations: int = 0, greedy: bool = False):
    from alphazero import untrained_agent

    config = _config()
    return [
        untrained_agent(dataclasses.replace(config, seed=seed), simulations, seed, greedy)
        for seed in range(count)
    ]


def _pairings(agents, count: int):
    return [(agents[i % len(agents)], agents[(i + 1) % len(agents)]) for i in range(count)]


def programs_per_batch(sizes, agents=None) -> list[tuple[int, int, float]]:
    """(pairings, programs loaded, seconds spent loading them) for batches of ``sizes`` pairings of
    one agent kind, played in turn in this process."""
    _listen()
    agents = agents or _agents(4)
    rows = []
    for number, size in enumerate(sizes):
        before = len(_LOADED)
        match.play_matches(_pairings(agents, size), GAMES, jax.random.key(number))
        new = _LOADED[before:]
        rows.append((size, len(new), sum(seconds for _, seconds in new)))
    return rows


def test_programs_grow_only_at_powers_of_two():
    rows = programs_per_batch(range(1, 10))
    loaded = {size: count for size, count, _ in rows}
    # Padded to 1, 2, 4, 8, 16 pairings: nothing new inside a bucket.
    for size in (4, 6, 7, 8):
        assert loaded[size] == 0, f"a batch of {size} pairings loaded {loaded[size]} new programs"
    # Every size again, in another order: every program is already there.
    assert sum(count for _, count, _ in programs_per_batch(range(9, 0, -1))) == 0


def test_dummy_games_are_never_written_nor_counted(monkeypatch):
    """Three pairings play as four (12 real games of 16): no agent ever writes a dummy game, every
    real game gets exactly one move per ply, and the results count the real games exactly."""
    a, b, c = _agents(3)
    pairings = [(a, b), (b, c), (c, RandomAgent(3))]
    real_games = 3 * 4
    with recorded_move_writes(monkeypatch) as writes:
        results = match.play_matches(pairings, 4, jax.random.key(5))
    for size, index in writes:
        assert size == 16 + 1  # four pairings' games and the dump entry
        assert not ((index >= real_games) & (index < size - 1)).any(), "a dummy game was written"
    assert_one_move_per_game_and_ply(writes, real_games)
    assert [r.games for r in results] == [2] * 6
    assert sum(r.games for r in results) == real_games


@dataclasses.dataclass(eq=False)
class FirstLegal:
    """A host player: the first legal cell. Records how many states it is given."""

    board_size: int = 3
    name: str = "first-legal"
    simulations: int = 0
    batches: list = dataclasses.field(default_factory=list)

    def act(self, key, states):
        legal = np.asarray(states.legal_action_mask)
        self.batches.append(legal.shape[0])
        return np.argmax(legal, axis=-1).astype(np.int32)


def test_real_games_do_not_depend_on_the_padding():
    """Deterministic players (greedy raw policy, first legal cell) give the same result for a
    pairing played alone (play_match: no padding at all), in a batch of one pairing, and in a
    batch of three padded to four; a host player is given its real games only."""
    a, b, c = _agents(3, greedy=True)
    host = FirstLegal()
    pairings = [(a, b), (b, c), (c, host)]
    batch = match.play_matches(pairings, 4, jax.random.key(0))
    assert host.batches and set(host.batches) == {2}  # one slot, half its four games
    for p, (x, y) in enumerate(pairings):
        alone = match.play_match(x, y, 4, jax.random.key(p + 1))
        assert batch[2 * p : 2 * p + 2] == alone
        assert match.play_matches([(x, y)], 4, jax.random.key(p + 7)) == alone
    five = _pairings([a, b, c], 3) + [(host, a), (b, host)]  # host in two slots: padded to 2
    host.batches.clear()
    results = match.play_matches(five, 4, jax.random.key(9))
    assert set(host.batches) == {4} and sum(r.games for r in results) == 20
    for p, (x, y) in enumerate(five):
        assert results[2 * p : 2 * p + 2] == match.play_match(x, y, 4, jax.random.key(0))


if __name__ == "__main__":
    print(f"alphazero.match from {match.__file__}")
    sizes = [int(arg) for arg in sys.argv[1:]] or list(range(1, 10))
    total, seconds = 0, 0.0
    for size, count, spent in programs_per_batch(sizes):
        total, seconds = total + count, seconds + spent
        print(f"{size} pairings: {count} programs loaded ({spent:.2f} s)")
    print(f"total: {total} programs, {seconds:.2f} s compiling or loading")
