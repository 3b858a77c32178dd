"""Tests for klnotes.vae: closed forms against independent references, the
beta-VAE optimum against a generic optimiser, Monte Carlo, training, and bad input."""

import math

import jax
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize, stats

import klnotes as kn
from klnotes import vae

GH_X, GH_W = np.polynomial.hermite_e.hermegauss(80)  # nodes/weights for N(0, 1)
GH_W = GH_W / GH_W.sum()


def reference_terms(s2, a, b, v, w):
    """D, R, H, L, I by Gauss-Hermite quadrature and scipy densities (independent of vae.py)."""
    x = math.sqrt(s2) * GH_X[:, None]
    e = GH_X[None, :]
    z = a * x + math.sqrt(v) * e
    wx = GH_W[:, None]
    we = GH_W[None, :]
    D = -np.sum(wx * we * stats.norm.logpdf(x, b * z, math.sqrt(w)))
    R = np.sum(
        wx * we * (stats.norm.logpdf(z, a * x, math.sqrt(v)) - stats.norm.logpdf(z))
    )
    H = float(stats.norm(0, math.sqrt(s2)).entropy())
    L = -np.sum(GH_W * stats.norm.logpdf(math.sqrt(s2) * GH_X, 0, math.sqrt(b * b + w)))
    cov = np.array([[s2, a * s2], [a * s2, a * a * s2 + v]])
    Ixz = 0.5 * math.log(cov[0, 0] * cov[1, 1] / np.linalg.det(cov))
    return D, R, H, L, Ixz


SETTINGS = [
    (1.0, 0.8, 0.7, 0.3, 0.5),
    (0.5, -1.2, 0.4, 0.6, 0.2),
    (3.0, 0.1, -2.0, 2.0, 0.05),
    (2.0, 0.0, 0.0, 1.0, 2.0),
]


@pytest.mark.parametrize("params", SETTINGS)
def test_linear_terms_match_quadrature(params):
    t = vae.linear_gaussian_terms(*params)
    D, R, H, L, Ixz = reference_terms(*params)
    np.testing.assert_allclose(
        [t.distortion, t.rate, t.entropy, t.marginal_nll, t.mutual_information],
        [D, R, H, L, Ixz],
        rtol=1e-9,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        t.distortion + t.rate - t.marginal_nll, t.posterior_gap, rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        t.marginal_nll - t.entropy, t.marginal_gap, rtol=1e-9, atol=1e-12
    )


def test_posterior_is_bayes_rule():
    b, w = 0.7, 0.3
    g, u = vae.linear_gaussian_posterior(b, w)
    x, z = 0.9, np.linspace(-3, 3, 7)
    lhs = stats.norm.logpdf(z) + stats.norm.logpdf(x, b * z, math.sqrt(w))
    rhs = stats.norm.logpdf(x, 0, math.sqrt(b * b + w)) + stats.norm.logpdf(
        z, g * x, math.sqrt(u)
    )
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


@given(
    st.floats(-2, 2),
    st.floats(-3, 3),
    st.floats(-3, 3),
    st.floats(-3, 2),
    st.floats(-3, 2),
)
def test_bound_chain_holds(log_s2, a, b, log_v, log_w):
    t = vae.linear_gaussian_terms(
        math.exp(log_s2), a, b, math.exp(log_v), math.exp(log_w)
    )
    assert t.distortion + t.rate >= t.marginal_nll - 1e-12
    assert t.marginal_nll >= t.entropy - 1e-12
    assert t.rate >= t.mutual_information - 1e-12


@pytest.mark.parametrize("v", [0.05, 0.4, 1.0])
def test_tight_family_has_zero_gap(v):
    s2 = 1.7
    a = math.sqrt((1 - v) / s2)
    t = vae.linear_gaussian_terms(s2, a, a * s2, v, s2 * v)
    assert abs(t.distortion + t.rate - t.entropy) < 1e-12
    assert abs(t.rate - t.mutual_information) < 1e-12


