r"""Variational autoencoders as a joint KL: distortion, rate, entropy.

The forward process is the data and the encoder, :math:`p(x, z) = p(x)\,p(z|x)`;
the reverse process is the prior and the decoder, :math:`q(x, z) = q(z)\,q(x|z)`.
Their joint divergence splits into three named terms,

.. math::

    I[p(x,z);\, q(x,z)] = -H + D + R, \qquad
    H = \langle -\log p(x) \rangle, \quad
    D = \langle -\log q(x|z) \rangle, \quad
    R = \Big\langle \log \frac{p(z|x)}{q(z)} \Big\rangle,

all averages over the forward process, so that :math:`D + R \ge L \ge H` with
:math:`L = \langle -\log q(x) \rangle` (Alemi et al., *Fixing a Broken ELBO*, 2018). For
continuous :math:`x`, :math:`H` is a differential entropy and :math:`D`
includes the normalisation of the decoder density.

Three groups of functions:

* the **linear-Gaussian VAE**, :math:`x \sim \mathcal N(0, s^2)`, encoder
  :math:`\mathcal N(a x, v)`, prior :math:`\mathcal N(0, 1)`, decoder
  :math:`\mathcal N(b z, w)`: closed forms (:func:`linear_gaussian_terms`),
  the :math:`\beta`-VAE optimum (:func:`beta_vae_optimum`), Monte Carlo
  estimates (:func:`linear_gaussian_mc`) and gradient descent on the
  objective (:func:`fit_linear_beta_vae`);
* the optimal rate–distortion trade-off of a linear-Gaussian VAE with a
  fixed decoder variance on data of any covariance
  (:func:`linear_gaussian_frontier`);
* a small **nonlinear VAE** in JAX (two tanh MLPs) trained on a 2-D Gaussian
  mixture whose differential entropy is computed by quadrature
  (:class:`GaussianMixture`, :func:`mixture_entropy`, :func:`train_vaes`,
  :func:`vae_rate_distortion`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._validate import (
    as_float_array,
    finite_array,
    is_traced,
    positive_array,
    positive_scalar,
    real_scalar,
    require_broadcast,
    require_callable,
    require_distribution,
    require_finite,
    require_key,
    require_layers,
    require_positive,
    vector,
    whole_number,
)
from .distributions import gaussian_log_density
from .montecarlo import Estimate, mc_estimate
from .nn import adam, cosine_decay, mlp, mlp_init

LOG_2PI = math.log(2.0 * math.pi)

# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------


def _betas(betas: Any, name: str = "betas") -> np.ndarray:
    """Trade-off weights: a non-empty 1-D array of positive numbers."""
    b = vector(betas, name, what="one trade-off weight per model")
    require_positive(b, name)
    return b


def _learning_rate(learning_rate: Any) -> float:
    return positive_scalar(learning_rate, "learning_rate")


def _require_params(params: Any, name: str = "params", *, batch_dims: int = 0) -> Any:
    """VAE parameters: a dict with ``encoder`` and ``decoder`` MLP layers."""
    if not isinstance(params, dict) or set(params) != {"encoder", "decoder"}:
        raise TypeError(
            f"{name} must be a dict with 'encoder' and 'decoder' layers (from"
            f" vae_init or train_vaes), got {type(params).__name__}"
        )
    enc = require_layers(params["encoder"], f"{name}['encoder']", batch_dims=batch_dims)
    dec = require_layers(params["decoder"], f"{name}['decoder']", batch_dims=batch_dims)
    z2, z_dim = enc[-1][0].shape[-1], dec[0][0].shape[-2]
    if z2 != 2 * z_dim or enc[0][0].shape[-2] != dec[-1][0].shape[-1]:
        raise ValueError(
            f"{name}: the encoder (widths {enc[0][0].shape[-2]} -> {z2}) must map x to"
            " the mean and log-variance of z, and the decoder"
            f" ({z_dim} -> {dec[-1][0].shape[-1]}) z back to x"
        )
    return params


# ---------------------------------------------------------------------------
# The linear-Gaussian VAE: closed forms
# ---------------------------------------------------------------------------


class LinearGaussianTerms(NamedTuple):
    r"""Every term of the linear-Gaussian VAE, in nats.

    ``distortion`` :math:`D`, ``rate`` :math:`R`, ``entropy`` :math:`H`,
    ``marginal_nll`` :math:`L = \langle -\log q(x) \rangle`,
    ``mutual_information`` :math:`I(x; z)` under the forward process,
    ``marginal_gap`` :math:`L - H = I[p(x); q(x)]` and ``posterior_gap``
    :math:`D + R - L = \langle I[p(z|x); q(z|x)] \rangle_{p(x)}`.
    """

    distortion: Any
    rate: Any
    entropy: Any
    marginal_nll: Any
    mutual_information: Any
    marginal_gap: Any
    posterior_gap: Any


def _lg_terms(s2: Any, a: Any, b: Any, v: Any, w: Any) -> LinearGaussianTerms:
    xp = jnp if any(isinstance(t, jax.Array) for t in (s2, a, b, v, w)) else np
    distortion = 0.5 * (LOG_2PI + xp.log(w)) + ((1 - a * b) ** 2 * s2 + b**2 * v) / (
        2 * w
    )
    rate = 0.5 * (v + a**2 * s2 - 1 - xp.log(v))
    entropy = 0.5 * (LOG_2PI + 1 + xp.log(s2))
    m2 = b**2 + w  # variance of the model marginal q(x)
    marginal_nll = 0.5 * (LOG_2PI + xp.log(m2)) + s2 / (2 * m2)
    mutual_information = 0.5 * xp.log1p(a**2 * s2 / v)
    gain, pvar = b / m2, w / m2  # model posterior q(z|x) = N(gain x, pvar)
    marginal_gap = 0.5 * (s2 / m2 - 1 - xp.log(s2 / m2))
    posterior_gap = 0.5 * (
        v / pvar - 1 - xp.log(v / pvar) + (a - gain) ** 2 * s2 / pvar
    )
    return LinearGaussianTerms(
        distortion,
        rate,
        entropy,
        marginal_nll,
        mutual_information,
        marginal_gap,
        posterior_gap,
    )


def linear_gaussian_terms(
    s2: Any, a: Any, b: Any, v: Any, w: Any
) -> LinearGaussianTerms:
    r"""Closed forms for the linear-Gaussian VAE (arguments broadcast).

    Data :math:`x \sim \mathcal N(0, s^2)`, encoder :math:`z|x \sim \mathcal N(ax, v)`,
    prior :math:`\mathcal N(0,1)`, decoder :math:`x|z \sim \mathcal N(bz, w)`:

    .. math::

        D &= \tfrac12\log(2\pi w) + \frac{(1-ab)^2 s^2 + b^2 v}{2w}, &
        R &= \tfrac12\big(v + a^2 s^2 - 1 - \log v\big), \\
        H &= \tfrac12\log(2\pi e\, s^2), &
        I &= \tfrac12\log\Big(1 + \frac{a^2 s^2}{v}\Big),

    and :math:`q(x) = \mathcal N(0, b^2 + w)`,
    :math:`q(z|x) = \mathcal N\big(bx/(b^2+w),\, w/(b^2+w)\big)`.
    ``s2``, ``v`` and ``w`` are variances and must be positive.
    """
    s2 = positive_array(s2, "s2")
    v = positive_array(v, "v")
    w = positive_array(w, "w")
    a = finite_array(a, "a")
    b = finite_array(b, "b")
    require_broadcast({"s2": s2, "a": a, "b": b, "v": v, "w": w})
    return _lg_terms(s2, a, b, v, w)


def linear_gaussian_posterior(b: Any, w: Any) -> tuple[Any, Any]:
    r"""The model's posterior :math:`q(z|x) = \mathcal N(g x, u)`: returns ``(g, u)``.

    With prior :math:`\mathcal N(0,1)` and decoder :math:`\mathcal N(bz, w)`,
    :math:`g = b/(b^2+w)` and :math:`u = w/(b^2+w)`.
    """
    b = finite_array(b, "b")
    w = positive_array(w, "w")
    require_broadcast({"b": b, "w": w})
    return b / (b**2 + w), w / (b**2 + w)


def beta_vae_objective(s2: Any, a: Any, b: Any, v: Any, w: Any, beta: Any) -> Any:
    r"""The :math:`\beta`-VAE objective :math:`J = D + \beta R` of the linear-Gaussian VAE."""
    beta = positive_array(beta, "beta")
    t = linear_gaussian_terms(s2, a, b, v, w)
    require_broadcast({"s2": s2, "a": a, "b": b, "v": v, "w": w, "beta": beta})
    return t.distortion + beta * t.rate


class BetaVAEOptimum(NamedTuple):
    """The minimiser of :math:`D + \\beta R` at fixed decoder variance, with its rate and distortion."""

    a: Any
    b: Any
    v: Any
    rate: Any
    distortion: Any


def beta_vae_optimum(s2: Any, w: Any, beta: Any) -> BetaVAEOptimum:
    r"""Global minimiser of :math:`D + \beta R` over :math:`(a, b, v)` at fixed ``w``.

    If :math:`\beta w < s^2`: :math:`b^2 = s^2 - \beta w`, :math:`v = \beta w/s^2`,
    :math:`a = b/s^2` (``b >= 0`` of the two mirror-image solutions), with

    .. math:: R = \tfrac12\log\frac{s^2}{\beta w}, \qquad D = \tfrac12\log(2\pi w) + \frac{\beta}{2}.

    Otherwise the posterior collapses: :math:`a = b = 0`, :math:`v = 1`,
    :math:`R = 0` and :math:`D = \tfrac12\log(2\pi w) + s^2/(2w)`.
    """
    s2 = positive_array(s2, "s2")
    w = positive_array(w, "w")
    beta = positive_array(beta, "beta")
    require_broadcast({"s2": s2, "w": w, "beta": beta})
    xp = jnp if any(isinstance(t, jax.Array) for t in (s2, w, beta)) else np
    active = beta * w < s2
    b2 = xp.where(active, s2 - beta * w, 0.0)
    b = xp.sqrt(b2)
    v = xp.where(active, beta * w / s2, 1.0)
    a = b / s2
    rate = xp.where(active, 0.5 * xp.log(xp.where(active, s2 / (beta * w), 1.0)), 0.0)
    distortion = 0.5 * (LOG_2PI + xp.log(w)) + xp.where(active, beta, s2 / w) / 2
    return BetaVAEOptimum(a, b, v, rate, distortion)


def beta_vae_gap(beta: Any) -> Any:
    r"""The gap :math:`D + R - H = (\beta - 1 - \log\beta)/2` at the :math:`\beta`-VAE optimum.

    Valid while the posterior has not collapsed (:math:`\beta w < s^2`); it is
    independent of :math:`s^2` and :math:`w`, and zero only at :math:`\beta = 1`.
    """
    beta = positive_array(beta, "beta")
    xp = jnp if isinstance(beta, jax.Array) else np
    return 0.5 * (beta - 1 - xp.log(beta))


def linear_gaussian_frontier(eigenvalues: Any, w: Any, beta: Any) -> tuple[Any, Any]:
    r"""Rate and distortion of the optimal linear-Gaussian :math:`\beta`-VAE in ``d`` dimensions.

    Data of covariance with ``eigenvalues`` :math:`s_i^2` (shape ``(d,)``),
    isotropic decoder variance ``w``, a ``d``-dimensional latent with prior
    :math:`\mathcal N(0, I)`. In the eigenbasis the problem splits into
    :func:`beta_vae_optimum` per direction, a reverse water-filling: directions
    with :math:`s_i^2 \le \beta w` collapse. Returns ``(R, D)`` summed over
    directions, broadcast over ``beta``. Only second moments of the data enter,
    so this is the frontier of linear-Gaussian VAEs on *any* data with that
    covariance.
    """
    eig = vector(eigenvalues, "eigenvalues", what="the eigenvalues of the data covariance")
    require_positive(eig, "eigenvalues")
    w = positive_scalar(w, "w")
    beta = np.asarray(positive_array(beta, "beta"))[..., None]
    opt = beta_vae_optimum(eig, w, beta)
    return np.sum(opt.rate, axis=-1), np.sum(opt.distortion, axis=-1)


# ---------------------------------------------------------------------------
# The linear-Gaussian VAE: Monte Carlo and gradient descent
# ---------------------------------------------------------------------------


def linear_gaussian_samples(
    key: jax.Array, s2: float, a: float, b: float, v: float, w: float, n: int
) -> tuple[jax.Array, jax.Array]:
    r"""Per-sample distortion and rate terms for ``n`` draws of the forward process.

    Draws :math:`x \sim \mathcal N(0, s^2)`, :math:`z \sim \mathcal N(ax, v)` and
    returns :math:`(-\log q(x|z),\ \log p(z|x) - \log q(z))`, whose means are
    :math:`D` and :math:`R`.
    """
    require_key(key, "key")
    s2, v, w = (positive_scalar(t, nm) for t, nm in ((s2, "s2"), (v, "v"), (w, "w")))
    a, b = real_scalar(a, "a"), real_scalar(b, "b")
    n = whole_number(n, "n", 2)
    kx, kz = jax.random.split(key)
    x = jnp.sqrt(s2) * jax.random.normal(kx, (n,))
    z = a * x + jnp.sqrt(v) * jax.random.normal(kz, (n,))
    d = -gaussian_log_density(x, b * z, w)
    r = gaussian_log_density(z, a * x, v) - gaussian_log_density(z, 0.0, 1.0)
    return d, r


def linear_gaussian_mc(
    key: jax.Array, s2: float, a: float, b: float, v: float, w: float, n: int
) -> tuple[Estimate, Estimate]:
    """Monte Carlo estimates of ``(D, R)`` with standard errors (see :func:`linear_gaussian_samples`)."""
    d, r = linear_gaussian_samples(key, s2, a, b, v, w, n)
    return mc_estimate(np.asarray(d)), mc_estimate(np.asarray(r))


class LinearFit(NamedTuple):
    """Parameters found by gradient descent (one entry per ``beta``) and the final objective."""

    a: Any
    b: Any
    v: Any
    w: Any
    objective: Any


def fit_linear_beta_vae(
    s2: float,
    betas: Any,
    *,
    w: float | None = None,
    steps: int = 5000,
    learning_rate: float = 0.05,
    init: tuple[float, float, float, float] = (0.5, 0.5, 0.5, 1.0),
) -> LinearFit:
    r"""Minimise :math:`D + \beta R` by plain gradient descent, for every ``beta`` at once.

    The objective is the exact closed form (:func:`beta_vae_objective`), its
    gradient comes from :func:`jax.grad`, the steps run in :func:`jax.lax.scan`
    and the betas in :func:`jax.vmap`. Variances are optimised through their
    logarithms. With ``w`` given the decoder variance is fixed; with ``w=None``
    it is learned too (starting from ``init[3]``). ``init`` is ``(a, b, v, w)``
    and must not be the collapsed saddle ``a = b = 0``.
    """
    s2 = positive_scalar(s2, "s2")
    betas = jnp.asarray(_betas(betas))
    steps = whole_number(steps, "steps", 1)
    learning_rate = _learning_rate(learning_rate)
    if not isinstance(init, (tuple, list)) or len(init) != 4:
        raise TypeError(
            f"init must be a tuple (a, b, v, w) of 4 numbers, got {init!r}"
        )
    a0, b0 = real_scalar(init[0], "init a"), real_scalar(init[1], "init b")
    v0, w0 = positive_scalar(init[2], "init v"), positive_scalar(init[3], "init w")
    if a0 == 0 and b0 == 0:
        raise ValueError(
            "init must not have a = b = 0: that is a stationary point (the collapsed saddle)"
        )
    free_w = w is None
    if not free_w:
        w0 = positive_scalar(w, "w")

    def objective(theta: jax.Array, beta: jax.Array) -> jax.Array:
        a, b, logv, logw = theta
        t = _lg_terms(s2, a, b, jnp.exp(logv), jnp.exp(logw))
        return t.distortion + beta * t.rate

    mask = jnp.array([1.0, 1.0, 1.0, 1.0 if free_w else 0.0])
    grad = jax.grad(objective)

    def run(beta: jax.Array) -> jax.Array:
        def step(theta: jax.Array, _: None) -> tuple[jax.Array, None]:
            return theta - learning_rate * mask * grad(theta, beta), None

        theta0 = jnp.array([a0, b0, math.log(v0), math.log(w0)])
        theta, _ = jax.lax.scan(step, theta0, None, length=steps)
        return theta

    thetas = jax.jit(jax.vmap(run))(betas)
    final = jax.vmap(objective)(thetas, betas)
    a, b = thetas[:, 0], thetas[:, 1]
    sign = jnp.where(b < 0, -1.0, 1.0)  # report the b >= 0 mirror image
    return LinearFit(
        np.asarray(sign * a),
        np.asarray(sign * b),
        np.asarray(jnp.exp(thetas[:, 2])),
        np.asarray(jnp.exp(thetas[:, 3])),
        np.asarray(final),
    )


def linear_vae_terms(
    cov: Any, A: Any, B: Any, V: Any, w: float
) -> tuple[jax.Array, jax.Array]:
    r"""Distortion and rate of a ``d``-dimensional linear-Gaussian VAE (matrices, any covariance).

    Data of covariance :math:`\Sigma` (``cov``, mean removed), encoder
    :math:`z|x \sim \mathcal N(Ax, V)`, prior :math:`\mathcal N(0, I)`, decoder
    :math:`x|z \sim \mathcal N(Bz, wI)`, all ``d x d``:

    .. math::

        D = \tfrac d2\log(2\pi w) + \frac{\operatorname{tr}\big[(I-BA)\Sigma(I-BA)^\top + BVB^\top\big]}{2w},
        \qquad
        R = \tfrac12\big[\operatorname{tr}V + \operatorname{tr}(A\Sigma A^\top) - d - \log\det V\big].

    Traceable: types and shapes are always checked; when concrete, entries
    must be finite, ``w`` positive and ``cov`` and ``V`` positive-definite. Used
    by :func:`fit_linear_vae_matrix`.
    """
    cov, A, B, V = (
        as_float_array(m, n) for m, n in ((cov, "cov"), (A, "A"), (B, "B"), (V, "V"))
    )
    if jnp.ndim(cov) != 2 or jnp.shape(cov)[0] != jnp.shape(cov)[1] or jnp.size(cov) == 0:
        raise ValueError(
            f"cov must be a non-empty square matrix, got shape {jnp.shape(cov)}"
        )
    d = jnp.shape(cov)[0]
    for m, name in ((cov, "cov"), (A, "A"), (B, "B"), (V, "V")):
        if jnp.shape(m) != (d, d):
            raise ValueError(f"{name} must have shape ({d}, {d}), got {jnp.shape(m)}")
        require_finite(m, name)
    if not is_traced(w):
        w = positive_scalar(w, "w")
    for m, name in ((cov, "cov"), (V, "V")):
        if not is_traced(m) and np.min(np.linalg.eigvalsh(np.asarray(m))) <= 0:
            raise ValueError(f"{name} must be symmetric positive-definite")
    cov, A, B, V = (jnp.asarray(m) for m in (cov, A, B, V))
    E = jnp.eye(d) - B @ A
    distortion = 0.5 * d * (LOG_2PI + jnp.log(w)) + (
        jnp.trace(E @ cov @ E.T) + jnp.trace(B @ V @ B.T)
    ) / (2 * w)
    rate = 0.5 * (
        jnp.trace(V) + jnp.trace(A @ cov @ A.T) - d - jnp.linalg.slogdet(V)[1]
    )
    return distortion, rate


def fit_linear_vae_matrix(
    cov: Any,
    w: float,
    betas: Any,
    key: jax.Array,
    *,
    n_starts: int = 8,
    steps: int = 5000,
    learning_rate: float = 0.01,
) -> np.ndarray:
    r"""Minimise :math:`D + \beta R` over *all* linear-Gaussian VAEs by gradient descent.

    The encoder gain :math:`A`, the decoder gain :math:`B` and the encoder
    covariance :math:`V = LL^\top` (Cholesky factor with log-diagonal) are
    free ``d x d`` matrices (:func:`linear_vae_terms`). Every ``beta`` is run
    from ``n_starts`` random starting points drawn with ``key``; steps in
    :func:`jax.lax.scan`, starts and betas in :func:`jax.vmap`. Returns the final
    objectives, shape ``(len(betas), n_starts)``: none can be below the
    water-filling frontier of :func:`linear_gaussian_frontier`, and a global
    minimiser attains it.
    """
    cov = np.asarray(finite_array(cov, "cov"))
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or cov.size == 0:
        raise ValueError(f"cov must be a non-empty square matrix, got shape {cov.shape}")
    if not np.allclose(cov, cov.T) or np.min(np.linalg.eigvalsh(cov)) <= 0:
        raise ValueError("cov must be symmetric positive-definite")
    w = positive_scalar(w, "w")
    betas = jnp.asarray(_betas(betas))
    require_key(key, "key")
    n_starts = whole_number(n_starts, "n_starts", 1)
    steps = whole_number(steps, "steps", 1)
    learning_rate = _learning_rate(learning_rate)
    d = cov.shape[0]
    cov_j = jnp.asarray(cov)

    def objective(theta: jax.Array, beta: jax.Array) -> jax.Array:
        A, B, raw = theta[0], theta[1], theta[2]
        L = jnp.tril(raw, -1) + jnp.diag(jnp.exp(jnp.diag(raw)))
        dist, rate = linear_vae_terms(cov_j, A, B, L @ L.T, w)
        return dist + beta * rate

    grad = jax.grad(objective)

    def run(theta0: jax.Array, beta: jax.Array) -> jax.Array:
        def step(theta: jax.Array, _: None) -> tuple[jax.Array, None]:
            return theta - learning_rate * grad(theta, beta), None

        theta, _ = jax.lax.scan(step, theta0, None, length=steps)
        return objective(theta, beta)

    starts = 0.5 * jax.random.normal(key, (n_starts, 3, d, d))
    per_beta = jax.vmap(run, in_axes=(0, None))
    return np.asarray(jax.jit(jax.vmap(per_beta, in_axes=(None, 0)))(starts, betas))


# ---------------------------------------------------------------------------
# A 2-D Gaussian mixture with a quadrature entropy
# ---------------------------------------------------------------------------


class GaussianMixture(NamedTuple):
    r"""Isotropic Gaussian mixture :math:`p(x) = \sum_k \pi_k \mathcal N(x; \mu_k, \sigma_k^2 I)`.

    ``weights`` (K,), ``means`` (K, d), ``scales`` (K,) standard deviations.
    Build it with :func:`gaussian_mixture`, which validates.
    """

    weights: np.ndarray
    means: np.ndarray
    scales: np.ndarray


def gaussian_mixture(weights: Any, means: Any, scales: Any) -> GaussianMixture:
    """A validated :class:`GaussianMixture` (weights normalised, scales positive)."""
    wts = np.asarray(finite_array(weights, "weights"))
    mus = np.asarray(finite_array(means, "means"))
    sc = np.asarray(positive_array(scales, "scales"))
    if wts.ndim != 1 or wts.size == 0:
        raise ValueError(
            f"weights must be a non-empty 1-D array, got shape {wts.shape}"
        )
    require_distribution(wts, "weights", atol=1e-12)
    if mus.ndim != 2 or mus.shape[0] != wts.size:
        raise ValueError(f"means must have shape ({wts.size}, d), got {mus.shape}")
    if sc.shape != wts.shape:
        raise ValueError(f"scales must have shape {wts.shape}, got {sc.shape}")
    return GaussianMixture(wts, mus, sc)


def _require_mixture(mix: Any) -> GaussianMixture:
    if not isinstance(mix, GaussianMixture):
        raise TypeError(
            f"mix must be a GaussianMixture (build it with gaussian_mixture), got {type(mix).__name__}"
        )
    try:  # a GaussianMixture built directly has not been validated
        return gaussian_mixture(*mix)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"mix is not a valid GaussianMixture: {exc}") from None


def mixture_log_density(mix: GaussianMixture, x: Any) -> jax.Array:
    """:math:`\\log p(x)` for points ``x`` of shape ``(..., d)``."""
    mix = _require_mixture(mix)
    x = jnp.asarray(finite_array(x, "x"))
    d = mix.means.shape[1]
    if x.shape[-1] != d:
        raise ValueError(f"x must have last axis {d}, got shape {x.shape}")
    sq = jnp.sum((x[..., None, :] - mix.means) ** 2, axis=-1)  # (..., K)
    var = mix.scales**2
    logs = jnp.log(mix.weights) - 0.5 * d * jnp.log(2 * jnp.pi * var) - sq / (2 * var)
    return jax.scipy.special.logsumexp(logs, axis=-1)


def mixture_sample(mix: GaussianMixture, key: jax.Array, n: int) -> jax.Array:
    """``n`` draws from the mixture, shape ``(n, d)``."""
    mix = _require_mixture(mix)
    require_key(key, "key")
    n = whole_number(n, "n", 1)
    kc, kn = jax.random.split(key)
    comp = jax.random.choice(kc, len(mix.weights), (n,), p=jnp.asarray(mix.weights))
    noise = jax.random.normal(kn, (n, mix.means.shape[1]))
    return jnp.asarray(mix.means)[comp] + jnp.asarray(mix.scales)[comp, None] * noise


def mixture_moments(mix: GaussianMixture) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of the mixture (exact)."""
    mix = _require_mixture(mix)
    mean = mix.weights @ mix.means
    centred = mix.means - mean
    d = mix.means.shape[1]
    cov = np.einsum("k,ki,kj->ij", mix.weights, centred, centred)
    cov = cov + np.sum(mix.weights * mix.scales**2) * np.eye(d)
    return mean, cov


