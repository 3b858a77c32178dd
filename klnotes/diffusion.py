r"""The variational diffusion loss: schedules, losses, Gaussian closed forms, a tiny model.

Everything follows the variance-preserving parameterisation of Kingma et al.
(VDM) through a monotone function :math:`\gamma(t)` on :math:`t \in [0, 1]`:

.. math::

    \alpha_t^2 = \operatorname{sigmoid}(-\gamma_t), \qquad
    \sigma_t^2 = \operatorname{sigmoid}(\gamma_t), \qquad
    \mathrm{SNR}(t) = \alpha_t^2 / \sigma_t^2 = e^{-\gamma_t},

and the forward marginals are :math:`p(z_t \mid x) = \mathcal N(\alpha_t x, \sigma_t^2 I)`.

A *denoiser* is a callable ``denoiser(z, gamma) -> x_hat`` with ``z`` of shape
``(n, d)`` and ``gamma`` of shape ``(n,)``; it predicts the clean ``x`` from
the noisy ``z``. A *decoder* is a callable ``decoder(z0) -> (mean, var)``
giving the Gaussian :math:`q(x \mid z_0) = \mathcal N(\text{mean}, \text{var})`
elementwise. The default decoder is the data-agnostic
:math:`\mathcal N(z_0/\alpha_0,\ \sigma_0^2/\alpha_0^2) = \mathcal N(z_0/\alpha_0,\ e^{\gamma_0})`.

Every loss returns a :class:`DiffusionLoss`: per-example prior, reconstruction
and diffusion terms in nats (summed over dimensions), with means in nats and in
bits per dimension. The loss is an upper bound on :math:`-\log q(x)`:

.. math::

    \underbrace{I[p(z_1\mid x); \mathcal N(0, I)]}_{\text{prior}}
    + \underbrace{\langle -\log q(x\mid z_0)\rangle}_{\text{reconstruction}}
    + \underbrace{\sum_{i=1}^T \tfrac12 (\mathrm{SNR}_{s_i} - \mathrm{SNR}_{t_i})
        \langle \lVert x - \hat x(z_{t_i}) \rVert^2\rangle}_{\text{diffusion}},

with :math:`s_i = (i-1)/T`, :math:`t_i = i/T`; as :math:`T \to \infty` the
diffusion term becomes :math:`-\tfrac12 \int_0^1 \mathrm{SNR}'(t)\,
\langle\lVert x - \hat x(z_t)\rVert^2\rangle\, dt`.

The per-example terms at *given* noise and times, :func:`prior_term`,
:func:`reconstruction_term`, :func:`diffusion_term` (continuous time) and
:func:`step_term` (one step of :math:`T`), are what every loss is built from;
they take their random inputs as arguments, so another implementation can be
compared with them on identical inputs (``tests/test_vdm_peer.py`` does so
with the official VDM code). :func:`losses_against_steps` evaluates the
continuous-time loss and :math:`T`-step losses on the same draws, so their
differences are estimated with little variance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import nn
from ._validate import (
    as_float_array,
    choice,
    finite_array,
    is_traced,
    positive_scalar,
    real_scalar,
    require_broadcast,
    require_callable,
    require_finite,
    require_key,
    require_layers,
    whole_number,
)
from .distributions import gaussian_log_density
from .montecarlo import Estimate, mc_estimate

Denoiser = Callable[[jax.Array, jax.Array], jax.Array]
Decoder = Callable[[jax.Array], tuple[jax.Array, jax.Array]]

LN2 = math.log(2.0)

# ---------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------


def _xp(*xs: Any) -> Any:
    """``jax.numpy`` if any argument is a JAX array (or tracer), else ``numpy``.

    Closed forms then run in NumPy (no per-shape compilation) and the same code
    traces inside ``jit``.
    """
    return jnp if any(isinstance(x, jax.Array) for x in xs) else np


def _sigmoid(x: Any, xp: Any) -> Any:
    return 1.0 / (1.0 + xp.exp(-x))


def _cosine_shape(u: Any, t0: float, t1: float, xp: Any) -> Any:
    # gamma of the cosine schedule, alpha = cos(pi t / 2): gamma = 2 log tan(pi t / 2)
    return 2.0 * xp.log(xp.tan(0.5 * np.pi * (t0 + (t1 - t0) * u)))


@dataclass(frozen=True)
class Schedule:
    r"""A noise schedule :math:`\gamma(t)`, increasing from ``gamma_min`` at
    :math:`t=0` to ``gamma_max`` at :math:`t=1`.

    ``kind`` is ``"linear"``, ``"cosine"`` or ``"power"``; ``param`` holds the
    power of the ``"power"`` kind. Build schedules with :func:`linear_schedule`,
    :func:`cosine_schedule` and :func:`power_schedule`. Frozen and hashable, so
    it can be a static argument of ``jax.jit``.
    """

    kind: str
    gamma_min: float
    gamma_max: float
    param: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str):
            raise TypeError(
                "kind must be 'linear', 'cosine' or 'power', got"
                f" {type(self.kind).__name__}"
            )
        if self.kind not in ("linear", "cosine", "power"):
            raise ValueError(
                f"kind must be 'linear', 'cosine' or 'power', got {self.kind!r}"
            )
        for name in ("gamma_min", "gamma_max", "param"):
            v = getattr(self, name)
            if isinstance(v, (np.ndarray, jax.Array)) and np.ndim(v) == 0:
                v = np.asarray(v).item()
            if isinstance(v, (bool, np.bool_)) or not isinstance(
                v, (int, float, np.integer, np.floating)
            ):
                raise TypeError(
                    f"{name} must be a finite number, got {type(v).__name__}"
                )
            if not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number, got {v!r}")
            # plain floats keep the schedule hashable and equal across input types
            object.__setattr__(self, name, float(v))
        if not self.gamma_min < self.gamma_max:
            raise ValueError(
                f"gamma_min must be < gamma_max (noise must increase), got {self.gamma_min} and {self.gamma_max}"
            )
        if self.kind == "power" and not self.param > 0:
            raise ValueError(
                f"param (the power of a power schedule) must be positive, got {self.param}"
            )

    def gamma(self, t: Any) -> Any:
        r""":math:`\gamma(t)`, elementwise, for :math:`t \in [0, 1]` (NumPy in, NumPy out; JAX in, JAX out).

        Concrete ``t`` must be finite and lie in [0, 1]; traced ``t`` is not checked.
        """
        xp = _xp(t)
        t = _times(t)
        g0, g1 = self.gamma_min, self.gamma_max
        if self.kind == "linear":
            return g0 + (g1 - g0) * t
        if self.kind == "power":
            return g0 + (g1 - g0) * t**self.param
        t0 = 2.0 / math.pi * math.atan(math.exp(g0 / 2.0))
        t1 = 2.0 / math.pi * math.atan(math.exp(g1 / 2.0))
        return _cosine_shape(t, t0, t1, xp)

    def gamma_prime(self, t: Any) -> jax.Array:
        r""":math:`\gamma'(t)` by automatic differentiation, elementwise."""
        t = jnp.asarray(_times(t), dtype=jnp.float64)
        flat = jax.vmap(jax.grad(lambda u: self.gamma(u)))(t.ravel())
        return flat.reshape(t.shape)

    def alpha2(self, t: Any) -> Any:
        r""":math:`\alpha_t^2 = \operatorname{sigmoid}(-\gamma_t)`."""
        return _sigmoid(-self.gamma(t), _xp(t))

    def sigma2(self, t: Any) -> Any:
        r""":math:`\sigma_t^2 = \operatorname{sigmoid}(\gamma_t)`."""
        return _sigmoid(self.gamma(t), _xp(t))

    def snr(self, t: Any) -> Any:
        r""":math:`\mathrm{SNR}(t) = e^{-\gamma_t}`."""
        return _xp(t).exp(-self.gamma(t))


def _times(t: Any) -> Any:
    """Times ``t`` in [0, 1]: a float array (NumPy or JAX), checked when concrete."""
    t = as_float_array(t, "t")
    if not is_traced(t):
        require_finite(t, "t")
        a = np.asarray(t)
        if np.any((a < 0) | (a > 1)):
            raise ValueError(
                f"t must lie in [0, 1], got values in [{a.min():.3g}, {a.max():.3g}]"
            )
    return t


def _ends(gamma_min: Any, gamma_max: Any) -> tuple[float, float]:
    return real_scalar(gamma_min, "gamma_min"), real_scalar(gamma_max, "gamma_max")


def linear_schedule(gamma_min: float = -13.3, gamma_max: float = 5.0) -> Schedule:
    r"""The linear schedule :math:`\gamma(t) = \gamma_{\min} + (\gamma_{\max}-\gamma_{\min})\,t`."""
    return Schedule("linear", *_ends(gamma_min, gamma_max))


def cosine_schedule(gamma_min: float = -13.3, gamma_max: float = 5.0) -> Schedule:
    r"""The cosine schedule (:math:`\alpha = \cos(\pi u/2)`, so :math:`\gamma = 2\log\tan(\pi u/2)`),
    with :math:`u` mapped affinely from :math:`[0,1]` onto the interval where
    :math:`\gamma` runs from ``gamma_min`` to ``gamma_max``. Same endpoints as
    :func:`linear_schedule`, different path."""
    return Schedule("cosine", *_ends(gamma_min, gamma_max))


def power_schedule(
    gamma_min: float = -13.3, gamma_max: float = 5.0, power: float = 2.0
) -> Schedule:
    r""":math:`\gamma(t) = \gamma_{\min} + (\gamma_{\max}-\gamma_{\min})\,t^{p}` with ``power`` :math:`p > 0`."""
    power = positive_scalar(power, "power")
    return Schedule("power", *_ends(gamma_min, gamma_max), power)


def _require_schedule(schedule: Any) -> Schedule:
    if not isinstance(schedule, Schedule):
        raise TypeError(
            f"schedule must be a klnotes.diffusion.Schedule, got {type(schedule).__name__}"
        )
    return schedule


def _require_steps(T: Any) -> int:
    return whole_number(T, "T", 1)


def step_gammas(schedule: Schedule, T: int) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`(\gamma(s_i), \gamma(t_i))` for the :math:`T` steps :math:`s_i=(i-1)/T`, :math:`t_i=i/T`."""
    schedule = _require_schedule(schedule)
    T = _require_steps(T)
    i = np.arange(1, T + 1, dtype=np.float64)
    return schedule.gamma((i - 1) / T), schedule.gamma(i / T)


