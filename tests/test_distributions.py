"""Unit tests of klnotes.distributions (random draws, marginals, conditionals)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from klnotes.distributions import conditional, marginal, random_distribution


def test_random_distribution_is_a_distribution_of_the_given_shape():
    rng = np.random.default_rng(0)
    for shape, expected in (
        (5, (5,)),
        ((2, 3), (2, 3)),
        ((1,), (1,)),
        (np.int64(4), (4,)),
    ):
        p = random_distribution(rng, shape)
        assert isinstance(p, np.ndarray) and p.shape == expected
        assert p.dtype == np.float64
        assert np.all(p > 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)


def test_random_distribution_is_deterministic_for_a_seed():
    a = random_distribution(np.random.default_rng(42), (3, 4), concentration=0.5)
    b = random_distribution(np.random.default_rng(42), (3, 4), concentration=0.5)
    np.testing.assert_array_equal(a, b)
    c = random_distribution(np.random.default_rng(43), (3, 4), concentration=0.5)
    assert not np.array_equal(a, c)


def test_random_distribution_concentration_controls_spread():
    rng = np.random.default_rng(1)
    flat = random_distribution(rng, 10, concentration=1e4)
    np.testing.assert_allclose(flat, 0.1, atol=0.01)


@pytest.mark.parametrize(
    ("rng", "shape", "kw", "exc", "match"),
    [
        (0, 3, {}, TypeError, "rng must be a numpy.random.Generator"),
        (np.random.RandomState(0), 3, {}, TypeError, "rng must be"),
        (None, 3, {}, TypeError, "rng must be"),
        ("rng", 3, {"concentration": 0.0}, TypeError, "rng must be"),
        ("ok", 3, {"concentration": 0.0}, ValueError, "concentration must be positive"),
        (
            "ok",
            3,
            {"concentration": -1.0},
            ValueError,
            "concentration must be positive",
        ),
        ("ok", 3, {"concentration": float("nan")}, ValueError, "concentration"),
        ("ok", 3, {"concentration": float("inf")}, ValueError, "concentration"),
        ("ok", 0, {}, ValueError, "has no outcomes"),
        ("ok", (2, 0), {}, ValueError, "has no outcomes"),
        ("ok", (-1, 2), {}, ValueError, "has no outcomes"),
    ],
)
def test_random_distribution_bad_input(rng, shape, kw, exc, match):
    if isinstance(rng, str) and rng == "ok":
        rng = np.random.default_rng(0)
    with pytest.raises(exc, match=match):
        random_distribution(rng, shape, **kw)


JOINT = np.array([[0.1, 0.2, 0.1], [0.3, 0.0, 0.3]])


def test_marginals_of_a_joint():
    np.testing.assert_allclose(marginal(JOINT, 0), [0.4, 0.6], rtol=1e-15)
    np.testing.assert_allclose(marginal(JOINT, 1), [0.4, 0.2, 0.4], rtol=1e-15)
    np.testing.assert_allclose(marginal(JOINT), marginal(JOINT, 0))
    # lists and JAX arrays are accepted; the result is NumPy
    out = marginal(jnp.asarray(JOINT), 1)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [0.4, 0.2, 0.4], rtol=1e-12)
    np.testing.assert_allclose(marginal(JOINT.tolist(), 0), [0.4, 0.6])


def test_conditional_rows_are_distributions_and_rebuild_the_joint():
    c = conditional(JOINT)
    np.testing.assert_allclose(c.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(c, [[0.25, 0.5, 0.25], [0.5, 0.0, 0.5]], rtol=1e-15)
    np.testing.assert_allclose(marginal(JOINT, 0)[:, None] * c, JOINT, rtol=1e-15)
    # columns with zero probability are fine; only empty rows are undefined
    assert conditional([[0.5, 0.0], [0.5, 0.0]])[:, 1].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("f", [marginal, conditional])
@pytest.mark.parametrize(
    ("joint", "exc", "match"),
    [
        (
            np.array([0.5, 0.5]),
            ValueError,
            r"joint must be a 2-D joint p\(x, y\), got shape",
        ),
        (np.full((2, 2, 2), 0.125), ValueError, "joint must be a 2-D joint"),
        (np.array([[0.5, 0.6], [0.0, 0.0]]), ValueError, "joint is not normalised"),
        (np.array([[0.5, 0.6], [-0.1, 0.0]]), ValueError, "joint has negative entries"),
        (np.array([[0.5, np.nan], [0.25, 0.25]]), ValueError, "joint has non-finite"),
        (np.zeros((2, 0)), ValueError, "joint has no outcomes"),
        ("joint", TypeError, "joint must be a real numeric array"),
        (None, TypeError, "joint must be a real numeric array"),
        (np.array([[0.5j, 0.5]]), TypeError, "joint must be a real numeric array"),
        (
            np.array([[0.5, 0.5]], dtype=object),
            TypeError,
            "joint must be a real numeric",
        ),
    ],
)
def test_bad_joint(f, joint, exc, match):
    with pytest.raises(exc, match=match):
        f(joint)


@pytest.mark.parametrize("axis", [2, -1, 0.5])
def test_marginal_bad_axis(axis):
    with pytest.raises(ValueError, match="axis must be 0 or 1"):
        marginal(JOINT, axis)


def test_conditional_of_row_with_zero_probability_raises():
    with pytest.raises(ValueError, match=r"p\(x\) = 0"):
        conditional([[0.5, 0.5], [0.0, 0.0]])


def test_gaussian_log_densities_match_scipy_in_numpy_and_jax():
    import jax.numpy as jnp
    import scipy.stats as stats

    from klnotes.distributions import gaussian_log_density, mvn_log_density

    rng = np.random.default_rng(3)
    x = rng.normal(size=(7, 2))
    mean, cov = np.array([0.3, -0.2]), np.array([[1.2, 0.4], [0.4, 0.9]])
    ref = stats.multivariate_normal(mean, cov).logpdf(x)
    np.testing.assert_allclose(mvn_log_density(x, mean, cov), ref, rtol=1e-12)
    np.testing.assert_allclose(
        mvn_log_density(jnp.asarray(x), mean, cov), ref, rtol=1e-12
    )
    np.testing.assert_allclose(mvn_log_density(x[0], mean, cov), ref[0], rtol=1e-12)
    ref1 = stats.norm(0.5, np.sqrt(2.0)).logpdf(x)
    np.testing.assert_allclose(gaussian_log_density(x, 0.5, 2.0), ref1, rtol=1e-12)
    with pytest.raises(ValueError, match="var must be positive"):
        gaussian_log_density(x, 0.0, -1.0)
    with pytest.raises(ValueError, match="cov is not positive-definite"):
        mvn_log_density(x, mean, np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="shape"):
        mvn_log_density(x, mean, np.eye(3))
