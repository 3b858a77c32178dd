"""klnotes' free-energy estimators against pymbar, a reference implementation.

pymbar (Shirts & Chodera) works in reduced units: it takes work divided by
k_BT and returns free energies in units of k_BT. Its ``bar`` solves Bennett's
equation by false position to a relative tolerance of 1e-12 and reports
Bennett's asymptotic error (``uncertainty_method="BAR"``); its ``exp`` is the
one-sided exponential average with the delta-method error. ``klnotes.thermo``
implements both independently (Newton's method with bisection for BAR), so on
identical work samples they must agree to many digits.
"""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pytest

import klnotes as kn  # noqa: F401  (first: JAX in float64 before pymbar imports it)
from klnotes import thermo

with (
    contextlib.redirect_stdout(io.StringIO()),
    contextlib.redirect_stderr(io.StringIO()),
):
    from pymbar import other_estimators  # prints a banner about JAX on import

# (n_F, n_R, W_dis, ΔF, kT): equal and unequal sample sizes, poor and good
# overlap, both signs of ΔF, and kT != 1 (pymbar sees the reduced work)
CASES = [
    (1000, 1000, 1.0, 0.5, 1.0),
    (5000, 300, 2.0, -1.0, 1.0),
    (200, 4000, 0.3, 3.0, 1.0),
    (20_000, 20_000, 6.0, 0.0, 1.0),
    (3000, 7000, 1.5, 2.0, 0.25),
    (50_000, 10_000, 0.05, -4.0, 3.0),
]


def crooks_samples(n_f, n_r, w_dis, d_f, kT, seed):
    """Gaussian work obeying Crooks: variance 2 kT W_dis in both directions."""
    rng = np.random.default_rng(seed)
    sd = math.sqrt(2 * kT * w_dis)
    return rng.normal(d_f + w_dis, sd, n_f), rng.normal(-d_f + w_dis, sd, n_r)


@pytest.mark.parametrize(("n_f", "n_r", "w_dis", "d_f", "kT"), CASES)
def test_bar_agrees_with_pymbar(n_f, n_r, w_dis, d_f, kT):
    wf, wr = crooks_samples(n_f, n_r, w_dis, d_f, kT, seed=n_f + n_r)
    ours = thermo.bar(wf, wr, kT=kT)
    ref = other_estimators.bar(wf / kT, wr / kT, uncertainty_method="BAR")
    assert ours.mean == pytest.approx(kT * ref["Delta_f"], rel=1e-10, abs=1e-12)
    assert ours.stderr == pytest.approx(kT * ref["dDelta_f"], rel=1e-8)


@pytest.mark.parametrize(("n_f", "n_r", "w_dis", "d_f", "kT"), CASES)
def test_exponential_averages_agree_with_pymbar(n_f, n_r, w_dis, d_f, kT):
    wf, wr = crooks_samples(n_f, n_r, w_dis, d_f, kT, seed=7 * n_f + n_r)
    for work in (wf, wr):
        ref = other_estimators.exp(work / kT)
        assert thermo.exponential_average(work, kT=kT) == pytest.approx(
            kT * ref["Delta_f"], rel=1e-12, abs=1e-13
        )
        ours = thermo.exponential_estimate(work, kT=kT)
        assert ours.mean == pytest.approx(kT * ref["Delta_f"], rel=1e-12, abs=1e-13)
        assert ours.stderr == pytest.approx(kT * ref["dDelta_f"], rel=1e-10)


def test_bar_agrees_with_pymbar_on_simulated_ramp_work():
    import jax

    k = np.linspace(1.0, 4.0, 6)
    wf = np.asarray(
        thermo.simulate_harmonic(
            jax.random.PRNGKey(3), k, 0.0, n_traj=4096, dt=0.1
        ).work
    )
    wr = np.asarray(
        thermo.simulate_harmonic(
            jax.random.PRNGKey(4), k[::-1], 0.0, n_traj=8192, dt=0.1
        ).work
    )
    ours = thermo.bar(wf, wr)
    ref = other_estimators.bar(wf, wr)
    assert ours.mean == pytest.approx(ref["Delta_f"], rel=1e-10)
    assert ours.stderr == pytest.approx(ref["dDelta_f"], rel=1e-8)
