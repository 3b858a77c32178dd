r"""Weight of evidence: Bayes' rule in odds form, measured in decibans.

For two hypotheses :math:`H` and :math:`\bar H` and an observation :math:`x`,
Bayes' rule in odds form is

.. math::

    \log\frac{\Pr(H|x)}{\Pr(\bar H|x)}
      = \log\frac{\Pr(x|H)}{\Pr(x|\bar H)} + \log\frac{\Pr(H)}{\Pr(\bar H)},

posterior log-odds = weight of evidence + prior log-odds. In decibans
(dB, ten times a base-10 logarithm) every term is a number of dB and
independent observations add. When :math:`H` says :math:`x \sim p` and
:math:`\bar H` says :math:`x \sim q`, the weight of evidence of one
observation is :math:`w(x) = \log p(x)/q(x)` and its average under
:math:`p` is the KL divergence :math:`I[p; q]`, the *expected* weight of
evidence (Good's phrase).

Conversions between nats, bits, dB, odds and probabilities live in
:mod:`klnotes.units`; this module builds on them.

Also here: the lower tail of a Beta distribution computed in log space
(Laplace's births need :math:`\Pr(\theta \le 1/2) \approx 10^{-42}`, whose
terms under- and overflow in a naive evaluation), and the worked magnitudes of
the "Why KL?" chapter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special as ssp
import scipy.stats as sst

from . import divergences
from ._validate import (
    as_float_array,
    boolean,
    positive_array,
    positive_scalar,
    probability_array,
    probability_scalar,
    real_scalar,
    require_broadcast,
    require_distribution,
    vector,
    whole_number,
)
from .units import _per_nat, db_to_odds, db_to_prob, from_nats, prob_to_db, unit_name

#: Laplace's counts of christenings in Paris, 1745-1770 (as quoted in the post).
LAPLACE_BOYS = 251_527
LAPLACE_GIRLS = 241_945


def weight_of_evidence(p_x: Any, q_x: Any, *, unit: str = "dB") -> Any:
    r"""Weight of evidence :math:`w = \log p(x)/q(x)` for :math:`p` over :math:`q`, in ``unit``.

    ``p_x`` and ``q_x`` are the probabilities (or densities) the two hypotheses
    give the observed outcome; both must be positive and finite.
    """
    p = positive_array(p_x, "p_x")
    q = positive_array(q_x, "q_x")
    require_broadcast({"p_x": p, "q_x": q})
    return from_nats(np.log(p) - np.log(q), unit)


def bernoulli_kl(p: Any, q: Any, *, unit: str = "dB") -> Any:
    r""":math:`I[\mathrm{Bern}(p); \mathrm{Bern}(q)] = p\log\frac{p}{q} + (1-p)\log\frac{1-p}{1-q}`.

    ``p`` may be 0 or 1 (with :math:`0 \log 0 = 0`); ``q`` must lie strictly in
    (0, 1), so that the weight of evidence per observation is finite. See
    :func:`klnotes.divergences.bernoulli_kl`.
    """
    u = unit_name(unit)
    probability_array(q, "q", open_interval=True)  # evidence must stay finite
    return divergences.bernoulli_kl(p, q, base=u)


def binomial_evidence(
    successes: int, failures: int, p1: float, p0: float, *, unit: str = "dB"
) -> float:
    r"""Total weight of evidence for success rate ``p1`` over ``p0`` from the counts.

    .. math:: w = k \log\frac{p_1}{p_0} + (n - k)\log\frac{1 - p_1}{1 - p_0},

    with :math:`k` successes and :math:`n - k` failures. In dB that is
    :math:`10\,[k \log_{10}(p_1/p_0) + (n-k)\log_{10}((1-p_1)/(1-p_0))]`: the
    factor 10 belongs to the unit, not to the counts.
    """
    k = whole_number(successes, "successes")
    m = whole_number(failures, "failures")
    a = probability_scalar(p1, "p1", open_interval=True)
    b = probability_scalar(p0, "p0", open_interval=True)
    _per_nat(unit)
    nats = k * (math.log(a) - math.log(b)) + m * (math.log1p(-a) - math.log1p(-b))
    return float(from_nats(nats, unit))


def observations_needed(target: float, per_observation: float) -> int:
    """Smallest ``n`` with ``n * per_observation >= target`` (both in the same unit, both > 0)."""
    t = positive_scalar(target, "target")
    w = positive_scalar(per_observation, "per_observation")
    n = math.ceil(t / w)
    # guard against the ratio landing a rounding error above an integer
    return n - 1 if (n - 1) * w >= t else n


@dataclass(frozen=True)
class OddsUpdate:
    """Bayes' rule in log-odds form: ``posterior = prior + evidence`` (all in ``unit``)."""

    prior_log_odds: float
    evidence: float
    posterior_log_odds: float
    posterior: float
    unit: str


