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

Five groups of functions:

* the **linear-Gaussian VAE**, :math:`x \sim \mathcal N(0, s^2)`, encoder
  :math:`\mathcal N(a x, v)`, prior :math:`\mathcal N(0, 1)`, decoder
  :math:`\mathcal N(b z, w)`: closed forms (:func:`linear_gaussian_terms`),
  the :math:`\beta`-VAE optimum (:func:`beta_vae_optimum`), Monte Carlo
  estimates (:func:`linear_gaussian_mc`) and gradient descent on the
  objective (:func:`fit_linear_beta_vae`);
* the optimal rate–distortion trade-off of a linear-Gaussian VAE with a
  fixed decoder variance on data of any covariance
  (:func:`linear_gaussian_frontier`), which on Gaussian data is the optimum
  over all VAEs;
* **importance-weighted bounds** :math:`L_K` (Burda, Grosse & Salakhutdinov
  2016): :func:`iwae_terms` from any log importance weights, the weights of
  the linear-Gaussian VAE (:func:`linear_gaussian_log_weights`,
  :func:`linear_gaussian_iwae`, with the limit of :math:`K(L_K - L)` in
  :func:`linear_gaussian_iwae_asymptote`) and of trained VAEs
  (:func:`vae_log_weights`, :func:`vae_iwae`);
* a small **nonlinear VAE** in JAX (two tanh MLPs) trained on 2-D data
  (:func:`train_vaes`, several data sets side by side), a Gaussian mixture
  whose differential entropy is computed by quadrature
  (:class:`GaussianMixture`, :func:`mixture_entropy`), with its rate and
  distortion (:func:`vae_rate_distortion`, :func:`vae_pointwise_terms`;
  :func:`vae_terms_gaussian` on Gaussian data, with control variates);
* the **likelihood of a trained VAE** with a 1-D or 2-D latent, by quadrature
  (:func:`vae_log_marginal`), the marginal gap :math:`L - H` to a 2-D mixture
  (:func:`mixture_vae_kl`, :func:`mixture_grid`, :func:`marginal_gap_on_grid`)
  and a test of the likelihood by prior sampling (:func:`vae_prior_ratio`).
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
    eig = vector(
        eigenvalues, "eigenvalues", what="the eigenvalues of the data covariance"
    )
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
    return _lg_samples_jit(key, s2, a, b, v, w, n=n)


def _normal_logpdf(x: jax.Array, mean: jax.Array, var: jax.Array) -> jax.Array:
    return -0.5 * (LOG_2PI + jnp.log(var) + (x - mean) ** 2 / var)


def _lg_samples(
    key: jax.Array, s2: float, a: float, b: float, v: float, w: float, n: int
) -> tuple[jax.Array, jax.Array]:
    kx, kz = jax.random.split(key)
    x = jnp.sqrt(s2) * jax.random.normal(kx, (n,))
    z = a * x + jnp.sqrt(v) * jax.random.normal(kz, (n,))
    d = -_normal_logpdf(x, b * z, w)
    r = _normal_logpdf(z, a * x, v) - _normal_logpdf(z, 0.0, 1.0)
    return d, r


_lg_samples_jit = jax.jit(_lg_samples, static_argnames="n")


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
        raise TypeError(f"init must be a tuple (a, b, v, w) of 4 numbers, got {init!r}")
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
    if (
        jnp.ndim(cov) != 2
        or jnp.shape(cov)[0] != jnp.shape(cov)[1]
        or jnp.size(cov) == 0
    ):
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
        raise ValueError(
            f"cov must be a non-empty square matrix, got shape {cov.shape}"
        )
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
    return _mixture_log_density_jit(
        jnp.asarray(mix.weights), jnp.asarray(mix.means), jnp.asarray(mix.scales), x
    )


@jax.jit
def _mixture_log_density_jit(
    weights: jax.Array, means: jax.Array, scales: jax.Array, x: jax.Array
) -> jax.Array:
    d = means.shape[1]
    sq = jnp.sum((x[..., None, :] - means) ** 2, axis=-1)  # (..., K)
    var = scales**2
    logs = jnp.log(weights) - 0.5 * d * jnp.log(2 * jnp.pi * var) - sq / (2 * var)
    return jax.scipy.special.logsumexp(logs, axis=-1)


def mixture_sample(mix: GaussianMixture, key: jax.Array, n: int) -> jax.Array:
    """``n`` draws from the mixture, shape ``(n, d)``."""
    mix = _require_mixture(mix)
    require_key(key, "key")
    n = whole_number(n, "n", 1)
    return _mixture_sample(
        jnp.asarray(mix.weights),
        jnp.asarray(mix.means),
        jnp.asarray(mix.scales),
        key,
        n,
    )


def _mixture_sample_core(
    weights: jax.Array, means: jax.Array, scales: jax.Array, key: jax.Array, n: int
) -> jax.Array:
    kc, kn = jax.random.split(key)
    comp = jax.random.choice(kc, weights.shape[0], (n,), p=weights)
    noise = jax.random.normal(kn, (n, means.shape[1]))
    return means[comp] + scales[comp, None] * noise


_mixture_sample_jit = jax.jit(_mixture_sample_core, static_argnames="n")


def _mixture_sample(
    weights: jax.Array, means: jax.Array, scales: jax.Array, key: jax.Array, n: int
) -> jax.Array:
    """Compiled once per ``n`` when called eagerly; inlined when already traced."""
    if is_traced(key):
        return _mixture_sample_core(weights, means, scales, key, n)
    return _mixture_sample_jit(weights, means, scales, key, n=n)


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


