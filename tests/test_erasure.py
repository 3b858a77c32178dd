"""Tests for klnotes.erasure: independent references, bad input, and bounds."""

import math

import jax
import numpy as np
import pytest
import scipy.constants as const
from scipy.integrate import quad, solve_ivp
from scipy.linalg import expm

import klnotes as kn  # noqa: F401  (enables float64 in JAX)
from klnotes import erasure as er
from klnotes.divergences import binary_entropy


def test_equilibrium_and_rates():
    eps = np.linspace(-30, 30, 61)
    k01, k10 = er.glauber_rates(eps, beta=0.7, gamma=2.5)
    np.testing.assert_allclose(k01 + k10, 2.5, rtol=1e-14)
    np.testing.assert_allclose(k01 / k10, np.exp(-0.7 * eps), rtol=1e-12)
    np.testing.assert_allclose(
        er.equilibrium_p1(eps, beta=0.7), 1 / (1 + np.exp(0.7 * eps)), rtol=1e-12
    )


def test_generalized_landauer_bound_of_full_erasure_is_ln2():
    assert float(er.generalized_landauer_bound(0.5, 0.0)) == pytest.approx(
        math.log(2), rel=1e-15
    )


def test_reversible_heat_matches_quadrature():
    for beta, eps_max in [(1.0, 10.0), (0.5, 3.0), (2.0, 0.4)]:

        def integrand(e, beta=beta):
            p = 1 / (1 + math.exp(beta * e))
            return e * beta * p * (1 - p)  # -eps dpi/deps

        ref, _ = quad(integrand, 0, eps_max, epsabs=1e-14, epsrel=1e-13)
        assert float(er.reversible_erasure_heat(eps_max, beta=beta)) == pytest.approx(
            ref, rel=1e-10
        )
        p_end = 1 / (1 + math.exp(beta * eps_max))
        closed = (math.log(2) - float(binary_entropy(p_end))) / beta
        assert float(er.reversible_erasure_heat(eps_max, beta=beta)) == pytest.approx(
            closed, rel=1e-12
        )
    assert float(er.reversible_erasure_heat(10.0)) == pytest.approx(0.692648, abs=5e-7)


def test_exact_relaxation_matches_matrix_exponential():
    levels = np.array([0.3, 1.7, -0.4, 2.2])
    dwell = np.array([0.2, 1.1, 0.05, 3.0])
    beta, gamma = 1.3, 0.8
    res = er.erasure_exact(levels, dwell, beta=beta, gamma=gamma, p1_initial=0.3)
    p = np.array([0.7, 0.3])
    for k, (e, t) in enumerate(zip(levels, dwell, strict=True)):
        k01, k10 = er.glauber_rates(e, beta=beta, gamma=gamma)
        generator = np.array([[-k01, k01], [k10, -k10]])  # rows: from-state
        p = p @ expm(generator * t)
        assert res.p1[k + 1] == pytest.approx(p[1], rel=1e-12)


def test_linear_ramp_against_ode_solver():
    """A fine staircase converges to the ramp ODE solved by scipy."""
    eps_max, tau = 4.0, 3.0
    sol = solve_ivp(
        lambda t, y: [
            (1 / (1 + math.exp(eps_max * t / tau))) - y[0],
            eps_max * t / tau * ((1 / (1 + math.exp(eps_max * t / tau))) - y[0]),
        ],
        (0, tau),
        [0.5, 0.0],
        rtol=1e-11,
        atol=1e-13,
    )
    p_end, heat = sol.y[0, -1], sol.y[1, -1]
    levels, dwell = er.staircase_protocol(eps_max, 20000, tau)
    res = er.erasure_exact(levels, dwell)
    assert float(res.p1_final) == pytest.approx(p_end, rel=2e-3)
    assert float(res.heat) == pytest.approx(heat, rel=2e-3)


def test_first_law_bound_and_kl_drops():
    taus = np.geomspace(0.01, 100, 9)
    levels, _ = er.staircase_protocol(10.0, 200, 1.0)
    res = er.erasure_exact(levels, taus[:, None] / 200)
    np.testing.assert_allclose(res.work + res.heat, 0, atol=1e-12)
    assert np.all(-res.heat >= res.entropy_drop)
    assert np.all(res.kl_drops >= -1e-15)
    np.testing.assert_allclose(
        res.kl_drops.sum(-1), res.entropy_production, rtol=1e-9, atol=1e-13
    )


