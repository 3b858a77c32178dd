"""Unit tests of klnotes.montecarlo (estimates with standard errors, KL from samples)."""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st

import klnotes as kn
from klnotes.montecarlo import (
    Estimate,
    kl_from_log_densities,
    kl_monte_carlo,
    mc_estimate,
)

# ---------------------------------------------------------------------------
# Estimate


def test_estimate_fields_interval_scaled_and_str():
    e = Estimate(1.5, 0.25, 100)
    assert e.interval() == (1.0, 2.0)
    assert e.interval(k=4) == (0.5, 2.5)
    s = e.scaled(-2.0)
    assert (s.mean, s.stderr, s.n) == (-3.0, 0.5, 100)
    assert str(e) == "1.5 ± 0.25 (n=100)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.mean = 2.0  # type: ignore[misc]
    # NumPy float64 is a float; zero stderr is allowed
    assert Estimate(np.float64(1.0), 0.0, 2).stderr == 0.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mean": 1, "stderr": 0.1, "n": 10}, r"Estimate\.mean must be a finite float"),
        (
            {"mean": "1", "stderr": 0.1, "n": 10},
            r"Estimate\.mean must be a finite float",
        ),
        ({"mean": None, "stderr": 0.1, "n": 10}, r"Estimate\.mean"),
        (
            {"mean": math.nan, "stderr": 0.1, "n": 10},
            r"Estimate\.mean must be a finite float",
        ),
        (
            {"mean": math.inf, "stderr": 0.1, "n": 10},
            r"Estimate\.mean must be a finite float",
        ),
        (
            {"mean": 1.0, "stderr": math.inf, "n": 10},
            r"Estimate\.stderr must be a finite float",
        ),
        (
            {"mean": 1.0, "stderr": math.nan, "n": 10},
            r"Estimate\.stderr must be a finite float",
        ),
        (
            {"mean": 1.0, "stderr": 1, "n": 10},
            r"Estimate\.stderr must be a finite float",
        ),
        (
            {"mean": 1.0, "stderr": -0.1, "n": 10},
            r"Estimate\.stderr must be non-negative",
        ),
        ({"mean": 1.0, "stderr": 0.1, "n": 1}, r"Estimate\.n must be an int >= 2"),
        ({"mean": 1.0, "stderr": 0.1, "n": 0}, r"Estimate\.n must be an int >= 2"),
        ({"mean": 1.0, "stderr": 0.1, "n": 10.0}, r"Estimate\.n must be an int >= 2"),
        ({"mean": 1.0, "stderr": 0.1, "n": "10"}, r"Estimate\.n must be an int >= 2"),
        ({"mean": 1.0, "stderr": 0.1, "n": True}, r"Estimate\.n must be an int >= 2"),
    ],
)
def test_estimate_bad_fields(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Estimate(**kwargs)


# ---------------------------------------------------------------------------
# mc_estimate


def test_mc_estimate_matches_numpy():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=1000)
    e = mc_estimate(x)
    assert isinstance(e, Estimate) and e.n == 1000
    assert e.mean == pytest.approx(x.mean(), rel=1e-14)
    assert e.stderr == pytest.approx(x.std(ddof=1) / math.sqrt(1000), rel=1e-14)
    assert type(e.mean) is float and type(e.stderr) is float
    # two draws are the minimum; constant samples have zero standard error
    assert mc_estimate([1.0, 3.0]) == Estimate(2.0, 1.0, 2)
    assert mc_estimate([2.0, 2.0, 2.0]).stderr == 0.0
    # lists, ints and JAX arrays are accepted
    assert mc_estimate(jnp.arange(4)).mean == 1.5


def test_mc_estimate_stderr_is_calibrated():
    """Across many seeds the true mean lies within 2 s.e. about 95% of the time."""
    rng = np.random.default_rng(1)
    hits = 0
    trials = 400
    for _ in range(trials):
        e = mc_estimate(rng.exponential(1.0, size=200))
        hits += abs(e.mean - 1.0) <= 2 * e.stderr
    # binomial(400, 0.95) has s.d. ~4.4; the exponential's skew costs a little
    assert 0.90 * trials <= hits <= 0.99 * trials


@pytest.mark.parametrize(
    ("samples", "exc", "match"),
    [
        ([1.0], ValueError, "samples needs at least 2 draws"),
        ([], ValueError, "samples needs at least 2 draws.*got 0"),
        (np.ones((3, 2)), ValueError, r"samples must be 1-D, got shape \(3, 2\)"),
        (np.float64(1.0), ValueError, "samples must be 1-D"),
        ([1.0, np.nan, 2.0], ValueError, "samples has non-finite"),
        ([1.0, np.inf], ValueError, "samples has non-finite"),
        ("12", TypeError, "samples must be a real numeric array"),
        (None, TypeError, "samples must be a real numeric array"),
        ([1j, 2.0], TypeError, "samples must be a real numeric array"),
        (
            np.array([1.0, 2.0], dtype=object),
            TypeError,
            "samples must be a real numeric",
        ),
    ],
)
def test_mc_estimate_bad_input(samples, exc, match):
    with pytest.raises(exc, match=match):
        mc_estimate(samples)