def _samplers(sample_data: Any, n_models: int) -> tuple[list[Callable], np.ndarray]:
    """One data sampler, or one per model: the distinct samplers and each model's index."""
    if callable(sample_data):
        return [sample_data], np.zeros(n_models, dtype=np.int32)
    if not isinstance(sample_data, (list, tuple)):
        raise TypeError(
            "sample_data must be a callable sample_data(key, n) or a list of them, one"
            f" per beta, got {type(sample_data).__name__}"
        )
    if len(sample_data) != n_models:
        raise ValueError(
            f"sample_data must hold one sampler per beta: got {len(sample_data)}"
            f" samplers for {n_models} betas"
        )
    distinct: list[Callable] = []
    index = np.empty(n_models, dtype=np.int32)
    for i, f in enumerate(sample_data):
        require_callable(f, f"sample_data[{i}]")
        for j, g in enumerate(distinct):
            if g is f:
                index[i] = j
                break
        else:
            index[i] = len(distinct)
            distinct.append(f)
    return distinct, index


def train_vaes(
    key: jax.Array,
    sample_data: Callable[[jax.Array, int], jax.Array] | list[Callable],
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
    :func:`jax.lax.scan`) and betas in :func:`jax.vmap`. ``sample_data`` is one
    sampler for every model, or a list with one sampler per ``beta`` (models of
    different data sets trained side by side; the samplers are selected with
    :func:`jax.lax.switch`). Every model starts from the same initial parameters
    and sees the same random keys. Returns the parameters (every leaf with a
    leading model axis) and the loss per step and model, shape
    ``(steps, n_betas)``.
    """
    require_key(key, "key")
    betas = jnp.asarray(_betas(betas))
    samplers, index = _samplers(sample_data, betas.shape[0])
    w = positive_scalar(w, "w")
    steps = whole_number(steps, "steps", 1)
    batch = whole_number(batch, "batch", 2)
    learning_rate = _learning_rate(learning_rate)
    hidden = whole_number(hidden, "hidden", 1)
    z_dim = whole_number(z_dim, "z_dim", 1)
    k_init, k_train = jax.random.split(key)
    shapes = {tuple(jnp.shape(f(k_init, batch))) for f in samplers}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(
            f"sample_data must return arrays of one shape (batch, d), got shapes {shapes}"
        )
    x_dim = int(next(iter(shapes))[1])
    params0 = vae_init(k_init, x_dim, z_dim, hidden)

    def draw(i: jax.Array, k: jax.Array) -> jax.Array:
        if len(samplers) == 1:
            return samplers[0](k, batch)
        branches = [lambda kk, f=f: f(kk, batch) for f in samplers]
        return jax.lax.switch(i, branches, k)

    keys = jax.random.split(k_train, steps)
    rates = cosine_decay(learning_rate, steps)

    def train_one(beta: jax.Array, i: jax.Array) -> tuple[Params, jax.Array]:
        def loss_at(params: Params, k: jax.Array) -> jax.Array:
            kx, kz = jax.random.split(k)
            d, r = vae_terms(params, kz, draw(i, kx), w)
            return jnp.mean(d + beta * r)

        return adam(loss_at, params0, keys, rates)

    params, losses = jax.jit(jax.vmap(train_one))(betas, jnp.asarray(index))
    return params, losses.T


def _pointwise_terms(
    params: Params, key: jax.Array, x: jax.Array, w: float
) -> tuple[jax.Array, jax.Array]:
    return jax.vmap(lambda p: vae_terms(p, key, x, w))(params)


_pointwise_terms_jit = jax.jit(_pointwise_terms)


def vae_pointwise_terms(
    params: Params, key: jax.Array, x: Any, w: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-example distortion and rate of each trained model, shape ``(models, n)``.

    :func:`vae_terms` for every model (``params`` with a leading model axis) at
    the same data ``x`` (shape ``(n, d)``) and the same encoder noise (drawn
    with ``key``), so that differences between models are paired. One compiled
    function serves every call with the same shapes.
    """
    params = _require_params(params, batch_dims=1)
    require_key(key, "key")
    x = _data_for(params, x)
    w = positive_scalar(w, "w")
    d, r = _pointwise_terms_jit(params, key, x, w)
    return np.asarray(d), np.asarray(r)


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
    d, r = _pointwise_terms_jit(params, key, x, w)
    d, r = np.asarray(d), np.asarray(r)
    return (
        [mc_estimate(row) for row in d],
        [mc_estimate(row) for row in r],
        [mc_estimate(row) for row in d + r],
    )


# ---------------------------------------------------------------------------
# Importance-weighted bounds (Burda, Grosse & Salakhutdinov 2016)
# ---------------------------------------------------------------------------


class IWAETerms(NamedTuple):
    r"""Per-example importance-weighted bounds, one row per number of samples.

    ``ks`` the numbers of samples :math:`K`; ``nll`` (shape ``(len(ks), ...)``)
    per example :math:`-\log\frac1K\sum_{j} w_j`, averaged over the disjoint
    blocks of :math:`K` draws that the sample holds (its mean over examples
    estimates :math:`L_K`); ``gap`` the same average of
    :math:`f(\hat w_K) = \hat w_K - 1 - \log \hat w_K` with
    :math:`\hat w_K = \frac1K\sum_j w_j / q(x)`, which estimates
    :math:`L_K - L` without the spread of :math:`\log q(x)` over examples
    (``None`` when :math:`q(x)` was not given).
    """

    ks: np.ndarray
    nll: np.ndarray
    gap: np.ndarray | None


