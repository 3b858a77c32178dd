"""Unit tests of klnotes.divergences (discrete KL, entropy, cross-entropy, Gaussian KL)."""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st
from hypothesis import assume, given, settings
from hypothesis import strategies as st_h

import klnotes as kn
from klnotes import cross_entropy, entropy, gaussian_kl, kl
from klnotes.distributions import conditional, marginal

FAST = settings(max_examples=60, deadline=None, derandomize=True, database=None)
_JIT_GAUSSIAN_KL = jax.jit(gaussian_kl)

# ---------------------------------------------------------------------------
# strategies


def _normalised(raw: np.ndarray) -> np.ndarray:
    return raw / raw.sum(axis=-1, keepdims=True)


# Entries are either exactly 0 or at least 1e-3 before normalising, so the
# strategies explore zeros without drowning in subnormal numbers.
_ENTRY = st_h.one_of(st_h.just(0.0), st_h.floats(1e-3, 1.0))
_POS_ENTRY = st_h.floats(1e-3, 1.0)


@st_h.composite
def distribution_pairs(draw, positive_q: bool = False, min_n: int = 1, max_n: int = 8):
    n = draw(st_h.integers(min_n, max_n))
    p = draw(hnp.arrays(np.float64, n, elements=_ENTRY))
    q = draw(hnp.arrays(np.float64, n, elements=_POS_ENTRY if positive_q else _ENTRY))
    assume(p.sum() > 0 and q.sum() > 0)
    return _normalised(p), _normalised(q)


@st_h.composite
def joint_pairs(draw, positive: bool = True):
    n, m = draw(st_h.integers(1, 4)), draw(st_h.integers(1, 4))
    elem = _POS_ENTRY if positive else _ENTRY
    p = draw(hnp.arrays(np.float64, (n, m), elements=elem))
    q = draw(hnp.arrays(np.float64, (n, m), elements=elem))
    assume(p.sum() > 0 and q.sum() > 0)
    return p / p.sum(), q / q.sum()


# ---------------------------------------------------------------------------
# agreement with scipy.stats.entropy


REF_CASES = [
    ([0.5, 0.5], [0.9, 0.1]),
    ([0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]),
    ([1.0, 0.0, 0.0], [0.2, 0.3, 0.5]),
    ([0.0, 0.3, 0.7], [0.6, 0.3, 0.1]),
]


@pytest.mark.parametrize(("p", "q"), REF_CASES)
def test_kl_matches_scipy_in_every_base(p, q):
    assert kl(p, q) == pytest.approx(st.entropy(p, q), rel=1e-12)
    assert kl(p, q, base="bits") == pytest.approx(st.entropy(p, q, base=2), rel=1e-12)
    # a deciban is a tenth of a base-10 unit (a ban)
    assert kl(p, q, base="dB") == pytest.approx(
        10 * st.entropy(p, q, base=10), rel=1e-12
    )


@pytest.mark.parametrize(("p", "q"), REF_CASES)
def test_entropy_and_cross_entropy_match_scipy(p, q):
    assert entropy(p) == pytest.approx(st.entropy(p), rel=1e-12, abs=1e-15)
    assert entropy(p, base="bits") == pytest.approx(
        st.entropy(p, base=2), rel=1e-12, abs=1e-15
    )
    assert entropy(p, base="dB") == pytest.approx(
        10 * st.entropy(p, base=10), rel=1e-12, abs=1e-15
    )
    # S(p, q) = S(p) + I[p; q]
    assert cross_entropy(p, q) == pytest.approx(
        st.entropy(p) + st.entropy(p, q), rel=1e-12
    )


