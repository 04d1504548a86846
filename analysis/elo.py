"""Elo ratings from match results: Bradley–Terry with a first-mover term, fitted by Newton's method.

Model. Agent i has a strength r_i in natural units (log-odds). When i moves first against j,

    P(i wins) = sigmoid(r_i - r_j + h),

where h is the first-mover advantage, shared by all agents on a board. Hex has no draws, so each
game is one Bernoulli outcome. Elo is the natural-unit rating times 400 / ln 10 (about 173.7): a
100-Elo gap means the stronger side scores about 64%.

Draws (Connect Four has them; Hex has none) count as half a win for each side: a pair's draws d
add d/2 to the first mover's wins and d/2 to the second's, and the likelihood is the Bradley-Terry
one over these fractional scores (the "draw = half a point" rule of Elo's own chess ratings, not a
Davidson draw term). So the ratings are those that predict each pair's mean score, and a drawn game
weighs in the information (and so the error bars) as one game with score 1/2. Where draws are
frequent the spread of a game's score is smaller than a Bernoulli game's with the same mean, so
the Laplace errors are then conservative (too wide, never too narrow). `Ratings.games` counts
draws as games; `Ratings.wins` counts won games only; `Ratings.draws` the drawn ones.

Prior. Every r_i and h gets an independent Gaussian prior N(0, sigma^2) with a weak sigma (10
natural units, about 1,737 Elo, by default). The likelihood only sees rating differences, so the
prior mostly fixes the overall level (the raw fit has mean 0) and makes the Hessian invertible;
where the games measure a rating its pull is negligible (a shift of about r / (sigma^2 x
information), well under an Elo for the spans and game counts of a sweep). Its other job is to keep
ratings finite when an agent wins or loses every game: a lone perfect link between two agents ends
up about 6 (10 games) to 10 (1,000 games) natural units long. Such gaps are set by the prior, not by
the games (in a long chain of perfect results the prior squeezes the links near the middle), so
treat them as bounds. This replaces the pseudo-games of Jones (2021) (one pseudo-win per two
pseudo-games per pair), which pull every pair toward 50% however many games it has.

Fit. The log-posterior is strictly concave; Newton's method with step halving, in float64, from
all-zero ratings. Gradients and Hessian-vector products are assembled from per-pair terms with
`np.bincount` (O(pairs) each), and each Newton step is solved by preconditioned conjugate
gradients; the dense (N + 1) x (N + 1) Hessian is built and inverted once, at the mode, for the
covariance. 1,000 agents and 20,000 pairs fit in well under a second on a small CPU.

Uncertainty. Laplace approximation: the posterior is approximated by a normal distribution at the
fitted mode with covariance equal to the inverse of the negative Hessian. Reported ratings are
relative to an anchor (the random player when present, else the mean), and their standard errors
and covariance are those of the relative ratings; the anchor itself has rating 0 and error 0.
`Ratings.sample` is a parametric bootstrap that draws ratings from this normal approximation
(rather than refitting binomially resampled games): one factorisation instead of K fits, and
exact for the quadratic approximation the standard errors already rest on.

Colour. `colour="term"` is the model above. `colour="symmetric"` is Jones's treatment: each
unordered pair's win rate is averaged over the two colours before the fit, and there is no h.

Reported ratings are recomputed from match rows every time and never stored (results are match
rows; ratings are derived). Reading match CSVs and results stores is `analysis.elo_io`'s job.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import scipy.special

from analysis.tables import Table, num_rows

ELO_PER_NATURAL = 400.0 / math.log(10.0)
"""Elo points per natural unit (log-odds) of rating, about 173.72."""

DEFAULT_PRIOR_SIGMA = 10.0
"""Standard deviation, in natural units, of the Gaussian prior on each rating and on h."""

AUTO_ANCHOR = "random*"
"""Default `anchor`: the agent named "random", else the first (sorted) name starting with
"random"; ratings are centred on their mean when no agent matches."""

MATCH_COLUMNS = ("first", "second", "first_wins", "second_wins")
DRAWS_COLUMN = "draws"
"""Optional match column: games with no winner, counted as half a win for each side."""
COLOURS = ("term", "symmetric")
"""Colour treatments of `fit_elo`: a first-mover term, or Jones's colour-symmetrised win rates."""