def bayes_update(
    prior: float, likelihood_h: float, likelihood_alt: float, *, unit: str = "dB"
) -> OddsUpdate:
    r"""Update the probability of :math:`H` after an observation, in log-odds form.

    ``likelihood_h`` is :math:`\Pr(x|H)` and ``likelihood_alt`` is
    :math:`\Pr(x|\bar H)`. The posterior probability is computed from the
    summed log-odds, :math:`\sigma(\text{prior log-odds} + w)`.
    """
    u = unit_name(unit)
    p = probability_scalar(prior, "prior", open_interval=True)
    lh = positive_scalar(likelihood_h, "likelihood_h")
    la = positive_scalar(likelihood_alt, "likelihood_alt")
    w = float(from_nats(math.log(lh) - math.log(la), u))
    prior_lo = float(from_nats(math.log(p) - math.log1p(-p), u))
    post_lo = prior_lo + w
    post_nats = post_lo / float(from_nats(1.0, u))
    posterior = float(ssp.expit(post_nats))
    return OddsUpdate(prior_lo, w, post_lo, posterior, u)


def screening_posterior(
    prior: float, sensitivity: float, specificity: float, *, positive: bool = True
) -> float:
    r"""Probability of the condition after a test result, by Bayes' rule.

    With prior :math:`\pi`, sensitivity :math:`s = \Pr(T|D)` and specificity
    :math:`c = \Pr(\bar T|\bar D)`, a positive result gives
    :math:`\pi s / (\pi s + (1-\pi)(1-c))` and a negative one
    :math:`\pi (1-s) / (\pi (1-s) + (1-\pi) c)`.

    A perfect test (``sensitivity`` or ``specificity`` 1) is allowed; a result
    the test can never give (positive with :math:`s = 0, c = 1`, negative with
    :math:`s = 1, c = 0`) raises ValueError.
    """
    pi = probability_scalar(prior, "prior", open_interval=True)
    s = probability_scalar(sensitivity, "sensitivity")
    c = probability_scalar(specificity, "specificity")
    positive = boolean(positive, "positive")
    a, b = (pi * s, (1 - pi) * (1 - c)) if positive else (pi * (1 - s), (1 - pi) * c)
    if a + b == 0:
        result = "positive" if positive else "negative"
        raise ValueError(
            f"a {result} result is impossible with sensitivity = {s} and"
            f" specificity = {c}: it has probability zero, so there is no posterior"
        )
    return a / (a + b)


@dataclass(frozen=True)
class DecibanTable:
    """Rows of the dB ↔ odds ↔ probability correspondence."""

    db: np.ndarray
    odds: np.ndarray
    probability: np.ndarray

    def rows(self) -> list[tuple[float, float, float]]:
        return [
            (float(d), float(o), float(p))
            for d, o, p in zip(self.db, self.odds, self.probability)
        ]


def deciban_table(db: Any = None) -> DecibanTable:
    """The dB ↔ odds ↔ probability table (default: 0, 1, …, 13 dB)."""
    d = np.arange(14.0) if db is None else vector(db, "db", what="an array of decibans")
    return DecibanTable(d, np.asarray(db_to_odds(d)), np.asarray(db_to_prob(d)))