@FAST
@given(distribution_pairs())
def test_kl_and_entropy_match_scipy_property(pq):
    p, q = pq
    ref = st.entropy(p, q)
    if math.isinf(ref):
        assert kl(p, q) == np.inf
    else:
        np.testing.assert_allclose(kl(p, q), ref, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(
            kl(p, q, base="bits"), st.entropy(p, q, base=2), rtol=1e-9, atol=1e-12
        )
        np.testing.assert_allclose(
            cross_entropy(p, q), st.entropy(p) + ref, rtol=1e-9, atol=1e-12
        )
    np.testing.assert_allclose(entropy(p), st.entropy(p), rtol=1e-9, atol=1e-12)


def test_base_aliases_and_factors():
    p, q = [0.2, 0.8], [0.6, 0.4]
    nats = kl(p, q)
    assert kl(p, q, base="bits") == pytest.approx(nats / math.log(2), rel=1e-14)
    assert kl(p, q, base="dB") == pytest.approx(10 * nats / math.log(10), rel=1e-14)
    for alias in ("nat", "e", "NATS"):
        assert kl(p, q, base=alias) == pytest.approx(nats, rel=1e-15)
    for alias in ("bit", "2", "Bits"):
        assert kl(p, q, base=alias) == pytest.approx(nats / math.log(2), rel=1e-14)
    for alias in ("db", "deciban", "decibans", "DB"):
        assert kl(p, q, base=alias) == pytest.approx(
            10 * nats / math.log(10), rel=1e-14
        )
    # entropy of a fair coin: 1 bit
    assert entropy([0.5, 0.5], base="bits") == pytest.approx(1.0, rel=1e-15)


# ---------------------------------------------------------------------------
# conventions


def test_zero_log_zero_is_zero():
    assert entropy([1.0, 0.0]) == 0.0
    assert kl([1.0, 0.0], [0.5, 0.5]) == pytest.approx(math.log(2), rel=1e-15)
    # q = 0 where p = 0 too: no contribution
    assert kl([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]) == 0.0
    assert np.isfinite(cross_entropy([0.5, 0.5, 0.0], [0.25, 0.75, 0.0]))


def test_kl_is_infinite_where_q_vanishes_but_p_does_not():
    assert kl([0.5, 0.5], [1.0, 0.0]) == np.inf
    assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == np.inf
    # batched: only the offending row is infinite
    out = kl([[0.5, 0.5], [0.5, 0.5]], [[1.0, 0.0], [0.5, 0.5]])
    assert out[0] == np.inf and out[1] == 0.0
    out_j = kl(jnp.array([0.5, 0.5]), jnp.array([1.0, 0.0]))
    assert isinstance(out_j, jax.Array) and float(out_j) == np.inf


def test_kl_of_identical_distributions_is_exactly_zero():
    p = np.random.default_rng(0).dirichlet(np.ones(7), size=5)
    np.testing.assert_array_equal(kl(p, p), np.zeros(5))


# ---------------------------------------------------------------------------
# NumPy in -> NumPy out, JAX in -> JAX out, batches, jit


def test_numpy_in_numpy_out_and_batches():
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(4), size=(2, 3))
    q = rng.dirichlet(np.ones(4), size=(2, 3))
    for f in (lambda: kl(p, q), lambda: cross_entropy(p, q), lambda: entropy(p)):
        out = f()
        assert isinstance(out, np.ndarray) and not isinstance(out, jax.Array)
        assert out.shape == (2, 3) and out.dtype == np.float64
    ref = st.entropy(p, q, axis=-1)
    np.testing.assert_allclose(kl(p, q), ref, rtol=1e-12)
    np.testing.assert_allclose(entropy(p), st.entropy(p, axis=-1), rtol=1e-12)
    scalar = kl(p[0, 0], q[0, 0])
    assert isinstance(scalar, np.floating) and scalar.dtype == np.float64
    # lists and integer arrays work too
    assert isinstance(kl([1, 0], [0.5, 0.5]), np.floating)