_MAX_NAMES_SHOWN = 6


@dataclass(frozen=True, eq=False)
class Ratings:
    """Fitted ratings of N agents on one board.

    Attributes:
      agents: [N] agent identifiers as given in the match table (object array of str names, or
        int64 ids), sorted ascending.
      elo: [N] float64 rating in Elo, relative to the anchor (anchor = 0) or, without an anchor,
        centred so the mean is 0.
      elo_se: [N] float64 standard error in Elo of each rating relative to the anchor (0 for the
        anchor itself) or of the centred rating (Laplace approximation).
      elo_vs_best: [N] float64 `elo - max(elo)`: 0 for the best agent, negative for the others.
      games: [N] int64 games each agent played.
      wins: [N] int64 games each agent won (draws excluded).
      first_move_advantage: fitted h in Elo (0 when the fit had no first-mover term).
      first_move_advantage_se: its standard error in Elo (0 without the term).
      covariance: [N, N] float64 covariance, in Elo^2, of `elo` (the anchored / centred ratings).
        The variance of a difference elo_i - elo_j is C_ii + C_jj - 2 C_ij, whatever the anchor.
      anchor: the anchor agent's identifier, or None when ratings are centred on their mean.
      log_likelihood: float, log-likelihood of all games at the fitted ratings (natural log,
        prior excluded).
      iterations: int, Newton steps taken.
      prior_sigma: float, prior standard deviation used, in natural units.
      draws: [N] int64 games each agent drew (all 0 without draws).
    """

    agents: np.ndarray  # [N]
    elo: np.ndarray  # [N]
    elo_se: np.ndarray  # [N]
    elo_vs_best: np.ndarray  # [N]
    games: np.ndarray  # [N]
    wins: np.ndarray  # [N]
    first_move_advantage: float
    first_move_advantage_se: float
    covariance: np.ndarray  # [N, N]
    anchor: object | None
    log_likelihood: float
    iterations: int
    prior_sigma: float
    draws: np.ndarray | None = None  # [N]; None is read as no draws

    def __post_init__(self):
        if self.draws is None:
            object.__setattr__(self, "draws", np.zeros(len(self.agents), np.int64))

    def __len__(self) -> int:
        return len(self.agents)

    def index(self, agent: object) -> int:
        """Position of `agent` (a name or id) in `agents`; ValueError if it was not rated."""
        for position, name in enumerate(self.agents.tolist()):
            if name == agent:
                return position
        raise ValueError(f"agent {agent!r} is not among the {len(self.agents)} rated agents")

    def table(self) -> Table:
        """The ratings as a table: agent, elo, elo_se, elo_vs_best, games, wins, draws ([N])."""
        return {
            "agent": self.agents.copy(),
            "elo": self.elo.copy(),
            "elo_se": self.elo_se.copy(),
            "elo_vs_best": self.elo_vs_best.copy(),
            "games": self.games.copy(),
            "wins": self.wins.copy(),
            "draws": self.draws.copy(),
        }

    def difference_variance(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Posterior variance, in Elo^2, of elo[first] - elo[second] (index arrays of shape [P])."""
        first = np.asarray(first, np.int64)
        second = np.asarray(second, np.int64)
        diagonal = np.diag(self.covariance)
        value = diagonal[first] + diagonal[second] - 2.0 * self.covariance[first, second]
        return np.maximum(value, 0.0)

    def sample(self, num_samples: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Parametric bootstrap: ratings drawn from the Laplace (normal) approximation.

        Draws come from N(elo, covariance) and keep the anchoring: the anchor is 0 in every draw,
        or, without an anchor, every draw has mean 0. Derived quantities (elo_vs_best, frontier
        fits) are computed per draw, e.g. `draws - draws.max(axis=1, keepdims=True)`.

        Args:
          num_samples: K, number of draws (>= 1).
          seed: an integer seed, a numpy Generator, or None for fresh entropy.

        Returns:
          float64 array [K, N] of ratings in Elo.
        """
        if isinstance(num_samples, bool) or not isinstance(num_samples, int | np.integer):
            raise ValueError(f"num_samples must be an integer, got {num_samples!r}")
        if num_samples < 1:
            raise ValueError(f"num_samples must be >= 1, got {num_samples}")
        generator = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        count = len(self.agents)
        # The anchored (or centred) covariance is singular in one direction; draw the other N - 1
        # ratings from their positive-definite block and fill the last in from the constraint.
        dropped = self.index(self.anchor) if self.anchor is not None else count - 1
        keep = np.delete(np.arange(count), dropped)
        samples = np.empty((int(num_samples), count))
        if len(keep):
            block = self.covariance[np.ix_(keep, keep)]
            factor = _cholesky_with_jitter(block)
            normal = generator.standard_normal((int(num_samples), len(keep)))
            samples[:, keep] = self.elo[keep] + normal @ factor.T
        if self.anchor is not None:
            samples[:, dropped] = 0.0
        else:
            samples[:, dropped] = -samples[:, keep].sum(axis=1)
        return samples


def _cholesky_with_jitter(matrix: np.ndarray) -> np.ndarray:
    jitter = 0.0
    scale = max(float(np.max(np.diag(matrix), initial=0.0)), 1e-300)
    for _ in range(8):
        try:
            return np.linalg.cholesky(matrix + jitter * np.eye(len(matrix)))
        except np.linalg.LinAlgError:
            jitter = scale * 1e-12 if jitter == 0.0 else jitter * 100.0
    values, vectors = np.linalg.eigh(matrix)
    return vectors * np.sqrt(np.clip(values, 0.0, None))


def expected_score(
    elo_first: np.ndarray | float,
    elo_second: np.ndarray | float,
    first_move_advantage: float = 0.0,
) -> np.ndarray:
    """Probability that an agent rated `elo_first` (moving first) beats one rated `elo_second`.

    All arguments in Elo (broadcast together); returns float64 probabilities of the same shape.
    """
    difference = (np.asarray(elo_first, np.float64) - np.asarray(elo_second, np.float64)) + float(
        first_move_advantage
    )
    return scipy.special.expit(difference / ELO_PER_NATURAL)


# -- input checking ------------------------------------------------------------------------------


def _identifiers(column: np.ndarray, field: str) -> np.ndarray:
    if column.dtype.kind in "iu":
        return column.astype(np.int64)
    if column.dtype.kind in "US":
        column = column.astype(object)
    if column.dtype.kind != "O":
        raise ValueError(f"match column {field!r} must hold agent names or integer ids")
    for row, value in enumerate(column):
        if not isinstance(value, str) or not value:
            raise ValueError(
                f"match row {row}: {field} must be a non-empty agent name, got {value!r}"
            )
    return column


def _counts(column: np.ndarray, field: str) -> np.ndarray:
    try:
        values = np.asarray(column, np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"match column {field!r} must hold whole numbers of games") from None
    bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"match row {row}: {field} must be a whole number >= 0, got {column.tolist()[row]!r}"
        )
    return values.astype(np.int64)


