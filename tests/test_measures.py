"""Tests for klnotes.measures: exact mixed measures (point masses + Beta kernels)."""

from fractions import Fraction

import jax
import numpy as np
import pytest
import scipy.integrate as integrate
import scipy.stats as stats
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import klnotes as kn
from klnotes import measures as ms

R = sp.Rational
HALF = R(1, 2)
THETA = sp.Symbol("theta")


def imaginary_posterior() -> ms.Measure:
    """The post's q(theta | 10 heads in 10): 1/2 at 1, 1/4 at 1/2, 1/4 Beta(11, 1)."""
    return (
        R(1, 2) * ms.point_mass(1)
        + R(1, 4) * ms.point_mass(HALF)
        + R(1, 4) * ms.beta(11, 1)
    )


# --- construction and canonical form -------------------------------------------------


def test_canonical_form_merges_and_sorts():
    a = (
        ms.point_mass(HALF, R(1, 3))
        + ms.point_mass(0, R(1, 3))
        + ms.point_mass(HALF, R(1, 3))
    )
    assert [x.location for x in a.atoms] == [0, HALF]
    assert [x.weight for x in a.atoms] == [R(1, 3), R(2, 3)]
    assert ms.beta_kernel(2, 3, 1) + ms.beta_kernel(2, 3, 4) == ms.beta_kernel(2, 3, 5)
    assert ms.point_mass(HALF, 0) == ms.Measure()  # zero terms are dropped


def test_exact_inputs_accepted():
    for w in (1, R(1, 2), Fraction(1, 2), np.int64(2), sp.sqrt(2), 1 / sp.pi):
        assert ms.total_mass(ms.point_mass(HALF, w)) == sp.sympify(
            w if not isinstance(w, Fraction) else R(1, 2)
        )


def test_beta_is_normalised_and_matches_scipy():
    for al, be in [(1, 1), (7, 5), (R(1, 2), R(1, 2)), (R(13, 2), R(9, 2))]:
        m = ms.beta(al, be)
        assert sp.simplify(ms.total_mass(m) - 1) == 0
        ref = stats.beta(float(al), float(be))
        assert float(ms.mean(m)) == pytest.approx(ref.mean(), rel=1e-13)
        assert float(ms.variance(m)) == pytest.approx(ref.var(), rel=1e-12)
        grid = np.linspace(0.01, 0.99, 7)
        np.testing.assert_allclose(ms.density(m, grid), ref.pdf(grid), rtol=1e-12)


def test_expressions():
    q = imaginary_posterior()
    expr = (
        R(1, 2) * sp.DiracDelta(THETA - 1)
        + R(1, 4) * sp.DiracDelta(THETA - HALF)
        + R(11, 4) * THETA**10
    )
    assert sp.expand(ms.as_expr(q, THETA) - expr) == 0
    assert sp.expand(ms.density_expr(q, THETA) - R(11, 4) * THETA**10) == 0
    assert "DiracDelta(theta - 1/2)/4" in str(q)
    assert q._repr_latex_().startswith("$") and r"\delta" in q._repr_latex_()


def test_parts_and_mass_at():
    q = imaginary_posterior()
    assert ms.mass_at(q, HALF) == R(1, 4)
    assert ms.mass_at(q, 1) == R(1, 2)
    assert ms.mass_at(q, R(1, 3)) == 0
    assert ms.total_mass(ms.discrete_part(q)) == R(3, 4)
    assert ms.total_mass(ms.continuous_part(q)) == R(1, 4)
    assert ms.components(q) == (
        ("atom", HALF, R(1, 4)),
        ("atom", 1, R(1, 2)),
        ("beta", (11, 1), R(1, 4)),
    )


# --- the coin example of the chapter -----------------------------------------------


