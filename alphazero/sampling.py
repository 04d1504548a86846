"""Fast exact Gamma and Dirichlet sampling for the search's root noise.

`jax.random.gamma` runs a rejection loop per element (a ``while_loop`` that a batch leaves only when
its last element is accepted); on a CPU it costs about a hundred uniform draws per sample, which made
the Dirichlet root noise as expensive as the whole search on small boards. Here, Marsaglia and
Tsang's method for shape ``alpha + 1`` (acceptance above 95% for every ``alpha > 0``) draws a fixed
number of proposals for every element at once and keeps the first accepted one; elements whose
proposals were all rejected (probability below 0.05 ** tries) get more proposals in a loop that
usually runs zero or one round. The result has exactly the Gamma distribution. Shape
``alpha`` follows from Gamma(alpha) = Gamma(alpha + 1) * U ** (1 / alpha), taken in log space so that
small ``alpha`` does not underflow.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def _marsaglia_tsang(key, a: float, shape: tuple[int, ...], tries: int):
    """``tries`` proposals per element for Gamma(a), a >= 1: (log of the first accepted one [shape],
    accepted [shape])."""
    d = a - 1.0 / 3.0
    c = 1.0 / (9.0 * d) ** 0.5
    normal_key, uniform_key = jax.random.split(key)
    x = jax.random.normal(normal_key, (tries, *shape))
    u = jax.random.uniform(uniform_key, (tries, *shape), minval=1e-37)
    v = 1.0 + c * x
    positive = v > 0
    v3 = jnp.where(positive, v, 1.0) ** 3
    accept = positive & (jnp.log(u) < 0.5 * x * x + d - d * v3 + d * jnp.log(v3))
    first = jnp.argmax(accept, axis=0)  # the first accepted proposal (0 where none was)
    log_sample = jnp.log(d) + jnp.log(jnp.take_along_axis(v3, first[None], axis=0)[0])
    return log_sample, accept.any(axis=0)


def log_gamma_sample(key, alpha: float, shape: tuple[int, ...], tries: int = 4) -> jax.Array:
    """log of Gamma(alpha, 1) samples of ``shape`` (float32), for a scalar ``alpha > 0``.

    ``tries`` proposals per element up front; elements with none accepted get one more proposal per
    round of a ``while_loop`` until all are accepted (the loop usually runs zero or one round)."""
    proposal_key, boost_key, retry_key = jax.random.split(key, 3)
    a = alpha + 1.0
    log_sample, accepted = _marsaglia_tsang(proposal_key, a, shape, tries)

    def retry(carry):
        log_sample, accepted, key = carry
        key, draw_key = jax.random.split(key)
        new, new_accepted = _marsaglia_tsang(draw_key, a, shape, 1)
        take = ~accepted & new_accepted
        return jnp.where(take, new, log_sample), accepted | take, key

    log_sample, _, _ = jax.lax.while_loop(
        lambda carry: ~carry[1].all(), retry, (log_sample, accepted, retry_key)
    )
    boost = jax.random.uniform(boost_key, shape, minval=1e-37)
    return log_sample + jnp.log(boost) / alpha


def dirichlet_over(key, alpha: float, legal: jax.Array) -> jax.Array:
    """Symmetric Dirichlet(alpha) noise over the ``legal`` entries of each row of ``legal`` [B, N]
    (zeros elsewhere; a row with no legal entry gets zeros). [B, N] float32."""
    log_gamma = log_gamma_sample(key, alpha, legal.shape)
    log_gamma = jnp.where(legal, log_gamma, -jnp.inf)
    top = jnp.max(log_gamma, axis=-1, keepdims=True)
    weights = jnp.where(legal, jnp.exp(log_gamma - jnp.where(jnp.isfinite(top), top, 0.0)), 0.0)
    return weights / jnp.maximum(weights.sum(axis=-1, keepdims=True), 1e-30)
