"""Tests for klnotes.diffusion: schedules, losses, Gaussian closed forms, sampling, training."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

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
    assert D.gaussian_diffusion_term(S, LIN) == pytest.approx(5.9560, abs=5e-5)
    assert D.gaussian_entropy(S) == pytest.approx(0.72579, abs=5e-6)
    total = D.gaussian_bound(MU, S, LIN).nats()["total"]
    assert total == pytest.approx(0.73918, abs=1e-5)
    exact = D.gaussian_bound(MU, S, LIN, decoder="optimal").nats()["total"]
    assert exact == pytest.approx(
        D.gaussian_entropy(S) + D.gaussian_terminal_kl(MU, S, LIN), rel=1e-13
    )
    assert D.gaussian_bound(MU, S, LIN, T=1000).nats()["total"] == pytest.approx(
        0.78941, abs=5e-6
    )


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