def test_coin_example_exact_values():
    q = imaginary_posterior()
    prior = ms.implied_prior(q, 10, 0)
    assert ms.mass_at(prior, HALF) == R(1024, 1037)
    assert ms.mass_at(prior, 1) == R(2, 1037)
    assert prior.kernels == (ms.BetaKernel(R(11, 1037), 0, 0),)  # the rest uniform
    post = ms.posterior(prior, 6, 4)
    assert ms.mass_at(post, HALF) == R(210, 211)
    assert ms.mass_at(post, 1) == 0
    assert post.kernels == (ms.BetaKernel(R(2310, 211), 6, 4),)
    assert ms.posterior(prior, 10, 0) == q  # reproduces the imaginary posterior
    contrast = ms.posterior(q, 6, 4)
    assert ms.mass_at(contrast, HALF) == R(101745, 113009)
    assert contrast == ms.posterior(prior, 16, 4)
    assert ms.bayes_factor(ms.point_mass(HALF), ms.uniform(), 6, 4) == R(1155, 512)
    assert ms.bayes_factor_db(ms.point_mass(HALF), ms.uniform(), 6, 4) == pytest.approx(
        10 * np.log10(1155 / 512), rel=1e-14
    )


def test_false_claims_about_the_coin_fail():
    prior = ms.implied_prior(imaginary_posterior(), 10, 0)
    with pytest.raises(kn.SymbolicCheckFailed):
        kn.check_symbolic("a wrong prior mass", ms.mass_at(prior, HALF), R(1025, 1037))
    post = ms.posterior(prior, 6, 4)
    with pytest.raises(kn.SymbolicCheckFailed):
        kn.check_symbolic(
            "a wrong posterior",
            ms.as_expr(post, THETA),
            R(210, 211) * sp.DiracDelta(THETA - HALF)
            + R(2310, 211) * THETA**6 * (1 - THETA) ** 5,
        )


# --- independent references ---------------------------------------------------------


def test_marginal_likelihood_against_quadrature():
    prior = R(1, 3) * ms.point_mass(R(1, 4)) + R(2, 3) * ms.beta(3, 2)
    for h, t in [(0, 0), (3, 1), (2, 5)]:
        cont, _ = integrate.quad(
            lambda x, h=h, t=t: x**h * (1 - x) ** t * stats.beta(3, 2).pdf(x), 0, 1
        )
        ref = sp.binomial(h + t, h) * (R(1, 3) * 0.25**h * 0.75**t + R(2, 3) * cont)
        assert float(ms.marginal_likelihood(prior, h, t)) == pytest.approx(
            float(ref), rel=1e-12
        )
        seq = ms.marginal_likelihood(prior, h, t, binomial=False)
        assert ms.marginal_likelihood(prior, h, t) == sp.binomial(h + t, h) * seq


def test_predictive_pmf_against_betabinomial():
    for al, be in [(7, 5), (R(1, 2), R(1, 2))]:
        pmf = ms.predictive_pmf(ms.beta(al, be), 10)
        ref = stats.betabinom(10, float(al), float(be)).pmf(np.arange(11))
        np.testing.assert_allclose([float(p) for p in pmf], ref, rtol=1e-11)
        assert sp.simplify(sum(pmf) - 1) == 0


def test_conjugate_updates_and_jeffreys():
    assert ms.posterior(ms.uniform(), 6, 4) == ms.beta(7, 5)
    jeff = ms.posterior(ms.beta(HALF, HALF), 6, 4)
    assert sp.simplify(ms.mean(jeff) - R(13, 22)) == 0  # (6 + 1/2) / (10 + 1)
    assert jeff == ms.beta(R(13, 2), R(9, 2))


def test_moments_of_a_mixture():
    m = R(1, 4) * ms.point_mass(HALF) + R(3, 4) * ms.beta(2, 3)
    assert ms.mean(m) == R(1, 4) * HALF + R(3, 4) * R(2, 5)
    assert ms.moment(m, 0) == 1
    second = R(1, 4) * R(1, 4) + R(3, 4) * R(2 * 3, 5 * 6)
    assert ms.moment(m, 2) == second
    assert ms.variance(m) == second - ms.mean(m) ** 2