def test_slow_driving_and_staircase_coefficients():
    eps_max = 6.0
    levels, _ = er.staircase_protocol(eps_max, 2**14, 1.0)
    taus = np.array([64.0, 128.0])
    res = er.erasure_exact(levels, taus[:, None] / 2**14)
    ts = taus * res.entropy_production
    assert 2 * ts[1] - ts[0] == pytest.approx(
        float(er.slow_driving_coefficient(eps_max)), rel=5e-4
    )
    sig = [
        float(
            er.erasure_exact(
                *er.staircase_protocol(eps_max, k, math.inf)
            ).entropy_production
        )
        * k
        for k in (256, 512)
    ]
    assert 2 * sig[1] - sig[0] == pytest.approx(
        float(er.staircase_coefficient(eps_max)), rel=1e-5
    )


def test_simulation_matches_exact_and_conserves_energy():
    levels, dwell = er.staircase_protocol(5.0, 16, 4.0)
    sim = er.simulate_erasure(jax.random.PRNGKey(3), levels, dwell, 200_000)
    exact = er.erasure_exact(levels, dwell)
    np.testing.assert_allclose(sim.heat + sim.work, 0, atol=1e-12)
    est = kn.mc_estimate(sim.heat_to_bath)
    assert abs(est.mean - float(exact.heat_to_bath)) < 4 * est.stderr
    assert abs(
        sim.x_final.mean() - float(exact.p1_final)
    ) < 4 * sim.x_final.std() / math.sqrt(200_000)
    again = er.simulate_erasure(jax.random.PRNGKey(3), levels, dwell, 200_000)
    np.testing.assert_array_equal(sim.heat, again.heat)


def test_simulation_would_catch_a_wrong_mean():
    """The 4 s.e. agreement is a real test: a 1% shift of the exact heat fails it."""
    levels, dwell = er.staircase_protocol(10.0, 32, 20.0)
    sim = er.simulate_erasure(jax.random.PRNGKey(0), levels, dwell, 2**18)
    exact = float(er.erasure_exact(levels, dwell).heat_to_bath)
    est = kn.mc_estimate(sim.heat_to_bath)
    kn.check_mc("ok", est, exact)
    with pytest.raises(kn.MonteCarloCheckFailed):
        kn.check_mc("shifted", est, exact * 1.01)


def test_landauer_energy_from_constants():
    joules = float(er.landauer_energy(300.0))
    assert joules == pytest.approx(const.Boltzmann * 300 * math.log(2), rel=1e-15)
    assert joules == pytest.approx(2.87e-21, rel=2e-3)
    assert float(er.landauer_energy(300.0, unit="eV")) * 1e3 == pytest.approx(
        17.9, rel=2e-3
    )
    assert float(er.landauer_energy(300.0, bits=2)) == pytest.approx(
        2 * joules, rel=1e-15
    )


@pytest.mark.parametrize(
    ("call", "exc"),
    [
        (lambda: er.equilibrium_p1(1.0, beta=0.0), ValueError),
        (lambda: er.equilibrium_p1(1.0, beta=-1.0), ValueError),
        (lambda: er.equilibrium_p1(np.nan), ValueError),
        (lambda: er.equilibrium_p1("a"), TypeError),
        (lambda: er.glauber_rates(1.0, gamma=math.inf), ValueError),
        (lambda: er.generalized_landauer_bound(0.5, np.nan), ValueError),
        (lambda: er.landauer_energy(-3.0), ValueError),
        (lambda: er.landauer_energy(300.0, unit="cal"), ValueError),
        (lambda: er.staircase_protocol(10.0, 0, 1.0), ValueError),
        (lambda: er.staircase_protocol(10.0, 2.5, 1.0), TypeError),
        (lambda: er.staircase_protocol("10", 4, 1.0), TypeError),
        (lambda: er.staircase_protocol(np.nan, 4, 1.0), ValueError),
        (lambda: er.staircase_protocol(10.0, 4, -1.0), ValueError),
        (lambda: er.erasure_exact([], 1.0), ValueError),
        (lambda: er.erasure_exact([[1.0, 2.0]], 1.0), ValueError),
        (lambda: er.erasure_exact([1.0, np.inf], 1.0), ValueError),
        (lambda: er.erasure_exact([1.0, 2.0], [1.0, 2.0, 3.0]), ValueError),
        (lambda: er.erasure_exact([1.0, 2.0], [1.0, 0.0]), ValueError),
        (lambda: er.erasure_exact([1.0, 2.0], [1.0, np.nan]), ValueError),
        (lambda: er.erasure_exact([1.0, 2.0], 1.0, p1_initial=1.2), ValueError),
        (lambda: er.erasure_exact([1.0, 2.0], 1.0, beta=0), ValueError),
        (lambda: er.erasure_exact([1.0, 2.0], 1.0, gamma="x"), TypeError),
        (lambda: er.simulate_erasure(0, [1.0], 1.0, 10), TypeError),
        (lambda: er.simulate_erasure(jax.random.PRNGKey(0), [1.0], 1.0, 1), ValueError),
        (
            lambda: er.simulate_erasure(jax.random.PRNGKey(0), [1.0], 1.0, 10.0),
            TypeError,
        ),
        (
            lambda: er.simulate_erasure(
                jax.random.PRNGKey(0), [1.0, 2.0], np.ones((2, 2)), 10
            ),
            ValueError,
        ),
    ],
)
def test_bad_input(call, exc):
    with pytest.raises(exc):
        call()