def _log_series_lower(x: float, a: float, b: float, tol: float) -> float:
    # I_x(a,b) = x^a (1-x)^b / (a B(a,b)) * sum_n (a+b)_n/(a+1)_n x^n  (all terms positive)
    log_pref = (
        a * math.log(x) + b * math.log1p(-x) - math.log(a) - float(ssp.betaln(a, b))
    )
    log_x = math.log(x)
    total_log = -math.inf
    log_term = 0.0
    start = 0
    chunk = 4096
    while True:
        n = np.arange(start, start + chunk, dtype=np.float64)
        # ratio of consecutive terms: (a+b+n)/(a+1+n) * x
        steps = np.log(a + b + n) - np.log(a + 1 + n) + log_x
        logs = log_term + np.concatenate(([0.0], np.cumsum(steps[:-1])))
        total_log = float(np.logaddexp(total_log, ssp.logsumexp(logs)))
        log_term = float(logs[-1] + steps[-1])
        start += chunk
        if log_term - total_log < math.log(tol):
            break
        if start > 10_000_000:
            raise ValueError(
                "series for the Beta tail did not converge; x is too close to the mean"
            )
    return log_pref + total_log


def log_beta_cdf(x: float, a: float, b: float, *, tol: float = 1e-17) -> float:
    r""":math:`\log I_x(a, b)`, the log of the Beta(a, b) CDF at ``x``, computed in log space.

    Uses the positive-term series

    .. math:: I_x(a,b) = \frac{x^a (1-x)^b}{a\,B(a,b)}
        \sum_{n\ge 0} \frac{(a+b)_n}{(a+1)_n} x^n,

    summed with ``logsumexp``, so that tails far below the smallest double
    (or above it) are returned accurately as logarithms. The series is used
    on the side of the mean where it converges geometrically; on the other
    side :math:`I_x(a,b) = 1 - I_{1-x}(b,a)` is used via ``log1p``.
    """
    x = real_scalar(x, "x")
    a = positive_scalar(a, "a")
    b = positive_scalar(b, "b")
    tol = positive_scalar(tol, "tol")
    if x <= 0:
        return -math.inf
    if x >= 1:
        return 0.0
    if x * (a + b) <= a:  # below the mean: the series converges
        return _log_series_lower(x, a, b, tol)
    upper = _log_series_lower(1.0 - x, b, a, tol)
    return math.log1p(-math.exp(upper))


def posterior_tail(successes: int, failures: int, threshold: float = 0.5) -> float:
    r"""Log of :math:`\Pr(\theta \le t \mid k, m)` under a uniform prior on the rate :math:`\theta`.

    With :math:`k` successes and :math:`m` failures the posterior is
    :math:`\mathrm{Beta}(k + 1, m + 1)` (Laplace), so this is
    :math:`\log I_t(k+1, m+1)` from :func:`log_beta_cdf`. Returns the natural log.
    """
    k = whole_number(successes, "successes")
    m = whole_number(failures, "failures")
    t = probability_scalar(threshold, "threshold", open_interval=True)
    return log_beta_cdf(t, k + 1, m + 1)


@dataclass(frozen=True)
class WorkedMagnitudes:
    """The worked magnitudes of the "Why KL?" chapter, computed (dB unless stated)."""

    db_per_head: float
    heads_for_20_to_1: int
    laplace_log10_tail: float
    laplace_tail: float
    laplace_total_evidence: float
    per_birth_kl: float
    births_for_13_db: int
    mnist_total_evidence: float
    mnist_per_image_bits: float


def worked_magnitudes(
    *,
    boys: int = LAPLACE_BOYS,
    girls: int = LAPLACE_GIRLS,
    p1: float = 0.51,
    p0: float = 0.50,
    target_db: float = 13.0,
    mnist_db_per_image: float = 0.0013,
    mnist_images: int = 10_000,
) -> WorkedMagnitudes:
    """Compute every worked magnitude of the chapter from its inputs.

    * double-headed coin: :math:`I[\\text{always heads}; \\text{fair}] = 10\\log_{10}2` dB per head,
      and the number of heads whose evidence passes 20:1 (:math:`10\\log_{10}20` dB);
    * Laplace's births: the posterior tail :math:`\\Pr(\\theta\\le 1/2)`, the total
      evidence for ``p1`` over ``p0``, the per-birth KL and the births needed
      for ``target_db`` on average;
    * binary MNIST: ``mnist_db_per_image`` times ``mnist_images``.
    """
    boys = whole_number(boys, "boys")
    girls = whole_number(girls, "girls")
    p1 = probability_scalar(p1, "p1", open_interval=True)
    p0 = probability_scalar(p0, "p0", open_interval=True)
    target_db = positive_scalar(target_db, "target_db")
    mnist_db = positive_scalar(mnist_db_per_image, "mnist_db_per_image")
    mnist_images = whole_number(mnist_images, "mnist_images")
    per_head = float(bernoulli_kl(1.0, 0.5, unit="dB"))
    heads = observations_needed(float(prob_to_db(20.0 / 21.0)), per_head)
    log_tail = posterior_tail(boys, girls, 0.5)
    per_birth = float(bernoulli_kl(p1, p0, unit="dB"))
    return WorkedMagnitudes(
        db_per_head=per_head,
        heads_for_20_to_1=heads,
        laplace_log10_tail=log_tail / math.log(10.0),
        laplace_tail=math.exp(log_tail),
        laplace_total_evidence=binomial_evidence(boys, girls, p1, p0, unit="dB"),
        per_birth_kl=per_birth,
        births_for_13_db=observations_needed(target_db, per_birth),
        mnist_total_evidence=mnist_db * mnist_images,
        mnist_per_image_bits=float(from_nats(mnist_db * math.log(10.0) / 10.0, "bits")),
    )