def snr_difference(gamma_s: Any, gamma_t: Any) -> Any:
    r""":math:`\mathrm{SNR}(s) - \mathrm{SNR}(t) = e^{-\gamma_s} - e^{-\gamma_t}`, computed
    stably as :math:`-e^{-\gamma_s}\,\operatorname{expm1}(\gamma_s - \gamma_t)`."""
    xp = _xp(gamma_s, gamma_t)
    gs, gt = finite_array(gamma_s, "gamma_s"), finite_array(gamma_t, "gamma_t")
    require_broadcast({"gamma_s": gs, "gamma_t": gt})
    gs, gt = xp.asarray(gs), xp.asarray(gt)
    return -xp.exp(-gs) * xp.expm1(gs - gt)


# ---------------------------------------------------------------------------
# The result type
# ---------------------------------------------------------------------------

TERMS = ("prior", "reconstruction", "diffusion", "total")


@dataclass(frozen=True)
class DiffusionLoss:
    r"""The three terms of the diffusion bound, in nats, summed over ``dim`` dimensions.

    Each field is either one number (an exact expectation) or a 1-D array with
    one unbiased per-example value (a Monte Carlo loss). :meth:`nats` and
    :meth:`bits_per_dim` give the means; bits per dimension are nats divided by
    :math:`d \ln 2`. For continuous data these are *differential* quantities
    and may be negative.
    """

    prior: np.ndarray
    reconstruction: np.ndarray
    diffusion: np.ndarray
    dim: int

    def __post_init__(self) -> None:
        whole_number(self.dim, "dim", 1)
        object.__setattr__(self, "dim", int(self.dim))
        shapes = set()
        for name in TERMS[:3]:
            arr = np.asarray(as_float_array(getattr(self, name), name))
            if arr.ndim > 1:
                raise ValueError(
                    f"{name} must be a number or a 1-D array of per-example values, got shape {arr.shape}"
                )
            if arr.ndim == 1 and arr.size == 0:
                raise ValueError(f"{name} is empty: it needs at least one example")
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} has non-finite entries (NaN or inf)")
            object.__setattr__(self, name, arr)
            shapes.add(arr.shape)
        if len(shapes) > 1 and () not in shapes:
            raise ValueError(
                f"prior, reconstruction and diffusion have different shapes: {sorted(shapes)}"
            )

    @property
    def total(self) -> np.ndarray:
        """prior + reconstruction + diffusion (per example, or one number)."""
        return self.prior + self.reconstruction + self.diffusion

    def nats(self) -> dict[str, float]:
        """Mean of each term and of the total, in nats."""
        return {name: float(np.mean(getattr(self, name))) for name in TERMS}

    def bits_per_dim(self) -> dict[str, float]:
        """Mean of each term and of the total, in bits per dimension."""
        return {name: v / (self.dim * LN2) for name, v in self.nats().items()}

    def estimate(self, term: str = "total", unit: str = "nats") -> Estimate:
        """The Monte Carlo estimate (mean ± standard error) of one term.

        ``unit`` is ``"nats"`` or ``"bpd"`` (bits per dimension). Only for losses
        that carry per-example values.
        """
        term = choice(term, "term", TERMS)
        unit = choice(unit, "unit", ("nats", "bpd"))
        values = np.broadcast_to(
            getattr(self, term),
            np.broadcast_shapes(self.prior.shape, self.diffusion.shape),
        )
        if values.ndim != 1:
            raise ValueError(
                "this loss holds exact expectations, not per-example values, so no"
                f" term (here {term!r}) has a standard error"
            )
        est = mc_estimate(np.asarray(values))
        return est if unit == "nats" else est.scaled(1.0 / (self.dim * LN2))

    def __str__(self) -> str:
        n, b = self.nats(), self.bits_per_dim()
        return "  ".join(f"{k}: {n[k]:.5f} nats ({b[k]:.4f} bpd)" for k in TERMS)


# ---------------------------------------------------------------------------
# The losses
# ---------------------------------------------------------------------------