@settings(max_examples=25, deadline=None)
@given(
    w=st.fractions(min_value=Fraction(1, 50), max_value=Fraction(49, 50)),
    x=st.fractions(min_value=Fraction(1, 20), max_value=Fraction(19, 20)),
    al=st.integers(1, 6),
    be=st.integers(1, 6),
    h=st.integers(0, 5),
    t=st.integers(0, 5),
)
def test_implied_prior_round_trip(w, x, al, be, h, t):
    prior = w * ms.point_mass(x) + (1 - w) * ms.beta(al, be)
    post = ms.posterior(prior, h, t)
    assert ms.implied_prior(post, h, t) == prior
    assert ms.posterior(ms.posterior(prior, h, 0), 0, t) == post  # sequential updating
    bf = ms.bayes_factor(ms.point_mass(x), ms.beta(al, be), h, t)
    prior_odds = w / (1 - w)
    assert (
        ms.mass_at(post, x) / (1 - ms.mass_at(post, x)) == prior_odds * bf
    )  # Bayes in odds


# --- bad inputs --------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, exc, text",
    [
        (lambda: ms.point_mass(0.5), TypeError, "float"),
        (lambda: ms.point_mass(HALF, 0.25), TypeError, "float"),
        (lambda: ms.point_mass(HALF, -1), ValueError, "non-negative"),
        (lambda: ms.point_mass(R(3, 2)), ValueError, "[0, 1]"),
        (lambda: ms.point_mass(sp.sqrt(2) / 2), TypeError, "rational"),
        (lambda: ms.point_mass(HALF, sp.Symbol("w")), TypeError, "free symbols"),
        (lambda: ms.point_mass(HALF, sp.oo), ValueError, "finite"),
        (lambda: ms.point_mass(HALF, sp.nan), ValueError, "finite"),
        (lambda: ms.point_mass(HALF, sp.I), ValueError, "real"),
        (lambda: ms.point_mass("1/2"), TypeError, "exact number"),
        (lambda: ms.point_mass(True), TypeError, "bool"),
        (lambda: ms.beta_kernel(-1, 0), ValueError, "not integrable"),
        (lambda: ms.beta_kernel(0, R(-3, 2)), ValueError, "not integrable"),
        (lambda: ms.beta(0, 1), ValueError, "positive"),
        (lambda: -1 * ms.uniform(), ValueError, "non-negative"),
        (lambda: ms.normalise(ms.Measure()), ValueError, "zero total mass"),
        (lambda: ms.Measure(atoms=[ms.Atom(HALF, 1)]), TypeError, "tuple of Atom"),
        (lambda: ms.total_mass("uniform"), TypeError, "Measure"),
    ],
)
def test_bad_construction(make, exc, text):
    with pytest.raises(exc, match=text.replace("[", r"\[").replace("]", r"\]")):
        make()


def test_unnormalised_inputs_are_refused():
    twice = 2 * ms.uniform()
    for call in (
        lambda: ms.posterior(twice, 1, 1),
        lambda: ms.implied_prior(twice, 1, 1),
        lambda: ms.marginal_likelihood(twice, 1, 1),
        lambda: ms.moment(twice, 1),
        lambda: ms.predictive_pmf(twice, 3),
        lambda: ms.sample(twice, np.random.default_rng(0), 10),
    ):
        with pytest.raises(ValueError, match="not normalised"):
            call()


def test_impossible_imaginary_results_are_refused():
    # mass at theta = 0 after imaginary heads: the likelihood is zero there
    q = HALF * ms.point_mass(0) + HALF * ms.uniform()
    with pytest.raises(ValueError, match="likelihood"):
        ms.implied_prior(q, 3, 0)
    # a posterior no flatter than the likelihood allows: uniform / theta^3 is improper
    with pytest.raises(ValueError, match="improper"):
        ms.implied_prior(ms.uniform(), 3, 0)
    # data impossible under the prior
    with pytest.raises(ValueError, match="probability zero"):
        ms.posterior(ms.point_mass(1), 1, 1)
    with pytest.raises(ValueError, match="infinite"):
        ms.bayes_factor(ms.uniform(), ms.point_mass(1), 1, 1)
    with pytest.raises(ValueError, match="-inf dB"):
        ms.bayes_factor_db(ms.point_mass(1), ms.uniform(), 1, 1)


