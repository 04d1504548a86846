"""AlphaZero on the game API: networks, search (our native batched search, `native_search`, with
mctx as the reference backend that it is tested against), self-play, learner, compute accounting,
checkpoints, agents and match play.

Public surface: `TrainConfig` (and its parts), `train`, `Trainer`, `load_agent`, `make_agent`,
`untrained_agent`, `RandomAgent`, `make_search`, `SearchOutput`, `play_match`, `compute`.
"""

from alphazero import compute
from alphazero.agents import RandomAgent, load_agent, make_agent, untrained_agent
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
from alphazero.train import Trainer, train

__all__ = [
    "ConfigError",
    "LearnerConfig",
    "NetworkConfig",
    "RandomAgent",
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
    "train",
    "untrained_agent",
]