def _ks(ks: Any, k_max: int | None = None) -> tuple[int, ...]:
    """Numbers of importance samples: a non-empty 1-D array of ints >= 1 (<= k_max)."""
    arr = np.asarray(ks)
    if arr.size == 0:
        raise ValueError("ks is empty: give at least one number of samples")
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.integer) and not np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(
            f"ks must be integers (numbers of samples), got dtype {arr.dtype}"
        )
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"ks must be a non-empty 1-D array of ints, got shape {arr.shape}"
        )
    if np.any(arr < 1):
        raise ValueError(f"ks must be at least 1, got {arr.min()}")
    if k_max is not None and np.any(arr > k_max):
        raise ValueError(
            f"ks must be at most the {k_max} draws per example, got {arr.max()}"
        )
    return tuple(int(k) for k in arr)


def _iwae_core(
    log_weights: jax.Array, ks: tuple[int, ...], log_marginal: jax.Array | None
) -> tuple[jax.Array, jax.Array | None]:
    k_max = log_weights.shape[-1]
    nll, gap = [], []
    for k in ks:
        m = k_max // k
        blocks = log_weights[..., : m * k].reshape(*log_weights.shape[:-1], m, k)
        lse = jax.scipy.special.logsumexp(blocks, axis=-1) - math.log(k)
        nll.append(-jnp.mean(lse, axis=-1))
        if log_marginal is not None:
            t = lse - log_marginal[..., None]  # log of the normalised weight
            gap.append(jnp.mean(jnp.expm1(t) - t, axis=-1))
    return jnp.stack(nll), (jnp.stack(gap) if log_marginal is not None else None)


_iwae_core_jit = jax.jit(_iwae_core, static_argnums=1)


def iwae_terms(log_weights: Any, ks: Any, log_marginal: Any = None) -> IWAETerms:
    r"""Importance-weighted bounds :math:`L_K` from log importance weights.

    ``log_weights`` has shape ``(..., k)``: for each example :math:`x`,
    :math:`\log w_j = \log q(z_j) + \log q(x|z_j) - \log p(z_j|x)` at ``k``
    independent draws :math:`z_j \sim p(z|x)` from the encoder. For each
    :math:`K` in ``ks`` the draws are cut into ``k // K`` disjoint blocks and

    .. math::

        L_K = \Big\langle -\log \frac1K \sum_{j=1}^K w_j \Big\rangle
        \;\ge\; L = \langle -\log q(x) \rangle ,

    (Burda, Grosse & Salakhutdinov 2016) is estimated per example by the
    average over blocks. :math:`L_1 = D + R`, :math:`L_K` decreases with
    :math:`K` and tends to :math:`L`. With ``log_marginal``
    (:math:`\log q(x)`, shape ``log_weights.shape[:-1]``) the function also
    returns :math:`L_K - L = \langle f(\hat w_K) \rangle` per example, where
    :math:`\hat w_K = \frac1K \sum_j w_j / q(x)` has mean one and
    :math:`f(t) = t - 1 - \log t \ge 0`.
    """
    lw = as_float_array(log_weights, "log_weights")
    if jnp.ndim(lw) < 1 or jnp.shape(lw)[-1] == 0:
        raise ValueError(
            f"log_weights must have shape (..., k) with k >= 1 draws, got {jnp.shape(lw)}"
        )
    require_finite(lw, "log_weights")
    ks_t = _ks(ks, int(jnp.shape(lw)[-1]))
    lm = None
    if log_marginal is not None:
        lm = as_float_array(log_marginal, "log_marginal")
        if jnp.shape(lm) != jnp.shape(lw)[:-1]:
            raise ValueError(
                f"log_marginal must have shape {jnp.shape(lw)[:-1]} (one log q(x) per"
                f" example), got {jnp.shape(lm)}"
            )
        require_finite(lm, "log_marginal")
        lm = jnp.asarray(lm)
    nll, gap = _iwae_core_jit(jnp.asarray(lw), ks_t, lm)
    return IWAETerms(
        np.array(ks_t), np.asarray(nll), None if gap is None else np.asarray(gap)
    )


def _lg_params(s2: Any, a: Any, b: Any, v: Any, w: Any) -> tuple[float, ...]:
    s2, v, w = (positive_scalar(t, nm) for t, nm in ((s2, "s2"), (v, "v"), (w, "w")))
    return s2, real_scalar(a, "a"), real_scalar(b, "b"), v, w


def _lg_log_weights(
    key: jax.Array, s2: float, a: float, b: float, v: float, w: float, n: int, k: int
) -> tuple[jax.Array, jax.Array]:
    kx, kz = jax.random.split(key)
    x = jnp.sqrt(s2) * jax.random.normal(kx, (n,))
    eps = jax.random.normal(kz, (n, k))
    z = a * x[:, None] + jnp.sqrt(v) * eps
    log_w = (
        -0.5 * (LOG_2PI + z**2)
        - 0.5 * (LOG_2PI + jnp.log(w))
        - (x[:, None] - b * z) ** 2 / (2 * w)
        + 0.5 * (LOG_2PI + jnp.log(v) + eps**2)
    )
    return x, log_w


_lg_log_weights_jit = jax.jit(_lg_log_weights, static_argnames=("n", "k"))