def _check_data(x: Any) -> jax.Array:
    arr = as_float_array(x, "x")
    if np.ndim(arr) != 2:
        raise ValueError(
            f"x must have shape (n, d): n examples of dimension d, got shape {np.shape(arr)}"
        )
    if np.shape(arr)[0] < 2:
        raise ValueError(
            f"x needs at least 2 examples for a standard error, got {np.shape(arr)[0]}"
        )
    require_finite(arr, "x")
    return jnp.asarray(arr)


def _check_key(key: Any) -> None:
    require_key(key, "key")


def _check_callable(f: Any, name: str) -> None:
    require_callable(f, name)


def _check_decoder(decoder: Any) -> None:
    if decoder is not None:
        require_callable(decoder, "decoder")


def _traced_data(x: Any) -> Any:
    """Data ``(n, d)`` for the traceable terms: shape always, finiteness when concrete."""
    x = as_float_array(x, "x")
    if jnp.ndim(x) != 2:
        raise ValueError(
            f"x must have shape (n, d): n examples of dimension d, got shape {jnp.shape(x)}"
        )
    require_finite(x, "x")
    return jnp.asarray(x)


def rescaled_decoder(schedule: Schedule) -> Decoder:
    r"""The default decoder :math:`q(x\mid z_0) = \mathcal N(z_0/\alpha_0,\ e^{\gamma_0})`.

    It knows nothing about the data: it undoes the scaling of :math:`z_0` and
    keeps the noise, :math:`\sigma_0^2/\alpha_0^2 = e^{\gamma_0}`.
    """
    schedule = _require_schedule(schedule)
    g0 = schedule.gamma_min

    def decoder(z0: jax.Array) -> tuple[jax.Array, jax.Array]:
        return z0 / jnp.sqrt(jax.nn.sigmoid(-g0)), jnp.full_like(z0, math.exp(g0))

    return decoder


def prior_term(x: Any, schedule: Schedule) -> Any:
    r"""Per example :math:`I[\mathcal N(\alpha_1 x, \sigma_1^2 I); \mathcal N(0, I)]
    = \tfrac12\sum_j(\sigma_1^2 + \alpha_1^2 x_j^2 - 1 - \log\sigma_1^2)`, exactly.

    ``x`` has shape ``(..., d)``; NumPy in, NumPy out; JAX (also traced) in, JAX out.
    """
    schedule = _require_schedule(schedule)
    use_jax = isinstance(x, jax.Array)
    x = as_float_array(x, "x")
    if jnp.ndim(x) == 0:
        raise ValueError(
            "x must have at least one axis (the dimensions d), got a scalar"
        )
    require_finite(x, "x")
    if use_jax:
        x = jnp.asarray(x)
    g1 = schedule.gamma_max
    a2, s2 = 1.0 / (1.0 + math.exp(g1)), 1.0 / (1.0 + math.exp(-g1))
    return 0.5 * _xp(x).sum(s2 + a2 * x**2 - 1.0 - math.log(s2), axis=-1)


def _noise_like(eps: Any, x: jax.Array, name: str) -> jax.Array:
    """Standard-normal draws ``eps`` of the same shape as ``x`` (finite when concrete)."""
    eps = as_float_array(eps, name)
    if jnp.shape(eps) != jnp.shape(x):
        raise ValueError(
            f"{name} must have the shape of x, {jnp.shape(x)}, got shape {jnp.shape(eps)}"
        )
    require_finite(eps, name)
    return jnp.asarray(eps)


def _per_example(v: Any, x: jax.Array, name: str) -> jax.Array:
    """One value per example: shape ``(n,)`` for data of shape ``(n, d)``."""
    v = as_float_array(v, name)
    if jnp.shape(v) != (jnp.shape(x)[0],):
        raise ValueError(
            f"{name} must have shape (n,) = ({jnp.shape(x)[0]},), one value per example"
            f" of x, got shape {jnp.shape(v)}"
        )
    return jnp.asarray(v)


def _noisy_from(x: jax.Array, eps: jax.Array, gamma: jax.Array) -> jax.Array:
    r""":math:`z = \alpha x + \sigma\epsilon` with :math:`\alpha^2 = \operatorname{sigmoid}(-\gamma)`, per example."""
    g = gamma[:, None]
    return jnp.sqrt(jax.nn.sigmoid(-g)) * x + jnp.sqrt(jax.nn.sigmoid(g)) * eps


def _noisy(key: jax.Array, x: jax.Array, gamma: jax.Array) -> jax.Array:
    return _noisy_from(x, jax.random.normal(key, x.shape), gamma)


def _sq_error(x: jax.Array, z: jax.Array, gamma: jax.Array, denoiser: Denoiser) -> Any:
    x_hat = denoiser(z, gamma)
    if jnp.shape(x_hat) != jnp.shape(x):
        raise ValueError(
            f"denoiser must return x_hat of the shape of z, {jnp.shape(x)}, got shape"
            f" {jnp.shape(x_hat)}"
        )
    return jnp.sum((x - x_hat) ** 2, axis=-1)


def reconstruction_term(
    x: Any, eps: Any, schedule: Schedule, decoder: Decoder | None = None
) -> jax.Array:
    r"""Per-example :math:`-\log q(x \mid z_0)` at :math:`z_0 = \alpha_0 x + \sigma_0\epsilon`, in nats.

    ``x`` and ``eps`` have shape ``(n, d)``; ``decoder`` defaults to
    :func:`rescaled_decoder`. The density is Gaussian, summed over the ``d``
    coordinates (continuous data). Traceable: shapes are checked always,
    values when concrete.
    """
    x = _traced_data(x)
    eps = _noise_like(eps, x, "eps")
    schedule = _require_schedule(schedule)
    _check_decoder(decoder)
    decoder = rescaled_decoder(schedule) if decoder is None else decoder
    g0 = schedule.gamma_min
    z0 = (
        math.sqrt(1.0 / (1.0 + math.exp(g0))) * x
        + math.sqrt(1.0 / (1.0 + math.exp(-g0))) * eps
    )
    mean, var = decoder(z0)
    return -jnp.sum(gaussian_log_density(x, mean, var), axis=-1)


def _reconstruction(
    key: jax.Array, x: jax.Array, schedule: Schedule, decoder: Decoder
) -> jax.Array:
    return reconstruction_term(x, jax.random.normal(key, x.shape), schedule, decoder)


def diffusion_term(
    x: Any, eps: Any, t: Any, schedule: Schedule, denoiser: Denoiser
) -> jax.Array:
    r"""Per-example continuous-time diffusion term at given times and noise, in nats:

    .. math:: \tfrac12\,\gamma'(t)\,e^{-\gamma_t}\,\lVert x - \hat x(z_t, \gamma_t)\rVert^2,
        \qquad z_t = \alpha_t x + \sigma_t \epsilon .

    With :math:`t \sim U(0, 1)` and :math:`\epsilon \sim \mathcal N(0, I)` it
    is unbiased for :math:`-\tfrac12\int_0^1 \mathrm{SNR}'(t)\langle\lVert x -
    \hat x\rVert^2\rangle\,dt`. ``x``, ``eps``: shape ``(n, d)``; ``t``: shape
    ``(n,)`` in [0, 1]. Traceable: shapes are checked always, values when concrete.
    """
    x = _traced_data(x)
    eps = _noise_like(eps, x, "eps")
    t = _per_example(t, x, "t")
    schedule = _require_schedule(schedule)
    _check_callable(denoiser, "denoiser")
    g = schedule.gamma(t)
    weight = 0.5 * schedule.gamma_prime(t) * jnp.exp(-g)
    return weight * _sq_error(x, _noisy_from(x, eps, g), g, denoiser)


