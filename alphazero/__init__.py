"""AlphaZero on the game API: networks, search (our native batched search, `native_search`, with
mctx as the reference backend that it is tested against), self-play, learner, compute accounting,
checkpoints, agents and match play.

Public surface: `TrainConfig` (and its parts), `train`, `train_seeds`, `make_train`, `Trainer`,
`load_agent`, `make_agent`, `untrained_agent`, `make_search`, `SearchOutput`,
`play_match`, `compute`.

Training is split by concern: `trainer` (the pure step, `make_train`, and its cost), `schedule`
(snapshot targets and a run's counters), `runfolder` (a run's files, resume, provenance),
`progress` (the progress bar) and `training` (the loop: `train`, `train_seeds`).
"""

from alphazero import compute
from alphazero.agents import load_agent, make_agent, untrained_agent
from alphazero.config import ConfigError
from alphazero.search import SearchOutput, make_search
from alphazero.settings import (
    LearnerConfig,
    NetworkConfig,
    SearchConfig,
    SelfPlayConfig,
    SnapshotConfig,
    TrainConfig,
)
from alphazero.trainer import Trainer, make_train
from alphazero.training import train, train_seeds

__all__ = [
    "ConfigError",
    "LearnerConfig",
    "NetworkConfig",
    "SearchConfig",
    "SearchOutput",
    "SelfPlayConfig",
    "SnapshotConfig",
    "TrainConfig",
    "Trainer",
    "compute",
    "load_agent",
    "make_agent",
    "make_search",
    "make_train",
    "train",
    "train_seeds",
    "untrained_agent",
]