def linear_gaussian_log_weights(
    key: jax.Array, s2: float, a: float, b: float, v: float, w: float, n: int, k: int
) -> tuple[jax.Array, jax.Array]:
    r"""Data and log importance weights of the linear-Gaussian VAE.

    Draws :math:`x_i \sim \mathcal N(0, s^2)` (``n`` of them) and, for each,
    ``k`` encodings :math:`z_{ij} \sim \mathcal N(a x_i, v)`; returns ``x``
    (shape ``(n,)``) and
    :math:`\log w_{ij} = \log\mathcal N(z_{ij}; 0, 1) + \log\mathcal N(x_i; b z_{ij}, w)
    - \log\mathcal N(z_{ij}; a x_i, v)` (shape ``(n, k)``), whose exponential has
    mean :math:`q(x_i) = \mathcal N(x_i; 0, b^2 + w)` over the encoder.
    """
    require_key(key, "key")
    s2, a, b, v, w = _lg_params(s2, a, b, v, w)
    n = whole_number(n, "n", 1)
    k = whole_number(k, "k", 1)
    return _lg_log_weights_jit(key, s2, a, b, v, w, n=n, k=k)


def _lg_iwae(
    key: jax.Array,
    s2: float,
    a: float,
    b: float,
    v: float,
    w: float,
    n_chunks: int,
    chunk: int,
    ks: tuple[int, ...],
) -> tuple[jax.Array, jax.Array]:
    m2 = b * b + w

    def one(kc: jax.Array) -> tuple[jax.Array, jax.Array]:
        x, lw = _lg_log_weights(kc, s2, a, b, v, w, chunk, max(ks))
        log_q = -0.5 * (LOG_2PI + jnp.log(m2) + x**2 / m2)
        return _iwae_core(lw, ks, log_q)

    return jax.lax.map(one, jax.random.split(key, n_chunks))


_lg_iwae_jit = jax.jit(_lg_iwae, static_argnames=("n_chunks", "chunk", "ks"))


def linear_gaussian_iwae(
    key: jax.Array,
    s2: float,
    a: float,
    b: float,
    v: float,
    w: float,
    n: int,
    ks: Any,
    *,
    chunk: int = 1024,
) -> IWAETerms:
    r""":func:`iwae_terms` for ``n`` examples of the linear-Gaussian VAE, with the exact :math:`q(x)`.

    Each example gets ``max(ks)`` encoder draws (:func:`linear_gaussian_log_weights`);
    the examples are processed ``chunk`` at a time inside :func:`jax.lax.map`,
    so memory stays at ``chunk * max(ks)`` weights. ``gap`` uses the exact
    model marginal :math:`\log q(x) = \log \mathcal N(x; 0, b^2 + w)`.
    """
    require_key(key, "key")
    s2, a, b, v, w = _lg_params(s2, a, b, v, w)
    n = whole_number(n, "n", 2)
    ks_t = _ks(ks)
    chunk = whole_number(chunk, "chunk", 1)
    n_chunks = -(-n // chunk)
    nll, gap = _lg_iwae_jit(
        key, s2, a, b, v, w, n_chunks=n_chunks, chunk=chunk, ks=ks_t
    )
    nll = np.moveaxis(np.asarray(nll), 0, 1).reshape(len(ks_t), -1)[:, :n]
    gap = np.moveaxis(np.asarray(gap), 0, 1).reshape(len(ks_t), -1)[:, :n]
    return IWAETerms(np.array(ks_t), nll, gap)


def linear_gaussian_iwae_asymptote(s2: Any, a: Any, b: Any, v: Any, w: Any) -> Any:
    r"""The limit :math:`c = \lim_{K\to\infty} K\,(L_K - L)` for the linear-Gaussian VAE.

    With the encoder :math:`\mathcal N(ax, v)` as proposal and the model's
    posterior :math:`\mathcal N(gx, u)` (:func:`linear_gaussian_posterior`),
    :math:`c = \tfrac12 \langle \chi^2[q(z|x);\, p(z|x)] \rangle_{p(x)}`, half the
    average variance of the normalised importance weight:

    .. math::

        c = \frac12\Big(\frac{v}{\sqrt{u\,\big(2v - u - 2 s^2 (g - a)^2\big)}} - 1\Big),

    finite iff :math:`2v - u > 2s^2(g-a)^2`; ``inf`` otherwise (the weights
    then have infinite variance and :math:`L_K - L` falls more slowly than
    :math:`1/K`). Arguments broadcast.
    """
    s2 = positive_array(s2, "s2")
    v = positive_array(v, "v")
    w = positive_array(w, "w")
    a = finite_array(a, "a")
    b = finite_array(b, "b")
    require_broadcast({"s2": s2, "a": a, "b": b, "v": v, "w": w})
    s2, a, b, v, w = (np.asarray(t, dtype=np.float64) for t in (s2, a, b, v, w))
    g, u = b / (b**2 + w), w / (b**2 + w)
    denom = 2 * v - u - 2 * s2 * (g - a) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        c = 0.5 * (v / np.sqrt(u * np.where(denom > 0, denom, 1.0)) - 1)
    return np.where(denom > 0, c, np.inf)


# ---------------------------------------------------------------------------
# The nonlinear VAE: importance weights, the exact marginal by quadrature
# ---------------------------------------------------------------------------


def _data_for(params: Params, x: Any, name: str = "x") -> jax.Array:
    x = jnp.asarray(finite_array(x, name))
    x_dim = params["decoder"][-1][0].shape[-1]
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] != x_dim:
        raise ValueError(
            f"{name} must have shape (n, {x_dim}) with n >= 1 for these params,"
            f" got {x.shape}"
        )
    return x