def mixture_entropy(
    mix: GaussianMixture, *, n_grid: int = 801, half_width: float | None = None
) -> float:
    r"""Differential entropy :math:`H = -\int p \log p` of a 2-D mixture by quadrature.

    The trapezoidal rule on an ``n_grid`` × ``n_grid`` grid over a square of
    half-width ``half_width`` around the mixture's mean (default: reaching 12
    component standard deviations beyond the farthest mean). For smooth,
    rapidly decaying integrands the rule converges faster than any power of the
    grid spacing, so two grids that agree to many digits certify the value.
    """
    mix = _require_mixture(mix)
    if mix.means.shape[1] != 2:
        raise ValueError(
            f"mix must be a 2-D mixture for mixture_entropy, got dimension {mix.means.shape[1]}"
        )
    n_grid = whole_number(n_grid, "n_grid", 3)
    centre = mix.means.mean(axis=0)
    if half_width is None:
        half_width = float(np.max(np.abs(mix.means - centre)) + 12 * np.max(mix.scales))
    half_width = positive_scalar(half_width, "half_width")
    g = np.linspace(-half_width, half_width, n_grid)
    h = g[1] - g[0]
    wts = np.full(n_grid, h)
    wts[[0, -1]] = h / 2
    X, Y = np.meshgrid(centre[0] + g, centre[1] + g, indexing="ij")
    logp = np.asarray(mixture_log_density(mix, np.stack([X, Y], axis=-1)))
    integrand = -np.exp(logp) * logp
    return float(wts @ integrand @ wts)