# ---------------------------------------------------------------------------
# KL from log-densities


def test_kl_from_log_densities_and_units():
    lp = np.array([0.0, -1.0, -2.0, -0.5])
    lq = np.array([-1.0, -1.5, -2.0, -1.5])
    e = kl_from_log_densities(lp, lq)
    ref = mc_estimate(lp - lq)
    assert e == ref
    bits = kl_from_log_densities(lp, lq, base="bits")
    assert bits.mean == pytest.approx(ref.mean / math.log(2), rel=1e-15)
    assert bits.stderr == pytest.approx(ref.stderr / math.log(2), rel=1e-15)
    assert bits.n == ref.n
    db = kl_from_log_densities(jnp.asarray(lp), lq, base="dB")
    assert db.mean == pytest.approx(10 * ref.mean / math.log(10), rel=1e-15)


@pytest.mark.parametrize(
    ("logp", "logq", "exc", "match"),
    [
        ([0.0, 1.0], [0.0, 1.0, 2.0], ValueError, "shape mismatch: logp has shape"),
        ([0.0], [0.0], ValueError, "at least 2 draws"),
        (np.zeros((2, 2)), np.zeros((2, 2)), ValueError, "logp must be 1-D"),
        ([0.0, np.nan], [0.0, 0.0], ValueError, "logp has non-finite"),
        ([0.0, 0.0], [0.0, -np.inf], ValueError, "logq has non-finite"),
        ("ab", [0.0, 0.0], TypeError, "logp must be a real numeric"),
        ([0.0, 0.0], None, TypeError, "logq must be a real numeric"),
    ],
)
def test_kl_from_log_densities_bad_input(logp, logq, exc, match):
    with pytest.raises(exc, match=match):
        kl_from_log_densities(logp, logq)


def test_kl_from_log_densities_bad_base():
    with pytest.raises(ValueError, match="unit"):
        kl_from_log_densities([0.0, 1.0], [0.0, 0.0], base="furlongs")


# ---------------------------------------------------------------------------
# kl_monte_carlo with JAX sampling


def _normal_sampler(mean, var):
    def sample(key, n):
        return mean + math.sqrt(var) * jax.random.normal(key, (n,))

    return sample


def _normal_logpdf(mean, var):
    def logpdf(x):
        return -0.5 * jnp.log(2 * jnp.pi * var) - (x - mean) ** 2 / (2 * var)

    return logpdf


def test_kl_monte_carlo_univariate_gaussian_agrees_with_closed_form():
    mp, vp, mq, vq = 0.2, 0.8, 2.5, 1.2
    args = (_normal_sampler(mp, vp), _normal_logpdf(mp, vp), _normal_logpdf(mq, vq))
    key = jax.random.key(7)
    est = kl_monte_carlo(key, *args, 300_000)
    assert est.n == 300_000
    kn.check_mc("MC Gaussian KL", est, kn.gaussian_kl(mp, vp, mq, vq))
    # deterministic for a fixed key, and a different key gives different draws
    small = kl_monte_carlo(key, *args, 1000)
    assert kl_monte_carlo(key, *args, 1000) == small
    assert kl_monte_carlo(jax.random.key(8), *args, 1000).mean != small.mean
    bits = kl_monte_carlo(key, *args, 1000, base="bits")
    assert bits.mean == pytest.approx(small.mean / math.log(2), rel=1e-14)
    assert bits.stderr == pytest.approx(small.stderr / math.log(2), rel=1e-14)


def test_kl_monte_carlo_multivariate_gaussian_agrees_with_closed_form():
    mp, mq = np.array([0.0, 1.0]), np.array([1.5, -1.0])
    cp = np.array([[2.0, 0.6], [0.6, 1.0]])
    cq = np.array([[1.0, -0.3], [-0.3, 2.0]])
    lp = np.linalg.cholesky(cp)

    def sample(key, n):
        return mp + jax.random.normal(key, (n, 2)) @ lp.T

    def logpdf(mean, cov):
        dist = st.multivariate_normal(mean, cov)
        return lambda x: dist.logpdf(np.asarray(x))

    est = kl_monte_carlo(
        jax.random.key(3), sample, logpdf(mp, cp), logpdf(mq, cq), 200_000
    )
    exact = kn.gaussian_kl(mp, cp, mq, cq)
    assert abs(est.mean - exact) <= 4 * est.stderr < 0.01 * exact


@pytest.mark.parametrize("n", [1, 0, -5, 2.0, 1e6, "100", None])
def test_kl_monte_carlo_bad_n(n):
    args = (
        _normal_sampler(0.0, 1.0),
        _normal_logpdf(0.0, 1.0),
        _normal_logpdf(1.0, 1.0),
    )
    with pytest.raises(ValueError, match="n must be an int >= 2"):
        kl_monte_carlo(jax.random.key(0), *args, n)
