"""Tests for klnotes.vae: closed forms against independent references, the
beta-VAE optimum against a generic optimiser, Monte Carlo, training, and bad input."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize, special, stats

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


# ---------------------------------------------------------------------------
# Training several data sets at once


def test_training_with_one_sampler_per_model_matches_separate_runs():
    mix = vae.gaussian_mixture([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.0]], [0.4, 0.4])

    def sample_mix(k, n):
        return vae.mixture_sample(mix, k, n)

    def sample_gauss(k, n):
        return 0.7 * jax.random.normal(k, (n, 2))

    kw = dict(w=0.2, steps=20, batch=16, hidden=4)
    both, losses = vae.train_vaes(
        jax.random.PRNGKey(3), [sample_mix, sample_gauss], [1.0, 1.0], **kw
    )
    alone, _ = vae.train_vaes(jax.random.PRNGKey(3), sample_mix, [1.0], **kw)
    assert losses.shape == (20, 2)
    for a, b in zip(jax.tree_util.tree_leaves(both), jax.tree_util.tree_leaves(alone)):
        np.testing.assert_allclose(a[0], b[0], rtol=1e-9, atol=1e-12)
        assert not np.allclose(a[1], b[0])  # the second model saw other data


def test_training_rejects_bad_sampler_lists():
    def sampler(k, n):
        return jax.random.normal(k, (n, 2))

    with pytest.raises(ValueError, match="sample_data"):
        vae.train_vaes(jax.random.PRNGKey(0), [sampler], [1.0, 2.0], w=0.1, steps=2)
    with pytest.raises(TypeError, match=r"sample_data\[1\]"):
        vae.train_vaes(jax.random.PRNGKey(0), [sampler, 3], [1.0, 2.0], w=0.1, steps=2)
    with pytest.raises(TypeError, match="sample_data"):
        vae.train_vaes(jax.random.PRNGKey(0), "sampler", [1.0], w=0.1, steps=2)

    def other(k, n):
        return jax.random.normal(k, (n, 3))

    with pytest.raises(ValueError, match="shape"):
        vae.train_vaes(
            jax.random.PRNGKey(0), [sampler, other], [1.0, 2.0], w=0.1, steps=2
        )


# ---------------------------------------------------------------------------
# Affine "networks": the nonlinear VAE code on a linear-Gaussian VAE


def affine_vae(a, b, v, models=1):
    """A VAE whose MLPs are single affine layers: the 1-D linear-Gaussian VAE."""
    enc = [(np.array([[a, 0.0]]), np.array([0.0, math.log(v)]))]
    dec = [(np.array([[b]]), np.array([0.0]))]
    params = {"encoder": enc, "decoder": dec}
    return jax.tree_util.tree_map(
        lambda leaf: jnp.asarray(np.stack([leaf] * models)), params
    )


def affine_vae_2d(A, B, V_diag):
    """The 2-D linear VAE with diagonal encoder covariance, one model."""
    enc = [
        (
            np.hstack([A.T, np.zeros((2, 2))]),
            np.concatenate([np.zeros(2), np.log(V_diag)]),
        )
    ]
    dec = [(np.asarray(B).T, np.zeros(2))]
    return jax.tree_util.tree_map(
        lambda leaf: jnp.asarray(leaf[None]), {"encoder": enc, "decoder": dec}
    )


LIN = dict(s2=1.0, a=0.6, b=0.7, v=0.7, w=0.5)


def test_vae_log_marginal_is_exact_for_an_affine_vae():
    params = affine_vae(LIN["a"], LIN["b"], LIN["v"])
    x = np.linspace(-3, 3, 7)[:, None]
    log_q = vae.vae_log_marginal(params, x, LIN["w"], n_grid=400, half_width=8.0)
    exact = stats.norm.logpdf(x[:, 0], scale=math.sqrt(LIN["b"] ** 2 + LIN["w"]))
    np.testing.assert_allclose(np.asarray(log_q)[0], exact, rtol=0, atol=1e-10)
    # 2-D: q(x) = N(0, B B^T + w I)
    B = np.array([[0.9, -0.3], [0.2, 0.6]])
    p2 = affine_vae_2d(np.eye(2) * 0.5, B, np.array([0.4, 0.7]))
    x2 = np.array([[0.1, -0.4], [1.2, 0.8], [-2.0, 0.3]])
    log_q2 = vae.vae_log_marginal(p2, x2, 0.3, n_grid=200, half_width=7.0)
    ref = stats.multivariate_normal(np.zeros(2), B @ B.T + 0.3 * np.eye(2)).logpdf(x2)
    np.testing.assert_allclose(np.asarray(log_q2)[0], ref, rtol=0, atol=1e-9)


def test_vae_log_weights_of_an_affine_vae_match_the_linear_formula():
    params = affine_vae(LIN["a"], LIN["b"], LIN["v"])
    x = np.array([[-0.5], [0.3], [1.7]])
    lw = np.asarray(
        vae.vae_log_weights(params, jax.random.PRNGKey(0), x, LIN["w"], 20000)
    )
    assert lw.shape == (1, 3, 20000)
    # each weight has mean q(x): Monte Carlo check of the unbiasedness
    q = stats.norm.pdf(x[:, 0], scale=math.sqrt(LIN["b"] ** 2 + LIN["w"]))
    for i in range(3):
        est = kn.mc_estimate(np.exp(lw[0, i]) / q[i])
        assert abs(est.mean - 1) < 5 * est.stderr
    # with the posterior as encoder every weight is q(x) exactly
    g, u = vae.linear_gaussian_posterior(LIN["b"], LIN["w"])
    post = affine_vae(float(g), LIN["b"], float(u))
    lw_post = np.asarray(
        vae.vae_log_weights(post, jax.random.PRNGKey(1), x, LIN["w"], 50)
    )
    np.testing.assert_allclose(
        lw_post[0], np.log(q)[:, None] + 0 * lw_post[0], atol=1e-12
    )


def test_iwae_terms_against_numpy():
    rng = np.random.default_rng(0)
    lw = rng.normal(size=(3, 5, 16))
    lm = rng.normal(size=(3, 5))
    t = vae.iwae_terms(lw, [1, 4, 16], lm)
    assert t.nll.shape == t.gap.shape == (3, 3, 5)
    for j, k in enumerate([1, 4, 16]):
        blocks = lw.reshape(3, 5, 16 // k, k)
        lse = special.logsumexp(blocks, axis=-1) - math.log(k)
        np.testing.assert_allclose(t.nll[j], -lse.mean(-1), rtol=1e-12)
        w_hat = np.exp(lse - lm[..., None])
        np.testing.assert_allclose(
            t.gap[j], (w_hat - 1 - np.log(w_hat)).mean(-1), rtol=1e-10
        )
    # K = 1 is the ELBO per draw; no log_marginal means no gap
    t1 = vae.iwae_terms(lw, np.array([1]))
    np.testing.assert_allclose(t1.nll[0], -lw.mean(-1), rtol=1e-12)
    assert t1.gap is None


def test_linear_iwae_against_closed_forms():
    terms = vae.linear_gaussian_terms(**LIN)
    c = float(vae.linear_gaussian_iwae_asymptote(**LIN))
    iw = vae.linear_gaussian_iwae(
        jax.random.PRNGKey(2), **LIN, n=8192, ks=[1, 64], chunk=512
    )
    assert iw.nll.shape == iw.gap.shape == (2, 8192)
    gap1, gap64 = kn.mc_estimate(iw.gap[0]), kn.mc_estimate(iw.gap[1])
    assert abs(gap1.mean - float(terms.posterior_gap)) < 5 * gap1.stderr
    assert abs(64 * gap64.mean - c) < 5 * 64 * gap64.stderr + 0.01 * c
    nll1 = kn.mc_estimate(iw.nll[0])
    assert abs(nll1.mean - float(terms.distortion + terms.rate)) < 5 * nll1.stderr
    assert np.all(iw.gap >= 0)


def test_linear_log_weights_with_posterior_encoder_are_the_likelihood():
    g, u = vae.linear_gaussian_posterior(LIN["b"], LIN["w"])
    x, lw = vae.linear_gaussian_log_weights(
        jax.random.PRNGKey(4),
        LIN["s2"],
        float(g),
        LIN["b"],
        float(u),
        LIN["w"],
        n=100,
        k=8,
    )
    ref = stats.norm.logpdf(np.asarray(x), scale=math.sqrt(LIN["b"] ** 2 + LIN["w"]))
    np.testing.assert_allclose(
        np.asarray(lw), np.broadcast_to(ref[:, None], (100, 8)), atol=1e-12
    )


def half_chi2_by_quadrature(s2, a, b, v, w):
    """1/2 <chi^2[q(z|x); p(z|x)]> by adaptive quadrature in z, Gauss-Hermite in x."""
    from scipy import integrate

    g, u = (float(t) for t in vae.linear_gaussian_posterior(b, w))

    def chi2_plus_one(x):
        def f(z):
            return math.exp(
                2 * stats.norm.logpdf(z, g * x, math.sqrt(u))
                - stats.norm.logpdf(z, a * x, math.sqrt(v))
            )

        lo, hi = g * x - 40 * math.sqrt(u), g * x + 40 * math.sqrt(u)
        return integrate.quad(f, lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0]

    t, wt = np.polynomial.hermite_e.hermegauss(60)
    vals = np.array([chi2_plus_one(math.sqrt(s2) * ti) for ti in t])
    return 0.5 * (wt @ vals / wt.sum() - 1)


@pytest.mark.parametrize("p", [LIN, dict(s2=1.0, a=0.8, b=0.7, v=0.3, w=0.5)])
def test_iwae_asymptote_against_quadrature(p):
    ref = half_chi2_by_quadrature(**p)
    assert float(vae.linear_gaussian_iwae_asymptote(**p)) == pytest.approx(
        ref, rel=1e-6
    )


def test_iwae_asymptote_is_infinite_for_a_narrow_encoder():
    assert math.isinf(
        float(vae.linear_gaussian_iwae_asymptote(1.0, 0.8, 0.7, 0.2, 0.5))
    )


def test_prior_ratio_tests_a_likelihood():
    params = affine_vae(LIN["a"], LIN["b"], LIN["v"], models=2)
    x = np.linspace(-2, 2, 9)[:, None]
    exact = stats.norm.logpdf(x[:, 0], scale=math.sqrt(LIN["b"] ** 2 + LIN["w"]))
    lm = np.stack([exact, exact + 0.1])  # the second model's likelihood is 0.1 nats off
    est = vae.vae_prior_ratio(params, jax.random.PRNGKey(5), x, LIN["w"], lm, 2**15)
    assert abs(est[0].mean - 1) < 5 * est[0].stderr
    assert abs(est[1].mean - math.exp(-0.1)) < 5 * est[1].stderr
    with pytest.raises(ValueError, match="log_marginal"):
        vae.vae_prior_ratio(params, jax.random.PRNGKey(5), x, LIN["w"], exact, 64)


def test_marginal_gap_of_an_affine_vae_on_one_gaussian():
    # p = N(mu, s^2 I), q = N(0, B B^T + w I): L - H is a Gaussian KL
    mix = vae.gaussian_mixture([1.0], [[0.2, -0.1]], [0.6])
    B = np.array([[0.5, 0.1], [-0.2, 0.4]])
    params = affine_vae_2d(np.eye(2), B, np.array([0.5, 0.5]))
    w = 0.2
    gap = vae.mixture_vae_kl(mix, params, w, x_step=0.15, n_grid=200, half_width=7.0)
    ref = float(
        kn.gaussian_kl(
            np.array([0.2, -0.1]),
            0.36 * np.eye(2),
            np.zeros(2),
            B @ B.T + w * np.eye(2),
        )
    )
    np.testing.assert_allclose(gap.kl, [ref], rtol=1e-7)
    np.testing.assert_allclose(gap.q_mass, [1.0], atol=1e-6)
    points, cell = vae.mixture_grid(mix, 0.15)
    assert cell == pytest.approx(0.0225) and points.shape[1] == 2
    with pytest.raises(ValueError, match="log_marginal"):
        vae.marginal_gap_on_grid(mix, points, cell, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="x_step"):
        vae.mixture_grid(mix, 0.0)


def test_gaussian_data_terms_are_exact_for_an_affine_vae():
    A = np.array([[0.7, 0.1], [-0.2, 0.5]])
    B = np.array([[0.9, -0.3], [0.2, 0.6]])
    V = np.array([0.4, 0.3])
    cov = np.array([[1.0, 0.3], [0.3, 0.6]])
    params = affine_vae_2d(A, B, V)
    out = vae.vae_terms_gaussian(
        params, jax.random.PRNGKey(6), np.zeros(2), cov, 0.2, 512, [2.0]
    )
    D, R = vae.linear_vae_terms(cov, A, B, np.diag(V), 0.2)
    # an affine model's terms are exactly quadratic: the control variates remove all noise
    assert out.distortion[0].mean == pytest.approx(float(D), abs=1e-8)
    assert out.rate[0].mean == pytest.approx(float(R), abs=1e-8)
    assert out.objective[0].mean == pytest.approx(float(D + 2 * R), abs=1e-8)
    assert out.distortion[0].stderr < 1e-8
    with pytest.raises(ValueError, match="betas"):
        vae.vae_terms_gaussian(
            params, jax.random.PRNGKey(6), np.zeros(2), cov, 0.2, 512, [1.0, 2.0]
        )
    with pytest.raises(ValueError, match="cov"):
        vae.vae_terms_gaussian(
            params, jax.random.PRNGKey(6), np.zeros(2), -cov, 0.2, 512, [1.0]
        )


def test_pointwise_terms_match_vae_terms():
    params = vae.vae_init(jax.random.PRNGKey(7), hidden=4)
    stacked = jax.tree_util.tree_map(lambda leaf: jnp.stack([leaf, 2 * leaf]), params)
    x = np.random.default_rng(1).normal(size=(6, 2))
    d, r = vae.vae_pointwise_terms(stacked, jax.random.PRNGKey(8), x, 0.3)
    assert d.shape == r.shape == (2, 6)
    d0, r0 = jax.jit(vae.vae_terms)(params, jax.random.PRNGKey(8), x, 0.3)
    np.testing.assert_allclose(d[0], d0, rtol=1e-12)
    np.testing.assert_allclose(r[0], r0, rtol=1e-12)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: vae.iwae_terms(np.zeros((2, 4)), [8]), ValueError, "ks"),
        (lambda: vae.iwae_terms(np.zeros((2, 4)), [1.5]), TypeError, "ks"),
        (lambda: vae.iwae_terms(np.zeros((2, 4)), [0]), ValueError, "ks"),
        (lambda: vae.iwae_terms(np.zeros((2, 4)), []), ValueError, "ks"),
        (
            lambda: vae.iwae_terms(np.full((2, 4), np.nan), [1]),
            ValueError,
            "log_weights",
        ),
        (lambda: vae.iwae_terms(np.zeros((2, 0)), [1]), ValueError, "log_weights"),
        (
            lambda: vae.iwae_terms(np.zeros((2, 4)), [1], np.zeros(3)),
            ValueError,
            "log_marginal",
        ),
        (
            lambda: vae.linear_gaussian_iwae(
                jax.random.PRNGKey(0), -1.0, 0.1, 0.1, 0.5, 0.5, 8, [1]
            ),
            ValueError,
            "s2",
        ),
        (
            lambda: vae.linear_gaussian_iwae(
                jax.random.PRNGKey(0), 1.0, 0.1, 0.1, 0.5, 0.5, 1, [1]
            ),
            ValueError,
            "n",
        ),
        (
            lambda: vae.linear_gaussian_iwae(0, 1.0, 0.1, 0.1, 0.5, 0.5, 8, [1]),
            TypeError,
            "key",
        ),
        (
            lambda: vae.linear_gaussian_log_weights(
                jax.random.PRNGKey(0), 1.0, 0.1, 0.1, 0.0, 0.5, 8, 2
            ),
            ValueError,
            "v",
        ),
        (
            lambda: vae.linear_gaussian_log_weights(
                jax.random.PRNGKey(0), 1.0, 0.1, 0.1, 0.5, 0.5, 8, 0
            ),
            ValueError,
            "k",
        ),
        (
            lambda: vae.linear_gaussian_iwae_asymptote(1.0, np.nan, 0.1, 0.5, 0.5),
            ValueError,
            "a",
        ),
        (
            lambda: vae.linear_gaussian_iwae_asymptote(1.0, 0.1, 0.1, 0.5, -0.5),
            ValueError,
            "w",
        ),
        (
            lambda: vae.vae_log_weights(
                affine_vae(0.5, 0.5, 0.5),
                jax.random.PRNGKey(0),
                np.zeros((3, 2)),
                0.1,
                4,
            ),
            ValueError,
            "x",
        ),
        (
            lambda: vae.vae_log_weights(
                affine_vae(0.5, 0.5, 0.5),
                jax.random.PRNGKey(0),
                np.zeros((3, 1)),
                0.0,
                4,
            ),
            ValueError,
            "w",
        ),
        (
            lambda: vae.vae_log_marginal(
                affine_vae(0.5, 0.5, 0.5), np.zeros((3, 1)), 0.1, n_grid=2
            ),
            ValueError,
            "n_grid",
        ),
        (
            lambda: vae.vae_log_marginal({"encoder": []}, np.zeros((3, 1)), 0.1),
            TypeError,
            "params",
        ),
        (
            lambda: vae.vae_iwae(
                affine_vae(0.5, 0.5, 0.5),
                jax.random.PRNGKey(0),
                np.zeros((3, 1)),
                0.1,
                [2],
                log_marginal=np.zeros((1, 2)),
            ),
            ValueError,
            "log_marginal",
        ),
    ],
)
def test_new_functions_reject_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
