"""The root noise's Gamma and Dirichlet samplers against scipy's distributions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from alphazero.sampling import dirichlet_over, log_gamma_sample


@pytest.mark.parametrize("alpha", [0.02, 0.4, 1.0, 3.0])
@pytest.mark.parametrize("tries", [1, 4])  # one try per element makes the retry loop run
def test_log_gamma_has_the_gamma_distribution(alpha, tries):
    samples = np.asarray(log_gamma_sample(jax.random.key(7), alpha, (20000,), tries=tries))
    assert np.isfinite(samples).all()
    # scipy's loggamma(c) is the distribution of log X for X ~ Gamma(c): exact also for tiny
    # alpha, whose samples underflow float32 outside log space.
    result = scipy.stats.kstest(samples.astype(np.float64), scipy.stats.loggamma(alpha).cdf)
    assert result.pvalue > 1e-3, result


def test_dirichlet_lives_on_the_legal_entries():
    legal = jnp.array([[True, False, True, True], [False, False, False, False], [True] * 4])
    noise = np.asarray(dirichlet_over(jax.random.key(0), 0.3, legal))
    assert noise.shape == (3, 4) and (noise >= 0).all()
    np.testing.assert_allclose(noise[[0, 2]].sum(axis=1), 1.0, rtol=1e-5)
    assert noise[0, 1] == 0 and (noise[1] == 0).all()


def test_dirichlet_marginal_is_the_beta_distribution():
    # A symmetric Dirichlet(alpha) over k entries has Beta(alpha, (k - 1) alpha) marginals.
    alpha, k = 0.5, 5
    legal = jnp.ones((20000, k), bool)
    noise = np.asarray(dirichlet_over(jax.random.key(3), alpha, legal))[:, 0].astype(np.float64)
    result = scipy.stats.kstest(noise, scipy.stats.beta(alpha, (k - 1) * alpha).cdf)
    assert result.pvalue > 1e-3, result
