"""Tests for klnotes.diffusion: schedules, losses, Gaussian closed forms, sampling, training."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats

import klnotes as kn
from klnotes import diffusion as D

MU, S = 2.0, 0.5
LIN = D.linear_schedule(-13.3, 5.0)
SCHEDULES = [LIN, D.cosine_schedule(-13.3, 5.0), D.power_schedule(-13.3, 5.0, 2.0)]


# --------------------------------------------------------------------------- schedules


@pytest.mark.parametrize("sch", SCHEDULES, ids=lambda s: s.kind)
def test_schedule_endpoints_and_vp(sch):
    t = jnp.linspace(0.0, 1.0, 101)
    g = np.asarray(sch.gamma(t))
    assert g[0] == pytest.approx(-13.3, abs=1e-9) and g[-1] == pytest.approx(
        5.0, abs=1e-9
    )
    assert np.all(np.diff(g) > 0)
    np.testing.assert_allclose(sch.alpha2(t) + sch.sigma2(t), 1.0, rtol=1e-14)
    np.testing.assert_allclose(sch.snr(t), sch.alpha2(t) / sch.sigma2(t), rtol=1e-10)
    np.testing.assert_allclose(sch.snr(t), np.exp(-g), rtol=1e-12)


@pytest.mark.parametrize("sch", SCHEDULES, ids=lambda s: s.kind)
def test_gamma_prime_matches_finite_difference(sch):
    t = np.linspace(0.05, 0.95, 19)
    h = 1e-6
    fd = (np.asarray(sch.gamma(t + h)) - np.asarray(sch.gamma(t - h))) / (2 * h)
    np.testing.assert_allclose(sch.gamma_prime(t), fd, rtol=1e-6)


def test_cosine_schedule_is_the_cosine_schedule():
    # alpha = cos(pi u / 2) on the mapped interval
    sch = D.cosine_schedule(-13.3, 5.0)
    t0 = 2 / np.pi * np.arctan(np.exp(-13.3 / 2))
    t1 = 2 / np.pi * np.arctan(np.exp(5.0 / 2))
    t = np.linspace(0, 1, 11)
    u = t0 + (t1 - t0) * t
    np.testing.assert_allclose(
        np.sqrt(sch.alpha2(t)), np.cos(np.pi * u / 2), rtol=1e-10
    )


@pytest.mark.parametrize(
    "args, match",
    [
        (("linear", 5.0, -13.3), "gamma_min must be < gamma_max"),
        (("linear", 1.0, 1.0), "gamma_min must be < gamma_max"),
        (("quadratic", -1.0, 1.0), "kind must be"),
        (("linear", float("nan"), 1.0), "gamma_min must be a finite"),
        (("power", -1.0, 1.0, -2.0), "power"),
    ],
)
def test_schedule_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        D.Schedule(*args)


def test_snr_difference_stable_and_correct():
    gs, gt = np.array([-13.3, 0.0, 4.9]), np.array([-13.2, 0.1, 5.0])
    np.testing.assert_allclose(
        D.snr_difference(gs, gt), np.exp(-gs) - np.exp(-gt), rtol=1e-12
    )


# --------------------------------------------------------------------------- Gaussian closed forms


def test_reference_case_targets():
    """The reference values to their stated precision, decoder by decoder."""
    assert D.gaussian_diffusion_term(S, LIN) == pytest.approx(5.9560, abs=5e-5)
    assert D.gaussian_entropy(S) == pytest.approx(0.72579, abs=5e-6)
    optimal = D.gaussian_bound(MU, S, LIN, decoder="optimal").nats()["total"]
    optimal_1000 = D.gaussian_bound(MU, S, LIN, T=1000, decoder="optimal").nats()
    assert optimal == pytest.approx(0.739183, abs=1e-6)
    assert optimal_1000["total"] == pytest.approx(0.789406, abs=1e-6)
    rescaled = D.gaussian_bound(MU, S, LIN).nats()["total"]
    rescaled_1000 = D.gaussian_bound(MU, S, LIN, T=1000).nats()["total"]
    assert rescaled == pytest.approx(0.739187, abs=1e-6)
    assert rescaled_1000 == pytest.approx(0.789409, abs=1e-6)
    # independently: H from SciPy, the mismatch at the top from the generic Gaussian KL
    a2 = 1 / (1 + math.exp(5.0))
    reference = float(stats.norm(MU, S).entropy()) + float(
        kn.gaussian_kl(math.sqrt(a2) * MU, a2 * S**2 + 1 - a2, 0.0, 1.0)
    )
    assert optimal == pytest.approx(reference, rel=1e-13)
    gap = 0.5 * math.log1p(math.exp(-13.3) / S**2)
    assert rescaled - optimal == pytest.approx(gap, rel=1e-7)
    assert rescaled_1000 - optimal_1000["total"] == pytest.approx(gap, rel=1e-7)


def test_limit_matches_quadrature_of_mmse():
    smin, smax = math.exp(-5.0), math.exp(13.3)
    val, _ = integrate.quad(
        lambda v: S**2 / (1 + v * S**2),
        smin,
        smax,
        limit=200,
        points=[1, 10, 100, 1e3, 1e4],
    )
    assert D.gaussian_diffusion_term(S, LIN) == pytest.approx(0.5 * val, rel=1e-7)


def test_discrete_term_independent_formula_and_convergence():
    T = 37
    g = np.linspace(-13.3, 5.0, T + 1)
    snr = np.exp(-g)
    ref = 0.5 * np.sum((snr[:-1] - snr[1:]) * S**2 / (1 + snr[1:] * S**2))
    assert D.gaussian_diffusion_term(S, LIN, T) == pytest.approx(ref, rel=1e-12)
    values = [D.gaussian_diffusion_term(S, LIN, 2**k) for k in range(2, 16)]
    assert np.all(np.diff(values) < 0)
    assert values[-1] > D.gaussian_diffusion_term(S, LIN) > values[-1] - 60.0 / 2**15


def test_optimal_denoiser_is_posterior_mean():
    # Monte Carlo regression of x on z_t recovers c_t and the intercept
    key = jax.random.PRNGKey(0)
    x = MU + S * jax.random.normal(key, (200_000, 1))
    g = jnp.full((x.shape[0],), -1.0)
    z = D._noisy(jax.random.PRNGKey(1), x, g)
    A = np.column_stack([np.ones(x.shape[0]), np.asarray(z[:, 0])])
    coef, *_ = np.linalg.lstsq(A, np.asarray(x[:, 0]), rcond=None)
    a2 = 1 / (1 + math.e**-1)
    c = math.sqrt(a2) * S**2 / (a2 * S**2 + 1 - a2)
    assert coef[1] == pytest.approx(c, rel=2e-2)
    pred = D.gaussian_optimal_denoiser(MU, S)(
        jnp.array([[0.0], [1.0]]), jnp.array([-1.0, -1.0])
    )
    np.testing.assert_allclose(np.diff(np.asarray(pred)[:, 0]), c, rtol=1e-12)


def test_reverse_step_matches_explicit_posterior():
    gs, gt = -2.0, -1.0
    a2s, a2t = 1 / (1 + math.exp(gs)), 1 / (1 + math.exp(gt))
    s2s, s2t = 1 - a2s, 1 - a2t
    a_ts = math.sqrt(a2t / a2s)
    s2_ts = s2t - a_ts**2 * s2s
    z, xh = 0.3, -0.7
    mean, var = D.reverse_step_params(
        jnp.array(z), jnp.array(xh), jnp.array(gs), jnp.array(gt)
    )
    assert float(mean) == pytest.approx(
        (a_ts * s2s * z + math.sqrt(a2s) * s2_ts * xh) / s2t, rel=1e-12
    )
    assert float(var) == pytest.approx(s2_ts * s2s / s2t, rel=1e-12)


@pytest.mark.parametrize("decoder", ["rescaled", "optimal"])
def test_pointwise_bound_averages_to_expected_bound_and_dominates_nll(decoder):
    T = 20
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    x = MU + S * nodes
    pw = D.gaussian_bound_pointwise(x, MU, S, LIN, T, decoder)
    avg = float(np.sum(weights * pw) / np.sum(weights))
    assert avg == pytest.approx(
        D.gaussian_bound(MU, S, LIN, T, decoder).nats()["total"], rel=1e-10
    )
    grid = np.linspace(-3, 7, 201)
    gap = D.gaussian_bound_pointwise(
        grid, MU, S, LIN, T, decoder
    ) - D.gaussian_model_nll(grid, MU, S, LIN, T, decoder)
    assert np.all(gap >= -1e-9)


def test_model_marginal_matches_ancestral_samples():
    T = 10
    m, v = D.gaussian_model_marginal(MU, S, LIN, T)
    xs = D.sample(
        jax.random.PRNGKey(2), 100_000, 1, LIN, D.gaussian_optimal_denoiser(MU, S), T
    )
    se_m = math.sqrt(v / xs.shape[0])
    assert abs(xs.mean() - m) < 5 * se_m
    assert xs.var() == pytest.approx(v, rel=0.02)


def test_model_cross_entropy_one_step_by_hand():
    # T = 1: z_1 ~ N(0,1); z_0 | z_1 ~ N(A z_1 + b, w); x = z_0/alpha_0 + N(0, e^{gamma_0})
    T = 1
    g0, g1 = -13.3, 5.0
    a2 = [1 / (1 + math.exp(g0)), 1 / (1 + math.exp(g1))]
    s2 = [1 - a2[0], 1 - a2[1]]
    a1 = math.sqrt(a2[1])
    c = a1 * S**2 / (a2[1] * S**2 + s2[1])
    a_ts = math.sqrt(a2[1] / a2[0])
    s2_ts = s2[1] - a_ts**2 * s2[0]
    A = a_ts * s2[0] / s2[1] + math.sqrt(a2[0]) * s2_ts / s2[1] * c
    b = math.sqrt(a2[0]) * s2_ts / s2[1] * (MU - c * a1 * MU)
    w = s2_ts * s2[0] / s2[1]
    m = b / math.sqrt(a2[0])
    v = (A**2 + w) / a2[0] + math.exp(g0)
    assert D.gaussian_model_marginal(MU, S, LIN, T) == pytest.approx((m, v), rel=1e-12)
    ce = 0.5 * math.log(2 * math.pi * v) + (S**2 + (MU - m) ** 2) / (2 * v)
    assert D.gaussian_model_cross_entropy(MU, S, LIN, T) == pytest.approx(ce, rel=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda: D.gaussian_diffusion_term(-0.5, LIN),
        lambda: D.gaussian_diffusion_term(0.5, LIN, T=0),
        lambda: D.gaussian_bound(MU, S, LIN, decoder="flat"),
        lambda: D.gaussian_prior_term(float("inf"), S, LIN),
        lambda: D.gaussian_bound_pointwise(np.array([[1.0]]), MU, S, LIN, 3),
    ],
)
def test_gaussian_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_gaussian_type_errors():
    with pytest.raises(TypeError, match="mu"):
        D.gaussian_prior_term("2", S, LIN)
    with pytest.raises(TypeError, match="schedule"):
        D.gaussian_diffusion_term(S, "linear")


# --------------------------------------------------------------------------- losses


@pytest.fixture(scope="module")
def gauss_data():
    return MU + S * jax.random.normal(jax.random.PRNGKey(10), (40_000, 1))


def test_continuous_loss_unbiased(gauss_data):
    loss = D.continuous_loss(
        gauss_data, LIN, D.gaussian_optimal_denoiser(MU, S), jax.random.PRNGKey(3)
    )
    kn.check_mc(
        "continuous diffusion",
        loss.estimate("diffusion"),
        D.gaussian_diffusion_term(S, LIN),
        detect=0.2,
    )
    kn.check_mc(
        "reconstruction",
        loss.estimate("reconstruction"),
        D.gaussian_reconstruction_term(MU, S, LIN),
        detect=0.01,
    )
    np.testing.assert_allclose(
        loss.nats()["prior"], D.gaussian_prior_term(MU, S, LIN), rtol=0.02
    )


def test_loss_check_fails_on_a_false_claim(gauss_data):
    loss = D.continuous_loss(
        gauss_data, LIN, D.gaussian_optimal_denoiser(MU, S), jax.random.PRNGKey(3)
    )
    false_value = 1.2 * D.gaussian_diffusion_term(S, LIN)
    with pytest.raises(kn.MonteCarloCheckFailed):
        kn.check_mc(
            "20% too large", loss.estimate("diffusion"), false_value, detect=0.2
        )
    with pytest.raises(kn.BoundCheckFailed):
        kn.check_bound(
            "bound below NLL",
            D.gaussian_bound(MU, S, LIN, 10).nats()["total"],
            upper=D.gaussian_model_cross_entropy(MU, S, LIN, 10),
        )


def test_discrete_losses_unbiased(gauss_data):
    den = D.gaussian_optimal_denoiser(MU, S)
    T = 50
    exact = D.gaussian_diffusion_term(S, LIN, T)
    mc = D.discrete_loss_mc(gauss_data, LIN, den, jax.random.PRNGKey(4), T)
    kn.check_mc("single step", mc.estimate("diffusion"), exact, detect=0.2)
    full = D.discrete_loss(gauss_data[:2000], LIN, den, jax.random.PRNGKey(5), T)
    kn.check_mc("all steps", full.estimate("diffusion"), exact, detect=0.1)
    k_steps, _ = jax.random.split(jax.random.PRNGKey(5))
    gam, per_step = D.step_contributions(gauss_data[:2000], LIN, den, k_steps, T)
    assert per_step.shape == gam.shape == (T,)
    assert float(per_step.sum()) == pytest.approx(full.nats()["diffusion"], rel=1e-12)
    np.testing.assert_allclose(gam, np.asarray(D.step_gammas(LIN, T)[1]))


def test_loss_is_deterministic(gauss_data):
    den = D.gaussian_optimal_denoiser(MU, S)
    a = D.continuous_loss(gauss_data[:1000], LIN, den, jax.random.PRNGKey(7)).nats()
    b = D.continuous_loss(gauss_data[:1000], LIN, den, jax.random.PRNGKey(7)).nats()
    assert a == b


def test_optimal_decoder_in_the_loss(gauss_data):
    dec = D.gaussian_optimal_decoder(MU, S, LIN)
    loss = D.continuous_loss(
        gauss_data,
        LIN,
        D.gaussian_optimal_denoiser(MU, S),
        jax.random.PRNGKey(8),
        decoder=dec,
    )
    kn.check_mc(
        "optimal decoder",
        loss.estimate("reconstruction"),
        D.gaussian_reconstruction_term(MU, S, LIN, "optimal"),
        detect=0.01,
    )


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        (dict(x=np.ones(5)), ValueError),
        (dict(x=np.array([[1.0], [np.nan]])), ValueError),
        (dict(x=np.ones((1, 2))), ValueError),
        (dict(x="data"), TypeError),
        (dict(schedule="linear"), TypeError),
        (dict(denoiser=3), TypeError),
        (dict(key=0), TypeError),
    ],
)
def test_loss_bad_input(kwargs, exc):
    args = dict(
        x=np.ones((4, 2)),
        schedule=LIN,
        denoiser=lambda z, g: z,
        key=jax.random.PRNGKey(0),
    )
    args.update(kwargs)
    with pytest.raises(exc):
        D.continuous_loss(args["x"], args["schedule"], args["denoiser"], args["key"])


@pytest.mark.parametrize(
    "T, exc", [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)]
)
def test_discrete_loss_bad_steps(T, exc):
    with pytest.raises(exc, match="T must be"):
        D.discrete_loss_mc(
            np.ones((4, 1)), LIN, lambda z, g: z, jax.random.PRNGKey(0), T
        )


# --------------------------------------------------------------------------- result type


def test_result_units_and_validation():
    loss = D.DiffusionLoss(
        np.array([1.0, 2.0]), np.array([0.5, 0.5]), np.array([3.0, 1.0]), dim=2
    )
    assert loss.nats()["total"] == pytest.approx(4.0)
    assert loss.bits_per_dim()["total"] == pytest.approx(4.0 / (2 * math.log(2)))
    assert loss.estimate("total", "bpd").mean == pytest.approx(4.0 / (2 * math.log(2)))
    with pytest.raises(ValueError, match="term"):
        loss.estimate("kinetic")
    with pytest.raises(ValueError, match="unit"):
        loss.estimate("total", "bits")
    with pytest.raises(ValueError, match="non-finite"):
        D.DiffusionLoss(np.array([np.nan, 1.0]), np.zeros(2), np.zeros(2), dim=1)
    with pytest.raises(ValueError, match="different shapes"):
        D.DiffusionLoss(np.zeros(2), np.zeros(3), np.zeros(2), dim=1)
    with pytest.raises(ValueError, match="dim"):
        D.DiffusionLoss(np.zeros(2), np.zeros(2), np.zeros(2), dim=0)
    exact = D.gaussian_bound(MU, S, LIN)
    with pytest.raises(ValueError, match="exact expectations"):
        exact.estimate()


# --------------------------------------------------------------------------- toy data, model, training


def test_ring_mixture_density_normalised():
    means, scale = D.ring_mixture_params(6, 1.0, 0.2)
    g = np.linspace(-2.5, 2.5, 401)
    xx, yy = np.meshgrid(g, g)
    pts = np.column_stack([xx.ravel(), yy.ravel()])
    dens = np.exp(np.asarray(D.ring_mixture_log_density(pts, means, scale)))
    assert dens.sum() * (g[1] - g[0]) ** 2 == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError):
        D.ring_mixture_params(0)
    with pytest.raises(ValueError):
        D.ring_mixture_params(4, scale=-1.0)


def test_training_reduces_the_loss():
    gauss = lambda k, n: MU + S * jax.random.normal(k, (n, 2))  # noqa: E731
    res = D.train_denoiser(
        jax.random.PRNGKey(0), gauss, LIN, steps=300, batch=128, hidden=16, depth=2
    )
    assert res.losses.shape == (300,)
    assert np.all(np.isfinite(res.losses))
    assert res.losses[-50:].mean() < 0.9 * res.losses[:50].mean()
    x = gauss(jax.random.PRNGKey(1), 1000)
    xhat = D.mlp_denoiser(res.params, LIN)(x, jnp.zeros(1000))
    assert xhat.shape == x.shape
    with pytest.raises(ValueError, match="steps"):
        D.train_denoiser(jax.random.PRNGKey(0), gauss, LIN, steps=0)
    with pytest.raises(TypeError, match="sample_data"):
        D.train_denoiser(jax.random.PRNGKey(0), None, LIN)


def test_sample_bad_input():
    with pytest.raises(ValueError, match="n must"):
        D.sample(jax.random.PRNGKey(0), 0, 1, LIN, lambda z, g: z, 5)
    with pytest.raises(TypeError):
        D.sample(0, 3, 1, LIN, lambda z, g: z, 5)


def test_ring_and_model_bad_input():
    means, scale = D.ring_mixture_params(4, 1.0, 0.2)
    with pytest.raises(ValueError, match="n must"):
        D.ring_mixture_sample(jax.random.PRNGKey(0), 0, means, scale)
    with pytest.raises(TypeError, match="key"):
        D.ring_mixture_sample(0, 5, means, scale)
    with pytest.raises(ValueError, match="means"):
        D.ring_mixture_sample(jax.random.PRNGKey(0), 5, np.ones(3), scale)
    with pytest.raises(ValueError, match="scale"):
        D.ring_mixture_sample(jax.random.PRNGKey(0), 5, means, -0.1)
    with pytest.raises(ValueError, match="x must have shape"):
        D.ring_mixture_log_density(np.ones((5, 3)), means, scale)
    with pytest.raises(ValueError, match="means"):
        D.ring_mixture_log_density(np.ones((5, 2)), np.array([[np.nan, 0.0]]), scale)
    with pytest.raises(ValueError, match="1-D"):
        D.gaussian_model_nll(np.ones((3, 1)), MU, S, LIN, 4)
    with pytest.raises(TypeError, match="schedule"):
        D.mlp_denoiser(D.mlp_init(jax.random.PRNGKey(0)), "linear")
    x = D.ring_mixture_sample(jax.random.PRNGKey(1), 10, means, scale)
    assert x.shape == (10, 2)
    assert np.all(np.isfinite(np.asarray(D.ring_mixture_log_density(x, means, scale))))


# --------------------------------------------------------------------------- terms at given noise


def _inputs(n=500, d=2, seed=3):
    rng = np.random.default_rng(seed)
    return (
        MU + S * rng.standard_normal((n, d)),
        rng.standard_normal((n, d)),
        rng.uniform(0.0, 1.0, n),
    )


def test_diffusion_term_formula():
    x, eps, t = _inputs()
    den = D.gaussian_optimal_denoiser(MU, S)
    g = -13.3 + 18.3 * t
    a, sg = (
        np.sqrt(1 / (1 + np.exp(g)))[:, None],
        np.sqrt(1 / (1 + np.exp(-g)))[:, None],
    )
    z = a * x + sg * eps
    want = 0.5 * 18.3 * np.exp(-g) * np.sum((x - np.asarray(den(z, g))) ** 2, axis=1)
    np.testing.assert_allclose(D.diffusion_term(x, eps, t, LIN, den), want, rtol=1e-10)


def test_step_term_formula():
    x, eps, _ = _inputs(n=300, d=1)
    den = D.gaussian_optimal_denoiser(MU, S)
    T = 7
    snr = np.exp(-np.linspace(-13.3, 5.0, T + 1))
    for i in range(1, T + 1):
        g = -13.3 + 18.3 * i / T
        z = (
            math.sqrt(1 / (1 + math.exp(g))) * x
            + math.sqrt(1 / (1 + math.exp(-g))) * eps
        )
        err = np.sum((x - np.asarray(den(z, np.full(x.shape[0], g)))) ** 2, axis=1)
        term = D.step_term(x, eps, np.full(x.shape[0], i), LIN, den, T)
        np.testing.assert_allclose(term, 0.5 * (snr[i - 1] - snr[i]) * err, rtol=1e-10)


def test_reconstruction_term_formula():
    x, eps, _ = _inputs()
    g0 = -13.3
    # rescaled decoder: -log N(x; x + e^{g0/2} eps, e^{g0}) = (log 2 pi + g0 + eps^2)/2
    want = np.sum(0.5 * (math.log(2 * math.pi) + g0 + eps**2), axis=1)
    np.testing.assert_allclose(D.reconstruction_term(x, eps, LIN), want, rtol=1e-9)
    dec = D.gaussian_optimal_decoder(MU, S, LIN)
    got = D.reconstruction_term(x, eps, LIN, dec)
    z0 = (
        math.sqrt(1 / (1 + math.exp(g0))) * x + math.sqrt(1 / (1 + math.exp(-g0))) * eps
    )
    mean, var = dec(jnp.asarray(z0))
    want = np.sum(
        0.5 * np.log(2 * np.pi * np.asarray(var)) + (x - mean) ** 2 / (2 * var), axis=1
    )
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_key_based_terms_use_the_documented_draws():
    x, _, _ = _inputs()
    den = D.gaussian_optimal_denoiser(MU, S)
    key = jax.random.PRNGKey(5)
    k_t, k_z, k_0 = jax.random.split(key, 3)
    t = jax.random.uniform(k_t, (x.shape[0],), dtype=jnp.float64)
    eps = jax.random.normal(k_z, x.shape)
    eps0 = jax.random.normal(k_0, x.shape)
    prior, recon, diff = D.continuous_terms(key, jnp.asarray(x), LIN, den)
    np.testing.assert_allclose(diff, D.diffusion_term(x, eps, t, LIN, den), rtol=1e-13)
    np.testing.assert_allclose(recon, D.reconstruction_term(x, eps0, LIN), rtol=1e-13)
    np.testing.assert_allclose(prior, D.prior_term(x, LIN), rtol=1e-13)
    T = 20
    k_i, k_z, k_0 = jax.random.split(key, 3)
    i = jax.random.randint(k_i, (x.shape[0],), 1, T + 1).astype(jnp.float64)
    _, _, diff_T = D.discrete_mc_terms(key, jnp.asarray(x), LIN, den, T)
    want = T * D.step_term(x, jax.random.normal(k_z, x.shape), i, LIN, den, T)
    np.testing.assert_allclose(diff_T, want, rtol=1e-13)


def test_losses_against_steps_pairs_with_continuous_loss():
    x, _, _ = _inputs(n=20_000, d=1)
    den = D.gaussian_optimal_denoiser(MU, S)
    key = jax.random.PRNGKey(9)
    cont, by_T = D.losses_against_steps(x, LIN, den, key, [1, 10, 200])
    ref = D.continuous_loss(x, LIN, den, key)
    for term in ("prior", "reconstruction", "diffusion"):
        np.testing.assert_array_equal(getattr(cont, term), getattr(ref, term))
    assert sorted(by_T) == [1, 10, 200]
    for loss in by_T.values():
        np.testing.assert_array_equal(loss.prior, cont.prior)
        np.testing.assert_array_equal(loss.reconstruction, cont.reconstruction)
    # the paired difference is far less noisy than either loss, and unbiased
    gap = kn.mc_estimate(by_T[200].diffusion - cont.diffusion)
    exact = D.gaussian_diffusion_term(S, LIN, 200) - D.gaussian_diffusion_term(S, LIN)
    assert gap.stderr < 0.05 * cont.estimate("diffusion").stderr
    kn.check_mc("paired gap at T = 200", gap, exact, detect=0.1)


def test_losses_against_steps_single_step_is_unbiased():
    x = MU + S * np.random.default_rng(4).standard_normal((200_000, 1))
    den = D.gaussian_optimal_denoiser(MU, S)
    _, by_T = D.losses_against_steps(x, LIN, den, jax.random.PRNGKey(2), (3,))
    kn.check_mc(
        "T = 3 from the step containing t",
        by_T[3].estimate("diffusion"),
        D.gaussian_diffusion_term(S, LIN, 3),
        detect=0.05,
    )


def test_terms_trace_under_jit():
    x, eps, t = _inputs()
    den = D.gaussian_optimal_denoiser(MU, S)
    f = jax.jit(D.diffusion_term, static_argnums=(3, 4))
    np.testing.assert_allclose(
        f(x, eps, t, LIN, den), D.diffusion_term(x, eps, t, LIN, den), rtol=1e-11
    )
    i = np.full(x.shape[0], 4.0)
    g = jax.jit(D.step_term, static_argnums=(3, 4, 5))
    np.testing.assert_allclose(
        g(x, eps, i, LIN, den, 9), D.step_term(x, eps, i, LIN, den, 9), rtol=1e-11
    )


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda x, e, t, d: D.diffusion_term(x, e[:3], t, LIN, d), ValueError, "eps"),
        (
            lambda x, e, t, d: D.diffusion_term(x, e, t[:3], LIN, d),
            ValueError,
            "t must",
        ),
        (
            lambda x, e, t, d: D.diffusion_term(x, e, t + 1.5, LIN, d),
            ValueError,
            "t must",
        ),
        (lambda x, e, t, d: D.diffusion_term(x, "e", t, LIN, d), TypeError, "eps"),
        (lambda x, e, t, d: D.diffusion_term(x[:, 0], e, t, LIN, d), ValueError, "x"),
        (lambda x, e, t, d: D.diffusion_term(x, e, t, "lin", d), TypeError, "schedule"),
        (lambda x, e, t, d: D.diffusion_term(x, e, t, LIN, 3), TypeError, "denoiser"),
        (
            lambda x, e, t, d: D.diffusion_term(x, e * np.nan, t, LIN, d),
            ValueError,
            "eps",
        ),
        (
            lambda x, e, t, d: D.diffusion_term(x, e, t, LIN, lambda z, g: z[:, :1]),
            ValueError,
            "denoiser must return",
        ),
        (
            lambda x, e, t, d: D.step_term(x, e, np.full(len(t), 2.5), LIN, d, 4),
            ValueError,
            "i must",
        ),
        (
            lambda x, e, t, d: D.step_term(x, e, np.zeros(len(t)), LIN, d, 4),
            ValueError,
            "i must",
        ),
        (
            lambda x, e, t, d: D.step_term(x, e, np.full(len(t), 5), LIN, d, 4),
            ValueError,
            "i must",
        ),
        (lambda x, e, t, d: D.step_term(x, e, t[:3], LIN, d, 4), ValueError, "i must"),
        (
            lambda x, e, t, d: D.step_term(x, e, np.ones(len(t)), LIN, d, 0),
            ValueError,
            "T must",
        ),
        (
            lambda x, e, t, d: D.step_term(x, e, np.ones(len(t)), LIN, d, 2.0),
            TypeError,
            "T must",
        ),
        (lambda x, e, t, d: D.reconstruction_term(x, e[:, :1], LIN), ValueError, "eps"),
        (lambda x, e, t, d: D.reconstruction_term(x, e, LIN, 3), TypeError, "decoder"),
        (lambda x, e, t, d: D.reconstruction_term(x, e, None), TypeError, "schedule"),
    ],
)
def test_terms_bad_input(call, exc, match):
    x, eps, t = _inputs(n=10)
    with pytest.raises(exc, match=match):
        call(x, eps, t, D.gaussian_optimal_denoiser(MU, S))


@pytest.mark.parametrize(
    "Ts, exc, match",
    [
        ((), ValueError, "Ts is empty"),
        ((4, 4), ValueError, "repeated"),
        ((0,), ValueError, "Ts entry"),
        ((2.0,), TypeError, "Ts entry"),
        ("12", TypeError, "Ts must"),
        (5, TypeError, "Ts must"),
    ],
)
def test_losses_against_steps_bad_steps(Ts, exc, match):
    with pytest.raises(exc, match=match):
        D.losses_against_steps(
            np.ones((4, 1)), LIN, lambda z, g: z, jax.random.PRNGKey(0), Ts
        )


def test_losses_against_steps_bad_input():
    key, den = jax.random.PRNGKey(0), lambda z, g: z
    with pytest.raises(ValueError, match="x must"):
        D.losses_against_steps(np.ones(5), LIN, den, key, (2,))
    with pytest.raises(TypeError, match="schedule"):
        D.losses_against_steps(np.ones((4, 1)), "lin", den, key, (2,))
    with pytest.raises(TypeError, match="denoiser"):
        D.losses_against_steps(np.ones((4, 1)), LIN, None, key, (2,))
    with pytest.raises(TypeError, match="key"):
        D.losses_against_steps(np.ones((4, 1)), LIN, den, 0, (2,))
    with pytest.raises(TypeError, match="decoder"):
        D.losses_against_steps(np.ones((4, 1)), LIN, den, key, (2,), decoder=1)