# ---------------------------------------------------------------------------
# A small nonlinear VAE in JAX
# ---------------------------------------------------------------------------

Params = dict[str, list[tuple[jax.Array, jax.Array]]]


def vae_init(
    key: jax.Array, x_dim: int = 2, z_dim: int = 2, hidden: int = 32
) -> Params:
    """Parameters of a VAE with two-hidden-layer tanh MLPs.

    The encoder maps :math:`x` to the mean and log-variance of a diagonal
    Gaussian :math:`p(z|x)`; the decoder maps :math:`z` to the mean of
    :math:`q(x|z) = \\mathcal N(f(z), w I)`.
    """
    require_key(key, "key")
    x_dim, z_dim, hidden = (
        whole_number(t, n, 1)
        for t, n in ((x_dim, "x_dim"), (z_dim, "z_dim"), (hidden, "hidden"))
    )
    ke, kd = jax.random.split(key)
    return {
        "encoder": mlp_init(ke, [x_dim, hidden, hidden, 2 * z_dim]),
        "decoder": mlp_init(kd, [z_dim, hidden, hidden, x_dim]),
    }


def vae_terms(
    params: Params, key: jax.Array, x: jax.Array, w: float
) -> tuple[jax.Array, jax.Array]:
    r"""Per-example distortion and rate of the nonlinear VAE at data ``x`` (shape (n, d)).

    Distortion :math:`-\log \mathcal N(x; f(z), wI)` at one reparameterised draw
    :math:`z = \mu(x) + \sigma(x)\,\epsilon`; rate
    :math:`I[p(z|x); \mathcal N(0, I)]` in closed form at each :math:`x` (its
    average over :math:`x` is :math:`R`; the closed form removes the noise of
    :math:`z` from the rate estimate but not that of :math:`x`).
    """
    params = _require_params(params)
    require_key(key, "key")
    x = as_float_array(x, "x")
    if jnp.ndim(x) != 2:
        raise ValueError(f"x must have shape (n, d), got {jnp.shape(x)}")
    x_dim = params["decoder"][-1][0].shape[-1]
    if jnp.shape(x)[-1] != x_dim:
        raise ValueError(
            f"x must have shape (n, {x_dim}) for these params, got {jnp.shape(x)}"
        )
    require_finite(x, "x")
    x = jnp.asarray(x)
    if not is_traced(w):
        w = positive_scalar(w, "w (the decoder variance)")
    out = mlp(params["encoder"], x)
    z_dim = out.shape[-1] // 2
    mu, logvar = out[:, :z_dim], out[:, z_dim:]
    z = mu + jnp.exp(0.5 * logvar) * jax.random.normal(key, mu.shape)
    recon = mlp(params["decoder"], z)
    d_dim = x.shape[-1]
    distortion = 0.5 * d_dim * (LOG_2PI + jnp.log(w)) + jnp.sum(
        (x - recon) ** 2, axis=-1
    ) / (2 * w)
    rate = 0.5 * jnp.sum(jnp.exp(logvar) + mu**2 - 1 - logvar, axis=-1)
    return distortion, rate