def _log_marginal_arg(log_marginal: Any, params: Params, x: jax.Array) -> Any:
    """``log_marginal`` checked: one finite log q(x) per model and example, ``(models, n)``."""
    n_models = params["decoder"][0][0].shape[0]
    lm = as_float_array(log_marginal, "log_marginal")
    if jnp.shape(lm) != (n_models, x.shape[0]):
        raise ValueError(
            f"log_marginal must have shape ({n_models}, {x.shape[0]}) (one log q(x)"
            f" per model and example), got {jnp.shape(lm)}"
        )
    require_finite(lm, "log_marginal")
    return lm


def _encode(layers: Any, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    out = mlp(layers, x)
    z_dim = out.shape[-1] // 2
    return out[..., :z_dim], out[..., z_dim:]


def _log_weights_chunk(
    p: Params, key: jax.Array, x: jax.Array, w: jax.Array, k: int
) -> jax.Array:
    mu, logvar = _encode(p["encoder"], x)  # (c, z)
    eps = jax.random.normal(key, (x.shape[0], k, mu.shape[-1]))
    z = mu[:, None, :] + jnp.exp(0.5 * logvar)[:, None, :] * eps
    recon = mlp(p["decoder"], z)  # (c, k, d)
    d_dim, z_dim = x.shape[-1], mu.shape[-1]
    log_prior = -0.5 * z_dim * LOG_2PI - 0.5 * jnp.sum(z**2, axis=-1)
    log_dec = -0.5 * d_dim * (LOG_2PI + jnp.log(w)) - jnp.sum(
        (x[:, None, :] - recon) ** 2, axis=-1
    ) / (2 * w)
    log_enc = (
        -0.5 * z_dim * LOG_2PI
        - 0.5 * jnp.sum(logvar, axis=-1)[:, None]
        - 0.5 * jnp.sum(eps**2, axis=-1)
    )
    return log_prior + log_dec - log_enc


def _vae_log_weights(
    params: Params, key: jax.Array, x: jax.Array, w: float, k: int, per: int
) -> jax.Array:
    n = x.shape[0]
    n_chunks = -(-n // per)
    xs = jnp.concatenate([x, jnp.zeros((n_chunks * per - n, x.shape[1]))])
    xs = xs.reshape(n_chunks, per, x.shape[1])
    keys = jax.random.split(key, n_chunks)

    def per_model(p: Params) -> jax.Array:
        lw = jax.lax.map(lambda a: _log_weights_chunk(p, a[0], a[1], w, k), (keys, xs))
        return lw.reshape(n_chunks * per, k)[:n]

    return jax.lax.map(per_model, params)


_vae_log_weights_jit = jax.jit(_vae_log_weights, static_argnames=("k", "per"))


def vae_log_weights(
    params: Params, key: jax.Array, x: Any, w: float, k: int, *, chunk: int = 4096
) -> jax.Array:
    r"""Log importance weights of trained nonlinear VAEs, shape ``(models, n, k)``.

    For each model (``params`` with a leading model axis, from
    :func:`train_vaes`) and each example :math:`x_i` (``x`` of shape ``(n, d)``),
    ``k`` independent draws :math:`z_{ij} \sim p(z|x_i)` from the encoder and

    .. math:: \log w_{ij} = \log \mathcal N(z_{ij}; 0, I)
        + \log \mathcal N(x_i; f(z_{ij}), wI) - \log p(z_{ij}|x_i),

    whose exponential has mean :math:`q(x_i)` under the encoder. Evaluated
    about ``chunk`` decoder calls at a time (:func:`jax.lax.map`); every model
    sees the same draws of the encoder noise.
    """
    params = _require_params(params, batch_dims=1)
    require_key(key, "key")
    x = _data_for(params, x)
    w = positive_scalar(w, "w")
    k = whole_number(k, "k", 1)
    chunk = whole_number(chunk, "chunk", 1)
    return _vae_log_weights_jit(params, key, x, w, k=k, per=max(1, chunk // k))


def vae_iwae(
    params: Params,
    key: jax.Array,
    x: Any,
    w: float,
    ks: Any,
    *,
    log_marginal: Any = None,
    chunk: int = 4096,
) -> IWAETerms:
    r""":func:`iwae_terms` for trained nonlinear VAEs: rows ``(len(ks), models, n)``.

    ``max(ks)`` encoder draws per example (:func:`vae_log_weights`); with
    ``log_marginal`` (shape ``(models, n)``, e.g. from :func:`vae_log_marginal`)
    the low-variance estimate of :math:`L_K - L` is returned too.
    """
    ks_t = _ks(ks)
    if log_marginal is not None:  # checked before any draw is made
        params = _require_params(params, batch_dims=1)
        log_marginal = _log_marginal_arg(log_marginal, params, _data_for(params, x))
    lw = vae_log_weights(params, key, x, w, max(ks_t), chunk=chunk)
    return iwae_terms(lw, np.array(ks_t), log_marginal)


def _z_grid(z_dim: int, n_grid: int, half_width: float) -> tuple[jax.Array, float]:
    g = np.linspace(-half_width, half_width, n_grid)
    mesh = np.meshgrid(*([g] * z_dim), indexing="ij")
    return jnp.asarray(np.stack(mesh, -1).reshape(-1, z_dim)), z_dim * math.log(
        g[1] - g[0]
    )


def _log_marginal(
    params: Params, x: jax.Array, w: float, n_grid: int, half_width: float, per: int
) -> jax.Array:
    z_dim = params["decoder"][0][0].shape[-2]
    Z, log_cell = _z_grid(z_dim, n_grid, half_width)
    d_dim = x.shape[1]
    log_prior = -0.5 * z_dim * LOG_2PI - 0.5 * jnp.sum(Z**2, -1)
    const = log_prior + log_cell - 0.5 * d_dim * (LOG_2PI + jnp.log(w))
    n = x.shape[0]
    n_chunks = -(-n // per)
    xs = jnp.concatenate([x, jnp.zeros((n_chunks * per - n, d_dim))])
    xs = xs.reshape(n_chunks, per, d_dim)

    def per_model(p: Params) -> jax.Array:
        f = mlp(p["decoder"], Z)  # the decoder's means on the grid, (G, d)
        ff = jnp.sum(f**2, -1)

        def chunk_fn(xc: jax.Array) -> jax.Array:
            sq = jnp.sum(xc**2, -1)[:, None] - 2 * xc @ f.T + ff[None, :]
            return jax.scipy.special.logsumexp(const[None, :] - sq / (2 * w), axis=-1)

        return jax.lax.map(chunk_fn, xs).reshape(-1)[:n]

    return jax.lax.map(per_model, params)


_log_marginal_jit = jax.jit(
    _log_marginal, static_argnames=("n_grid", "half_width", "per")
)


def _grid_args(n_grid: Any, half_width: Any, z_dim: int) -> tuple[int, float]:
    if z_dim not in (1, 2):
        raise ValueError(
            f"params must have a latent of dimension 1 or 2 for a grid quadrature,"
            f" got {z_dim}"
        )
    return whole_number(n_grid, "n_grid", 3), positive_scalar(half_width, "half_width")


def vae_log_marginal(
    params: Params,
    x: Any,
    w: float,
    *,
    n_grid: int = 160,
    half_width: float = 5.5,
    chunk: int = 2**21,
) -> jax.Array:
    r"""The model's log-likelihood :math:`\log q(x)` by quadrature over the latent.

    .. math:: q(x) = \int \mathcal N(z; 0, I)\, \mathcal N(x; f(z), wI)\, dz

    by the trapezoidal rule on an ``n_grid``-point grid per latent axis over
    :math:`[-h, h]` (``h = half_width``), for a latent of dimension 1 or 2.
    The integrand is smooth, so the rule converges faster than any power of
    the spacing once the spacing resolves the model's posterior
    :math:`q(z|x)`; at the edges the prior is below :math:`e^{-h^2/2}` (the end
    corrections of the rule are dropped). The decoder is evaluated once on the
    grid and shared by every ``x``. ``params`` carries a leading model axis;
    returns shape ``(models, n)``. Independent of the encoder.
    """
    params = _require_params(params, batch_dims=1)
    x = _data_for(params, x)
    w = positive_scalar(w, "w")
    z_dim = params["decoder"][0][0].shape[-2]
    n_grid, half_width = _grid_args(n_grid, half_width, z_dim)
    chunk = whole_number(chunk, "chunk", 1)
    per = max(1, chunk // n_grid**z_dim)
    return _log_marginal_jit(
        params, x, w, n_grid=n_grid, half_width=half_width, per=per
    )


def _prior_ratio(
    params: Params,
    key: jax.Array,
    x: jax.Array,
    w: float,
    log_marginal: jax.Array,
    n: int,
    per: int,
) -> jax.Array:
    z_dim = params["decoder"][0][0].shape[-2]
    n_chunks = -(-n // per)
    keys = jax.random.split(key, n_chunks)
    d_dim = x.shape[1]

    def per_model(args: tuple[Params, jax.Array]) -> jax.Array:
        p, lm = args

        def chunk_fn(k: jax.Array) -> jax.Array:
            f = mlp(p["decoder"], jax.random.normal(k, (per, z_dim)))  # (per, d)
            sq = jnp.sum((f[:, None, :] - x[None, :, :]) ** 2, -1)  # (per, m)
            log_kernel = -0.5 * d_dim * (LOG_2PI + jnp.log(w)) - sq / (2 * w)
            return jnp.mean(jnp.exp(log_kernel - lm[None, :]), axis=1)

        return jax.lax.map(chunk_fn, keys).reshape(-1)[:n]

    return jax.lax.map(per_model, (params, log_marginal))


_prior_ratio_jit = jax.jit(_prior_ratio, static_argnames=("n", "per"))


def vae_prior_ratio(
    params: Params,
    key: jax.Array,
    x: Any,
    w: float,
    log_marginal: Any,
    n: int,
    *,
    chunk: int = 2**20,
) -> list[Estimate]:
    r"""Test a model likelihood :math:`\log q(x)` by sampling the prior.

    With :math:`z_j \sim \mathcal N(0, I)`, :math:`j = 1..n` (shared by all
    examples), each draw contributes the i.i.d. term

    .. math:: \psi_j = \frac1m \sum_{i=1}^m \frac{\mathcal N(x_i; f(z_j), wI)}{q(x_i)},

    whose mean is :math:`\frac1m\sum_i q_{\text{true}}(x_i)/q(x_i)`: one when
    ``log_marginal`` (shape ``(models, m)``) is the model's likelihood at the
    ``m`` examples ``x``. The kernel is bounded by :math:`(2\pi w)^{-d/2}`, so
    :math:`\psi` has finite variance whatever the posterior; the encoder is not
    used. Returns one :class:`~klnotes.montecarlo.Estimate` of the mean of
    :math:`\psi` per model.
    """
    params = _require_params(params, batch_dims=1)
    require_key(key, "key")
    x = _data_for(params, x)
    w = positive_scalar(w, "w")
    lm = _log_marginal_arg(log_marginal, params, x)
    n = whole_number(n, "n", 2)
    chunk = whole_number(chunk, "chunk", 1)
    per = max(1, min(n, chunk // x.shape[0]))
    psi = np.asarray(_prior_ratio_jit(params, key, x, w, jnp.asarray(lm), n=n, per=per))
    return [mc_estimate(row) for row in psi]


class MarginalGap(NamedTuple):
    r"""The marginal gap of each model and the model's mass on the quadrature box.

    ``kl`` is :math:`L - H = I[p(x);\, q(x)]`; ``q_mass`` is :math:`\int q(x)\,dx`
    over the box (at most one, and one up to the mass the model puts outside).
    """

    kl: np.ndarray
    q_mass: np.ndarray


def mixture_grid(
    mix: GaussianMixture, x_step: float = 0.3, pad: float = 7.0
) -> tuple[np.ndarray, float]:
    r"""A square grid covering a 2-D mixture, for the trapezoidal rule over :math:`x`.

    Spacing ``x_step`` on the box that reaches ``pad`` component standard
    deviations beyond the extreme means, where :math:`p` is below
    :math:`e^{-\text{pad}^2/2}` of its peak (so the end corrections of the rule
    are negligible). Returns the points, shape ``(m, 2)``, and the area of one
    cell, ``x_step ** 2``.
    """
    mix = _require_mixture(mix)
    if mix.means.shape[1] != 2:
        raise ValueError(
            f"mix must be a 2-D mixture for mixture_grid, got dimension {mix.means.shape[1]}"
        )
    x_step = positive_scalar(x_step, "x_step")
    pad = positive_scalar(pad, "pad")
    lo = mix.means.min(axis=0) - pad * mix.scales.max()
    hi = mix.means.max(axis=0) + pad * mix.scales.max()
    axes = [
        lo[i] + x_step * np.arange(int(np.ceil((hi[i] - lo[i]) / x_step)) + 1)
        for i in range(2)
    ]
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 2), x_step**2


def marginal_gap_on_grid(
    mix: GaussianMixture, points: Any, cell: float, log_marginal: Any
) -> MarginalGap:
    r""":math:`L - H = \int p \log(p/q)` and :math:`\int q` by the trapezoidal rule on a grid.

    ``points`` and ``cell`` from :func:`mixture_grid`; ``log_marginal`` is
    :math:`\log q` at the points, shape ``(models, m)`` (from
    :func:`vae_log_marginal`). Returns a :class:`MarginalGap`.
    """
    mix = _require_mixture(mix)
    pts = np.asarray(finite_array(points, "points"))
    if pts.ndim != 2 or pts.shape[1] != mix.means.shape[1] or pts.shape[0] == 0:
        raise ValueError(
            f"points must have shape (m, {mix.means.shape[1]}) with m >= 1, got {pts.shape}"
        )
    cell = positive_scalar(cell, "cell")
    lq = np.asarray(finite_array(log_marginal, "log_marginal"))
    if lq.ndim != 2 or lq.shape[1] != pts.shape[0]:
        raise ValueError(
            f"log_marginal must have shape (models, {pts.shape[0]}), got {lq.shape}"
        )
    log_p = np.asarray(mixture_log_density(mix, pts))
    return MarginalGap(
        np.sum(np.exp(log_p) * (log_p - lq), axis=-1) * cell,
        np.sum(np.exp(lq), axis=-1) * cell,
    )


def mixture_vae_kl(
    mix: GaussianMixture,
    params: Params,
    w: float,
    *,
    x_step: float = 0.3,
    pad: float = 7.0,
    n_grid: int = 160,
    half_width: float = 5.5,
) -> MarginalGap:
    r"""The marginal gap :math:`L - H = I[p(x);\, q(x)]` of each model, by quadrature.

    The data :math:`p` is a 2-D :class:`GaussianMixture`; :math:`q(x)` comes from
    :func:`vae_log_marginal`. The outer integral :math:`\int p \log(p/q)\,dx`
    is the trapezoidal rule on :func:`mixture_grid` (:func:`marginal_gap_on_grid`).
    :math:`q` is a Gaussian blur of width :math:`\sqrt w` of the decoder's means
    and :math:`p` a blur of width ``scales``, so the rule is spectrally accurate
    once ``x_step`` is well below both. Returns a :class:`MarginalGap` (each
    field of shape ``(models,)``).
    """
    mix = _require_mixture(mix)
    params = _require_params(params, batch_dims=1)
    x_dim, d = params["decoder"][-1][0].shape[-1], mix.means.shape[1]
    if x_dim != d:
        raise ValueError(
            f"params must model data of the dimension of mix ({d}), got a decoder"
            f" of output dimension {x_dim}"
        )
    points, cell = mixture_grid(mix, x_step, pad)
    log_q = vae_log_marginal(params, points, w, n_grid=n_grid, half_width=half_width)
    return marginal_gap_on_grid(mix, points, cell, log_q)


class GaussianDataTerms(NamedTuple):
    r"""Distortion, rate and objective :math:`D + \beta R` of each model, as Estimates."""

    distortion: list[Estimate]
    rate: list[Estimate]
    objective: list[Estimate]


def _cv_estimate(y: np.ndarray, design: np.ndarray) -> Estimate:
    """Mean of ``y`` with control variates: regress on zero-mean ``design`` columns."""
    X = np.column_stack([np.ones(len(y)), design])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    dof = len(y) - X.shape[1]
    return Estimate(
        float(coef[0]), float(np.sqrt(resid @ resid / dof / len(y))), len(y)
    )


def vae_terms_gaussian(
    params: Params, key: jax.Array, mean: Any, cov: Any, w: float, n: int, betas: Any
) -> GaussianDataTerms:
    r""":math:`D`, :math:`R` and :math:`D + \beta R` of trained VAEs on Gaussian data, with control variates.

    The data are :math:`x = m + C\xi` with :math:`CC^\top = \Sigma` (``mean``,
    ``cov``) and the encoder draws are :math:`z = \mu(x) + \sigma(x)\epsilon`,
    so every per-example term is a function of the standard normal vector
    :math:`u = (\xi, \epsilon)`. For a VAE near the linear-Gaussian optimum it
    is nearly a quadratic polynomial in :math:`u`, whose mean is known; so each
    estimate regresses the ``n`` per-example values on the monomials
    :math:`u_i` and :math:`u_i u_j - \delta_{ij}` (mean zero under the data) and
    reports the intercept, with the standard error of the residuals. The
    estimator is consistent whatever the model (an ordinary control-variate
    estimator, with an :math:`O(1/n)` bias from the fitted coefficients);
    only its variance depends on how nearly quadratic the terms are.
    ``params`` carries a leading model axis and ``betas`` one weight per model.
    """
    params = _require_params(params, batch_dims=1)
    require_key(key, "key")
    d_dim = params["decoder"][-1][0].shape[-1]
    z_dim = params["decoder"][0][0].shape[-2]
    n_models = params["decoder"][0][0].shape[0]
    mean = vector(mean, "mean", what="the data mean")
    if mean.size != d_dim:
        raise ValueError(
            f"mean must have length {d_dim} for these params, got {mean.size} entries"
        )
    cov = np.asarray(finite_array(cov, "cov"))
    if cov.shape != (d_dim, d_dim):
        raise ValueError(f"cov must have shape ({d_dim}, {d_dim}), got {cov.shape}")
    if not np.allclose(cov, cov.T) or np.min(np.linalg.eigvalsh(cov)) <= 0:
        raise ValueError("cov must be symmetric positive-definite")
    w = positive_scalar(w, "w")
    n = whole_number(n, "n", 64)
    betas = _betas(betas)
    if betas.size != n_models:
        raise ValueError(
            f"betas must hold one weight per model ({n_models}), got {betas.size}"
        )
    kx, ke = jax.random.split(key)
    xi = jax.random.normal(kx, (n, d_dim))
    eps = jax.random.normal(ke, (n, z_dim))
    x = jnp.asarray(mean) + xi @ jnp.asarray(np.linalg.cholesky(cov)).T
    d, r = _gaussian_terms_jit(params, x, eps, w)
    u = np.concatenate([np.asarray(xi), np.asarray(eps)], axis=1)
    m = u.shape[1]
    design = np.column_stack(
        [u] + [u[:, i] * u[:, j] - (i == j) for i in range(m) for j in range(i, m)]
    )
    d, r = np.asarray(d), np.asarray(r)
    return GaussianDataTerms(
        [_cv_estimate(row, design) for row in d],
        [_cv_estimate(row, design) for row in r],
        [_cv_estimate(dr + b * rr, design) for dr, rr, b in zip(d, r, betas)],
    )


@jax.jit
def _gaussian_terms_jit(
    params: Params, x: jax.Array, eps: jax.Array, w: float
) -> tuple[jax.Array, jax.Array]:
    def one(p: Params) -> tuple[jax.Array, jax.Array]:
        mu, logvar = _encode(p["encoder"], x)
        recon = mlp(p["decoder"], mu + jnp.exp(0.5 * logvar) * eps)
        d_dim = x.shape[-1]
        distortion = 0.5 * d_dim * (LOG_2PI + jnp.log(w)) + jnp.sum(
            (x - recon) ** 2, -1
        ) / (2 * w)
        rate = 0.5 * jnp.sum(jnp.exp(logvar) + mu**2 - 1 - logvar, -1)
        return distortion, rate

    return jax.lax.map(one, params)


__all__ = [
    "BetaVAEOptimum",
    "GaussianDataTerms",
    "GaussianMixture",
    "IWAETerms",
    "LinearFit",
    "LinearGaussianTerms",
    "MarginalGap",
    "beta_vae_gap",
    "beta_vae_objective",
    "beta_vae_optimum",
    "fit_linear_beta_vae",
    "fit_linear_vae_matrix",
    "gaussian_mixture",
    "iwae_terms",
    "linear_gaussian_frontier",
    "linear_gaussian_iwae",
    "linear_gaussian_iwae_asymptote",
    "linear_gaussian_log_weights",
    "linear_gaussian_mc",
    "linear_gaussian_posterior",
    "linear_gaussian_samples",
    "linear_gaussian_terms",
    "linear_vae_terms",
    "marginal_gap_on_grid",
    "mixture_entropy",
    "mixture_grid",
    "mixture_log_density",
    "mixture_moments",
    "mixture_sample",
    "mixture_vae_kl",
    "train_vaes",
    "vae_init",
    "vae_iwae",
    "vae_log_marginal",
    "vae_log_weights",
    "vae_pointwise_terms",
    "vae_prior_ratio",
    "vae_rate_distortion",
    "vae_terms",
    "vae_terms_gaussian",
]
