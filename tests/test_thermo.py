"""Tests for klnotes.thermo: exact kernels, work accounting and free-energy estimators."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import klnotes as kn
from klnotes import thermo

KEY = jax.random.PRNGKey(0)
RAMP_K = np.linspace(1.0, 4.0, 11)
DRAG_K = np.ones(9)
DRAG_C = np.linspace(0.0, 1.5, 9)


def numpy_dragged_trap(rng, k, c, n, dt, kT=1.0, gamma=1.0):
    """Independent NumPy reference: same algorithm, different code and RNG."""
    x = c[0] + np.sqrt(kT / k[0]) * rng.standard_normal(n)
    w = np.zeros(n)
    for j in range(1, len(k)):
        w += 0.5 * k[j] * (x - c[j]) ** 2 - 0.5 * k[j - 1] * (x - c[j - 1]) ** 2
        a = math.exp(-k[j] * dt / gamma)
        x = (
            c[j]
            + (x - c[j]) * a
            + math.sqrt(kT / k[j] * (1 - a * a)) * rng.standard_normal(n)
        )
    return w


# --- harmonic energies and exact recursions -------------------------------------


def test_harmonic_free_energy_matches_gaussian_normaliser():
    k = np.array([0.5, 1.0, 4.0])
    z = np.sqrt(2 * np.pi * 2.0 / k)  # kT = 2
    np.testing.assert_allclose(thermo.harmonic_free_energy(k, kT=2.0), -2.0 * np.log(z))


@pytest.mark.parametrize("dt", [1e-3, 0.1, 3.0])
def test_exact_kernel_jarzynski_holds_at_any_step(dt):
    log_m = thermo.harmonic_log_moment(RAMP_K, 0.0, dt=dt)
    assert log_m == pytest.approx(-0.5 * math.log(4.0), abs=1e-13)


def test_euler_kernel_is_biased_and_bias_shrinks_with_h():
    exact = -0.5 * math.log(4.0)
    errs = [
        abs(
            thermo.harmonic_log_moment(
                np.linspace(1, 4, n + 1), 0.0, dt=1 / n, scheme="euler"
            )
            - exact
        )
        for n in (10, 20, 40)
    ]
    assert errs[0] > errs[1] > errs[2] > 1e-4
    assert errs[0] / errs[1] == pytest.approx(2.0, rel=0.15)  # O(h)


def test_quench_closed_forms():
    for r in (0.6, 2.0, 4.0):
        k = np.array([1.0, r])
        assert thermo.harmonic_mean_work(k, 0.0, dt=1.0) == pytest.approx(
            (r - 1) / 2, rel=1e-12
        )
        assert thermo.harmonic_log_moment(k, 0.0, dt=1.0) == pytest.approx(
            -0.5 * math.log(r)
        )
        assert thermo.harmonic_log_moment(k, 0.0, dt=1.0, s=2) == pytest.approx(
            -0.5 * math.log(2 * r - 1)
        )
    assert thermo.harmonic_log_moment([1.0, 0.5], 0.0, dt=1.0, s=2) == math.inf
    assert thermo.harmonic_log_moment([1.0, 0.3], 0.0, dt=1.0, s=2) == math.inf


def test_dragged_trap_recursion_against_continuous_limit():
    # continuous drag at speed v for time tau, k = gamma = 1: <W> = v^2 (tau - 1 + e^{-tau})
    tau, L, n = 2.0, 1.0, 4000
    w = thermo.harmonic_mean_work(np.ones(n + 1), np.linspace(0, L, n + 1), dt=tau / n)
    v = L / tau
    assert w == pytest.approx(v**2 * (tau - 1 + math.exp(-tau)), rel=2e-3)


def test_dragged_trap_log_moments_are_gaussian():
    wdis = thermo.harmonic_mean_work(DRAG_K, DRAG_C, dt=0.3)
    assert thermo.harmonic_log_moment(DRAG_K, DRAG_C, dt=0.3) == pytest.approx(
        0.0, abs=1e-12
    )
    assert thermo.harmonic_log_moment(DRAG_K, DRAG_C, dt=0.3, s=2) == pytest.approx(
        2 * wdis, rel=1e-10
    )


# --- simulators -------------------------------------------------------------------


def test_simulator_matches_numpy_reference_statistically():
    n = 200_000
    w_jax = np.asarray(
        thermo.simulate_harmonic(KEY, DRAG_K, DRAG_C, n_traj=n, dt=0.3).work
    )
    w_np = numpy_dragged_trap(np.random.default_rng(1), DRAG_K, DRAG_C, n, 0.3)
    exact = thermo.harmonic_mean_work(DRAG_K, DRAG_C, dt=0.3)
    for w in (w_jax, w_np):
        assert abs(w.mean() - exact) < 4 * w.std() / math.sqrt(n)
        assert w.var() == pytest.approx(2 * exact, rel=0.02)
    assert stats.ks_2samp(w_jax, w_np).pvalue > 1e-3


def test_path_and_loop_modes_agree_and_ratio_is_work():
    sim = thermo.simulate_harmonic(
        KEY, RAMP_K, 0.0, n_traj=500, dt=0.2, return_path=True
    )
    loop = thermo.simulate_harmonic(KEY, RAMP_K, 0.0, n_traj=500, dt=0.2)
    np.testing.assert_allclose(np.asarray(sim.work), np.asarray(loop.work), rtol=1e-12)
    np.testing.assert_allclose(
        np.asarray(sim.path[-1]), np.asarray(loop.final), rtol=1e-12
    )
    ratio = thermo.harmonic_path_log_ratio(sim.path, RAMP_K, 0.0, dt=0.2)
    np.testing.assert_allclose(
        ratio, np.asarray(sim.work) - 0.5 * math.log(4.0), atol=1e-10
    )


def test_path_ratio_rejects_a_wrong_protocol():
    sim = thermo.simulate_harmonic(
        KEY, RAMP_K, 0.0, n_traj=200, dt=0.2, return_path=True
    )
    wrong = thermo.harmonic_path_log_ratio(sim.path, RAMP_K * 1.01, 0.0, dt=0.2)
    assert np.max(np.abs(wrong - (np.asarray(sim.work) - 0.5 * math.log(4.0)))) > 1e-3


def test_simulator_deterministic_and_chunked():
    n = thermo.CHUNK + 10
    a = thermo.simulate_harmonic(KEY, DRAG_K, DRAG_C, n_traj=n, dt=0.3).work
    b = thermo.simulate_harmonic(KEY, DRAG_K, DRAG_C, n_traj=n, dt=0.3).work
    assert a.shape == (n,) and a.dtype == jnp.float64
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_simulated_jarzynski_ramp():
    w = thermo.simulate_harmonic(KEY, RAMP_K, 0.0, n_traj=100_000, dt=0.1).work
    est = thermo.jarzynski_weights(w)
    kn.check_mc("ramp Jarzynski", est, 0.5, detect=0.02)
    with pytest.raises(kn.MonteCarloCheckFailed):
        kn.check_mc("ramp Jarzynski, false target", est, 0.52, detect=0.05)


def test_euler_simulator_matches_its_biased_recursion_not_the_truth():
    n_steps, h = 4, 0.25
    k = np.linspace(1, 4, n_steps + 1)
    w = thermo.simulate_harmonic(KEY, k, 0.0, n_traj=400_000, dt=h, scheme="euler").work
    est = thermo.jarzynski_weights(w)
    biased = math.exp(thermo.harmonic_log_moment(k, 0.0, dt=h, scheme="euler"))
    assert abs(est.mean - biased) < 4 * est.stderr
    assert abs(est.mean - 0.5) > 8 * est.stderr


def test_metropolis_preserves_equilibrium_and_gives_ais_ratio():
    def energy(x, lam):
        return 0.5 * x**2 / (1 + 3 * lam)  # variance 1 -> 4, log Z1/Z0 = log 2

    x0 = jax.random.normal(jax.random.PRNGKey(1), (40_000,))
    sim = thermo.simulate_metropolis(
        KEY, energy, np.linspace(0, 1, 33), x0, step_size=1.5
    )
    assert 0.2 < sim.acceptance < 0.9
    est = thermo.jarzynski_weights(sim.work)
    assert abs(est.mean - 2.0) < 4 * est.stderr
    # at a fixed lambda no work is done and pi stays invariant
    still = thermo.simulate_metropolis(KEY, energy, np.zeros(21), x0, step_size=1.5)
    assert float(jnp.max(jnp.abs(still.work))) == 0.0
    assert stats.kstest(np.asarray(still.final), "norm").pvalue > 1e-3


def test_bidirectional_sandwich_for_gaussian_work():
    rng = np.random.default_rng(3)
    wd, df = 0.7, 0.4  # Gaussian work consistent with Crooks: var = 2 wd
    wf = rng.normal(df + wd, math.sqrt(2 * wd), 100_000)
    wr = rng.normal(-df + wd, math.sqrt(2 * wd), 100_000)
    lower, upper = thermo.bidirectional_bounds(wf, wr)
    assert lower.mean < -df < upper.mean
    assert lower.mean == pytest.approx(-df - wd, abs=0.02)
    assert upper.mean == pytest.approx(-df + wd, abs=0.02)


# --- estimators ---------------------------------------------------------------------


def test_exponential_average_and_blocks_against_scipy():
    rng = np.random.default_rng(5)
    w = rng.normal(1.0, 1.2, 4096)
    ref = -2.0 * (logsumexp(-w / 2.0) - math.log(w.size))
    assert thermo.exponential_average(w, kT=2.0) == pytest.approx(ref, rel=1e-12)
    blocks = thermo.block_free_energies(w, 64, kT=2.0)
    assert blocks.shape == (64,)
    assert blocks[3] == pytest.approx(
        thermo.exponential_average(w[192:256], kT=2.0), rel=1e-12
    )
    # Jensen: the exponential average lies below the mean work
    assert thermo.exponential_average(w) < w.mean()


def test_gore_moments_match_lognormal_simulation():
    rho = math.expm1(0.5)  # Gaussian work with beta^2 sigma^2 = 0.5
    bias, var = thermo.exponential_estimator_moments(rho, 200, kT=1.0)
    assert bias == pytest.approx(rho / 400) and var == pytest.approx(rho / 200)
    rng = np.random.default_rng(9)
    w = rng.normal(0.25, math.sqrt(0.5), (20_000, 200))
    est = -(logsumexp(-w, axis=1) - math.log(200))
    assert abs(est.mean() - bias) < 4 * est.std() / math.sqrt(est.size)
    assert est.var() == pytest.approx(var, rel=0.05)


def test_crooks_fit_recovers_slope_and_crossing_and_rejects_false_ones():
    rng = np.random.default_rng(11)
    wd, df = 0.6, 0.3
    wf = rng.normal(df + wd, math.sqrt(2 * wd), 400_000)
    wr = rng.normal(-df + wd, math.sqrt(2 * wd), 400_000)
    fit = thermo.crooks_fit(wf, wr, bins=200)
    kn.check_mc("slope", fit.slope, 1.0, detect=0.05)
    kn.check_mc("crossing", fit.crossing, df, detect=0.1)
    with pytest.raises(kn.MonteCarloCheckFailed):
        kn.check_mc("false slope", fit.slope, 1.05, detect=0.2)
    # work that violates Crooks (variance too small for its dissipation) has the wrong slope
    bad = thermo.crooks_fit(
        rng.normal(wd, 0.5, 400_000), rng.normal(wd, 0.5, 400_000), bins=200
    )
    with pytest.raises(kn.MonteCarloCheckFailed):
        kn.check_mc("slope of non-Crooks work", bad.slope, 1.0, detect=0.5)


def gaussian_crooks_work(rng, n_f, n_r, w_dis, d_f, kT=1.0):
    """Forward and reverse Gaussian work obeying Crooks (variance 2 kT W_dis)."""
    sd = math.sqrt(2 * kT * w_dis)
    return rng.normal(d_f + w_dis, sd, n_f), rng.normal(-d_f + w_dis, sd, n_r)


def test_exponential_estimate_is_the_exponential_average_with_its_delta_method_error():
    rng = np.random.default_rng(21)
    w = rng.normal(0.8, 1.1, 50_000)
    est = thermo.exponential_estimate(w, kT=1.5)
    assert est.mean == pytest.approx(thermo.exponential_average(w, kT=1.5), rel=1e-13)
    x = np.exp(-w / 1.5)
    assert est.stderr == pytest.approx(
        1.5 * x.std() / (math.sqrt(w.size) * x.mean()), rel=1e-12
    )
    assert est.n == w.size
    # shifting the work shifts the estimate and leaves its error unchanged
    shifted = thermo.exponential_estimate(w + 700.0, kT=1.5)
    assert shifted.mean == pytest.approx(est.mean + 700.0, rel=1e-12)
    assert shifted.stderr == pytest.approx(est.stderr, rel=1e-10)


def test_block_stderr_matches_the_estimate_of_each_block():
    rng = np.random.default_rng(22)
    w = rng.normal(1.0, 1.3, 4100)
    se = thermo.block_exponential_stderr(w, 100, kT=2.0)
    assert se.shape == (41,)
    for i in (0, 17, 40):
        block = w[100 * i : 100 * (i + 1)]
        assert se[i] == pytest.approx(
            thermo.exponential_estimate(block, kT=2.0).stderr, rel=1e-12
        )


def test_logsumexp_helper_matches_scipy():
    rng = np.random.default_rng(23)
    x = rng.normal(0.0, 30.0, (7, 50))
    assert thermo._logsumexp(x) == pytest.approx(logsumexp(x), rel=1e-14)
    np.testing.assert_allclose(thermo._logsumexp(x, axis=1), logsumexp(x, axis=1))
    np.testing.assert_allclose(thermo._logsumexp(x, axis=0), logsumexp(x, axis=0))


def test_bar_solves_bennetts_equation_and_maximises_the_label_likelihood():
    rng = np.random.default_rng(24)
    wf, wr = gaussian_crooks_work(rng, 3000, 1200, w_dis=1.5, d_f=0.7, kT=2.0)
    est = thermo.bar(wf, wr, kT=2.0)
    f, m = est.mean / 2.0, math.log(wf.size / wr.size)
    lhs = np.sum(1 / (1 + np.exp(m + wf / 2.0 - f)))
    rhs = np.sum(1 / (1 + np.exp(wr / 2.0 - m + f)))
    assert lhs == pytest.approx(rhs, rel=1e-12)

    u = np.concatenate([wf, -wr]) / 2.0
    label = np.concatenate([np.ones(wf.size), np.zeros(wr.size)]) == 1

    def nll(g):
        logit = m + u - g
        return np.sum(np.logaddexp(0.0, np.where(label, -logit, logit)))

    assert nll(f) < nll(f + 1e-4) and nll(f) < nll(f - 1e-4)
    assert est.n == wf.size + wr.size


def test_bar_recovers_free_energy_and_beats_the_one_sided_estimates():
    rng = np.random.default_rng(25)
    estimates = []
    for _ in range(200):
        wf, wr = gaussian_crooks_work(rng, 400, 800, w_dis=2.0, d_f=-1.3)
        estimates.append(
            (
                thermo.bar(wf, wr).mean,
                thermo.exponential_estimate(wf).mean,
                -thermo.exponential_estimate(wr).mean,
            )
        )
    bar_, exp_f, exp_r = np.array(estimates).T
    assert abs(bar_.mean() + 1.3) < 4 * bar_.std() / math.sqrt(bar_.size)
    assert bar_.std() < 0.6 * exp_f.std() and bar_.std() < 0.6 * exp_r.std()
    # Bennett's standard error describes the spread of the estimate
    wf, wr = gaussian_crooks_work(rng, 400, 800, w_dis=2.0, d_f=-1.3)
    assert thermo.bar(wf, wr).stderr == pytest.approx(bar_.std(), rel=0.2)


def test_bar_uses_the_sample_size_correction_and_is_shift_covariant():
    rng = np.random.default_rng(26)
    wf, wr = gaussian_crooks_work(rng, 40_000, 5_000, w_dis=1.0, d_f=0.5)
    est = thermo.bar(wf, wr)
    assert abs(est.mean - 0.5) < 4 * est.stderr
    # the same data treated as equal-sized samples is biased
    m = math.log(wf.size / wr.size)
    lhs = np.sum(1 / (1 + np.exp(wf - est.mean)))
    rhs = np.sum(1 / (1 + np.exp(wr + est.mean)))
    assert abs(lhs - rhs) / lhs > 0.1 and m > 1
    # adding c to the forward work and -c to the reverse work shifts ΔF by c
    moved = thermo.bar(wf + 3.0, wr - 3.0)
    assert moved.mean == pytest.approx(est.mean + 3.0, rel=1e-12)
    assert moved.stderr == pytest.approx(est.stderr, rel=1e-9)


def test_bar_on_the_simulated_ramp():
    k = np.linspace(1.0, 4.0, 6)
    wf = thermo.simulate_harmonic(KEY, k, 0.0, n_traj=2**15, dt=0.1).work
    wr = thermo.simulate_harmonic(
        jax.random.PRNGKey(1), k[::-1], 0.0, n_traj=2**16, dt=0.1
    ).work
    est = thermo.bar(wf, wr)
    kn.check_mc("BAR on the ramp", est, math.log(2.0), detect=0.05)


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        (dict(stiffness=[1.0]), ValueError, "at least 2"),
        (dict(stiffness=[1.0, -2.0]), ValueError, "positive"),
        (dict(stiffness=[1.0, np.nan]), ValueError, "non-finite|positive"),
        (dict(centre=[0.0, 1.0, 2.0]), ValueError, "shape mismatch"),
        (dict(centre=[0.0, np.inf]), ValueError, "non-finite"),
        (dict(n_traj=1), ValueError, "n_traj"),
        (dict(n_traj=10.0), TypeError, "n_traj"),
        (dict(dt=0.0), ValueError, "dt"),
        (dict(dt="0.1"), TypeError, "dt"),
        (dict(kT=-1.0), ValueError, "kT"),
        (dict(gamma=np.inf), ValueError, "gamma"),
        (dict(scheme="rk4"), ValueError, "scheme"),
        (dict(scheme="euler", dt=3.0), ValueError, "unstable"),
        (dict(stiffness="abc"), TypeError, "stiffness"),
    ],
)
def test_simulate_harmonic_bad_input(kwargs, exc, match):
    args = dict(stiffness=[1.0, 2.0], centre=0.0, n_traj=10, dt=0.1)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        thermo.simulate_harmonic(KEY, **args)


def test_other_bad_input():
    with pytest.raises(ValueError, match="path"):
        thermo.harmonic_path_log_ratio(np.zeros((3, 4)), [1.0, 2.0], 0.0, dt=0.1)
    with pytest.raises(TypeError, match="s must"):
        thermo.harmonic_log_moment([1.0, 2.0], 0.0, dt=0.1, s="2")
    with pytest.raises(TypeError, match="energy"):
        thermo.simulate_metropolis(KEY, None, [0.0, 1.0], np.zeros(4), step_size=1.0)
    with pytest.raises(ValueError, match="lambdas"):
        thermo.simulate_metropolis(
            KEY, lambda x, l: x, [0.0], np.zeros(4), step_size=1.0
        )
    with pytest.raises(ValueError, match="x0"):
        thermo.simulate_metropolis(
            KEY, lambda x, l: x, [0.0, 1.0], np.zeros((2, 2)), step_size=1.0
        )
    with pytest.raises(ValueError, match="x0"):
        thermo.simulate_metropolis(
            KEY, lambda x, l: x, [0.0, 1.0], [0.0, np.nan], step_size=1.0
        )
    with pytest.raises(ValueError, match="step_size"):
        thermo.simulate_metropolis(
            KEY, lambda x, l: x, [0.0, 1.0], np.zeros(4), step_size=0.0
        )
    with pytest.raises(ValueError, match="n_moves"):
        thermo.simulate_metropolis(
            KEY, lambda x, l: x, [0.0, 1.0], np.zeros(4), step_size=1.0, n_moves=0
        )
    with pytest.raises(ValueError, match="work"):
        thermo.exponential_average([1.0])
    with pytest.raises(ValueError, match="non-finite"):
        thermo.jarzynski_weights([1.0, np.nan])
    with pytest.raises(ValueError, match="overflows"):
        thermo.jarzynski_weights([-1000.0, 1.0])
    with pytest.raises(ValueError, match="non-finite values"):
        thermo.simulate_metropolis(
            KEY, lambda x, l: x * jnp.nan, [0.0, 1.0], np.zeros(4), step_size=1.0
        )
    with pytest.raises(ValueError, match="blocks"):
        thermo.block_free_energies(np.zeros(10), 6)
    with pytest.raises(ValueError, match="relative_variance"):
        thermo.exponential_estimator_moments(-1.0, 10)
    with pytest.raises(ValueError, match="work_reverse"):
        thermo.bidirectional_bounds(np.zeros(5), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="work_forward"):
        thermo.bar([1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="work_reverse"):
        thermo.bar([0.0, 1.0], [0.0, np.nan])
    with pytest.raises(ValueError, match="work_reverse"):
        thermo.bar([0.0, 1.0], np.zeros((2, 2)))
    with pytest.raises(TypeError, match="work_forward"):
        thermo.bar("abc", [0.0, 1.0])
    with pytest.raises(ValueError, match="kT"):
        thermo.bar([0.0, 1.0], [0.0, 1.0], kT=0.0)
    with pytest.raises(ValueError, match="work"):
        thermo.exponential_estimate([])
    with pytest.raises(ValueError, match="non-finite"):
        thermo.exponential_estimate([0.0, np.inf])
    with pytest.raises(ValueError, match="kT"):
        thermo.exponential_estimate([0.0, 1.0], kT=-1.0)
    with pytest.raises(ValueError, match="blocks"):
        thermo.block_exponential_stderr(np.zeros(10), 6)
    with pytest.raises(ValueError, match="n"):
        thermo.block_exponential_stderr(np.zeros(10), 1)
    with pytest.raises(TypeError, match="n"):
        thermo.block_exponential_stderr(np.zeros(10), 2.5)
    with pytest.raises(ValueError, match="overlap"):
        thermo.crooks_fit(
            np.zeros(1000), np.full(1000, -50.0) + np.arange(1000) * 1e-3, bins=10
        )