def test_jax_in_jax_out_float64_and_batches():
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(3), size=4)
    q = rng.dirichlet(np.ones(3), size=4)
    pj, qj = jnp.asarray(p), jnp.asarray(q)
    for out, ref in (
        (kl(pj, qj), kl(p, q)),
        (cross_entropy(pj, qj), cross_entropy(p, q)),
        (entropy(pj), entropy(p)),
        (kl(pj, q), kl(p, q)),  # mixing: any JAX input gives JAX output
        (kl(p, qj, base="bits"), kl(p, q, base="bits")),
    ):
        assert isinstance(out, jax.Array)
        assert out.dtype == jnp.float64 and out.shape == (4,)
        np.testing.assert_allclose(np.asarray(out), ref, rtol=1e-12)
    # float32 and integer input is promoted to float64
    assert kl(pj.astype(jnp.float32), qj).dtype == jnp.float64
    assert entropy(jnp.array([1, 0])).dtype == jnp.float64
    # booleans are accepted as 0/1 for JAX as for NumPy
    assert (
        float(entropy(jnp.array([True, False])))
        == 0.0
        == entropy(np.array([True, False]))
    )
    assert float(kl(jnp.array([True, False]), [0.5, 0.5])) == pytest.approx(math.log(2))


def test_works_under_jit_and_vmap():
    p = jnp.array([[0.2, 0.8], [0.5, 0.5]])
    q = jnp.array([[0.6, 0.4], [0.5, 0.5]])
    jkl = jax.jit(lambda a, b: kl(a, b, base="bits"))
    np.testing.assert_allclose(
        np.asarray(jkl(p, q)), st.entropy(np.asarray(p), np.asarray(q), base=2, axis=-1)
    )
    np.testing.assert_allclose(
        np.asarray(jax.jit(entropy)(p)), st.entropy(np.asarray(p), axis=-1), rtol=1e-12
    )
    np.testing.assert_allclose(
        np.asarray(jax.jit(cross_entropy)(p, q)),
        np.asarray(cross_entropy(p, q)),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        np.asarray(jax.vmap(kl)(p, q)), np.asarray(kl(p, q)), rtol=1e-12
    )


def test_tracers_skip_value_validation_but_not_shape_checks():
    bad = jnp.array([0.7, 0.7])  # not normalised: rejected eagerly ...
    q = jnp.array([0.5, 0.5])
    with pytest.raises(ValueError, match="p is not normalised"):
        kl(bad, q)
    # ... but inside jit the values cannot be read, so the formula just runs
    out = jax.jit(kl)(bad, q)
    assert np.isfinite(float(out))
    assert np.isfinite(float(jax.jit(entropy)(bad)))
    # shapes are static, so shape errors are still caught under jit
    with pytest.raises(ValueError, match="shape mismatch: p has shape"):
        jax.jit(kl)(q, jnp.array([0.2, 0.3, 0.5]))
    with pytest.raises(ValueError, match="p must have at least one axis"):
        jax.jit(entropy)(jnp.array(1.0))


# ---------------------------------------------------------------------------
# properties (hypothesis)


@FAST
@given(distribution_pairs())
def test_property_nonnegative_and_zero_iff_equal(pq):
    p, q = pq
    d = kl(p, q)
    # rounding can leave a tiny negative number when p ~ q
    assert d >= -1e-12
    assert kl(p, p) == 0.0
    # Pinsker: I[p;q] >= 2 TV^2, so KL is zero only when p == q
    tv = 0.5 * np.abs(p - q).sum()
    assert d >= 2 * tv**2 - 1e-12
    if tv > 1e-6:
        assert d > 0


