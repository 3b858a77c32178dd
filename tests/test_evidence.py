"""Tests for klnotes.evidence: weight of evidence, odds updates, Beta tails, worked magnitudes."""

from __future__ import annotations

import itertools
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


# ---------------------------------------------------------------- Jeffrey's rule
def _kl(p, q):
    p, q = np.ravel(p), np.ravel(q)
    keep = p > 0
    return float(np.sum(p[keep] * np.log(p[keep] / q[keep])))


def test_jeffrey_update_keeps_the_conditionals_and_the_new_marginal():
    q = np.array([[0.3, 0.1, 0.05], [0.2, 0.15, 0.2]])
    r = np.array([0.5, 0.2, 0.3])
    p = ev.jeffrey_update(q, r)
    np.testing.assert_allclose(p.sum(axis=0), r, rtol=1e-14)
    np.testing.assert_allclose(p / p.sum(axis=0), q / q.sum(axis=0), rtol=1e-14)
    # the minimum of I[p; q] is I[r; q(e)]
    assert _kl(p, q) == pytest.approx(_kl(r, q.sum(axis=0)), rel=1e-12)


def test_jeffrey_update_is_minimal_against_perturbations():
    rng = np.random.default_rng(0)
    q = rng.dirichlet(np.ones(6)).reshape(2, 3)
    r = rng.dirichlet(np.ones(3))
    best = _kl(ev.jeffrey_update(q, r), q)
    for _ in range(200):
        cond = rng.dirichlet(np.ones(2), size=3).T  # any conditionals p(h|e)
        assert _kl(cond * r, q) >= best - 1e-12


def test_jeffrey_update_with_certain_evidence_is_bayes():
    prior, s, c = 0.07, 0.938, 0.956
    q = np.array(
        [[prior * s, prior * (1 - s)], [(1 - prior) * (1 - c), (1 - prior) * c]]
    )
    p = ev.jeffrey_update(q, [1.0, 0.0])
    assert p[0, 0] == pytest.approx(ev.screening_posterior(prior, s, c), rel=1e-14)
    assert p[:, 1].sum() == 0.0


@pytest.mark.parametrize(
    "joint,evidence,exc,match",
    [
        ([0.5, 0.5], [1.0], ValueError, "joint must be 2-D"),
        (np.zeros((2, 0)), [], ValueError, "joint is empty"),
        ([[0.5, 0.6], [0.1, 0.1]], [0.5, 0.5], ValueError, "joint is not normalised"),
        ([[0.5, -0.1], [0.5, 0.1]], [0.5, 0.5], ValueError, "joint has negative"),
        ([[np.nan, 0.5], [0.25, 0.25]], [0.5, 0.5], ValueError, "joint has non-finite"),
        ("joint", [0.5, 0.5], TypeError, "joint"),
        ([[0.25, 0.25], [0.25, 0.25]], [0.5, 0.3, 0.2], ValueError, "evidence has 3"),
        ([[0.25, 0.25], [0.25, 0.25]], [0.5, 0.6], ValueError, "evidence is not"),
        (
            [[0.25, 0.25], [0.25, 0.25]],
            [[0.5, 0.5]],
            ValueError,
            "evidence must be 1-D",
        ),
        ([[0.5, 0.0], [0.5, 0.0]], [0.5, 0.5], ValueError, "probability 0"),
        ([[0.25, 0.25], [0.25, 0.25]], None, TypeError, "evidence"),
    ],
)
def test_jeffrey_update_bad_input(joint, evidence, exc, match):
    with pytest.raises(exc, match=match):
        ev.jeffrey_update(joint, evidence)


# ---------------------------------------------------------------- first passage (Wald)
def _first_passage_by_enumeration(p1, p0, target_db, m, truth):
    """E[N ∧ m] and E[S_{N ∧ m}] over all 2^m sequences (independent reference)."""
    w1 = 10 * math.log10(p1 / p0)
    w0 = 10 * math.log10((1 - p1) / (1 - p0))
    mean_n = mean_s = 0.0
    for bits in itertools.product((0, 1), repeat=m):
        prob = math.prod(truth if b else 1 - truth for b in bits)
        s, n = 0.0, m
        for i, b in enumerate(bits, start=1):
            s += w1 if b else w0
            if s >= target_db:
                n = i
                break
        mean_n += prob * n
        mean_s += prob * s
    return mean_n, mean_s


@pytest.mark.parametrize("truth", [None, 0.5, 0.75])
def test_first_passage_matches_enumeration(truth):
    fp = ev.first_passage(0.7, 0.5, 3.0, n_max=12, truth=truth)
    ref_n, ref_s = _first_passage_by_enumeration(0.7, 0.5, 3.0, 12, truth or 0.7)
    assert fp.mean_stopping_time == pytest.approx(ref_n, rel=1e-12)
    assert fp.mean_evidence == pytest.approx(ref_s, rel=1e-12, abs=1e-12)
    assert fp.n_max == 12 and fp.unit == "dB"


