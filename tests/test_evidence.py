"""Tests for klnotes.evidence: weight of evidence, odds updates, Beta tails, worked magnitudes."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.special as ssp
import scipy.stats as st
from hypothesis import given
from hypothesis import strategies as hs

import klnotes  # noqa: F401  (enables float64 in JAX)
from klnotes import evidence as ev


# ---------------------------------------------------------------- weight of evidence
def test_weight_of_evidence_units():
    assert ev.weight_of_evidence(2.0, 1.0, unit="dB") == pytest.approx(
        10 * math.log10(2.0), rel=1e-14
    )
    assert ev.weight_of_evidence(2.0, 1.0, unit="bits") == pytest.approx(1.0, rel=1e-14)
    assert ev.weight_of_evidence(math.e, 1.0, unit="nats") == pytest.approx(
        1.0, rel=1e-14
    )
    np.testing.assert_allclose(
        ev.weight_of_evidence([1.0, 0.5], [0.5, 1.0]), [3.0103, -3.0103], atol=1e-4
    )


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_weight_of_evidence_rejects_bad_probabilities(bad):
    with pytest.raises(ValueError, match="p_x"):
        ev.weight_of_evidence(bad, 0.5)
    with pytest.raises(ValueError, match="q_x"):
        ev.weight_of_evidence(0.5, bad)


def test_weight_of_evidence_type_errors():
    with pytest.raises(TypeError):
        ev.weight_of_evidence("0.5", 0.5)
    with pytest.raises(ValueError, match="unit"):
        ev.weight_of_evidence(0.5, 0.25, unit="furlongs")


@given(hs.floats(0.001, 0.999), hs.floats(0.001, 0.999))
def test_bernoulli_kl_matches_scipy(p, q):
    expected = st.entropy([p, 1 - p], [q, 1 - q])
    assert ev.bernoulli_kl(p, q, unit="nats") == pytest.approx(
        expected, rel=1e-9, abs=1e-15
    )
    assert ev.bernoulli_kl(p, q, unit="nats") >= 0


def test_bernoulli_kl_edge_and_bad():
    assert ev.bernoulli_kl(1.0, 0.5) == pytest.approx(10 * math.log10(2), rel=1e-14)
    assert ev.bernoulli_kl(0.3, 0.3) == 0.0
    with pytest.raises(ValueError, match="p must lie"):
        ev.bernoulli_kl(1.2, 0.5)
    with pytest.raises(ValueError, match="q must lie"):
        ev.bernoulli_kl(0.5, 1.0)


def test_binomial_evidence_matches_direct_sum():
    k, m = 37, 21
    direct = sum(math.log10(0.6 / 0.5) for _ in range(k)) + sum(
        math.log10(0.4 / 0.5) for _ in range(m)
    )
    assert ev.binomial_evidence(k, m, 0.6, 0.5) == pytest.approx(10 * direct, rel=1e-12)
    # swapping the hypotheses flips the sign
    assert ev.binomial_evidence(k, m, 0.5, 0.6) == pytest.approx(
        -10 * direct, rel=1e-12
    )


def test_binomial_evidence_bad_input():
    with pytest.raises(TypeError, match="successes"):
        ev.binomial_evidence(3.0, 2, 0.6, 0.5)
    with pytest.raises(ValueError, match="failures"):
        ev.binomial_evidence(3, -2, 0.6, 0.5)
    with pytest.raises(ValueError, match="p1"):
        ev.binomial_evidence(3, 2, 1.0, 0.5)


def test_observations_needed():
    assert ev.observations_needed(13.0, 3.0) == 5
    assert ev.observations_needed(12.0, 3.0) == 4  # exactly reached counts
    assert ev.observations_needed(0.3, 0.1) == 3  # 0.3 / 0.1 rounds above 3
    with pytest.raises(ValueError, match="per_observation"):
        ev.observations_needed(13.0, 0.0)
    with pytest.raises(ValueError, match="target"):
        ev.observations_needed(-1.0, 1.0)


# ---------------------------------------------------------------- Bayes in odds form
def test_test_posterior_against_joint_table():
    prior, s, c = 0.07, 0.938, 0.956
    joint = np.array(
        [[prior * s, prior * (1 - s)], [(1 - prior) * (1 - c), (1 - prior) * c]]
    )
    assert ev.screening_posterior(prior, s, c) == pytest.approx(
        joint[0, 0] / joint[:, 0].sum(), rel=1e-14
    )
    assert ev.screening_posterior(prior, s, c, positive=False) == pytest.approx(
        joint[0, 1] / joint[:, 1].sum(), rel=1e-14
    )
    assert ev.screening_posterior(prior, s, c) == pytest.approx(
        0.616, abs=5e-4
    )  # the post's figure


def test_test_posterior_bad_input():
    with pytest.raises(ValueError, match="sensitivity"):
        ev.screening_posterior(0.1, 1.5, 0.9)
    with pytest.raises(ValueError, match="prior"):
        ev.screening_posterior(0.0, 0.9, 0.9)
    with pytest.raises(TypeError, match="positive"):
        ev.screening_posterior(0.1, 0.9, 0.9, positive=1)


@given(hs.floats(0.01, 0.99), hs.floats(0.01, 1.0), hs.floats(0.01, 1.0))
def test_bayes_update_adds_log_odds(prior, lh, la):
    up = ev.bayes_update(prior, lh, la, unit="bits")
    direct = prior * lh / (prior * lh + (1 - prior) * la)
    assert up.posterior == pytest.approx(direct, rel=1e-12)
    assert up.posterior_log_odds == pytest.approx(
        up.prior_log_odds + up.evidence, rel=1e-12, abs=1e-12
    )
    assert up.unit == "bits"


def test_bayes_update_bad_input():
    with pytest.raises(ValueError, match="likelihood|p_x"):
        ev.bayes_update(0.5, 0.0, 0.5)
    with pytest.raises(ValueError, match="prior"):
        ev.bayes_update(1.0, 0.5, 0.5)


def test_deciban_table():
    t = ev.deciban_table()
    assert t.db.tolist() == list(range(14))
    np.testing.assert_allclose(t.odds[[0, 10]], [1.0, 10.0], rtol=1e-14)
    np.testing.assert_allclose(t.probability, t.odds / (1 + t.odds), rtol=1e-14)
    assert len(t.rows()) == 14 and isinstance(t.rows()[3][1], float)
    with pytest.raises(ValueError, match="non-finite"):
        ev.deciban_table([0.0, np.nan])
    with pytest.raises(ValueError, match="1-D"):
        ev.deciban_table(np.zeros((2, 2)))


# ---------------------------------------------------------------- Beta tail in log space
@pytest.mark.parametrize(
    "x,a,b",
    [
        (0.3, 2.0, 5.0),
        (0.7, 2.0, 5.0),
        (0.5, 10.0, 10.0),
        (0.01, 3.0, 300.0),
        (0.2, 50.5, 60.0),
    ],
)
def test_log_beta_cdf_matches_scipy(x, a, b):
    assert math.exp(ev.log_beta_cdf(x, a, b)) == pytest.approx(
        ssp.betainc(a, b, x), rel=1e-11
    )


def test_log_beta_cdf_far_tail_matches_mpmath():
    a, b = (
        2001.0,
        1001.0,
    )  # tail ~1e-100 at 1/2 (ordinary doubles still hold it: compare both)
    mpmath.mp.dps = 50
    ref = mpmath.log(mpmath.betainc(a, b, 0, mpmath.mpf(1) / 2, regularized=True))
    assert ev.log_beta_cdf(0.5, a, b) == pytest.approx(float(ref), rel=1e-11)


def test_log_beta_cdf_below_double_range():
    # a tail far below the smallest double is still returned as a finite logarithm
    lt = ev.log_beta_cdf(0.5, 3.0e6, 2.0e6)
    assert math.isfinite(lt) and lt < math.log(1e-308) * 100
    # consistency with the log-density scale: roughly a log x + b log(1-x) - log B(a, b)
    rough = 3.0e6 * math.log(0.5) + 2.0e6 * math.log(0.5) - ssp.betaln(3.0e6, 2.0e6)
    assert abs(lt - rough) < 50


def test_log_beta_cdf_limits_and_bad_input():
    assert ev.log_beta_cdf(0.0, 2.0, 3.0) == -math.inf
    assert ev.log_beta_cdf(1.0, 2.0, 3.0) == 0.0
    with pytest.raises(ValueError, match="a must"):
        ev.log_beta_cdf(0.5, -1.0, 2.0)
    with pytest.raises(ValueError, match="b must"):
        ev.log_beta_cdf(0.5, 1.0, float("nan"))
    with pytest.raises(ValueError, match="x must"):
        ev.log_beta_cdf(float("inf"), 1.0, 2.0)
    with pytest.raises(TypeError, match="x must be a real number"):
        ev.log_beta_cdf("0.5", 1.0, 2.0)
    with pytest.raises(TypeError, match="a must be a real number"):
        ev.log_beta_cdf(0.5, True, 2.0)


def test_laplace_tail_independent_quadrature():
    a, b = ev.LAPLACE_BOYS + 1, ev.LAPLACE_GIRLS + 1
    mpmath.mp.dps = 40
    log_norm = mpmath.loggamma(a) + mpmath.loggamma(b) - mpmath.loggamma(a + b)

    def density(z):
        return mpmath.exp(
            (a - 1) * mpmath.log(z) + (b - 1) * mpmath.log(1 - z) - log_norm
        )

    breaks = (
        [mpmath.mpf(0)]
        + [mpmath.mpf(1) / 2 - mpmath.mpf(2) ** -j for j in range(2, 30)]
        + [mpmath.mpf(1) / 2]
    )
    ref = float(mpmath.quad(density, breaks))
    got = math.exp(ev.posterior_tail(ev.LAPLACE_BOYS, ev.LAPLACE_GIRLS, 0.5))
    assert got == pytest.approx(ref, rel=1e-8)


def test_posterior_tail_bad_input():
    with pytest.raises(ValueError, match="threshold"):
        ev.posterior_tail(3, 4, 1.0)
    with pytest.raises(TypeError, match="successes"):
        ev.posterior_tail(3.5, 4)


# ---------------------------------------------------------------- worked magnitudes
def test_worked_magnitudes_hit_the_post_targets():
    wm = ev.worked_magnitudes()
    assert wm.db_per_head == pytest.approx(3.01, abs=0.005)
    assert wm.heads_for_20_to_1 == 5
    assert wm.laplace_tail == pytest.approx(1.1e-42, rel=0.05)
    assert wm.laplace_log10_tail == pytest.approx(
        math.log10(wm.laplace_tail), rel=1e-12
    )
    assert wm.laplace_total_evidence == pytest.approx(404, abs=0.5)
    assert wm.per_birth_kl == pytest.approx(8.7e-4, abs=0.05e-4)
    assert wm.births_for_13_db == pytest.approx(15_000, rel=0.01)
    assert wm.mnist_total_evidence == pytest.approx(13.0, rel=1e-12)
    assert wm.mnist_per_image_bits == pytest.approx(0.0004, abs=0.5e-4)


def test_worked_magnitudes_bad_input():
    with pytest.raises(ValueError, match="mnist_db_per_image"):
        ev.worked_magnitudes(mnist_db_per_image=-0.0013)
    with pytest.raises(TypeError, match="mnist_db_per_image"):
        ev.worked_magnitudes(mnist_db_per_image="0.0013")
    with pytest.raises(TypeError, match="mnist_images"):
        ev.worked_magnitudes(mnist_images=1e4)
    with pytest.raises(ValueError, match="p1"):
        ev.worked_magnitudes(p1=1.5)


def test_worked_magnitudes_would_catch_a_wrong_claim():
    wm = ev.worked_magnitudes()
    # the post's "8 microbels" reading (8e-6 bel = 8e-5 dB) is off by a factor ~10
    assert wm.per_birth_kl != pytest.approx(8e-5, rel=0.5)
    # the post's MNIST "0.0004 nats" is not 0.0013 dB
    assert 0.0004 * 10 / math.log(10) != pytest.approx(0.0013, rel=0.05)
    # changing an input changes the answer
    assert ev.worked_magnitudes(p1=0.52).per_birth_kl > 3 * wm.per_birth_kl