# ---------------------------------------------------------------------------
# soft evidence: Jeffrey's rule as the minimal update


def jeffrey_update(joint: Any, evidence: Any) -> np.ndarray:
    r"""The minimum-KL update of a joint :math:`q(h, e)` to new beliefs :math:`r(e)` about ``e``.

    ``joint[i, j]`` is the prior :math:`q(h_i, e_j)` (hypotheses along axis 0,
    evidence cells along axis 1) and ``evidence[j]`` the new marginal
    :math:`r(e_j)`. Among all joints :math:`p` with :math:`p(e) = r(e)`, the
    one closest to :math:`q` in :math:`I[p; q]` is

    .. math:: p(h, e) = q(h \mid e)\, r(e),

    Jeffrey's rule of conditioning, and the minimum is :math:`I[r; q(e)]`
    (chain rule: :math:`I[p;q] = I[r; q(e)] + \langle I[p(h|e); q(h|e)]\rangle_r`).
    With :math:`r = \delta_{e_j}` it is Bayes' rule. An evidence cell with
    :math:`q(e_j) = 0 < r(e_j)` has no conditional to keep and raises
    ValueError (the divergence would be infinite).
    """
    q = np.asarray(as_float_array(joint, "joint"))
    if q.ndim != 2:
        raise ValueError(
            f"joint must be 2-D (hypotheses x evidence cells), got shape {q.shape}"
        )
    if q.size == 0:
        raise ValueError(f"joint is empty, got shape {q.shape}")
    require_distribution(q.ravel(), "joint")
    r = vector(evidence, "evidence", what="a distribution over the evidence cells")
    if r.shape[0] != q.shape[1]:
        raise ValueError(
            f"shape mismatch: evidence has {r.shape[0]} cells but joint has"
            f" {q.shape[1]} columns (evidence cells)"
        )
    require_distribution(r, "evidence")
    q_e = q.sum(axis=0)
    impossible = (q_e == 0) & (r > 0)
    if np.any(impossible):
        cells = np.flatnonzero(impossible).tolist()
        raise ValueError(
            f"evidence puts mass on cells {cells} that joint gives probability 0:"
            " no update of finite divergence reaches it"
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        cond = np.where(q_e > 0, q / np.where(q_e > 0, q_e, 1.0), 0.0)
    return cond * r


# ---------------------------------------------------------------------------
# sequential evidence: the exact first passage through a target (Wald)


@dataclass(frozen=True)
class FirstPassage:
    r"""The sequential test "stop when the evidence reaches ``target``", solved exactly.

    ``N`` is the number of observations when the summed weight of evidence
    :math:`S_n` first reaches ``target``, and :math:`m` = ``n_max``. All
    expectations are under the truth and concern the bounded stopping time
    :math:`N \wedge m`, for which Wald's identity
    :math:`\langle S_{N \wedge m}\rangle = \langle N \wedge m\rangle\, \bar w`
    holds exactly, with :math:`\bar w` the mean weight of evidence of one
    observation (:math:`I[p_1; p_0]` when the truth is :math:`p_1`);
    ``unstopped`` :math:`= \Pr(N > m)` says how close that is to :math:`N`
    itself.
    """

    mean_stopping_time: float  # <N ∧ m>
    mean_evidence: float  # <S_{N ∧ m}>, in ``unit``
    mean_evidence_at_stop: float  # <S_N | N <= m>, in ``unit``
    unstopped: float  # Pr(N > m)
    step_up: float  # weight of evidence of one success, in ``unit``
    step_down: float  # weight of evidence of one failure (negative), in ``unit``
    n_max: int
    unit: str


def first_passage(
    p1: float,
    p0: float,
    target: float,
    *,
    n_max: int,
    truth: float | None = None,
    window: int | None = None,
    unit: str = "dB",
) -> FirstPassage:
    r"""Exact law of the first time the evidence for ``p1`` over ``p0`` reaches ``target``.

    Observations are Bernoulli with success probability ``truth`` (default
    ``p1``, the hypothesis favoured by the evidence, ``p1 > p0``). Each
    success adds :math:`w_1 = \log(p_1/p_0) > 0`, each failure
    :math:`w_0 = \log((1-p_1)/(1-p_0)) < 0` (in ``unit``); the test stops at
    the first :math:`n` with :math:`S_n \ge` ``target``. The probability of
    each un-stopped count of successes is propagated one observation at a
    time (an exact transition kernel, in ``jax.lax.scan``) for ``n_max``
    steps, on a band of ``window`` success counts below the stopping
    boundary (default: 6 standard deviations of the count at ``n_max`` plus
    the boundary's initial distance). Probability that leaves the band is
    tracked and must stay below ``1e-12``, or ValueError asks for a wider
    window.
    """
    a = probability_scalar(p1, "p1", open_interval=True)
    b = probability_scalar(p0, "p0", open_interval=True)
    if not a > b:
        raise ValueError(
            f"p1 must exceed p0 (the evidence favours p1 when successes are"
            f" more likely under it), got p1 = {a!r}, p0 = {b!r}"
        )
    theta = (
        a if truth is None else probability_scalar(truth, "truth", open_interval=True)
    )
    t_nat = positive_scalar(target, "target") / _per_nat(unit)
    m = whole_number(n_max, "n_max", minimum=1)
    w1, w0 = math.log(a / b), math.log1p(-a) - math.log1p(-b)
    k0 = t_nat / (w1 - w0)  # boundary in successes at n = 0
    width = (
        int(math.ceil(k0)) + 6 * int(math.ceil(math.sqrt(m * theta * (1 - theta)))) + 16
        if window is None
        else whole_number(window, "window", minimum=2)
    )
    n = np.arange(m + 1, dtype=np.float64)
    # top[n] = the largest success count still below the target after n draws
    top = np.ceil((t_nat - n * w0) / (w1 - w0)).astype(np.int64) - 1
    # guard the rounding of the boundary: top is alive (S < target), top + 1 is not
    top = np.where(top * w1 + (n - top) * w0 >= t_nat, top - 1, top)
    top = np.where((top + 1) * w1 + (n - top - 1) * w0 < t_nat, top + 1, top)
    top = np.minimum(top, np.arange(m + 1))
    shift = np.diff(top)
    if np.any((shift < 0) | (shift > 1)):  # pragma: no cover - geometry guarantees 0/1
        raise ValueError("boundary moved by more than one success in one draw")
    start = np.zeros(width)
    start[width - 1 - top[0]] = 1.0  # zero successes at n = 0

    def step(carry, x):
        alive, lost = carry
        s, n_next, k_top = x
        grown = jnp.concatenate([(1 - theta) * alive, jnp.zeros(1)]) + jnp.concatenate(
            [jnp.zeros(1), theta * alive]
        )
        stopped = jnp.where(s == 0, grown[width], 0.0)
        lost = lost + jnp.where(s == 1, grown[0], 0.0)
        alive = jnp.where(s == 0, grown[:width], grown[1:])
        evidence = k_top * w1 + (n_next - k_top) * w0
        return (alive, lost), (stopped, stopped * n_next, stopped * evidence)

    xs = (
        jnp.asarray(shift),
        jnp.asarray(n[1:]),
        jnp.asarray((top[:-1] + 1).astype(np.float64)),
    )
    (alive, lost), (p_stop, n_stop, s_stop) = jax.lax.scan(
        step, (jnp.asarray(start), jnp.asarray(0.0)), xs
    )
    lost = float(lost)
    if lost > 1e-12:
        raise ValueError(
            f"window = {width} success counts is too narrow: probability {lost:.3g}"
            " left the band; pass a larger window"
        )
    alive = np.asarray(alive)
    k_alive = top[m] - (width - 1) + np.arange(width)
    s_alive = float(np.sum(alive * (k_alive * w1 + (m - k_alive) * w0)))
    unstopped = float(alive.sum())
    stopped_mass = float(jnp.sum(p_stop))
    if stopped_mass == 0.0:
        raise ValueError(
            f"no sequence reaches the target within n_max = {m} observations;"
            " raise n_max"
        )
    s_stopped = float(jnp.sum(s_stop))
    per = _per_nat(unit)
    return FirstPassage(
        mean_stopping_time=float(jnp.sum(n_stop)) + m * unstopped,
        mean_evidence=(s_stopped + s_alive) * per,
        mean_evidence_at_stop=s_stopped / stopped_mass * per,
        unstopped=unstopped,
        step_up=w1 * per,
        step_down=w0 * per,
        n_max=m,
        unit=unit_name(unit),
    )


# ---------------------------------------------------------------------------
# the error exponent of the best test (Chernoff-Stein)


@dataclass(frozen=True)
class NeymanPearson:
    r"""The most powerful level-``alpha`` test of :math:`\mathrm{Bern}(p)` against :math:`\mathrm{Bern}(q)`.

    From ``n`` draws with :math:`K` successes, with the log-likelihood ratio
    :math:`\Lambda_n = K \log\frac pq + (n-K)\log\frac{1-p}{1-q}` (nats), the
    test keeps :math:`p` when :math:`\Lambda_n > \tau`, rejects it when
    :math:`\Lambda_n < \tau` and, at :math:`\Lambda_n = \tau`, rejects with
    probability ``randomisation``, so that it wrongly rejects :math:`p` with
    probability exactly ``alpha``. ``log_beta`` is the natural log of
    :math:`\beta_n`, the probability that data from :math:`q` keep :math:`p`.
    """

    n: int
    alpha: float
    log_beta: float
    threshold: float  # tau, in nats
    boundary: int  # the count of successes (or failures) at which Lambda_n = tau
    randomisation: float


def neyman_pearson_error(n: int, p: float, q: float, *, alpha: float) -> NeymanPearson:
    r"""Smallest type-II error of a level-``alpha`` test of ``p`` against ``q`` from ``n`` draws.

    By the Neyman–Pearson lemma the optimal (randomised) test thresholds the
    likelihood ratio; see :class:`NeymanPearson`. :math:`\beta_n` is computed
    in log space through :func:`log_beta_cdf` (binomial tails are incomplete
    beta functions, :math:`\Pr(K \ge k) = I_q(k, n - k + 1)`), so it stays
    accurate far below the smallest double. By the Chernoff–Stein lemma
    :math:`-\frac1n \log\beta_n \to I[p; q]` for every fixed ``alpha``.
    """
    n = whole_number(n, "n", minimum=1)
    p = probability_scalar(p, "p", open_interval=True)
    q = probability_scalar(q, "q", open_interval=True)
    a = probability_scalar(alpha, "alpha", open_interval=True)
    if p == q:
        raise ValueError(f"p and q must differ to be tested apart, got both {p!r}")
    if p < q:  # count failures instead: Lambda increases with them
        p, q = 1.0 - p, 1.0 - q
    # smallest k with P_p(K <= k) >= alpha: reject p below it, randomise at it
    k0 = int(sst.binom.ppf(a, n, p))
    below = float(sst.binom.cdf(k0 - 1, n, p)) if k0 > 0 else 0.0
    at = float(sst.binom.pmf(k0, n, p))
    r = min(max((a - below) / at, 0.0), 1.0)
    log_at_q = (
        float(ssp.gammaln(n + 1) - ssp.gammaln(k0 + 1) - ssp.gammaln(n - k0 + 1))
        + k0 * math.log(q)
        + (n - k0) * math.log1p(-q)
    )
    log_above = log_beta_cdf(q, k0 + 1, n - k0) if k0 < n else -math.inf
    keep_at = math.log1p(-r) + log_at_q if r < 1 else -math.inf
    log_beta = float(np.logaddexp(log_above, keep_at))
    tau = k0 * math.log(p / q) + (n - k0) * (math.log1p(-p) - math.log1p(-q))
    return NeymanPearson(n, a, log_beta, tau, k0, r)
