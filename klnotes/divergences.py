r"""Discrete and Gaussian divergences.

For distributions :math:`p, q` over the last axis,

.. math::

    I[p; q] = \sum_i p_i \log \frac{p_i}{q_i}, \qquad
    S(p) = -\sum_i p_i \log p_i, \qquad
    S(p, q) = -\sum_i p_i \log q_i = S(p) + I[p; q],

with the conventions :math:`0 \log 0 = 0` and :math:`I = +\infty` when some
:math:`q_i = 0 < p_i`. The book writes :math:`I[p; q]` (the source posts'
notation) for what is often written :math:`D_{\mathrm{KL}}(p \| q)`; ``p`` is
the real world and ``q`` the model.

Each function accepts NumPy or JAX arrays and returns the same kind; ``base``
selects nats, bits or decibans (see :mod:`klnotes.units`).
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np
import scipy.special as ssp

from ._validate import (
    as_float_array,
    is_jax,
    is_traced,
    probability_array,
    require_broadcast,
    require_distribution,
    require_finite,
    require_same_shape,
)
from .units import _per_nat


def _in_unit(value: Any, base: Any) -> Any:
    """``value`` (nats) in the unit ``base``; a bad unit is reported as ``base``."""
    return value * _per_nat(base, "base")


def _xlogy(x: Any, y: Any, use_jax: bool) -> Any:
    return jsp.xlogy(x, y) if use_jax else ssp.xlogy(x, y)


def _pair(p: Any, q: Any) -> tuple[Any, Any, bool]:
    use_jax = is_jax(p, q)
    p = as_float_array(p, "p")
    q = as_float_array(q, "q")
    require_distribution(p, "p")
    require_distribution(q, "q")
    require_same_shape(p, q, "p", "q")
    if use_jax:
        p, q = jnp.asarray(p), jnp.asarray(q)
    return p, q, use_jax


def entropy(p: Any, *, base: str = "nats") -> Any:
    r"""Shannon entropy :math:`S(p) = -\sum_i p_i \log p_i` over the last axis."""
    use_jax = is_jax(p)
    p = as_float_array(p, "p")
    require_distribution(p, "p")
    xp = jnp if use_jax else np
    return _in_unit(-xp.sum(_xlogy(p, p, use_jax), axis=-1), base)


def cross_entropy(p: Any, q: Any, *, base: str = "nats") -> Any:
    r"""Cross-entropy :math:`-\sum_i p_i \log q_i`; ``+inf`` if some ``q_i = 0 < p_i``."""
    p, q, use_jax = _pair(p, q)
    xp = jnp if use_jax else np
    return _in_unit(-xp.sum(_xlogy(p, q, use_jax), axis=-1), base)


def kl(p: Any, q: Any, *, base: str = "nats") -> Any:
    r"""KL divergence :math:`I[p;q] = \sum_i p_i \log(p_i/q_i)` over the last axis.

    ``0 log 0 = 0``, and the result is ``+inf`` where some ``q_i = 0 < p_i``.
    Leading axes broadcast as a batch.
    """
    p, q, use_jax = _pair(p, q)
    xp = jnp if use_jax else np
    terms = _xlogy(p, p, use_jax) - _xlogy(p, q, use_jax)
    return _in_unit(xp.sum(terms, axis=-1), base)


def _two_point(p: Any, use_jax: bool) -> Any:
    xp = jnp if use_jax else np
    return xp.stack([p, 1.0 - p], axis=-1)


def binary_entropy(p: Any, *, base: str = "nats") -> Any:
    r"""Entropy of a coin with bias ``p``: :math:`h(p) = -p\log p - (1-p)\log(1-p)`.

    Elementwise over ``p`` (probabilities in [0, 1]); :math:`h(0) = h(1) = 0`.
    It is :func:`entropy` of the two-point distribution :math:`(p, 1-p)`.
    """
    use_jax = is_jax(p)
    return entropy(_two_point(probability_array(p, "p"), use_jax), base=base)


def bernoulli_kl(p: Any, q: Any, *, base: str = "nats") -> Any:
    r""":math:`I[\mathrm{Bern}(p); \mathrm{Bern}(q)] = p\log\frac{p}{q} + (1-p)\log\frac{1-p}{1-q}`.

    Elementwise over broadcast ``p`` and ``q``; it is :func:`kl` of the
    two-point distributions, so ``+inf`` where ``q`` is 0 or 1 and ``p`` is not.
    """
    use_jax = is_jax(p, q)
    pa, qa = probability_array(p, "p"), probability_array(q, "q")
    require_broadcast({"p": pa, "q": qa})
    xp = jnp if use_jax else np
    pa, qa = xp.broadcast_arrays(pa, qa)
    return kl(_two_point(pa, use_jax), _two_point(qa, use_jax), base=base)


def _require_spd(cov: Any, name: str) -> None:
    if is_traced(cov):
        return
    c = np.asarray(cov)
    if not np.allclose(c, np.swapaxes(c, -1, -2), rtol=1e-10, atol=1e-12):
        raise ValueError(f"{name} is not symmetric")
    try:
        np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} is not positive-definite") from None


def gaussian_kl(
    mean_p: Any, cov_p: Any, mean_q: Any, cov_q: Any, *, base: str = "nats"
) -> Any:
    r"""Closed-form :math:`I[\mathcal N(\mu_p, \Sigma_p); \mathcal N(\mu_q, \Sigma_q)]`.

    .. math::

        \tfrac12\Big[\operatorname{tr}(\Sigma_q^{-1}\Sigma_p)
        + (\mu_q-\mu_p)^\top \Sigma_q^{-1} (\mu_q-\mu_p) - d
        + \log\frac{\det \Sigma_q}{\det \Sigma_p}\Big].

    Two conventions, the same for ``p`` and ``q``:

    * **elementwise univariate**: ``cov`` is a *variance* :math:`\sigma^2` (not
      :math:`\sigma`); means and variances are scalars or arrays that broadcast
      elementwise, and the result has their broadcast shape;
    * **multivariate**: a mean of shape ``(..., d)`` takes a covariance matrix of
      shape ``(..., d, d)``, symmetric positive-definite.

    Mixing them (a vector of variances for ``p`` and a covariance matrix for
    ``q``) is ambiguous and raises ValueError, as do non-finite entries,
    non-positive variances and mismatched shapes.
    """
    use_jax = is_jax(mean_p, cov_p, mean_q, cov_q)
    xp = jnp if use_jax else np
    mp = as_float_array(mean_p, "mean_p")
    mq = as_float_array(mean_q, "mean_q")
    cp = as_float_array(cov_p, "cov_p")
    cq = as_float_array(cov_q, "cov_q")
    for arr, nm in ((mp, "mean_p"), (mq, "mean_q"), (cp, "cov_p"), (cq, "cov_q")):
        require_finite(arr, nm)
    matrix_p = np.ndim(mp) >= 1 and np.ndim(cp) == np.ndim(mp) + 1
    matrix_q = np.ndim(mq) >= 1 and np.ndim(cq) == np.ndim(mq) + 1
    if matrix_p != matrix_q:
        # one side is a covariance matrix, the other elementwise variances
        (m_mat, c_mat), (m_var, c_var) = (
            (("mean_p", "cov_p"), ("mean_q", "cov_q"))
            if matrix_p
            else (("mean_q", "cov_q"), ("mean_p", "cov_p"))
        )
        shapes = {"mean_p": mp, "cov_p": cp, "mean_q": mq, "cov_q": cq}
        d = np.shape(shapes[m_mat])[-1]
        raise ValueError(
            f"{c_var} has shape {np.shape(shapes[c_var])}; expected (..., {d}, {d})"
            f" for means of dimension {d}: {c_mat} (shape"
            f" {np.shape(shapes[c_mat])}) is a covariance matrix for {m_mat}, so"
            f" {c_var} must be one too. Mixing a vector of variances with a"
            " covariance matrix is ambiguous; pass both as matrices (np.diag"
            " turns variances into one) or both as elementwise variances"
        )
    if matrix_p:
        # multivariate: means (..., d), covariances (..., d, d)
        d = np.shape(mp)[-1]
        require_same_shape(mp, mq, "mean_p", "mean_q")
        if d == 0:
            raise ValueError(
                f"mean_p is empty: a Gaussian needs dimension d >= 1, got shape {np.shape(mp)}"
            )
        for arr, nm in ((cp, "cov_p"), (cq, "cov_q")):
            if np.shape(arr)[-2:] != (d, d):
                raise ValueError(
                    f"{nm} has shape {np.shape(arr)}; expected (..., {d}, {d}) for means of dimension {d}"
                )
            _require_spd(arr, nm)
        require_broadcast({"mean_p": mp[..., None], "cov_p": cp, "cov_q": cq})
        if use_jax:
            mp, mq, cp, cq = map(jnp.asarray, (mp, mq, cp, cq))
        lq = xp.linalg.cholesky(cq)
        lp = xp.linalg.cholesky(cp)
        solve = (lambda a, b: jnp.linalg.solve(a, b)) if use_jax else np.linalg.solve
        m = solve(lq, lp)  # L_q^{-1} L_p
        trace = xp.sum(m**2, axis=(-2, -1))
        diff = (mq - mp)[..., None]
        y = solve(lq, diff)[..., 0]
        maha = xp.sum(y**2, axis=-1)
        logdet = 2 * (
            xp.sum(xp.log(xp.diagonal(lq, axis1=-2, axis2=-1)), axis=-1)
            - xp.sum(xp.log(xp.diagonal(lp, axis1=-2, axis2=-1)), axis=-1)
        )
        return _in_unit(0.5 * (trace + maha - d + logdet), base)
    # univariate: every argument broadcasts elementwise, covariances are variances
    for arr, nm in ((cp, "cov_p"), (cq, "cov_q")):
        if not is_traced(arr) and np.any(np.asarray(arr) <= 0):
            raise ValueError(
                f"{nm} (a variance) must be positive, got min {np.min(arr):.3g}"
            )
    require_broadcast({"mean_p": mp, "cov_p": cp, "mean_q": mq, "cov_q": cq})
    ratio = cp / cq
    return _in_unit(0.5 * (ratio + (mq - mp) ** 2 / cq - 1.0 - xp.log(ratio)), base)


def total_variation(p: Any, q: Any) -> Any:
    r"""Total variation distance :math:`\mathrm{TV}(p, q) = \tfrac12 \sum_i |p_i - q_i|`.

    Over the last axis; leading axes broadcast as a batch (NumPy or JAX, like
    :func:`kl`). It is the largest difference in probability that ``p`` and
    ``q`` give one event,

    .. math:: \mathrm{TV}(p, q) = \max_A\, \big(p(A) - q(A)\big) = p(A^*) - q(A^*),
        \qquad A^* = \{i : p_i > q_i\},

    because :math:`\sum_i (p_i - q_i) = 0` splits :math:`\sum_i |p_i - q_i|`
    into two equal halves. It lies in :math:`[0, 1]`, is 0 only for
    :math:`p = q` and 1 only for disjoint supports. Pinsker's inequality bounds
    it by the divergence: :math:`\mathrm{TV}(p, q) \le \sqrt{I[p; q] / 2}`
    (in nats).
    """
    p, q, use_jax = _pair(p, q)
    xp = jnp if use_jax else np
    return 0.5 * xp.sum(xp.abs(p - q), axis=-1)