@pytest.mark.parametrize("beta", [0.3, 1.0, 2.5, 9.0])
def test_beta_optimum_matches_generic_minimiser(beta):
    s2, w = 1.3, 0.25
    opt = vae.beta_vae_optimum(s2, w, beta)

    def J(theta):
        a, b, logv = theta
        return float(vae.beta_vae_objective(s2, a, b, math.exp(logv), w, beta))

    best = min(
        (
            optimize.minimize(
                J,
                x0,
                method="Nelder-Mead",
                options=dict(xatol=1e-10, fatol=1e-13, maxiter=20000),
            )
            for x0 in ([0.5, 0.5, -0.5], [-0.3, 0.2, 0.3], [1.0, -1.0, -1.0])
        ),
        key=lambda r: r.fun,
    )
    J_opt = float(vae.beta_vae_objective(s2, opt.a, opt.b, opt.v, w, beta))
    assert J_opt <= best.fun + 1e-9
    np.testing.assert_allclose(J_opt, best.fun, rtol=1e-7)
    t = vae.linear_gaussian_terms(s2, opt.a, opt.b, opt.v, w)
    np.testing.assert_allclose(
        [t.rate, t.distortion], [opt.rate, opt.distortion], rtol=1e-12, atol=1e-14
    )
    if beta * w < s2:
        np.testing.assert_allclose(
            t.distortion + t.rate - t.entropy, vae.beta_vae_gap(beta), rtol=1e-10
        )
    else:
        assert opt.rate == 0 and opt.a == 0 and opt.b == 0 and opt.v == 1


def test_beta_gap_formula():
    np.testing.assert_allclose(
        vae.beta_vae_gap(np.array([1.0, 2.0, 0.5])),
        [0.0, (1 - math.log(2)) / 2, (-0.5 + math.log(2)) / 2],
        atol=1e-15,
    )


def test_frontier_is_sum_over_axes():
    eig = np.array([0.4, 1.5])
    R, D = vae.linear_gaussian_frontier(eig, 0.1, np.array([2.0, 10.0]))
    for k, beta in enumerate([2.0, 10.0]):
        parts = [vae.beta_vae_optimum(e, 0.1, beta) for e in eig]
        assert R[k] == pytest.approx(sum(float(p.rate) for p in parts), rel=1e-12)
        assert D[k] == pytest.approx(sum(float(p.distortion) for p in parts), rel=1e-12)


def test_linear_mc_agrees_with_closed_form():
    p = dict(s2=1.0, a=0.8, b=0.7, v=0.3, w=0.5)
    D, R = vae.linear_gaussian_mc(jax.random.PRNGKey(0), **p, n=200_000)
    t = vae.linear_gaussian_terms(**p)
    assert abs(D.mean - t.distortion) < 5 * D.stderr
    assert abs(R.mean - t.rate) < 5 * R.stderr
    # and the MC check catches a false claim (5% off)
    with pytest.raises(kn.MonteCarloCheckFailed):
        kn.check_mc("false rate", R, 1.05 * float(t.rate))


def test_gradient_descent_fixed_and_free_w():
    fit = vae.fit_linear_beta_vae(1.0, [0.5, 2.0, 8.0], w=0.2, steps=8000)
    opt = vae.beta_vae_optimum(1.0, 0.2, np.array([0.5, 2.0, 8.0]))
    np.testing.assert_allclose(fit.a, opt.a, atol=1e-8)
    np.testing.assert_allclose(fit.b, opt.b, atol=1e-8)
    np.testing.assert_allclose(fit.v, opt.v, atol=1e-8)
    assert np.all(fit.w == 0.2)
    free = vae.fit_linear_beta_vae(1.0, [2.0], steps=8000)
    t = vae.linear_gaussian_terms(1.0, free.a, free.b, free.v, free.w)
    assert t.rate[0] < 1e-10


def test_mixture_density_entropy_and_moments():
    mix = vae.gaussian_mixture([0.3, 0.7], [[0.0, 0.0], [1.0, -0.5]], [0.5, 0.8])
    x = np.array([[0.2, 0.1], [1.5, -2.0]])
    ref = np.log(
        0.3 * stats.multivariate_normal([0, 0], 0.25 * np.eye(2)).pdf(x)
        + 0.7 * stats.multivariate_normal([1, -0.5], 0.64 * np.eye(2)).pdf(x)
    )
    np.testing.assert_allclose(
        np.asarray(vae.mixture_log_density(mix, x)), ref, rtol=1e-12
    )
    samples = np.asarray(vae.mixture_sample(mix, jax.random.PRNGKey(3), 50_000))
    mean, cov = vae.mixture_moments(mix)
    np.testing.assert_allclose(samples.mean(0), mean, atol=0.02)
    np.testing.assert_allclose(np.cov(samples.T), cov, atol=0.04)
    one = vae.gaussian_mixture([1.0], [[0.3, 0.1]], [0.6])
    assert vae.mixture_entropy(one) == pytest.approx(
        math.log(2 * math.pi * math.e * 0.36), rel=1e-10
    )
    far = vae.gaussian_mixture([0.5, 0.5], [[-20.0, 0.0], [20.0, 0.0]], [0.5, 0.5])
    expected = math.log(2) + math.log(2 * math.pi * math.e * 0.25)
    assert vae.mixture_entropy(far, n_grid=801) == pytest.approx(expected, rel=1e-8)