@pytest.mark.parametrize("bad", [-1, 1.0, True, "3", None])
def test_bad_counts(bad):
    with pytest.raises((TypeError, ValueError), match="heads"):
        ms.multiply_likelihood(ms.uniform(), bad, 0)
    with pytest.raises((TypeError, ValueError), match="tails"):
        ms.divide_likelihood(ms.uniform(), 0, bad)


def test_other_bad_arguments():
    with pytest.raises(TypeError, match="Symbol"):
        ms.density_expr(ms.uniform(), "theta")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ms.density(ms.uniform(), [0.5, 1.5])
    with pytest.raises(ValueError, match="n must be"):
        ms.sample(ms.uniform(), np.random.default_rng(0), 0)
    with pytest.raises(TypeError, match="PRNG key"):
        ms.sample(ms.uniform(), 42, 10)


# --- sampling ------------------------------------------------------------------------


def test_numpy_sampling_is_deterministic_and_right():
    post = ms.posterior(ms.implied_prior(imaginary_posterior(), 10, 0), 6, 4)
    a, la = ms.sample(post, np.random.default_rng(3), 200_000, return_labels=True)
    b = ms.sample(post, np.random.default_rng(3), 200_000)
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(la)) <= {0, 1}
    assert np.all(a[la == 0] == 0.5)
    est = kn.count_estimate(int(np.sum(la == 0)), la.size)
    assert abs(est.mean - 210 / 211) < 5 * est.stderr
    beta_draws = a[la == 1]
    assert stats.kstest(beta_draws, stats.beta(7, 5).cdf).pvalue > 1e-3


def test_jax_sampling_is_deterministic_and_right():
    m = (
        R(1, 3) * ms.point_mass(R(1, 4))
        + R(1, 3) * ms.beta(7, 5)
        + R(1, 3) * ms.beta(R(3, 2), 2)
    )
    key = jax.random.PRNGKey(11)
    th, lab = ms.sample(m, key, 60_000, return_labels=True)
    th2 = ms.sample(m, key, 60_000)
    np.testing.assert_array_equal(np.asarray(th), np.asarray(th2))
    th, lab = np.asarray(th), np.asarray(lab)
    assert np.all(th[lab == 0] == 0.25)
    for comp, (al, be) in (
        (1, (1.5, 2.0)),
        (2, (7.0, 5.0)),
    ):  # kernels sorted by exponents
        assert stats.kstest(th[lab == comp], stats.beta(al, be).cdf).pvalue > 1e-3
    for comp in range(3):
        est = kn.count_estimate(int(np.sum(lab == comp)), lab.size)
        assert abs(est.mean - 1 / 3) < 5 * est.stderr


def test_sampled_mass_fails_a_false_mass():
    labels = ms.sample(
        ms.beta(2, 2) * R(1, 2) + ms.point_mass(HALF, R(1, 2)),
        np.random.default_rng(1),
        400_000,
        return_labels=True,
    )[1]
    with pytest.raises(kn.MonteCarloCheckFailed, match="disagrees"):
        kn.check_mc(
            "a 2% wrong mass",
            kn.count_estimate(int(np.sum(labels == 0)), labels.size),
            0.5 * 1.02,
        )


def test_count_estimate_equals_mc_estimate_and_sums_over_chunks():
    hits = np.random.default_rng(2).random(5000) < 0.03
    a = kn.count_estimate(int(hits.sum()), hits.size)
    b = kn.mc_estimate(hits.astype(float))
    assert a.mean == pytest.approx(b.mean, rel=1e-14)
    assert a.stderr == pytest.approx(b.stderr, rel=1e-12)
    assert a.n == b.n == 5000
    chunks = np.split(hits, 5)  # counts add up over chunks
    assert kn.count_estimate(sum(int(c.sum()) for c in chunks), hits.size) == a