def train_vaes(
    key: jax.Array,
    sample_data: Callable[[jax.Array, int], jax.Array],
    betas: Any,
    *,
    w: float,
    steps: int = 2000,
    batch: int = 256,
    learning_rate: float = 3e-3,
    hidden: int = 32,
    z_dim: int = 2,
) -> tuple[Params, jax.Array]:
    r"""Train one nonlinear VAE per ``beta`` on :math:`D + \beta R`, all at once.

    Fresh minibatches ``sample_data(key, batch)`` every step (so there is no
    training set to overfit and :math:`D, R` are population quantities), Adam
    with a cosine-decayed step size (:func:`klnotes.nn.adam`, one
    :func:`jax.lax.scan`) and betas in :func:`jax.vmap`. Every beta starts from
    the same initial parameters and sees the same minibatches. Returns the
    parameters (every leaf with a leading beta axis) and the loss per step and
    beta, shape ``(steps, n_betas)``.
    """
    require_key(key, "key")
    require_callable(sample_data, "sample_data")
    betas = jnp.asarray(_betas(betas))
    w = positive_scalar(w, "w")
    steps = whole_number(steps, "steps", 1)
    batch = whole_number(batch, "batch", 2)
    learning_rate = _learning_rate(learning_rate)
    hidden = whole_number(hidden, "hidden", 1)
    z_dim = whole_number(z_dim, "z_dim", 1)
    k_init, k_train = jax.random.split(key)
    x_dim = int(sample_data(k_init, 2).shape[-1])
    params0 = vae_init(k_init, x_dim, z_dim, hidden)

    def loss(
        params: Params, beta: jax.Array, kx: jax.Array, kz: jax.Array
    ) -> jax.Array:
        x = sample_data(kx, batch)
        d, r = vae_terms(params, kz, x, w)
        return jnp.mean(d + beta * r)

    keys = jax.random.split(k_train, steps)
    rates = cosine_decay(learning_rate, steps)

    def train_one(beta: jax.Array) -> tuple[Params, jax.Array]:
        def loss_at(params: Params, k: jax.Array) -> jax.Array:
            return loss(params, beta, *jax.random.split(k))

        return adam(loss_at, params0, keys, rates)

    params, losses = jax.jit(jax.vmap(train_one))(betas)
    return params, losses.T