def test_infinite_dwell_is_full_relaxation():
    levels, dwell = er.staircase_protocol(3.0, 5, math.inf)
    res = er.erasure_exact(levels, dwell)
    np.testing.assert_allclose(res.p1[1:], er.equilibrium_p1(levels), rtol=1e-14)


# --------------------------------------------------------------------------
# friction, thermodynamic length and the constant-dissipation protocol


def _autocovariance(lag, eps, beta, gamma):
    """Equilibrium covariance of x(lag) and x(0) from the generator (SciPy)."""
    k01 = gamma / (1 + math.exp(beta * eps))
    k10 = gamma / (1 + math.exp(-beta * eps))
    kernel = expm(np.array([[-k01, k01], [k10, -k10]]) * lag)
    p1 = k01 / gamma
    return p1 * kernel[1, 1] - p1**2


@pytest.mark.parametrize(("beta", "gamma"), [(1.0, 1.0), (0.6, 2.5), (2.0, 0.3)])
def test_friction_is_the_integrated_autocorrelation(beta, gamma):
    for eps in (-4.0, 0.0, 1.3, 7.0):
        # the autocorrelation decays as exp(-gamma t): 60/gamma is the whole integral
        ref = (
            beta
            * quad(
                _autocovariance,
                0,
                60 / gamma,
                args=(eps, beta, gamma),
                epsabs=1e-13,
                epsrel=1e-10,
                limit=200,
            )[0]
        )
        got = float(er.friction(eps, beta=beta, gamma=gamma))
        assert got == pytest.approx(ref, rel=1e-8)


@pytest.mark.parametrize(("beta", "gamma"), [(1.0, 1.0), (0.6, 2.5), (2.0, 0.3)])
def test_thermodynamic_length_matches_quadrature(beta, gamma):
    for eps_max in (0.5, 3.0, 10.0, -6.0):
        ref = quad(
            lambda e: math.sqrt(beta * float(er.friction(e, beta=beta, gamma=gamma))),
            0,
            abs(eps_max),
            epsabs=1e-14,
        )[0]
        got = float(er.thermodynamic_length(eps_max, beta=beta, gamma=gamma))
        assert got == pytest.approx(ref, rel=1e-10)
    assert float(er.thermodynamic_length(0.0)) == 0.0


def test_thermodynamic_length_reference_values_and_limit():
    assert float(er.thermodynamic_length(10.0)) ** 2 == pytest.approx(2.4252, abs=5e-5)
    big = float(er.thermodynamic_length(1e3, gamma=2.0)) ** 2
    assert big == pytest.approx(math.pi**2 / 8, rel=1e-14)
    assert float(er.slow_driving_coefficient(10.0)) == pytest.approx(4.9995, abs=5e-5)


@pytest.mark.parametrize("eps_max", [10.0, 3.0, -5.0, 80.0])
def test_optimal_protocol_closed_form_and_constant_rate(eps_max):
    beta = 0.8
    levels, dwell = er.optimal_protocol(eps_max, 4096, 3.0, beta=beta)
    np.testing.assert_allclose(dwell, 3.0 / 4096)
    assert levels[-1] == eps_max
    x = beta * abs(eps_max)
    theta = math.atan(math.exp(x / 2)) - math.pi / 4
    s = np.arange(1, 4097) / 4096
    if x < 30:  # the naive form loses its last digits near the end for big levels
        naive = np.sign(eps_max) * 2 / beta * np.log(np.tan(np.pi / 4 + s * theta))
        np.testing.assert_allclose(levels, naive, rtol=1e-9, atol=1e-12)
    # the protocol covers thermodynamic length at a constant rate
    path = np.concatenate([[0.0], levels])
    mid = 0.5 * (path[1:] + path[:-1])
    speed = np.sqrt(beta * er.friction(mid, beta=beta)) * np.abs(np.diff(path)) * 4096
    # for very high levels the last steps are too coarse for the midpoint rule
    n_used = 4096 if x < 30 else 4000
    np.testing.assert_allclose(
        speed[:n_used], float(er.thermodynamic_length(eps_max, beta=beta)), rtol=2e-3
    )
    assert np.all(np.diff(levels) * np.sign(eps_max) > 0)