def test_first_passage_obeys_walds_identity_and_bounds():
    fp = ev.first_passage(0.6, 0.5, 13.0, n_max=4000)
    rate = st.entropy([0.6, 0.4], [0.5, 0.5]) * 10 / math.log(10)
    assert fp.mean_evidence == pytest.approx(rate * fp.mean_stopping_time, rel=1e-10)
    assert fp.unstopped < 1e-9
    assert 13.0 / rate <= fp.mean_stopping_time < (13.0 + fp.step_up) / rate
    assert 13.0 <= fp.mean_evidence_at_stop < 13.0 + fp.step_up
    assert fp.step_down < 0 < fp.step_up
    nats = ev.first_passage(0.6, 0.5, 13.0 * math.log(10) / 10, n_max=4000, unit="nats")
    assert nats.mean_stopping_time == pytest.approx(fp.mean_stopping_time, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(p1=0.4, p0=0.5), ValueError, "p1 must exceed p0"),
        (dict(p1=1.0), ValueError, "p1"),
        (dict(p0=float("nan")), ValueError, "p0"),
        (dict(target=0.0), ValueError, "target"),
        (dict(target="13"), TypeError, "target"),
        (dict(n_max=0), ValueError, "n_max"),
        (dict(n_max=10.0), TypeError, "n_max"),
        (dict(truth=1.5), ValueError, "truth"),
        (dict(window=1), ValueError, "window"),
        (dict(window=3, n_max=2000), ValueError, "window = 3"),
        (dict(n_max=3, target=100.0), ValueError, "no sequence reaches"),
        (dict(unit="furlongs"), ValueError, "unit"),
    ],
)
def test_first_passage_bad_input(kwargs, exc, match):
    args = dict(p1=0.6, p0=0.5, target=3.0, n_max=50) | kwargs
    p1, p0, target = args.pop("p1"), args.pop("p0"), args.pop("target")
    with pytest.raises(exc, match=match):
        ev.first_passage(p1, p0, target, **args)


# ---------------------------------------------------------------- Neyman-Pearson / Stein
def _np_reference(n, p, q, alpha):
    k = np.arange(n + 1)
    pp, pq = st.binom.pmf(k, n, p), st.binom.pmf(k, n, q)
    cdf = np.cumsum(pp)
    k0 = int(np.argmax(cdf >= alpha - 1e-15))
    r = (alpha - (cdf[k0 - 1] if k0 else 0.0)) / pp[k0]
    return math.log(pq[k0 + 1 :].sum() + (1 - r) * pq[k0]), k0, r


@pytest.mark.parametrize("n,p,q", [(20, 0.7, 0.4), (200, 0.55, 0.5), (60, 0.3, 0.6)])
def test_neyman_pearson_error_matches_direct_sums(n, p, q):
    got = ev.neyman_pearson_error(n, p, q, alpha=0.05)
    if p < q:  # the reference counts failures
        ref = _np_reference(n, 1 - p, 1 - q, 0.05)
    else:
        ref = _np_reference(n, p, q, 0.05)
    assert got.log_beta == pytest.approx(ref[0], rel=1e-10)
    assert got.boundary == ref[1]
    assert got.randomisation == pytest.approx(ref[2], rel=1e-10)
    assert got.n == n and got.alpha == 0.05


def test_neyman_pearson_error_bounds_and_exponent():
    p, q = 0.6, 0.5
    rate = st.entropy([p, 1 - p], [q, 1 - q])
    ratios = []
    for n in (100, 1000, 10_000, 100_000):
        got = ev.neyman_pearson_error(n, p, q, alpha=0.1)
        assert -got.log_beta >= got.threshold - 1e-9  # achievability
        ratios.append(-got.log_beta / n / rate)
    assert all(b > a for a, b in zip(ratios, ratios[1:]))
    assert 0.9 < ratios[-1] < 1.0
    # far below the smallest double the log is still finite
    deep = ev.neyman_pearson_error(10_000_000, 0.51, 0.5, alpha=0.05)
    assert math.isfinite(deep.log_beta) and deep.log_beta < -1800


@pytest.mark.parametrize(
    "args,kwargs,exc,match",
    [
        ((10, 0.5, 0.5), dict(alpha=0.05), ValueError, "must differ"),
        ((0, 0.6, 0.5), dict(alpha=0.05), ValueError, "n must"),
        ((10.0, 0.6, 0.5), dict(alpha=0.05), TypeError, "n must"),
        ((10, 1.0, 0.5), dict(alpha=0.05), ValueError, "p must"),
        ((10, 0.6, 0.0), dict(alpha=0.05), ValueError, "q must"),
        ((10, 0.6, 0.5), dict(alpha=1.0), ValueError, "alpha"),
        ((10, 0.6, 0.5), dict(alpha="0.05"), TypeError, "alpha"),
    ],
)
def test_neyman_pearson_error_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ev.neyman_pearson_error(*args, **kwargs)