@FAST
@given(distribution_pairs(min_n=2), st_h.randoms(use_true_random=False))
def test_property_invariant_under_relabelling(pq, rnd):
    p, q = pq
    perm = list(range(p.size))
    rnd.shuffle(perm)
    np.testing.assert_allclose(kl(p[perm], q[perm]), kl(p, q), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(entropy(p[perm]), entropy(p), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        cross_entropy(p[perm], q[perm]), cross_entropy(p, q), rtol=1e-12, atol=1e-15
    )


@FAST
@given(joint_pairs(positive=True))
def test_property_chain_rule_on_random_joints(pq):
    P, Q = pq
    px, qx = marginal(P, 0), marginal(Q, 0)
    cp, cq = conditional(P), conditional(Q)
    rhs = kl(px, qx) + np.sum(px * kl(cp, cq))
    np.testing.assert_allclose(kl(P.ravel(), Q.ravel()), rhs, rtol=1e-9, atol=1e-12)
    # and the other way round, through p(y) and p(x|y)
    py, qy = marginal(P, 1), marginal(Q, 1)
    rhs_y = kl(py, qy) + np.sum(py * kl(conditional(P.T), conditional(Q.T)))
    np.testing.assert_allclose(kl(P.ravel(), Q.ravel()), rhs_y, rtol=1e-9, atol=1e-12)


@FAST
@given(joint_pairs(positive=False))
def test_property_monotone_under_marginalisation(pq):
    P, Q = pq
    joint = kl(P.ravel(), Q.ravel())
    for axis in (0, 1):
        marg = kl(marginal(P, axis), marginal(Q, axis))
        assert marg <= joint + 1e-12 or (math.isinf(marg) and math.isinf(joint))


def test_batch_over_leading_axes_equals_loop():
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(5), size=(3, 2))
    q = rng.dirichlet(np.ones(5), size=(3, 2))
    out = kl(p, q, base="bits")
    for i in range(3):
        for j in range(2):
            assert out[i, j] == pytest.approx(
                kl(p[i, j], q[i, j], base="bits"), rel=1e-14
            )


# ---------------------------------------------------------------------------
# bad input: discrete


@pytest.mark.parametrize("f", [kl, cross_entropy])
@pytest.mark.parametrize(
    ("p", "q", "exc", "match"),
    [
        ([-0.1, 1.1], [0.5, 0.5], ValueError, "p has negative entries"),
        ([0.5, 0.5], [1.2, -0.2], ValueError, "q has negative entries"),
        ([np.nan, 1.0], [0.5, 0.5], ValueError, "p has non-finite entries"),
        ([0.5, 0.5], [np.inf, 0.5], ValueError, "q has non-finite entries"),
        ([0.5, 0.6], [0.5, 0.5], ValueError, "p is not normalised"),
        ([0.5, 0.5], [0.5, 0.4], ValueError, "q is not normalised"),
        ([0.5, 0.5], [0.2, 0.3, 0.5], ValueError, "shape mismatch: p has shape"),
        ([[0.5, 0.5]], [0.5, 0.5], ValueError, "shape mismatch"),
        (1.0, 1.0, ValueError, "p must have at least one axis"),
        ([], [], ValueError, "p has no outcomes"),
        ("ab", [0.5, 0.5], TypeError, "p must be a real numeric array"),
        (None, [0.5, 0.5], TypeError, "p must be a real numeric array"),
        ([0.5, 0.5], None, TypeError, "q must be a real numeric array"),
        ([0.5 + 0j, 0.5], [0.5, 0.5], TypeError, "p must be a real numeric array"),
        ([0.5, 0.5], np.array([0.5, 0.5], dtype=object), TypeError, "q must be"),
        (["0.5", "0.5"], [0.5, 0.5], TypeError, "p must be a real numeric array"),
        (jnp.array([0.5 + 0j, 0.5]), [0.5, 0.5], TypeError, "p must be a real numeric"),
    ],
)
def test_bad_pairs_raise_naming_the_argument(f, p, q, exc, match):
    with pytest.raises(exc, match=match):
        f(p, q)


@pytest.mark.parametrize(
    ("p", "exc", "match"),
    [
        ([-0.5, 1.5], ValueError, "p has negative entries"),
        ([np.inf, 0.0], ValueError, "p has non-finite entries"),
        ([0.3, 0.3], ValueError, "p is not normalised"),
        (0.5, ValueError, "p must have at least one axis"),
        (np.zeros((2, 0)), ValueError, "p has no outcomes"),
        ("x", TypeError, "p must be a real numeric array"),
        (None, TypeError, "p must be a real numeric array"),
        (np.array([0.5j, 0.5]), TypeError, "p must be a real numeric array"),
        (
            np.array([0.5, 0.5], dtype=object),
            TypeError,
            "p must be a real numeric array",
        ),
        (jnp.array([1j, 0.0]), TypeError, "p must be a real numeric array"),
    ],
)
def test_bad_entropy_input(p, exc, match):
    with pytest.raises(exc, match=match):
        entropy(p)