def _group_text(names: Sequence[object]) -> str:
    shown = ", ".join(str(name) for name in names[:_MAX_NAMES_SHOWN])
    if len(names) > _MAX_NAMES_SHOWN:
        shown += f", ... ({len(names) - _MAX_NAMES_SHOWN} more)"
    return "{" + shown + "}"


def _check_connected(agents: np.ndarray, first: np.ndarray, second: np.ndarray) -> None:
    count = len(agents)
    graph = scipy.sparse.coo_matrix(
        (np.ones(len(first)), (first, second)), shape=(count, count)
    ).tocsr()
    num_groups, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
    if num_groups <= 1:
        return
    groups = [agents[labels == label].tolist() for label in range(num_groups)]
    groups.sort(key=lambda names: (-len(names), str(names[0])))
    texts = [_group_text(names) for names in groups[:4]]
    if num_groups <= 4:
        listed = ", ".join(texts[:-1]) + f" and {texts[-1]}"
    else:
        listed = ", ".join(texts) + f" and {num_groups - 4} more groups"
    raise ValueError(
        f"agents form {num_groups} disconnected groups: {listed}; "
        "play at least one match between the groups"
    )


def _resolve_anchor(agents: np.ndarray, anchor: object | None) -> int | None:
    if anchor is None:
        return None
    if isinstance(anchor, str) and anchor.endswith("*"):
        prefix = anchor[:-1]
        names = [(str(name), position) for position, name in enumerate(agents)]
        exact = [position for name, position in names if name == prefix]
        matching = sorted((name, position) for name, position in names if name.startswith(prefix))
        if exact:
            return exact[0]
        if matching:
            return matching[0][1]
        if anchor == AUTO_ANCHOR:
            return None
        raise ValueError(f"anchor {anchor!r} matches none of the {len(agents)} rated agents")
    for position, name in enumerate(agents.tolist()):
        if name == anchor:
            return position
    raise ValueError(f"anchor {anchor!r} is not among the {len(agents)} rated agents")


