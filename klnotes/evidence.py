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

import numpy as np
import scipy.special as ssp

from . import divergences
from ._validate import (
    boolean,
    positive_array,
    positive_scalar,
    probability_array,
    probability_scalar,
    real_scalar,
    require_broadcast,
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