def test_normalisation_tolerance_is_respected():
    tol = kn._validate.NORMALISATION_ATOL
    ok = [0.5, 0.5 + 0.5 * tol]
    assert np.isfinite(entropy(ok))
    with pytest.raises(ValueError, match="not normalised"):
        entropy([0.5, 0.5 + 3 * tol])


def test_not_normalised_message_reports_the_offending_row():
    p = np.array([[0.5, 0.5], [0.7, 0.6]])
    with pytest.raises(ValueError, match=r"p is not normalised: entries sum to 1\.3"):
        entropy(p)


@pytest.mark.parametrize("base", ["furlongs", "", "ln"])
def test_invalid_base_raises_value_error(base):
    with pytest.raises(ValueError, match="unit"):
        kl([0.5, 0.5], [0.5, 0.5], base=base)
    with pytest.raises(ValueError, match="unit"):
        entropy([0.5, 0.5], base=base)


@pytest.mark.parametrize("base", [2, None, 10.0])
def test_non_string_base_raises_type_error(base):
    with pytest.raises(TypeError, match="unit must be a string"):
        kl([0.5, 0.5], [0.5, 0.5], base=base)


# ---------------------------------------------------------------------------
# Gaussian KL


def _kl_uv(mp, vp, mq, vq):
    return 0.5 * (vp / vq + (mq - mp) ** 2 / vq - 1 - math.log(vp / vq))


def test_gaussian_kl_univariate_closed_form_and_units():
    assert gaussian_kl(0.0, 1.0, 0.0, 1.0) == 0.0
    assert gaussian_kl(0.3, 2.0, -1.0, 0.5) == pytest.approx(
        _kl_uv(0.3, 2.0, -1.0, 0.5)
    )
    # cov is a variance: N(0, 1) vs N(1, 1) is 1/2 nat
    assert gaussian_kl(0.0, 1.0, 1.0, 1.0) == pytest.approx(0.5, rel=1e-15)
    nats = gaussian_kl(1.0, 3.0, 0.0, 1.0)
    assert gaussian_kl(1.0, 3.0, 0.0, 1.0, base="bits") == pytest.approx(
        nats / math.log(2)
    )
    assert gaussian_kl(1.0, 3.0, 0.0, 1.0, base="dB") == pytest.approx(
        10 * nats / math.log(10)
    )


def test_gaussian_kl_univariate_broadcasts_and_keeps_array_kind():
    mp = np.array([0.0, 1.0, 2.0])
    out = gaussian_kl(mp, 1.0, 0.0, np.array([[1.0], [2.0]]))
    assert isinstance(out, np.ndarray) and out.shape == (2, 3)
    assert out[1, 2] == pytest.approx(_kl_uv(2.0, 1.0, 0.0, 2.0))
    out_j = gaussian_kl(jnp.asarray(mp), 1.0, 0.0, 2.0)
    assert isinstance(out_j, jax.Array) and out_j.dtype == jnp.float64
    np.testing.assert_allclose(
        np.asarray(out_j), gaussian_kl(mp, 1.0, 0.0, 2.0), rtol=1e-14
    )
    jitted = _JIT_GAUSSIAN_KL(0.3, 2.0, -1.0, 0.5)
    assert float(jitted) == pytest.approx(_kl_uv(0.3, 2.0, -1.0, 0.5), rel=1e-12)


def _kl_mv_reference(mp, cp, mq, cq):
    d = len(mp)
    cq_inv = np.linalg.inv(cq)
    diff = mq - mp
    return 0.5 * (
        np.trace(cq_inv @ cp)
        + diff @ cq_inv @ diff
        - d
        + np.log(np.linalg.det(cq) / np.linalg.det(cp))
    )


def _spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T + d * np.eye(d)