def test_optimal_protocol_beats_the_ramp_and_reaches_the_length():
    eps_max, k = 10.0, 2**14
    taus = np.array([64.0, 128.0, 256.0])
    opt = er.erasure_exact(er.optimal_protocol(eps_max, k, 1.0)[0], taus[:, None] / k)
    ramp = er.erasure_exact(
        er.staircase_protocol(eps_max, k, 1.0)[0], taus[:, None] / k
    )
    assert np.all(opt.entropy_production < ramp.entropy_production)
    ts = taus * opt.entropy_production
    assert np.all(np.diff(ts) < 0)  # approaching L² from above
    assert ts[-1] == pytest.approx(
        float(er.thermodynamic_length(eps_max)) ** 2, rel=2e-2
    )


def test_optimal_protocol_against_ode_solver():
    eps_max, tau, k = 6.0, 5.0, 2**14
    theta = math.atan(math.exp(eps_max / 2)) - math.pi / 4

    def rhs(t, y):
        e = 2 * math.log(math.tan(math.pi / 4 + t / tau * theta))
        flow = 1 / (1 + math.exp(e)) - y[0]
        return [flow, e * flow]

    sol = solve_ivp(rhs, (0, tau), [0.5, 0.0], method="DOP853", rtol=1e-12, atol=1e-14)
    fine = er.erasure_exact(er.optimal_protocol(eps_max, k, tau)[0], tau / k)
    coarse = er.erasure_exact(er.optimal_protocol(eps_max, k // 2, tau)[0], 2 * tau / k)
    heat = 2 * float(fine.heat) - float(coarse.heat)
    assert heat == pytest.approx(sol.y[1, -1], rel=1e-6)


@pytest.mark.parametrize(
    ("call", "exc", "fragment"),
    [
        (lambda: er.friction("a"), TypeError, "eps"),
        (lambda: er.friction(np.nan), ValueError, "eps"),
        (lambda: er.friction(1.0, beta=0.0), ValueError, "beta"),
        (lambda: er.friction(1.0, gamma=-1.0), ValueError, "gamma"),
        (lambda: er.friction(1.0, gamma=math.inf), ValueError, "gamma"),
        (lambda: er.thermodynamic_length(None), TypeError, "eps_max"),
        (lambda: er.thermodynamic_length(np.inf), ValueError, "eps_max"),
        (lambda: er.thermodynamic_length(1.0, beta=-2.0), ValueError, "beta"),
        (lambda: er.thermodynamic_length(1.0, gamma="x"), TypeError, "gamma"),
        (lambda: er.optimal_protocol(np.nan, 4, 1.0), ValueError, "eps_max"),
        (lambda: er.optimal_protocol("10", 4, 1.0), TypeError, "eps_max"),
        (lambda: er.optimal_protocol(10.0, 0, 1.0), ValueError, "n_steps"),
        (lambda: er.optimal_protocol(10.0, 2.5, 1.0), TypeError, "n_steps"),
        (lambda: er.optimal_protocol(10.0, 4, -1.0), ValueError, "tau"),
        (lambda: er.optimal_protocol(10.0, 4, np.nan), ValueError, "tau"),
        (lambda: er.optimal_protocol(10.0, 4, 1.0, beta=0.0), ValueError, "beta"),
    ],
)
def test_bad_input_new_functions(call, exc, fragment):
    with pytest.raises(exc, match=fragment):
        call()


def test_numpy_scalars_accepted_by_new_functions():
    assert float(er.friction(np.float32(1.0), beta=np.int64(1))) == pytest.approx(
        float(er.friction(1.0))
    )
    levels, _ = er.optimal_protocol(np.float64(10.0), np.int64(8), np.float32(2.0))
    assert levels.shape == (8,)
    np.testing.assert_allclose(er.optimal_protocol(10.0, 8, math.inf)[1], math.inf)
    assert er.thermodynamic_length(np.array([1.0, 2.0])).shape == (2,)