def _steps(i: Any, x: jax.Array, T: int) -> jax.Array:
    """Step indices ``i`` in 1..T, one per example (whole numbers, checked when concrete)."""
    i = _per_example(i, x, "i")
    if not is_traced(i):
        require_finite(i, "i")
        a = np.asarray(i)
        if np.any(a != np.round(a)) or np.any((a < 1) | (a > T)):
            raise ValueError(
                f"i must hold whole step numbers in 1..T = 1..{T}, got values in"
                f" [{a.min():.6g}, {a.max():.6g}]"
            )
    return i


def step_term(
    x: Any, eps: Any, i: Any, schedule: Schedule, denoiser: Denoiser, T: int
) -> jax.Array:
    r"""Per-example contribution of step :math:`i` of the :math:`T`-step bound, in nats:

    .. math:: \tfrac12\,\big(\mathrm{SNR}(s_i) - \mathrm{SNR}(t_i)\big)\,
        \lVert x - \hat x(z_{t_i}, \gamma_{t_i})\rVert^2, \qquad
        s_i = \tfrac{i-1}{T},\ t_i = \tfrac iT,\ z_{t_i} = \alpha_{t_i} x + \sigma_{t_i}\epsilon .

    The denoiser sees the *later* (noisier) latent :math:`z_{t_i}`, the one the
    reverse step :math:`q(z_{s_i}\mid z_{t_i})` conditions on. Summed over
    :math:`i = 1..T` and averaged over :math:`\epsilon` it is the diffusion term
    of the bound; :math:`T` times the term at a uniformly random :math:`i` is
    an unbiased single-step estimate. ``i``: shape ``(n,)``, whole numbers in
    1..T. Traceable: shapes are checked always, values when concrete.
    """
    x = _traced_data(x)
    eps = _noise_like(eps, x, "eps")
    T = _require_steps(T)
    i = _steps(i, x, T)
    schedule = _require_schedule(schedule)
    _check_callable(denoiser, "denoiser")
    return _step_term(x, eps, i, schedule, denoiser, T)


def _step_term(
    x: jax.Array, eps: jax.Array, i: Any, schedule: Schedule, denoiser: Denoiser, T: Any
) -> jax.Array:
    """:func:`step_term` without validation; ``T`` may be traced."""
    gs, gt = schedule.gamma((i - 1) / T), schedule.gamma(i / T)
    weight = -0.5 * jnp.exp(-gs) * jnp.expm1(gs - gt)  # (SNR_s - SNR_t) / 2
    return weight * _sq_error(x, _noisy_from(x, eps, gt), gt, denoiser)