def test_gaussian_kl_multivariate_closed_form_numpy_and_jax():
    rng = np.random.default_rng(4)
    d = 2
    mp, mq = rng.normal(size=d), rng.normal(size=d)
    cp, cq = _spd(rng, d), _spd(rng, d)
    ref = _kl_mv_reference(mp, cp, mq, cq)
    out = gaussian_kl(mp, cp, mq, cq)
    assert isinstance(out, np.floating) and out == pytest.approx(ref, rel=1e-12)
    jargs = [jnp.asarray(a) for a in (mp, cp, mq, cq)]
    out_j = gaussian_kl(*jargs)
    assert isinstance(out_j, jax.Array) and out_j.dtype == jnp.float64
    assert float(out_j) == pytest.approx(ref, rel=1e-12)
    assert float(_JIT_GAUSSIAN_KL(*jargs)) == pytest.approx(ref, rel=1e-12)
    assert gaussian_kl(mp, cp, mp, cp) == pytest.approx(0.0, abs=1e-13)
    assert gaussian_kl(mp, cp, mq, cq, base="bits") == pytest.approx(ref / math.log(2))


def test_gaussian_kl_multivariate_batches():
    rng = np.random.default_rng(5)
    mp, mq = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    cp = np.stack([_spd(rng, 2) for _ in range(4)])
    cq = np.stack([_spd(rng, 2) for _ in range(4)])
    out = gaussian_kl(mp, cp, mq, cq)
    assert isinstance(out, np.ndarray) and out.shape == (4,)
    for i in range(4):
        assert out[i] == pytest.approx(
            _kl_mv_reference(mp[i], cp[i], mq[i], cq[i]), rel=1e-12
        )


def test_gaussian_kl_multivariate_in_one_dimension_is_univariate():
    out = gaussian_kl([0.3], [[2.0]], [-1.0], [[0.5]])
    assert out == pytest.approx(gaussian_kl(0.3, 2.0, -1.0, 0.5), rel=1e-13)


def test_gaussian_kl_diagonal_covariance_is_sum_of_univariate():
    mp, mq = np.array([0.0, 1.0]), np.array([0.5, -1.0])
    vp, vq = np.array([1.0, 2.0]), np.array([3.0, 0.5])
    out = gaussian_kl(mp, np.diag(vp), mq, np.diag(vq))
    assert out == pytest.approx(np.sum(gaussian_kl(mp, vp, mq, vq)), rel=1e-13)


def test_gaussian_kl_univariate_agrees_with_monte_carlo():
    mp, vp, mq, vq = 0.2, 0.8, 2.5, 1.2
    rng = np.random.default_rng(20261121)
    n = 300_000
    x = rng.normal(mp, math.sqrt(vp), size=n)
    logp = st.norm.logpdf(x, mp, math.sqrt(vp))
    logq = st.norm.logpdf(x, mq, math.sqrt(vq))
    est = kn.mc_estimate(logp - logq)
    kn.check_mc("univariate Gaussian KL", est, gaussian_kl(mp, vp, mq, vq))


def test_gaussian_kl_full_covariance_agrees_with_monte_carlo():
    mp, mq = np.array([0.0, 1.0, -0.5]), np.array([1.5, -1.0, 1.5])
    cp = np.array([[2.0, 0.6, 0.3], [0.6, 1.0, -0.2], [0.3, -0.2, 1.5]])
    cq = np.array([[1.0, -0.3, 0.0], [-0.3, 2.0, 0.4], [0.0, 0.4, 0.8]])
    rng = np.random.default_rng(11)
    n = 200_000
    x = rng.multivariate_normal(mp, cp, size=n)
    logp = st.multivariate_normal(mp, cp).logpdf(x)
    logq = st.multivariate_normal(mq, cq).logpdf(x)
    est = kn.mc_estimate(logp - logq)
    exact = gaussian_kl(mp, cp, mq, cq)
    kn.check_mc("3-D Gaussian KL", est, exact)
    # explicit k-standard-error form of the same assertion
    assert abs(est.mean - exact) <= 4 * est.stderr < 0.01 * exact