# -- the fit -------------------------------------------------------------------------------------


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def fit_elo(
    matches: Mapping[str, np.ndarray],
    *,
    anchor: object | None = AUTO_ANCHOR,
    prior_sigma: float = DEFAULT_PRIOR_SIGMA,
    first_move: bool = True,
    first_move_prior_sigma: float = DEFAULT_PRIOR_SIGMA,
    tolerance: float = 1e-9,
    max_iterations: int = 200,
    colour: str = "term",
) -> Ratings:
    """Fit Bradley–Terry ratings with a first-mover term to match totals (MAP, Laplace errors).

    Args:
      matches: a table with columns `first`, `second` (agent names as str, or integer ids; [P]
        each; `first` moved first), `first_wins`, `second_wins` (whole numbers >= 0, [P] each),
        and optionally `draws` (whole numbers >= 0 [P]; each draw counts as half a win for each
        side, see the module docstring). Several rows per ordered pair are allowed and added up;
        rows with no games are ignored.
      anchor: the agent whose rating is fixed at 0 (a name or id), a name prefix ending in "*"
        (the agent named exactly the prefix if present, else the first matching name in sorted
        order), or None to centre ratings on their mean. The default, `AUTO_ANCHOR`, anchors on a
        random player when one is present and centres otherwise.
      prior_sigma: standard deviation of the Gaussian prior on each rating, natural units (> 0).
      first_move: fit the first-mover advantage h; if False, h is fixed at 0.
      colour: "term" fits the games of each colour as played, with the first-mover term h (when
        `first_move`); "symmetric" is Jones's treatment: each unordered pair's win rate is the
        average of its win rates with either colour (the one played when only one was), applied
        to all its games, and the model has no first-mover term.
      first_move_prior_sigma: standard deviation of the prior on h, natural units (> 0).
      tolerance: convergence threshold on the largest Newton step, natural units.
      max_iterations: most Newton steps before giving up.

    Returns:
      `Ratings` for every agent that played at least one game.

    Raises:
      ValueError: a missing column, a malformed row (named by its 0-based position), no games,
        an unknown anchor, or agents that form disconnected groups (named) so that their
        relative ratings are not determined by the games.
    """
    if colour not in COLOURS:
        raise ValueError(f"colour must be one of {', '.join(COLOURS)}, got {colour!r}")
    missing = [name for name in MATCH_COLUMNS if name not in matches]
    if missing:
        raise ValueError(
            f"match table lacks column(s) {', '.join(missing)} (has: {', '.join(matches)})"
        )
    for name, value in (
        ("prior_sigma", prior_sigma),
        ("first_move_prior_sigma", first_move_prior_sigma),
    ):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        if not (math.isfinite(float(value)) and float(value) > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    columns = {name: np.asarray(matches[name]) for name in MATCH_COLUMNS}
    if DRAWS_COLUMN in matches:
        columns[DRAWS_COLUMN] = np.asarray(matches[DRAWS_COLUMN])
    num_rows(columns)
    if len(columns["first"]) == 0:
        raise ValueError("no matches to rate: the match table has no rows")
    first_names = _identifiers(columns["first"], "first")
    second_names = _identifiers(columns["second"], "second")
    if (first_names.dtype == object) != (second_names.dtype == object):
        raise ValueError("match columns 'first' and 'second' must both hold names or both ids")
    first_wins = _counts(columns["first_wins"], "first_wins")
    second_wins = _counts(columns["second_wins"], "second_wins")
    if DRAWS_COLUMN in columns:
        drawn = _counts(columns[DRAWS_COLUMN], DRAWS_COLUMN)
    else:
        drawn = np.zeros_like(first_wins)
    same = first_names == second_names
    if np.any(same):
        row = int(np.flatnonzero(same)[0])
        raise ValueError(f"match row {row}: agent {first_names[row]!r} cannot play itself")

    played = (first_wins + second_wins + drawn) > 0
    if not played.any():
        raise ValueError("no games to rate: every match row has 0 games (wins and draws)")
    first_names, second_names = first_names[played], second_names[played]
    first_wins, second_wins, drawn = first_wins[played], second_wins[played], drawn[played]

    agents, inverse = np.unique(np.concatenate([first_names, second_names]), return_inverse=True)
    count = len(agents)
    first_index, second_index = inverse[: len(first_names)], inverse[len(first_names) :]
    # Add up rows of one ordered pair so the per-iteration work scales with distinct pairs.
    pair_code, pair_inverse = np.unique(first_index * count + second_index, return_inverse=True)
    pair_draws = np.bincount(pair_inverse, drawn, minlength=len(pair_code))
    # A draw is half a win for each side (module docstring).
    wins = np.bincount(pair_inverse, first_wins, minlength=len(pair_code)) + 0.5 * pair_draws
    losses = np.bincount(pair_inverse, second_wins, minlength=len(pair_code)) + 0.5 * pair_draws
    first_index, second_index = pair_code // count, pair_code % count
    _check_connected(agents, first_index, second_index)
    anchor_position = _resolve_anchor(agents, anchor)
    games_per_pair = wins + losses
    games = np.bincount(first_index, games_per_pair, count) + np.bincount(
        second_index, games_per_pair, count
    )
    won = np.bincount(first_index, wins - 0.5 * pair_draws, count) + np.bincount(
        second_index, losses - 0.5 * pair_draws, count
    )
    drew = np.bincount(first_index, pair_draws, count) + np.bincount(
        second_index, pair_draws, count
    )
    if colour == "symmetric":
        first_index, second_index, wins, losses = _symmetrise(
            first_index, second_index, wins.astype(np.float64), losses.astype(np.float64)
        )
        first_move = False

    problem = _Problem(
        count, first_index, second_index, wins.astype(np.float64), losses.astype(np.float64),
        float(prior_sigma), float(first_move_prior_sigma) if first_move else None,
    )  # fmt: skip
    theta, covariance_full, log_likelihood, iterations = _newton(problem, tolerance, max_iterations)

    ratings = theta[:count]
    covariance = covariance_full[:count, :count]
    if anchor_position is not None:
        relative = ratings - ratings[anchor_position]
        column = covariance[:, anchor_position]
        covariance = covariance - column[:, None] - column[None, :] + column[anchor_position]
    else:
        relative = ratings - ratings.mean()
        row_mean = covariance.mean(axis=1)
        covariance = covariance - row_mean[:, None] - row_mean[None, :] + row_mean.mean()
    covariance = 0.5 * (covariance + covariance.T) * ELO_PER_NATURAL**2
    elo = relative * ELO_PER_NATURAL
    elo_se = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    if anchor_position is not None:
        elo[anchor_position] = 0.0
        elo_se[anchor_position] = 0.0

    if first_move:
        advantage = float(theta[count]) * ELO_PER_NATURAL
        advantage_se = math.sqrt(max(float(covariance_full[count, count]), 0.0)) * ELO_PER_NATURAL
    else:
        advantage, advantage_se = 0.0, 0.0
    return Ratings(
        agents=agents,
        elo=elo,
        elo_se=elo_se,
        elo_vs_best=elo - elo.max(),
        games=np.rint(games).astype(np.int64),
        wins=np.rint(won).astype(np.int64),
        first_move_advantage=advantage,
        first_move_advantage_se=advantage_se,
        covariance=covariance,
        anchor=None if anchor_position is None else agents.tolist()[anchor_position],
        log_likelihood=log_likelihood,
        iterations=iterations,
        prior_sigma=float(prior_sigma),
        draws=np.rint(drew).astype(np.int64),
    )


def _symmetrise(first, second, wins, losses):
    """Jones's colour treatment: per unordered pair (i < j) [Q], the win rate of i averaged over
    the colours it was played with, times the pair's games. Returns (i, j, wins of i, wins of j)."""
    low, high = np.minimum(first, second), np.maximum(first, second)
    low_first = first == low
    # Wins of the lower-numbered agent and games, separately for each colour it had.
    low_wins = np.where(low_first, wins, losses)
    games = wins + losses
    count = int(max(first.max(), second.max())) + 1
    code, pair = np.unique(low * count + high, return_inverse=True)
    pair = pair.reshape(-1)
    first_won, first_played = (
        np.bincount(pair[low_first], low_wins[low_first], len(code)),
        np.bincount(pair[low_first], games[low_first], len(code)),
    )
    second_won, second_played = (
        np.bincount(pair[~low_first], low_wins[~low_first], len(code)),
        np.bincount(pair[~low_first], games[~low_first], len(code)),
    )
    rates = []
    for won, played in ((first_won, first_played), (second_won, second_played)):
        rates.append(np.where(played > 0, won / np.maximum(played, 1e-300), np.nan))
    rate = np.nanmean(np.stack(rates), axis=0)
    total = first_played + second_played
    return code // count, code % count, rate * total, (1.0 - rate) * total


class _Problem:
    """Log-posterior of the Bradley–Terry model over theta = (r_0 .. r_{N-1}[, h]), natural units.

    Pairs are distinct ordered pairs [P]: `first` moved first, `wins` / `losses` are its game
    counts. The negative Hessian is a weighted graph Laplacian (plus the first-mover row) plus
    the prior precision; products with it cost O(P + N) via `np.bincount`.
    """

    def __init__(self, count, first, second, wins, losses, prior_sigma, first_move_prior_sigma):
        self.count = count
        self.first, self.second = first, second
        self.wins, self.losses, self.games = wins, losses, wins + losses
        self.with_advantage = first_move_prior_sigma is not None
        self.size = count + 1 if self.with_advantage else count
        self.precision = np.full(self.size, 1.0 / prior_sigma**2)
        if self.with_advantage:
            self.precision[count] = 1.0 / first_move_prior_sigma**2

    def margins(self, theta: np.ndarray) -> np.ndarray:
        value = theta[self.first] - theta[self.second]
        return value + theta[self.count] if self.with_advantage else value

    def log_likelihood(self, margin: np.ndarray) -> float:
        return float(np.sum(self.wins * _log_sigmoid(margin) + self.losses * _log_sigmoid(-margin)))

    def log_posterior(self, theta: np.ndarray, margin: np.ndarray) -> float:
        return self.log_likelihood(margin) - 0.5 * float(np.sum(self.precision * theta**2))

    def gradient(self, theta: np.ndarray, margin: np.ndarray) -> np.ndarray:
        residual = self.wins - self.games * scipy.special.expit(margin)
        gradient = self.spread(residual)
        return gradient - self.precision * theta

    def spread(self, per_pair: np.ndarray) -> np.ndarray:
        """Transpose of `margins`: per-pair values [P] summed onto parameters [M]."""
        out = np.bincount(self.first, per_pair, self.size) - np.bincount(
            self.second, per_pair, self.size
        )
        if self.with_advantage:
            out[self.count] += per_pair.sum()
        return out

    def weights(self, margin: np.ndarray) -> np.ndarray:
        probability = scipy.special.expit(margin)
        return self.games * probability * (1.0 - probability)

    def hessian_product(self, weight: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """(negative Hessian) @ vector, for pair weights n p (1 - p) [P]."""
        return self.spread(weight * self.margins(vector)) + self.precision * vector

    def hessian_diagonal(self, weight: np.ndarray) -> np.ndarray:
        diagonal = np.bincount(self.first, weight, self.size) + np.bincount(
            self.second, weight, self.size
        )
        if self.with_advantage:
            diagonal[self.count] += weight.sum()
        return diagonal + self.precision

    def dense_hessian(self, weight: np.ndarray) -> np.ndarray:
        """The negative Hessian as a dense [M, M] matrix."""
        size, count = self.size, self.count
        first, second = self.first, self.second
        if self.with_advantage:
            advantage = np.full(len(first), count)
            rows = (first, second, first, second, first, advantage, second, advantage, advantage)
            cols = (first, second, second, first, advantage, first, advantage, second, advantage)
            signs = (1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0)
        else:
            rows, cols = (first, second, first, second), (first, second, second, first)
            signs = (1.0, 1.0, -1.0, -1.0)
        flat = np.concatenate([row * size + col for row, col in zip(rows, cols, strict=True)])
        values = np.concatenate([sign * weight for sign in signs])
        hessian = np.bincount(flat, values, minlength=size * size).reshape(size, size)
        hessian[np.diag_indices(size)] += self.precision
        return hessian

    def newton_step(self, weight: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Solve (negative Hessian) x = gradient by conjugate gradients.

        The prior is the same for every rating and the likelihood only sees differences, so the
        all-ratings-equal direction is an exact eigenvector (eigenvalue 1 / sigma^2, tiny next to
        the data's curvature). It is solved exactly and CG runs in the space orthogonal to it,
        with a Jacobi preconditioner, which keeps the iteration count set by the match graph.
        """
        count = self.count
        mean_direction = np.zeros(self.size)
        mean_direction[:count] = 1.0 / math.sqrt(count)

        def project(vector: np.ndarray) -> np.ndarray:
            return vector - mean_direction * (mean_direction @ vector)

        along = (mean_direction @ gradient) / self.precision[0]
        right = project(gradient)
        inverse_diagonal = 1.0 / self.hessian_diagonal(weight)
        solution = np.zeros(self.size)
        residual = right.copy()
        target = 1e-12 * max(float(np.linalg.norm(right)), 1e-300)
        preconditioned = project(inverse_diagonal * residual)
        direction = preconditioned.copy()
        rho = residual @ preconditioned
        for _ in range(10 * self.size + 100):
            if np.linalg.norm(residual) <= target:
                break
            product = project(self.hessian_product(weight, direction))
            alpha = rho / (direction @ product)
            solution += alpha * direction
            residual -= alpha * product
            preconditioned = project(inverse_diagonal * residual)
            rho_next = residual @ preconditioned
            direction = preconditioned + (rho_next / rho) * direction
            rho = rho_next
        return solution + along * mean_direction


def _newton(
    problem: _Problem, tolerance: float, max_iterations: int
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """MAP by damped Newton. Returns (theta [M], covariance [M, M], log-likelihood, steps), where
    M = N (+ 1 for h, last, when the problem has a first-mover term); natural units."""
    theta = np.zeros(problem.size)
    margin = problem.margins(theta)
    value = problem.log_posterior(theta, margin)
    iterations = 0
    converged = False
    while iterations < max_iterations:
        weight = problem.weights(margin)
        step = problem.newton_step(weight, problem.gradient(theta, margin))
        iterations += 1
        scale = 1.0
        while True:
            candidate = theta + scale * step
            candidate_margin = problem.margins(candidate)
            candidate_value = problem.log_posterior(candidate, candidate_margin)
            # The posterior is concave, so a short enough Newton step always improves it; the
            # slack allows for rounding once the step is at the level of float noise.
            if candidate_value >= value - 1e-12 * max(1.0, abs(value)) or scale < 1e-6:
                break
            scale *= 0.5
        theta, margin, value = candidate, candidate_margin, candidate_value
        if scale * float(np.max(np.abs(step))) < tolerance:
            converged = True
            break
    if not converged:
        raise ValueError(
            f"the Elo fit did not converge in {max_iterations} Newton steps; "
            "check the match table for extreme counts"
        )
    hessian = problem.dense_hessian(problem.weights(margin))
    # One dense inverse for the Laplace covariance (numpy's LU inverse has proved the quickest
    # and steadiest of the LAPACK routes on small shared CPUs).
    covariance = np.linalg.inv(hessian)
    covariance = 0.5 * (covariance + covariance.T)
    return theta, covariance, problem.log_likelihood(margin), iterations