def vae_rate_distortion(
    params: Params, key: jax.Array, x: Any, w: float
) -> tuple[list[Estimate], list[Estimate], list[Estimate]]:
    r"""Monte Carlo :math:`D`, :math:`R` and :math:`D + R` with standard errors, per trained model.

    ``params`` carries a leading model axis (as returned by :func:`train_vaes`);
    ``x`` is a fresh sample of the data, shape ``(n, d)``. The standard error
    of :math:`D + R` comes from the per-example sums, so it accounts for the
    correlation between the two estimates.
    """
    params = _require_params(params, batch_dims=1)
    require_key(key, "key")
    x = jnp.asarray(finite_array(x, "x"))
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(
            f"x must have shape (n, d) with n >= 2 (at least 2 examples), got {x.shape}"
        )
    w = positive_scalar(w, "w")
    d, r = jax.jit(jax.vmap(lambda p: vae_terms(p, key, x, w)))(params)
    d, r = np.asarray(d), np.asarray(r)
    return (
        [mc_estimate(row) for row in d],
        [mc_estimate(row) for row in r],
        [mc_estimate(row) for row in d + r],
    )


__all__ = [
    "BetaVAEOptimum",
    "GaussianMixture",
    "LinearFit",
    "LinearGaussianTerms",
    "beta_vae_gap",
    "beta_vae_objective",
    "beta_vae_optimum",
    "fit_linear_beta_vae",
    "fit_linear_vae_matrix",
    "gaussian_mixture",
    "linear_gaussian_frontier",
    "linear_gaussian_mc",
    "linear_gaussian_posterior",
    "linear_gaussian_samples",
    "linear_gaussian_terms",
    "linear_vae_terms",
    "mixture_entropy",
    "mixture_log_density",
    "mixture_moments",
    "mixture_sample",
    "train_vaes",
    "vae_init",
    "vae_rate_distortion",
    "vae_terms",
]