# ---------------------------------------------------------------------------
# bad input: Gaussian


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        ((0.0, 0.0, 0.0, 1.0), ValueError, r"cov_p \(a variance\) must be positive"),
        ((0.0, 1.0, 0.0, -1.0), ValueError, r"cov_q \(a variance\) must be positive"),
        ((0.0, np.array([1.0, 0.0]), 0.0, 1.0), ValueError, "cov_p"),
        ((np.nan, 1.0, 0.0, 1.0), ValueError, "mean_p has non-finite"),
        ((0.0, 1.0, np.inf, 1.0), ValueError, "mean_q has non-finite"),
        ((0.0, np.inf, 0.0, 1.0), ValueError, "cov_p has non-finite"),
        ((0.0, 1.0, 0.0, np.nan), ValueError, "cov_q has non-finite"),
        ((np.zeros(3), np.ones(2), 0.0, 1.0), ValueError, "shape mismatch"),
        (("0", 1.0, 0.0, 1.0), TypeError, "mean_p must be a real numeric"),
        ((0.0, None, 0.0, 1.0), TypeError, "cov_p must be a real numeric"),
        ((0.0, 1.0, 1j, 1.0), TypeError, "mean_q must be a real numeric"),
        ((0.0, 1.0, 0.0, np.array(1.0, dtype=object)), TypeError, "cov_q must be"),
    ],
)
def test_gaussian_kl_univariate_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        gaussian_kl(*args)


_I2 = np.eye(2)
_Z2 = np.zeros(2)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((_Z2, np.array([[1.0, 0.5], [0.4, 1.0]]), _Z2, _I2), "cov_p is not symmetric"),
        ((_Z2, _I2, _Z2, np.array([[1.0, 0.0], [0.3, 1.0]])), "cov_q is not symmetric"),
        (
            (_Z2, np.array([[1.0, 2.0], [2.0, 1.0]]), _Z2, _I2),
            "cov_p is not positive-definite",
        ),
        ((_Z2, _I2, _Z2, np.zeros((2, 2))), "cov_q is not positive-definite"),
        ((_Z2, _I2, _Z2, -_I2), "cov_q is not positive-definite"),
        ((_Z2, np.eye(3), _Z2, _I2), r"cov_p has shape \(3, 3\); expected"),
        ((_Z2, _I2, _Z2, np.ones(2)), r"cov_q has shape \(2,\); expected"),
        ((_Z2, _I2, np.zeros(3), _I2), "shape mismatch: mean_p has shape"),
        (
            (_Z2, np.array([[1.0, np.nan], [np.nan, 1.0]]), _Z2, _I2),
            "cov_p has non-finite",
        ),
    ],
)
def test_gaussian_kl_multivariate_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        gaussian_kl(*args)


def test_gaussian_kl_bad_covariance_under_jit_only_shape_is_checked():
    f = _JIT_GAUSSIAN_KL
    with pytest.raises(ValueError, match="cov_p has shape"):
        f(jnp.zeros(2), jnp.eye(3), jnp.zeros(2), jnp.eye(2))
    # an asymmetric covariance cannot be detected from a tracer
    asym = jnp.array([[1.0, 0.1], [0.0, 1.0]])
    assert np.isfinite(float(f(jnp.zeros(2), asym, jnp.zeros(2), jnp.eye(2))))
    with pytest.raises(ValueError, match="cov_p is not symmetric"):
        gaussian_kl(jnp.zeros(2), asym, jnp.zeros(2), jnp.eye(2))


def test_gaussian_kl_invalid_base():
    with pytest.raises(ValueError, match="unit"):
        gaussian_kl(0.0, 1.0, 0.0, 1.0, base="hartleys")


def test_binary_entropy_reference_and_bad_input():
    p = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    h01 = -0.1 * math.log(0.1) - 0.9 * math.log(0.9)
    ref = np.array([0.0, h01, math.log(2), h01, 0.0])
    np.testing.assert_allclose(kn.binary_entropy(p), ref, rtol=1e-14, atol=0)
    assert kn.binary_entropy(0.5, base="bits") == pytest.approx(1.0, rel=1e-15)
    for bad in (1.5, -0.1, math.nan):
        with pytest.raises(ValueError, match="p "):
            kn.binary_entropy(bad)