def continuous_terms(
    key: jax.Array,
    x: jax.Array,
    schedule: Schedule,
    denoiser: Denoiser,
    decoder: Decoder | None = None,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    r"""Traceable per-example (prior, reconstruction, diffusion) of the continuous-time loss.

    The key is split in three, ``k_t, k_z, k_0``: one :math:`t \sim U(0,1)`
    per example from ``k_t``, the noise :math:`\epsilon` of :math:`z_t` from
    ``k_z`` and that of :math:`z_0` from ``k_0``; the terms are then
    :func:`prior_term`, :func:`reconstruction_term` and :func:`diffusion_term`.
    Traceable: types and shapes are checked always, values of ``x`` only when
    concrete; :func:`continuous_loss` is the validated entry point outside ``jit``.
    """
    _check_key(key)
    x = _traced_data(x)
    schedule = _require_schedule(schedule)
    _check_callable(denoiser, "denoiser")
    _check_decoder(decoder)
    k_t, k_z, k_0 = jax.random.split(key, 3)
    t = jax.random.uniform(k_t, (x.shape[0],), dtype=jnp.float64)
    eps = jax.random.normal(k_z, x.shape)
    eps0 = jax.random.normal(k_0, x.shape)
    return (
        prior_term(x, schedule),
        reconstruction_term(x, eps0, schedule, decoder),
        diffusion_term(x, eps, t, schedule, denoiser),
    )


def discrete_mc_terms(
    key: jax.Array,
    x: jax.Array,
    schedule: Schedule,
    denoiser: Denoiser,
    T: int,
    decoder: Decoder | None = None,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    r"""Traceable per-example terms of the T-step loss with ONE random step per example.

    Draws :math:`i \sim \mathrm{Uniform}\{1..T\}` (from the first of three
    keys) and returns :math:`T` times :func:`step_term`, unbiased for the sum
    over all steps. Traceable, validated like :func:`continuous_terms`.
    """
    _check_key(key)
    x = _traced_data(x)
    schedule = _require_schedule(schedule)
    _check_callable(denoiser, "denoiser")
    T = _require_steps(T)
    _check_decoder(decoder)
    k_i, k_z, k_0 = jax.random.split(key, 3)
    i = jax.random.randint(k_i, (x.shape[0],), 1, T + 1).astype(jnp.float64)
    eps = jax.random.normal(k_z, x.shape)
    eps0 = jax.random.normal(k_0, x.shape)
    return (
        prior_term(x, schedule),
        reconstruction_term(x, eps0, schedule, decoder),
        T * step_term(x, eps, i, schedule, denoiser, T),
    )


def _all_steps(
    key: jax.Array, x: jax.Array, schedule: Schedule, denoiser: Denoiser, T: int
) -> tuple[jax.Array, jax.Array]:
    """Per-example sums over all T steps and per-step means (scan over steps)."""
    gs, gt = step_gammas(schedule, T)
    w = 0.5 * snr_difference(gs, gt)
    keys = jax.random.split(key, T)

    def body(acc, inputs):
        k, g, wi = inputs
        z = _noisy(k, x, jnp.full((x.shape[0],), g))
        term = wi * jnp.sum((x - denoiser(z, jnp.full((x.shape[0],), g))) ** 2, axis=-1)
        return acc + term, jnp.mean(term)

    total, per_step = jax.lax.scan(body, jnp.zeros(x.shape[0]), (keys, gt, w))
    return total, per_step


def continuous_loss(
    x: Any,
    schedule: Schedule,
    denoiser: Denoiser,
    key: jax.Array,
    *,
    decoder: Decoder | None = None,
) -> DiffusionLoss:
    r"""The continuous-time (:math:`T\to\infty`) diffusion loss of data ``x`` (shape ``(n, d)``).

    Per example: the exact prior KL, a one-sample reconstruction term and a
    one-sample (random :math:`t`, random :math:`z_t`) diffusion term; see
    :func:`continuous_terms`. Deterministic for a fixed ``key``.
    """
    x = _check_data(x)
    schedule = _require_schedule(schedule)
    _check_callable(denoiser, "denoiser")
    _check_key(key)
    _check_decoder(decoder)
    terms = jax.jit(continuous_terms, static_argnums=(2, 3, 4))(
        key, x, schedule, denoiser, decoder
    )
    return DiffusionLoss(*terms, dim=x.shape[1])


def discrete_loss(
    x: Any,
    schedule: Schedule,
    denoiser: Denoiser,
    key: jax.Array,
    T: int,
    *,
    decoder: Decoder | None = None,
) -> DiffusionLoss:
    r"""The T-step diffusion loss with the EXACT sum over all :math:`T` steps for every example.

    Each step has its own draw of :math:`z_{t_i}`, so the per-example value is
    still a Monte Carlo estimate over the noise, but not over the steps.
    """
    x = _check_data(x)
    schedule = _require_schedule(schedule)
    _check_callable(denoiser, "denoiser")
    _check_key(key)
    T = _require_steps(T)
    _check_decoder(decoder)
    decoder = rescaled_decoder(schedule) if decoder is None else decoder
    k_steps, k_0 = jax.random.split(key)
    total, _ = jax.jit(_all_steps, static_argnums=(2, 3, 4))(
        k_steps, x, schedule, denoiser, T
    )
    recon = _reconstruction(k_0, x, schedule, decoder)
    return DiffusionLoss(prior_term(x, schedule), recon, total, dim=x.shape[1])


def discrete_loss_mc(
    x: Any,
    schedule: Schedule,
    denoiser: Denoiser,
    key: jax.Array,
    T: int,
    *,
    decoder: Decoder | None = None,
) -> DiffusionLoss:
    r"""The T-step diffusion loss with the single-random-step estimator (:func:`discrete_mc_terms`)."""
    x = _check_data(x)
    schedule = _require_schedule(schedule)
    _check_callable(denoiser, "denoiser")
    _check_key(key)
    T = _require_steps(T)
    _check_decoder(decoder)
    terms = jax.jit(discrete_mc_terms, static_argnums=(2, 3, 4, 5))(
        key, x, schedule, denoiser, T, decoder
    )
    return DiffusionLoss(*terms, dim=x.shape[1])


def step_contributions(
    x: Any, schedule: Schedule, denoiser: Denoiser, key: jax.Array, T: int
) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-step mean diffusion terms :math:`\tfrac12(\mathrm{SNR}_{s_i}-\mathrm{SNR}_{t_i})
    \langle\lVert x-\hat x(z_{t_i})\rVert^2\rangle` (nats), with :math:`\gamma(t_i)`.

    Returns ``(gamma_t, contributions)``, both of length ``T``; the
    contributions sum to the diffusion term of :func:`discrete_loss`.
    """
    x = _check_data(x)
    schedule = _require_schedule(schedule)
    _check_callable(denoiser, "denoiser")
    _check_key(key)
    T = _require_steps(T)
    _, per_step = jax.jit(_all_steps, static_argnums=(2, 3, 4))(
        key, x, schedule, denoiser, T
    )
    return np.asarray(step_gammas(schedule, T)[1]), np.asarray(per_step)


def _paired_terms(
    key: jax.Array,
    x: jax.Array,
    schedule: Schedule,
    denoiser: Denoiser,
    Ts: tuple[int, ...],
    decoder: Decoder | None,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    k_t, k_z, k_0 = jax.random.split(key, 3)
    t = jax.random.uniform(k_t, (x.shape[0],), dtype=jnp.float64)
    eps = jax.random.normal(k_z, x.shape)
    eps0 = jax.random.normal(k_0, x.shape)
    prior = prior_term(x, schedule)
    recon = reconstruction_term(x, eps0, schedule, decoder)
    cont = diffusion_term(x, eps, t, schedule, denoiser)

    def one_T(T: jax.Array) -> jax.Array:
        # the step that contains t: t in [(i-1)/T, i/T); VDM's ceil(t T) almost surely
        i = jnp.minimum(jnp.floor(T * t) + 1.0, T)
        return T * _step_term(x, eps, i, schedule, denoiser, T)

    # one denoiser in the compiled graph, applied for each T in turn
    per_T = jax.lax.map(one_T, jnp.asarray(Ts, dtype=jnp.float64))
    return prior, recon, cont, per_T


def losses_against_steps(
    x: Any,
    schedule: Schedule,
    denoiser: Denoiser,
    key: jax.Array,
    Ts: Any,
    *,
    decoder: Decoder | None = None,
) -> tuple[DiffusionLoss, dict[int, DiffusionLoss]]:
    r"""The continuous-time loss and the :math:`T`-step losses for several :math:`T`, from the same draws.

    Common random numbers: each example gets one :math:`t \sim U(0, 1)`, one
    :math:`\epsilon` for :math:`z_t` and one :math:`\epsilon_0` for
    :math:`z_0`, drawn exactly as :func:`continuous_loss` draws them from
    ``key`` (so the first result *is* ``continuous_loss(x, ..., key)``). The
    :math:`T`-step loss uses the step :math:`i = \lfloor T t\rfloor + 1` that
    contains :math:`t`, which is uniform on :math:`\{1..T\}`, with the same
    :math:`\epsilon`: :math:`T` times :func:`step_term`, unbiased for the
    :math:`T`-step bound. The per-example difference between a :math:`T`-step
    loss and the continuous one then estimates :math:`\mathcal L_T -
    \mathcal L_\infty` with far less variance than either loss alone.

    ``Ts``: a non-empty sequence of distinct step counts. Returns
    ``(continuous, {T: loss_T})``.
    """
    x = _check_data(x)
    schedule = _require_schedule(schedule)
    _check_callable(denoiser, "denoiser")
    _check_key(key)
    _check_decoder(decoder)
    if isinstance(Ts, (str, bytes)) or not hasattr(Ts, "__iter__"):
        raise TypeError(
            f"Ts must be a sequence of step counts, got {type(Ts).__name__}"
        )
    Ts = tuple(whole_number(T, "Ts entry", 1) for T in Ts)
    if not Ts:
        raise ValueError("Ts is empty: give at least one number of steps")
    if len(set(Ts)) != len(Ts):
        raise ValueError(f"Ts has repeated entries: {Ts}")
    prior, recon, cont, per_T = jax.jit(_paired_terms, static_argnums=(2, 3, 4, 5))(
        key, x, schedule, denoiser, Ts, decoder
    )
    d = x.shape[1]
    continuous = DiffusionLoss(prior, recon, cont, dim=d)
    return continuous, {
        T: DiffusionLoss(prior, recon, per_T[k], dim=d) for k, T in enumerate(Ts)
    }


# ---------------------------------------------------------------------------
# Ancestral sampling from the reverse process
# ---------------------------------------------------------------------------


def reverse_step_params(
    z_t: Any, x_hat: Any, gamma_s: Any, gamma_t: Any
) -> tuple[Any, Any]:
    r"""Mean and variance of :math:`p(z_s \mid z_t, x = \hat x)`, the reverse step.

    With :math:`\alpha_{t|s} = \alpha_t/\alpha_s` and
    :math:`\sigma_{t|s}^2 = \sigma_t^2 - \alpha_{t|s}^2\sigma_s^2 = -\sigma_t^2\operatorname{expm1}(\gamma_s-\gamma_t)`:
    mean :math:`(\alpha_{t|s}\sigma_s^2 z_t + \alpha_s\sigma_{t|s}^2\hat x)/\sigma_t^2`,
    variance :math:`\sigma_{t|s}^2\sigma_s^2/\sigma_t^2 = -\sigma_s^2\operatorname{expm1}(\gamma_s-\gamma_t)`.

    Requires :math:`\gamma_s < \gamma_t` (checked when concrete). Traceable.
    """
    xp = _xp(z_t, x_hat, gamma_s, gamma_t)
    z_t, x_hat = finite_array(z_t, "z_t"), finite_array(x_hat, "x_hat")
    gamma_s = finite_array(gamma_s, "gamma_s")
    gamma_t = finite_array(gamma_t, "gamma_t")
    require_broadcast(
        {"z_t": z_t, "x_hat": x_hat, "gamma_s": gamma_s, "gamma_t": gamma_t}
    )
    if not (is_traced(gamma_s) or is_traced(gamma_t)) and np.any(
        np.asarray(gamma_s) >= np.asarray(gamma_t)
    ):
        raise ValueError(
            "gamma_s must be < gamma_t (noise increases from s to t), so that the"
            " reverse step has a positive variance"
        )
    if xp is jnp:
        z_t, x_hat, gamma_s, gamma_t = map(jnp.asarray, (z_t, x_hat, gamma_s, gamma_t))
    a2s, a2t = _sigmoid(-gamma_s, xp), _sigmoid(-gamma_t, xp)
    s2s, s2t = _sigmoid(gamma_s, xp), _sigmoid(gamma_t, xp)
    frac = -xp.expm1(gamma_s - gamma_t)  # sigma_{t|s}^2 / sigma_t^2 = 1 - SNR_t/SNR_s
    a_ts = xp.sqrt(a2t / a2s)
    mean = a_ts * s2s / s2t * z_t + xp.sqrt(a2s) * frac * x_hat
    return mean, s2s * frac


def sample(
    key: jax.Array,
    n: int,
    dim: int,
    schedule: Schedule,
    denoiser: Denoiser,
    T: int,
    *,
    decoder: Decoder | None = None,
) -> np.ndarray:
    r"""Ancestral samples of :math:`q(x)`: :math:`z_1 \sim \mathcal N(0, I)`, then
    :math:`T` reverse steps :math:`q(z_s\mid z_t) = p(z_s\mid z_t, \hat x(z_t))`
    (a ``lax.scan``), then :math:`x \sim q(x \mid z_0)`. Returns shape ``(n, dim)``."""
    _check_key(key)
    schedule = _require_schedule(schedule)
    _check_callable(denoiser, "denoiser")
    T = _require_steps(T)
    n, dim = whole_number(n, "n", 1), whole_number(dim, "dim", 1)
    _check_decoder(decoder)
    decoder = rescaled_decoder(schedule) if decoder is None else decoder

    @jax.jit
    def run(key):
        k_T, k_steps, k_x = jax.random.split(key, 3)
        gs, gt = step_gammas(schedule, T)
        keys = jax.random.split(k_steps, T)

        def body(z, inputs):
            k, g_s, g_t = inputs
            x_hat = denoiser(z, jnp.full((n,), g_t))
            mean, var = reverse_step_params(z, x_hat, g_s, g_t)
            return mean + jnp.sqrt(var) * jax.random.normal(k, z.shape), None

        z0, _ = jax.lax.scan(
            body, jax.random.normal(k_T, (n, dim)), (keys[::-1], gs[::-1], gt[::-1])
        )
        mean, var = decoder(z0)
        return mean + jnp.sqrt(var) * jax.random.normal(k_x, z0.shape)

    return np.asarray(run(key))


# ---------------------------------------------------------------------------
# Gaussian data N(mu, s^2) per coordinate: everything in closed form
# ---------------------------------------------------------------------------


def _check_gaussian(mu: Any, s: Any) -> tuple[float, float]:
    return real_scalar(mu, "mu"), positive_scalar(s, "s (the data standard deviation)")


def gaussian_optimal_denoiser(mu: float, s: float) -> Denoiser:
    r"""The Bayes-optimal denoiser for data :math:`x \sim \mathcal N(\mu, s^2)` per coordinate:

    .. math:: \hat x(z_t) = \langle x \mid z_t\rangle = \mu + c_t (z_t - \alpha_t\mu),
        \qquad c_t = \frac{\alpha_t s^2}{\alpha_t^2 s^2 + \sigma_t^2}.
    """
    mu, s = _check_gaussian(mu, s)

    def denoiser(z: Any, gamma: Any) -> Any:
        xp = _xp(z, gamma)
        g = (
            xp.asarray(gamma)[..., None]
            if np.ndim(gamma) == np.ndim(z) - 1
            else xp.asarray(gamma)
        )
        a2, s2 = _sigmoid(-g, xp), _sigmoid(g, xp)
        a = xp.sqrt(a2)
        return mu + a * s**2 / (a2 * s**2 + s2) * (z - a * mu)

    return denoiser


def gaussian_optimal_decoder(mu: float, s: float, schedule: Schedule) -> Decoder:
    r"""The exact posterior :math:`p(x\mid z_0) = \mathcal N(\hat x(z_0),\ s^2\sigma_0^2/(\alpha_0^2 s^2+\sigma_0^2))`."""
    mu, s = _check_gaussian(mu, s)
    schedule = _require_schedule(schedule)
    g0 = schedule.gamma_min
    a2, s2 = 1.0 / (1.0 + math.exp(g0)), 1.0 / (1.0 + math.exp(-g0))
    den = gaussian_optimal_denoiser(mu, s)
    var = s**2 * s2 / (a2 * s**2 + s2)

    def decoder(z0: jax.Array) -> tuple[jax.Array, jax.Array]:
        return den(z0, jnp.full(z0.shape[:-1], g0)), jnp.full_like(z0, var)

    return decoder


def gaussian_diffusion_term(
    s: float, schedule: Schedule, T: int | None = None
) -> float:
    r"""Expected diffusion term per coordinate with the optimal denoiser.

    ``T`` steps: :math:`\tfrac12\sum_i (\mathrm{SNR}_{s_i}-\mathrm{SNR}_{t_i})\, s^2/(1+\mathrm{SNR}_{t_i}s^2)`.
    ``T=None`` (the limit): :math:`\tfrac12\log\frac{1+\mathrm{SNR}_{\max}s^2}{1+\mathrm{SNR}_{\min}s^2}`.
    """
    _, s = _check_gaussian(0.0, s)
    schedule = _require_schedule(schedule)
    if T is None:
        smax, smin = math.exp(-schedule.gamma_min), math.exp(-schedule.gamma_max)
        return 0.5 * (math.log1p(smax * s**2) - math.log1p(smin * s**2))
    gs, gt = step_gammas(schedule, _require_steps(T))
    return float(
        0.5 * np.sum(snr_difference(gs, gt) * s**2 / (1.0 + np.exp(-gt) * s**2))
    )


def gaussian_prior_term(mu: float, s: float, schedule: Schedule) -> float:
    r""":math:`\langle I[\mathcal N(\alpha_1 x,\sigma_1^2);\mathcal N(0,1)]\rangle = \tfrac12(\sigma_1^2+\alpha_1^2(\mu^2+s^2)-1-\log\sigma_1^2)`."""
    mu, s = _check_gaussian(mu, s)
    g1 = _require_schedule(schedule).gamma_max
    a2, s2 = 1.0 / (1.0 + math.exp(g1)), 1.0 / (1.0 + math.exp(-g1))
    return 0.5 * (s2 + a2 * (mu**2 + s**2) - 1.0 - math.log(s2))


def gaussian_reconstruction_term(
    mu: float, s: float, schedule: Schedule, decoder: str = "rescaled"
) -> float:
    r"""Expected :math:`-\log q(x\mid z_0)` per coordinate.

    ``"rescaled"`` (:func:`rescaled_decoder`): :math:`\tfrac12(\log 2\pi + \gamma_0 + 1)`.
    ``"optimal"`` (:func:`gaussian_optimal_decoder`): :math:`\tfrac12\log\big(2\pi e\, s^2 e^{\gamma_0}/(s^2+e^{\gamma_0})\big)`.
    """
    mu, s = _check_gaussian(mu, s)
    g0 = _require_schedule(schedule).gamma_min
    decoder = _decoder_name(decoder)
    if decoder == "rescaled":
        return 0.5 * (math.log(2 * math.pi) + g0 + 1.0)
    return 0.5 * (
        math.log(2 * math.pi * math.e * s**2) + g0 - math.log(s**2 + math.exp(g0))
    )


def _decoder_name(decoder: Any) -> str:
    return choice(decoder, "decoder", ("rescaled", "optimal"))


def gaussian_bound(
    mu: float,
    s: float,
    schedule: Schedule,
    T: int | None = None,
    decoder: str = "rescaled",
    dim: int = 1,
) -> DiffusionLoss:
    """The exact expected loss (three terms) for data N(mu, s² I_dim) with the optimal denoiser."""
    mu, s = _check_gaussian(mu, s)
    dim = whole_number(dim, "dim", 1)
    _decoder_name(decoder)
    d = gaussian_diffusion_term(s, schedule, T)
    return DiffusionLoss(
        dim * np.float64(gaussian_prior_term(mu, s, schedule)),
        dim * np.float64(gaussian_reconstruction_term(mu, s, schedule, decoder)),
        dim * np.float64(d),
        dim=dim,
    )


def gaussian_entropy(s: float) -> float:
    r"""Differential entropy of :math:`\mathcal N(\mu, s^2)`: :math:`\tfrac12\log(2\pi e s^2)` nats."""
    _, s = _check_gaussian(0.0, s)
    return 0.5 * math.log(2 * math.pi * math.e * s**2)


def gaussian_terminal_kl(mu: float, s: float, schedule: Schedule) -> float:
    r""":math:`I[p(z_1); \mathcal N(0,1)]` for the marginal :math:`p(z_1)=\mathcal N(\alpha_1\mu, \alpha_1^2 s^2+\sigma_1^2)`."""
    mu, s = _check_gaussian(mu, s)
    g1 = _require_schedule(schedule).gamma_max
    a2, s2 = 1.0 / (1.0 + math.exp(g1)), 1.0 / (1.0 + math.exp(-g1))
    v = a2 * s**2 + s2
    return 0.5 * (v + a2 * mu**2 - 1.0 - math.log(v))


def _gaussian_coeffs(mu: float, s: float, gamma: Any) -> tuple[Any, ...]:
    xp = _xp(gamma)
    a2, s2 = _sigmoid(-gamma, xp), _sigmoid(gamma, xp)
    a = xp.sqrt(a2)
    c = a * s**2 / (a2 * s**2 + s2)
    return a, xp.sqrt(s2), c


def gaussian_bound_pointwise(
    x: Any, mu: float, s: float, schedule: Schedule, T: int, decoder: str = "rescaled"
) -> np.ndarray:
    r"""The T-step bound at each data point ``x`` (1-D array), averaged exactly over the noise.

    With the optimal denoiser :math:`x - \hat x(z_t) = (1 - c_t\alpha_t)(x-\mu) - c_t\sigma_t\epsilon`, so
    :math:`\langle\lVert x-\hat x\rVert^2\rangle_{z_t\mid x} = (1-c_t\alpha_t)^2(x-\mu)^2 + c_t^2\sigma_t^2`.
    """
    mu, s = _check_gaussian(mu, s)
    schedule = _require_schedule(schedule)
    T = _require_steps(T)
    decoder = _decoder_name(decoder)
    x = np.asarray(finite_array(x, "x"))
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D array of points, got shape {x.shape}")
    gs, gt = step_gammas(schedule, T)
    a, sig, c = _gaussian_coeffs(mu, s, gt)
    err = (1 - c * a)[:, None] ** 2 * (x - mu) ** 2 + (c * sig)[:, None] ** 2
    diffusion = 0.5 * np.sum(snr_difference(gs, gt)[:, None] * err, axis=0)
    prior = prior_term(x[:, None], schedule)
    g0 = schedule.gamma_min
    if decoder == "rescaled":
        recon = 0.5 * (np.log(2 * np.pi) + g0 + 1.0) + 0.0 * x
    elif decoder == "optimal":
        a0, s0, c0 = _gaussian_coeffs(mu, s, np.float64(g0))
        v = s**2 * s0**2 / (a0**2 * s**2 + s0**2)
        recon = 0.5 * np.log(2 * np.pi * v) + (
            (1 - c0 * a0) ** 2 * (x - mu) ** 2 + (c0 * s0) ** 2
        ) / (2 * v)
    else:
        raise ValueError(f"decoder must be 'rescaled' or 'optimal', got {decoder!r}")
    return np.asarray(prior + recon + diffusion)


def gaussian_model_marginal(
    mu: float, s: float, schedule: Schedule, T: int, decoder: str = "rescaled"
) -> tuple[float, float]:
    r"""Mean and variance of the model's marginal :math:`q(x)` (T steps, optimal denoiser).

    Every reverse step is linear-Gaussian, :math:`z_s = A z_t + b + \text{noise}`,
    so :math:`q(x)` is Gaussian. From :math:`z_1 \sim \mathcal N(0, 1)` the
    steps :math:`i = T, \dots, 1` give mean :math:`\sum_i b_i\prod_{j<i}A_j` and variance
    :math:`\prod_i A_i^2 + \sum_i w_i\prod_{j<i}A_j^2` (vectorised products, no loop).
    """
    mu, s = _check_gaussian(mu, s)
    schedule = _require_schedule(schedule)
    T = _require_steps(T)
    decoder = _decoder_name(decoder)
    gs, gt = step_gammas(schedule, T)
    a, _, c = _gaussian_coeffs(mu, s, gt)
    # x_hat = mu + c (z - a mu) is affine in z, so is the reverse-step mean: A z + b
    b, w = reverse_step_params(np.zeros(T), mu + c * (0.0 - a * mu), gs, gt)
    A = reverse_step_params(np.ones(T), mu + c * (1.0 - a * mu), gs, gt)[0] - b
    # steps run from i = T down to 1; the factor applied after step i is prod_{j<i} A_j
    after = np.concatenate([np.ones(1), np.cumprod(A)[:-1]])
    m = np.sum(after * b)
    v = np.prod(A**2) + np.sum(after**2 * w)
    g0 = schedule.gamma_min
    if decoder == "rescaled":
        a0 = math.sqrt(1.0 / (1.0 + math.exp(g0)))
        return float(m / a0), float(v / a0**2 + math.exp(g0))
    if decoder == "optimal":
        a0, s0, c0 = _gaussian_coeffs(mu, s, np.float64(g0))
        post_var = s**2 * s0**2 / (a0**2 * s**2 + s0**2)
        return float(mu + c0 * (m - a0 * mu)), float(c0**2 * v + post_var)
    raise ValueError(f"decoder must be 'rescaled' or 'optimal', got {decoder!r}")


def gaussian_model_nll(
    x: Any, mu: float, s: float, schedule: Schedule, T: int, decoder: str = "rescaled"
) -> np.ndarray:
    r""":math:`-\log q(x)` of the T-step model with the optimal denoiser, at each point of 1-D ``x``."""
    x = np.asarray(finite_array(x, "x"))
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D array of points, got shape {x.shape}")
    m, v = gaussian_model_marginal(mu, s, schedule, T, decoder)
    return -gaussian_log_density(x, m, v)


def gaussian_model_cross_entropy(
    mu: float, s: float, schedule: Schedule, T: int, decoder: str = "rescaled"
) -> float:
    r"""The true NLL :math:`\langle -\log q(x)\rangle_{p}` of the T-step model, per coordinate."""
    mu, s = _check_gaussian(mu, s)
    m, v = gaussian_model_marginal(mu, s, schedule, T, decoder)
    return 0.5 * math.log(2 * math.pi * v) + (s**2 + (mu - m) ** 2) / (2 * v)


# ---------------------------------------------------------------------------
# Toy data
# ---------------------------------------------------------------------------


def ring_mixture_params(
    k: int = 8, radius: float = 1.0, scale: float = 0.1
) -> tuple[np.ndarray, float]:
    """Means (k, 2) of a ring of k equal-weight isotropic Gaussians, and their std."""
    k = whole_number(k, "k", 1)
    radius = positive_scalar(radius, "radius")
    scale = positive_scalar(scale, "scale")
    angles = 2 * np.pi * np.arange(k) / k
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1), float(scale)


def _check_ring(means: Any, scale: Any) -> tuple[jax.Array, float]:
    arr = finite_array(means, "means")
    if np.ndim(arr) != 2 or np.shape(arr)[0] < 1:
        raise ValueError(
            f"means must have shape (k, d) with k >= 1, got shape {np.shape(arr)}"
        )
    return jnp.asarray(arr), positive_scalar(scale, "scale")


def ring_mixture_sample(key: jax.Array, n: int, means: Any, scale: float) -> jax.Array:
    """``n`` draws from the equal-weight mixture of N(means[j], scale² I)."""
    _check_key(key)
    n = whole_number(n, "n", 1)
    means, scale = _check_ring(means, scale)
    k_c, k_e = jax.random.split(key)
    comp = jax.random.randint(k_c, (n,), 0, means.shape[0])
    return means[comp] + scale * jax.random.normal(k_e, (n, means.shape[1]))


def ring_mixture_log_density(x: Any, means: Any, scale: float) -> jax.Array:
    """Exact log-density of the equal-weight mixture at the rows of ``x``."""
    means, scale = _check_ring(means, scale)
    x = finite_array(x, "x")
    if np.ndim(x) != 2 or np.shape(x)[1] != means.shape[1]:
        raise ValueError(
            f"x must have shape (n, {means.shape[1]}) to match means, got shape {np.shape(x)}"
        )
    x = jnp.asarray(x)
    d = x.shape[-1]
    sq = jnp.sum((x[:, None, :] - means[None]) ** 2, axis=-1)
    comp = -0.5 * sq / scale**2 - 0.5 * d * jnp.log(2 * jnp.pi * scale**2)
    return jax.scipy.special.logsumexp(comp, axis=1) - jnp.log(means.shape[0])


# ---------------------------------------------------------------------------
# A small MLP denoiser and its training
# ---------------------------------------------------------------------------


def mlp_init(
    key: jax.Array, dim: int = 2, hidden: int = 64, depth: int = 3, n_freq: int = 4
) -> list:
    """Parameters of an MLP from (z, Fourier features of gamma) to the noise estimate epsilon_hat."""
    _check_key(key)
    dim = whole_number(dim, "dim", 1)
    hidden = whole_number(hidden, "hidden", 1)
    depth = whole_number(depth, "depth", 0)
    n_freq = whole_number(n_freq, "n_freq", 0)
    params = nn.mlp_init(key, [dim + 2 * n_freq + 1] + [hidden] * depth + [dim])
    w, b = params[-1]
    params[-1] = (w * 0.0, b)  # start at eps_hat = 0, i.e. x_hat = z / alpha
    return params


def mlp_denoiser(params: list, schedule: Schedule) -> Denoiser:
    r"""The denoiser of an MLP that predicts the noise: :math:`\hat x = (z - \sigma\hat\epsilon)/\alpha`."""
    params = require_layers(params, "params")
    schedule = _require_schedule(schedule)
    g0, g1 = schedule.gamma_min, schedule.gamma_max
    n_in, dim = params[0][0].shape[0], params[-1][0].shape[1]
    if n_in <= dim or (n_in - dim - 1) % 2:
        raise ValueError(
            f"params has input width {n_in} and output width {dim}, which is not"
            " dim + 2 n_freq + 1 inputs for dim outputs (use mlp_init)"
        )
    n_freq = (n_in - dim - 1) // 2

    def denoiser(z: jax.Array, gamma: jax.Array) -> jax.Array:
        u = (2.0 * (gamma - g0) / (g1 - g0) - 1.0)[:, None]
        freqs = jnp.pi * 2.0 ** jnp.arange(n_freq)
        h = jnp.concatenate([z, u, jnp.sin(u * freqs), jnp.cos(u * freqs)], axis=-1)
        eps_hat = nn.mlp(params, h, activation=jax.nn.silu)
        g = gamma[:, None]
        return (z - jnp.sqrt(jax.nn.sigmoid(g)) * eps_hat) / jnp.sqrt(
            jax.nn.sigmoid(-g)
        )

    return denoiser


@dataclass(frozen=True)
class TrainResult:
    """Trained MLP parameters and the training loss (continuous-time diffusion term, nats) per step."""

    params: list
    losses: np.ndarray


def train_denoiser(
    key: jax.Array,
    sample_data: Callable[[jax.Array, int], jax.Array],
    schedule: Schedule,
    *,
    dim: int = 2,
    steps: int = 3000,
    batch: int = 256,
    learning_rate: float = 1e-2,
    hidden: int = 64,
    depth: int = 3,
) -> TrainResult:
    r"""Fit the MLP denoiser by minimising the continuous-time diffusion term.

    Fresh data every step from ``sample_data(key, batch)``; Adam with a cosine
    decay of the learning rate; the whole loop is one ``jit``-compiled
    ``lax.scan``. The prior and reconstruction terms do not depend on the
    denoiser, so the diffusion term is the whole training signal.
    """
    _check_key(key)
    schedule = _require_schedule(schedule)
    _check_callable(sample_data, "sample_data")
    for v, name in (
        (steps, "steps"),
        (batch, "batch"),
        (dim, "dim"),
        (hidden, "hidden"),
        (depth, "depth"),
    ):
        whole_number(v, name, 1)
    learning_rate = positive_scalar(learning_rate, "learning_rate")
    k_init, k_train = jax.random.split(key)
    params = mlp_init(k_init, dim, hidden, depth)

    def loss_fn(p, k):
        k_x, k_l = jax.random.split(k)
        x = sample_data(k_x, batch)
        _, _, diffusion = continuous_terms(k_l, x, schedule, mlp_denoiser(p, schedule))
        return jnp.mean(diffusion)

    @jax.jit
    def run(params, key):
        return nn.adam(
            loss_fn,
            params,
            jax.random.split(key, steps),
            nn.cosine_decay(learning_rate, steps),
        )

    p, losses = run(params, k_train)
    return TrainResult(params=p, losses=np.asarray(losses))