@pytest.mark.parametrize(
    "count, n, exc, text",
    [
        (3, 1, ValueError, "at least 2"),
        (-1, 10, ValueError, "count must be a non-negative int"),
        (11, 10, ValueError, r"\[0, n\]"),
        (1.0, 10, TypeError, "count must be an int"),
        (1, "10", TypeError, "n must be an int"),
        (True, 10, TypeError, "count must be an int"),
    ],
)
def test_count_estimate_rejects(count, n, exc, text):
    with pytest.raises(exc, match=text):
        kn.count_estimate(count, n)


def test_count_estimate_fails_a_false_small_mass():
    # 1/211 from 8e7 draws resolves a 1% error in that mass with 95% power
    rng = np.random.default_rng(4)
    n = 80_000_000
    hits = int(rng.binomial(n, 1 / 211))
    est = kn.count_estimate(hits, n)
    kn.check_mc("the true mass", est, 1 / 211)
    with pytest.raises(kn.MonteCarloCheckFailed, match="disagrees"):
        kn.check_mc("a 1.5% wrong mass", est, 1.015 / 211)
    with pytest.raises(kn.MonteCarloCheckFailed, match="too noisy"):
        kn.check_mc("too few draws", kn.count_estimate(hits // 10, n // 10), 1 / 211)


# --- identifiability and several imaginary results ----------------------------------


def ten_tails_posterior() -> ms.Measure:
    """The mirror image of the post's elicitation: ten tails instead of ten heads."""
    return (
        R(1, 2) * ms.point_mass(0)
        + R(1, 4) * ms.point_mass(HALF)
        + R(1, 4) * ms.beta(1, 11)
    )


def test_unidentified_points():
    assert ms.unidentified_points(10, 0) == (0,)
    assert ms.unidentified_points(0, 10) == (1,)
    assert ms.unidentified_points(6, 4) == (0, 1)
    assert ms.unidentified_points(0, 0) == ()
    assert ms.unidentified_points(np.int64(3), 0) == (0,)


def test_restrict_drops_only_the_named_atoms():
    q = imaginary_posterior()
    r = ms.restrict(q, (1,))
    assert ms.mass_at(r, 1) == 0
    assert ms.mass_at(r, HALF) == R(1, 4)
    assert r.kernels == q.kernels  # a density gives a point no mass
    assert ms.restrict(q, []) == q
    assert ms.restrict(q, {Fraction(1, 2), 1}) == R(1, 4) * ms.beta(11, 1)


def test_outside_mass_is_not_identified():
    q = imaginary_posterior()
    base = ms.implied_prior(q, 10, 0)
    for m in (R(1, 100), R(1, 3), R(99, 100)):
        prior = ms.implied_prior(q, 10, 0, outside=ms.point_mass(0, m))
        assert ms.mass_at(prior, 0) == m
        assert ms.mass_at(prior, HALF) == (1 - m) * R(1024, 1037)
        assert ms.posterior(prior, 10, 0) == q  # ten heads cannot see theta = 0
        # data with a head cannot see theta = 0 either; data with none can
        assert ms.posterior(prior, 6, 4) == ms.posterior(base, 6, 4)
        assert ms.posterior(prior, 0, 10) != ms.posterior(base, 0, 10)
    assert ms.implied_prior(q, 10, 0, outside=ms.Measure()) == base


@pytest.mark.parametrize(
    "outside, text",
    [
        (ms.point_mass(HALF, R(1, 10)), "possible"),
        (ms.point_mass(1, R(1, 10)), "possible"),
        (R(1, 10) * ms.uniform(), "point masses only"),
        (ms.point_mass(0, 1), "below 1"),
        ("delta(0)", "Measure"),
    ],
)
def test_bad_outside(outside, text):
    with pytest.raises((TypeError, ValueError), match=text):
        ms.implied_prior(imaginary_posterior(), 10, 0, outside=outside)


def test_ten_heads_and_ten_tails_agree_and_fix_theta_zero():
    q0, q1 = imaginary_posterior(), ten_tails_posterior()
    both = ms.combined_implied_prior([(q0, 10, 0), (q1, 0, 10)])
    assert ms.mass_at(both, 0) == ms.mass_at(both, 1) == R(2, 1039)
    assert ms.mass_at(both, HALF) == R(1024, 1039)
    assert both.kernels == (ms.BetaKernel(R(11, 1039), 0, 0),)
    assert ms.posterior(both, 10, 0) == q0
    assert ms.posterior(both, 0, 10) == q1
    # order does not matter, and one result alone is implied_prior
    assert ms.combined_implied_prior([(q1, 0, 10), (q0, 10, 0)]) == both
    assert ms.combined_implied_prior([(q0, 10, 0)]) == ms.implied_prior(q0, 10, 0)
    # the same result twice, and a result with no data (the prior itself)
    assert ms.combined_implied_prior([(q0, 10, 0), (q0, 10, 0)]) == ms.implied_prior(
        q0, 10, 0
    )
    assert ms.combined_implied_prior([(q0, 10, 0), (both, 0, 0)]) == both


def test_consistent_results_reproduce_each_posterior():
    prior = (
        R(1, 5) * ms.point_mass(0)
        + R(1, 5) * ms.point_mass(1)
        + R(1, 5) * ms.point_mass(R(1, 3))
        + R(2, 5) * ms.beta(2, 3)
    )
    data = [(3, 0), (0, 2), (2, 2), (1, 0)]
    results = [(ms.posterior(prior, h, t), h, t) for h, t in data]
    assert ms.combined_implied_prior(results) == prior


def test_inconsistent_results_are_refused():
    q0 = imaginary_posterior()
    # after ten tails, 40% on fairness: disagrees with ten heads' 1 : 1 split
    q1 = (
        R(1, 2) * ms.point_mass(0)
        + R(2, 5) * ms.point_mass(HALF)
        + R(1, 10) * ms.beta(1, 11)
    )
    with pytest.raises(ValueError, match="inconsistent"):
        ms.combined_implied_prior([(q0, 10, 0), (q1, 0, 10)])
    # all of a result's mass where the other cannot see: scale not identified
    with pytest.raises(ValueError, match="not identified"):
        ms.combined_implied_prior([(ms.point_mass(1), 3, 0), (ms.point_mass(0), 0, 3)])


@pytest.mark.parametrize(
    "results, exc, text",
    [
        ([], ValueError, "empty"),
        ("q", TypeError, "list or tuple"),
        ([(imaginary_posterior(), 10)], TypeError, r"results\[0\]"),
        ([[imaginary_posterior(), 10, 0]], TypeError, r"results\[0\]"),
        ([(2 * ms.uniform(), 1, 0)], ValueError, "not normalised"),
        ([(imaginary_posterior(), 10, 0), ("q", 0, 1)], TypeError, r"results\[1\]"),
        ([(imaginary_posterior(), -1, 0)], ValueError, r"results\[0\] heads"),
        ([(imaginary_posterior(), 10, 1.0)], TypeError, r"results\[0\] tails"),
        ([(imaginary_posterior(), 0, 10)], ValueError, "likelihood"),
    ],
)
def test_bad_results(results, exc, text):
    with pytest.raises(exc, match=text):
        ms.combined_implied_prior(results)


@pytest.mark.parametrize(
    "call, exc, text",
    [
        (lambda: ms.unidentified_points(-1, 0), ValueError, "heads"),
        (lambda: ms.unidentified_points(0, 0.5), TypeError, "tails"),
        (lambda: ms.restrict("q", (0,)), TypeError, "Measure"),
        (lambda: ms.restrict(ms.uniform(), 0), TypeError, "exclude"),
        (lambda: ms.restrict(ms.uniform(), (0.5,)), TypeError, "exclude"),
        (lambda: ms.restrict(ms.uniform(), (R(3, 2),)), ValueError, "exclude"),
    ],
)
def test_bad_arguments_of_the_identifiability_helpers(call, exc, text):
    with pytest.raises(exc, match=text):
        call()