def test_bernoulli_kl_is_kl_of_two_point_distributions():
    p, q = np.array([0.0, 0.3, 1.0]), np.array([0.5, 0.6, 0.25])
    expected = [st.entropy([pi, 1 - pi], [qi, 1 - qi]) for pi, qi in zip(p, q)]
    np.testing.assert_allclose(kn.bernoulli_kl(p, q), expected, rtol=1e-13)
    assert kn.bernoulli_kl(0.3, 0.3) == 0.0
    assert kn.bernoulli_kl(0.5, 1.0) == np.inf  # q = 1 < ... p < 1: +inf
    assert kn.bernoulli_kl(1.0, 0.5, base="dB") == pytest.approx(
        10 * math.log10(2), rel=1e-14
    )
    with pytest.raises(ValueError, match="q must lie in"):
        kn.bernoulli_kl(0.5, 1.2)


# ---------------------------------------------------------------------------
# total variation


def _tv_by_events(p: np.ndarray, q: np.ndarray) -> float:
    """max_A (p(A) - q(A)) over all 2^n events, by brute force."""
    n = p.size
    masks = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    return float(np.max(masks @ (p - q)))


@FAST
@given(distribution_pairs())
def test_total_variation_is_the_largest_event_difference(pq):
    p, q = pq
    tv = kn.total_variation(p, q)
    assert tv == pytest.approx(_tv_by_events(p, q), abs=1e-12)
    assert -1e-15 <= tv <= 1 + 1e-15
    assert kn.total_variation(q, p) == pytest.approx(tv, abs=1e-15)


@FAST
@given(distribution_pairs())
def test_pinsker(pq):
    p, q = pq
    tv = kn.total_variation(p, q)
    assert tv <= math.sqrt(kl(p, q) / 2) + 1e-12  # inf when q misses p's support


def test_total_variation_values_batches_and_jax():
    assert kn.total_variation([1.0, 0.0], [0.0, 1.0]) == 1.0
    assert kn.total_variation([0.3, 0.7], [0.3, 0.7]) == 0.0
    assert kn.total_variation([0.5, 0.5], [0.9, 0.1]) == pytest.approx(0.4)
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(5), size=(4, 3))
    q = rng.dirichlet(np.ones(5), size=(4, 3))
    batch = kn.total_variation(p, q)
    assert batch.shape == (4, 3)
    np.testing.assert_allclose(batch, 0.5 * np.abs(p - q).sum(-1), rtol=1e-15)
    jbatch = kn.total_variation(jnp.asarray(p), jnp.asarray(q))
    assert isinstance(jbatch, jax.Array) and jbatch.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(jbatch), batch, rtol=1e-14)
    jitted = jax.jit(kn.total_variation)(jnp.asarray(p), jnp.asarray(q))
    np.testing.assert_allclose(np.asarray(jitted), batch, rtol=1e-14)
    assert kn.total_variation(np.float64(1.0)[None], np.array([1.0])) == 0.0


@pytest.mark.parametrize(
    "p, q, exc, text",
    [
        ([0.5, 0.5], [0.5, 0.6], ValueError, "q is not normalised"),
        ([1.5, -0.5], [0.5, 0.5], ValueError, "p has negative"),
        ([np.nan, 1.0], [0.5, 0.5], ValueError, "p"),
        ([0.5, 0.5], [1.0, 0.0, 0.0], ValueError, "shape mismatch"),
        ([], [], ValueError, "no outcomes"),
        (0.5, 0.5, ValueError, "scalar"),
        ("ab", [0.5, 0.5], TypeError, "p"),
        ([0.5, 0.5], None, TypeError, "q"),
    ],
)
def test_total_variation_bad_input(p, q, exc, text):
    with pytest.raises(exc, match=text):
        kn.total_variation(p, q)