def test_training_runs_and_bound_holds_for_any_model():
    mix = vae.gaussian_mixture([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.0]], [0.4, 0.4])
    H = vae.mixture_entropy(mix, n_grid=201)
    params, losses = vae.train_vaes(
        jax.random.PRNGKey(0),
        lambda k, n: vae.mixture_sample(mix, k, n),
        [0.5, 4.0],
        w=0.2,
        steps=40,
        batch=64,
        hidden=8,
    )
    assert losses.shape == (40, 2) and np.all(np.isfinite(losses))
    assert np.all(losses[-10:].mean(0) < losses[:10].mean(0))
    x = vae.mixture_sample(mix, jax.random.PRNGKey(1), 4096)
    D, R, DR = vae.vae_rate_distortion(params, jax.random.PRNGKey(2), x, 0.2)
    assert len(D) == len(R) == len(DR) == 2
    for dr in DR:  # D + R >= H for every model, trained or not
        assert dr.mean >= H - 4 * dr.stderr


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(s2=-1.0, a=0.1, b=0.1, v=0.5, w=0.5), "s2"),
        (dict(s2=1.0, a=0.1, b=0.1, v=0.0, w=0.5), "v"),
        (dict(s2=1.0, a=0.1, b=0.1, v=0.5, w=-2.0), "w"),
        (dict(s2=1.0, a=np.nan, b=0.1, v=0.5, w=0.5), "a"),
        (dict(s2=1.0, a=0.1, b=np.inf, v=0.5, w=0.5), "b"),
    ],
)
def test_linear_terms_reject_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        vae.linear_gaussian_terms(**kwargs)


def test_other_bad_input():
    with pytest.raises(TypeError):
        vae.linear_gaussian_terms("1", 0.1, 0.1, 0.5, 0.5)
    with pytest.raises(ValueError, match="beta"):
        vae.beta_vae_optimum(1.0, 0.1, -1.0)
    with pytest.raises(ValueError, match="beta"):
        vae.beta_vae_gap(0.0)
    with pytest.raises(ValueError, match="eigenvalues"):
        vae.linear_gaussian_frontier(np.ones((2, 2)), 0.1, 1.0)
    with pytest.raises(ValueError, match="n"):
        vae.linear_gaussian_mc(jax.random.PRNGKey(0), 1.0, 0.1, 0.1, 0.5, 0.5, n=1)
    with pytest.raises(ValueError, match="init"):
        vae.fit_linear_beta_vae(1.0, [1.0], w=0.2, init=(0.0, 0.0, 0.5, 1.0))
    with pytest.raises(ValueError, match="steps"):
        vae.fit_linear_beta_vae(1.0, [1.0], w=0.2, steps=0)
    with pytest.raises(ValueError, match="weights"):
        vae.gaussian_mixture([0.5, 0.6], [[0, 0], [1, 1]], [1, 1])
    with pytest.raises(ValueError, match="means"):
        vae.gaussian_mixture([0.5, 0.5], [[0, 0]], [1, 1])
    with pytest.raises(ValueError, match="scales"):
        vae.gaussian_mixture([0.5, 0.5], [[0, 0], [1, 1]], [1, -1])
    mix = vae.gaussian_mixture([1.0], [[0.0, 0.0]], [1.0])
    with pytest.raises(ValueError, match="x"):
        vae.mixture_log_density(mix, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="n_grid"):
        vae.mixture_entropy(mix, n_grid=2)
    with pytest.raises(ValueError, match="3-D|2-D"):
        vae.mixture_entropy(vae.gaussian_mixture([1.0], [[0.0, 0.0, 0.0]], [1.0]))
    with pytest.raises(ValueError, match="w"):
        vae.train_vaes(
            jax.random.PRNGKey(0),
            lambda k, n: vae.mixture_sample(mix, k, n),
            [1.0],
            w=0.0,
        )
    with pytest.raises(ValueError, match="w"):
        vae.vae_terms(
            vae.vae_init(jax.random.PRNGKey(0)),
            jax.random.PRNGKey(0),
            np.zeros((4, 2)),
            -1.0,
        )
    with pytest.raises(ValueError, match="x"):
        vae.vae_terms(
            vae.vae_init(jax.random.PRNGKey(0)), jax.random.PRNGKey(0), np.zeros(4), 0.1
        )
    with pytest.raises(ValueError, match="x"):
        vae.vae_rate_distortion(
            vae.vae_init(jax.random.PRNGKey(0)), jax.random.PRNGKey(0), np.zeros(5), 0.1
        )


def test_mixture_functions_reject_bad_input():
    mix = vae.gaussian_mixture([1.0], [[0.0, 0.0]], [1.0])
    with pytest.raises(ValueError, match="x"):
        vae.mixture_log_density(mix, np.array([[0.0, np.nan]]))
    with pytest.raises(TypeError, match="mix"):
        vae.mixture_log_density(([1.0], [[0.0, 0.0]], [1.0]), np.zeros((1, 2)))
    with pytest.raises(TypeError, match="mix"):
        vae.mixture_sample(None, jax.random.PRNGKey(0), 3)
    with pytest.raises(TypeError, match="mix"):
        vae.mixture_entropy("mixture")
    with pytest.raises(ValueError, match="n"):
        vae.mixture_sample(mix, jax.random.PRNGKey(0), 0)


def test_matrix_terms_reduce_to_scalar_and_diagonal_cases():
    t = vae.linear_gaussian_terms(1.3, 0.4, -0.9, 0.6, 0.25)
    D, R = vae.linear_vae_terms([[1.3]], [[0.4]], [[-0.9]], [[0.6]], 0.25)
    np.testing.assert_allclose([D, R], [t.distortion, t.rate], rtol=1e-12)
    # diagonal 2-D model = sum of two independent 1-D models
    t1 = vae.linear_gaussian_terms(1.3, 0.4, -0.9, 0.6, 0.25)
    t2 = vae.linear_gaussian_terms(0.2, -1.1, 0.3, 2.0, 0.25)
    D, R = vae.linear_vae_terms(
        np.diag([1.3, 0.2]),
        np.diag([0.4, -1.1]),
        np.diag([-0.9, 0.3]),
        np.diag([0.6, 2.0]),
        0.25,
    )
    np.testing.assert_allclose(
        [D, R], [t1.distortion + t2.distortion, t1.rate + t2.rate], rtol=1e-12
    )
    with pytest.raises(ValueError, match="B"):
        vae.linear_vae_terms(np.eye(2), np.eye(2), np.eye(3), np.eye(2), 0.1)


def test_matrix_linear_vae_mc():
    # Monte Carlo check of the matrix closed forms on a rotated, correlated model
    rng = np.random.default_rng(0)
    cov = np.array([[1.0, 0.6], [0.6, 0.8]])
    A, B = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    V = np.array([[0.5, 0.1], [0.1, 0.3]])
    w = 0.4
    n = 600_000
    x = rng.multivariate_normal(np.zeros(2), cov, n)
    z = x @ A.T + rng.multivariate_normal(np.zeros(2), V, n)
    d = stats.multivariate_normal(np.zeros(2), w * np.eye(2))
    dist = -d.logpdf(x - z @ B.T)
    rate = stats.multivariate_normal(np.zeros(2), V).logpdf(
        z - x @ A.T
    ) - stats.multivariate_normal(np.zeros(2), np.eye(2)).logpdf(z)
    D, R = vae.linear_vae_terms(cov, A, B, V, w)
    kn.check_mc("matrix D", kn.mc_estimate(dist), float(D))
    kn.check_mc("matrix R", kn.mc_estimate(rate), float(R))


def test_matrix_descent_reaches_water_filling_frontier():
    cov = np.array([[1.0, 0.3], [0.3, 0.4]])
    betas = np.array([1.0, 6.0])
    J = vae.fit_linear_vae_matrix(cov, 0.1, betas, jax.random.PRNGKey(1), n_starts=3)
    R, D = vae.linear_gaussian_frontier(np.linalg.eigvalsh(cov), 0.1, betas)
    assert J.shape == (2, 3)
    np.testing.assert_allclose(
        J, np.broadcast_to((D + betas * R)[:, None], J.shape), rtol=1e-8
    )
    with pytest.raises(ValueError, match="cov"):
        vae.fit_linear_vae_matrix(
            np.array([[1.0, 2.0], [2.0, 1.0]]), 0.1, [1.0], jax.random.PRNGKey(0)
        )
    with pytest.raises(ValueError, match="cov"):
        vae.fit_linear_vae_matrix(np.ones(3), 0.1, [1.0], jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="n_starts"):
        vae.fit_linear_vae_matrix(cov, 0.1, [1.0], jax.random.PRNGKey(0), n_starts=0)
