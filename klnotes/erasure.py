r"""Bit erasure in a two-state system: exact thermodynamics and stochastic trajectories.

The system has two states, :math:`x \in \{0, 1\}`, with energies :math:`0` and
:math:`\varepsilon(t)`, in contact with a bath at inverse temperature
:math:`\beta`. It hops with Glauber rates

.. math::

    k_{0\to1} = \frac{\Gamma}{1 + e^{\beta\varepsilon}}, \qquad
    k_{1\to0} = \frac{\Gamma}{1 + e^{-\beta\varepsilon}},

which obey detailed balance, :math:`k_{0\to1}/k_{1\to0} = e^{-\beta\varepsilon}`,
with the Boltzmann occupation :math:`\pi_1(\varepsilon) = 1/(1 + e^{\beta\varepsilon})`,
and add up to :math:`\Gamma` whatever :math:`\varepsilon`. So the occupation
:math:`p_1 = P(x = 1)` obeys :math:`\dot p_1 = \Gamma(\pi_1 - p_1)`, and at a
fixed level it relaxes exactly as

.. math::

    p_1(t + \Delta t) = \pi_1 + (p_1(t) - \pi_1)\, e^{-\Gamma \Delta t}.

**Sign conventions.** With mean energy :math:`E = \varepsilon p_1`, the first
law :math:`dE = p_1\, d\varepsilon + \varepsilon\, dp_1 = dW + dQ` splits the
change into the *work done on the system* :math:`W = \int p_1\, d\varepsilon`
and the *heat absorbed by the system from the bath* :math:`Q = \int
\varepsilon\, dp_1`. Heat released into the bath is :math:`-Q`; Landauer's
bound is :math:`-Q \ge kT \ln 2`. For one trajectory the same split holds
with :math:`p_1` replaced by the state :math:`x(t)`.

**The erasure protocol.** Start in equilibrium at :math:`\varepsilon = 0`
(:math:`p_1 = 1/2`, one bit of uncertainty); raise :math:`\varepsilon` through
the levels :math:`\varepsilon_1, \dots, \varepsilon_K`, holding level
:math:`k` for a time :math:`\Delta t_k`; then freeze the dynamics and reset
:math:`\varepsilon` to 0. A quench :math:`\varepsilon_{k-1} \to \varepsilon_k`
is instantaneous and costs work :math:`p_1 (\varepsilon_k - \varepsilon_{k-1})`;
the relaxation at level :math:`k` absorbs heat :math:`\varepsilon_k \Delta p_1`;
the reset costs work :math:`-\varepsilon_K p_1(\tau)` and no heat. A linear
ramp over a time :math:`\tau` is the limit of many small steps.

**Slow driving.** Driven slowly, the memory lags its Boltzmann occupation and
produces entropy at the rate :math:`\dot\Sigma \simeq \beta\zeta(\varepsilon)
\dot\varepsilon^2`, with the friction of Sivak and Crooks
:math:`\zeta = \beta\pi_1(1-\pi_1)/\Gamma` (:func:`friction`). A protocol
from 0 to :math:`\varepsilon_{\max}` in a time :math:`\tau` then produces at
least :math:`L^2/\tau`, where :math:`L` is the thermodynamic length
(:func:`thermodynamic_length`), and the protocol that produces entropy at a
constant rate reaches it (:func:`optimal_protocol`).

Energies (``levels``, heat, work) share one unit, :math:`\beta` is in its
inverse and entropies are in nats; with ``beta=1`` energies are in units of
:math:`kT`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
import scipy.constants as const
import scipy.special as ssp

from ._validate import (
    as_float_array,
    choice,
    finite_array,
    positive_scalar,
    probability_array,
    probability_scalar,
    real_scalar,
    require_broadcast,
    require_key,
    require_not_nan,
    vector,
    whole_number,
)
from .divergences import bernoulli_kl, binary_entropy

__all__ = [
    "ErasureResult",
    "TrajectoryHeat",
    "equilibrium_p1",
    "erasure_exact",
    "friction",
    "generalized_landauer_bound",
    "glauber_rates",
    "landauer_energy",
    "optimal_protocol",
    "reversible_erasure_heat",
    "simulate_erasure",
    "slow_driving_coefficient",
    "staircase_coefficient",
    "staircase_protocol",
    "thermodynamic_length",
]


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------


def _levels(levels: Any) -> np.ndarray:
    return vector(levels, "levels", what="the levels eps_1..eps_K")


def _dwell(dwell: Any, n_levels: int) -> np.ndarray:
    arr = np.asarray(as_float_array(dwell, "dwell"), dtype=np.float64)
    require_not_nan(arr, "dwell")  # +inf is a full relaxation
    if np.any(arr <= 0):
        raise ValueError(f"dwell times must be positive, got min {arr.min():.3g}")
    if arr.ndim == 0:
        return np.full(n_levels, float(arr))
    if arr.shape[-1] not in (1, n_levels):
        raise ValueError(
            f"dwell must have one entry per level (or one for all) on its last axis:"
            f" got shape {arr.shape} for {n_levels} levels"
        )
    return np.broadcast_to(arr, arr.shape[:-1] + (n_levels,))


# --------------------------------------------------------------------------
# equilibrium, rates, entropy and bounds
# --------------------------------------------------------------------------


def equilibrium_p1(eps: Any, *, beta: float = 1.0) -> np.ndarray:
    r"""Boltzmann occupation of the upper state, :math:`\pi_1 = 1/(1 + e^{\beta\varepsilon})`."""
    b = positive_scalar(beta, "beta")
    e = np.asarray(finite_array(eps, "eps"), dtype=np.float64)
    return ssp.expit(-b * e)


def glauber_rates(
    eps: Any, *, beta: float = 1.0, gamma: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Glauber rates :math:`(k_{0\to1}, k_{1\to0}) = \Gamma\,(\pi_1, 1 - \pi_1)`.

    :math:`k_{0\to1} = \Gamma/(1 + e^{\beta\varepsilon})` and
    :math:`k_{1\to0} = \Gamma/(1 + e^{-\beta\varepsilon})`.
    """
    g = positive_scalar(gamma, "gamma")
    b = positive_scalar(beta, "beta")
    e = np.asarray(finite_array(eps, "eps"), dtype=np.float64)
    return g * equilibrium_p1(e, beta=b), g * ssp.expit(b * e)


def generalized_landauer_bound(p1_initial: Any, p1_final: Any) -> np.ndarray:
    r"""Entropy drop :math:`S(p_0) - S(p_\tau) = h(p_1(0)) - h(p_1(\tau))` in nats.

    The generalized Landauer bound is :math:`-\beta \langle Q\rangle \ge` this
    value; for a full erasure (:math:`1/2 \to 0`) it is :math:`\ln 2`.
    """
    p0 = probability_array(p1_initial, "p1_initial")
    p1 = probability_array(p1_final, "p1_final")
    require_broadcast({"p1_initial": p0, "p1_final": p1})
    return binary_entropy(p0) - binary_entropy(p1)


def reversible_erasure_heat(eps_max: Any, *, beta: float = 1.0) -> np.ndarray:
    r"""Heat released into the bath by the quasi-static protocol, :math:`-Q_{\rm rev}`.

    .. math::

        -\beta Q_{\rm rev} = -\beta\int_0^{\varepsilon_{\max}} \varepsilon\, d\pi_1
        = \ln 2 - \ln(1 + e^{-\beta\varepsilon_{\max}}) - \beta\varepsilon_{\max}\,\pi_1(\varepsilon_{\max})
        = \ln 2 - h(\pi_1(\varepsilon_{\max})),

    in the energy unit of ``eps_max``.
    """
    b = positive_scalar(beta, "beta")
    e = np.asarray(finite_array(eps_max, "eps_max"), dtype=np.float64)
    x = b * e
    return (math.log(2.0) - np.logaddexp(0.0, -x) - x * ssp.expit(-x)) / b


def slow_driving_coefficient(
    eps_max: Any, *, beta: float = 1.0, gamma: float = 1.0
) -> np.ndarray:
    r"""The coefficient :math:`B` of the slow-ramp entropy production :math:`\Sigma \simeq B/\tau`.

    For a linear ramp :math:`0 \to \varepsilon_{\max}` over a time :math:`\tau`,

    .. math:: B = \frac{\beta\varepsilon_{\max}}{\Gamma}\Big(\tfrac12 - \pi_1(\varepsilon_{\max})\Big)

    (nats × time); the excess heat is :math:`B/(\beta\tau)`.
    """
    g = positive_scalar(gamma, "gamma")
    b = positive_scalar(beta, "beta")
    e = np.asarray(finite_array(eps_max, "eps_max"), dtype=np.float64)
    return b * e / g * (0.5 - equilibrium_p1(e, beta=b))


def staircase_coefficient(eps_max: Any, *, beta: float = 1.0) -> np.ndarray:
    r"""Leading coefficient of a fully relaxed K-step staircase, :math:`\Sigma \simeq C/K`.

    .. math:: C = \frac{\beta\varepsilon_{\max}}{2}\Big(\tfrac12 - \pi_1(\varepsilon_{\max})\Big)
              \approx \frac{\beta\varepsilon_{\max}}{4}.
    """
    b = positive_scalar(beta, "beta")
    e = np.asarray(finite_array(eps_max, "eps_max"), dtype=np.float64)
    return b * e / 2 * (0.5 - equilibrium_p1(e, beta=b))


def friction(eps: Any, *, beta: float = 1.0, gamma: float = 1.0) -> np.ndarray:
    r"""Friction coefficient of the level, :math:`\zeta(\varepsilon) = \beta\pi_1(1-\pi_1)/\Gamma`.

    Sivak and Crooks define :math:`\zeta = \beta\int_0^\infty
    \langle\delta X(t)\,\delta X(0)\rangle\,dt` for the force
    :math:`X = \partial H/\partial\varepsilon = x`. In equilibrium
    :math:`x` has variance :math:`\pi_1(1-\pi_1)` and its autocorrelation
    decays as :math:`e^{-\Gamma t}`, which gives the value above. A slow
    protocol then costs excess work at the rate :math:`\zeta\dot\varepsilon^2`
    and produces entropy (nats) at the rate :math:`\beta\zeta\dot\varepsilon^2`.
    Units: time per energy (``beta`` in inverse energy, ``gamma`` in inverse
    time).
    """
    g = positive_scalar(gamma, "gamma")
    b = positive_scalar(beta, "beta")
    e = np.asarray(finite_array(eps, "eps"), dtype=np.float64)
    p = equilibrium_p1(e, beta=b)
    return b * p * (1.0 - p) / g


def thermodynamic_length(
    eps_max: Any, *, beta: float = 1.0, gamma: float = 1.0
) -> np.ndarray:
    r"""Thermodynamic length of the path :math:`0 \to \varepsilon_{\max}`.

    .. math::

        L = \int_0^{|\varepsilon_{\max}|} \sqrt{\beta\zeta(\varepsilon)}\,d\varepsilon
          = \frac{2}{\sqrt\Gamma}\Big(\arctan e^{\beta|\varepsilon_{\max}|/2}
            - \frac{\pi}{4}\Big)
          = \frac{2}{\sqrt\Gamma}\arctan\tanh\frac{\beta|\varepsilon_{\max}|}{4},

    in :math:`\sqrt{\text{nats} \times \text{time}}`: every protocol of
    duration :math:`\tau` has :math:`\tau\Sigma \ge L^2` to leading order in
    :math:`1/\tau`, and :math:`L^2 \to \pi^2/(4\Gamma)` as
    :math:`\varepsilon_{\max} \to \infty`. The last form is the one computed
    (no overflow for large levels).
    """
    g = positive_scalar(gamma, "gamma")
    b = positive_scalar(beta, "beta")
    e = np.asarray(finite_array(eps_max, "eps_max"), dtype=np.float64)
    return 2.0 / math.sqrt(g) * np.arctan(np.tanh(b * np.abs(e) / 4.0))


def optimal_protocol(
    eps_max: float, n_steps: int, tau: float, *, beta: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    r"""The constant-dissipation protocol, sampled as ``n_steps`` levels held :math:`\tau/K` each.

    The protocol advances along the thermodynamic length at a constant rate,
    :math:`\sqrt{\beta\zeta(\varepsilon)}\,\dot\varepsilon = L/\tau`. With
    :math:`y = e^{\beta\varepsilon/2}` the length element is
    :math:`(2/\sqrt\Gamma)\,dy/(1 + y^2)`, so :math:`\arctan y` moves linearly in
    time:

    .. math::

        \varepsilon^*(t) = \frac{2}{\beta}\ln\tan\Big(\frac{\pi}{4} + \frac{t}{\tau}\,\theta\Big),
        \qquad \theta = \arctan e^{\beta\varepsilon_{\max}/2} - \frac{\pi}{4}.

    Like :func:`staircase_protocol` the levels are taken at the ends of the
    holds, :math:`\varepsilon_k = \varepsilon^*(k\tau/K)`, so the last is
    :math:`\varepsilon_{\max}`; the schedule does not depend on :math:`\Gamma`.
    It is evaluated as :math:`(2/\beta)\,\mathrm{asinh}\cot\varphi` with
    :math:`\varphi = (1 - s)\pi/2 + 2s\arctan e^{-\beta|\varepsilon_{\max}|/2}`,
    :math:`s = t/\tau`, which is accurate for any level. Returns
    ``(levels, dwell)``; a negative ``eps_max`` gives the mirror image.
    """
    e = real_scalar(eps_max, "eps_max")
    k = whole_number(n_steps, "n_steps", 1)
    t = positive_scalar(tau, "tau", allow_inf=True)
    b = positive_scalar(beta, "beta")
    s = np.arange(1, k + 1) / k
    phi = (1.0 - s) * (math.pi / 2) + 2.0 * s * math.atan(math.exp(-b * abs(e) / 2))
    levels = math.copysign(1.0, e) * (2.0 / b) * np.arcsinh(1.0 / np.tan(phi))
    levels[-1] = e  # exact end point (the formula gives it to rounding)
    return levels, np.full(k, t / k)


def landauer_energy(
    temperature: Any, *, unit: Literal["J", "eV"] = "J", bits: float = 1.0
) -> np.ndarray:
    r""":math:`k_B T \ln 2` per bit at ``temperature`` (kelvin), from CODATA constants.

    Uses ``scipy.constants.k`` and, for electronvolts, ``scipy.constants.e``;
    both are exact in the 2019 SI, so every CODATA adjustment since 2018 gives
    the same value.
    """
    t = np.asarray(finite_array(temperature, "temperature"), dtype=np.float64)
    if np.any(t <= 0):
        raise ValueError(
            f"temperature must be positive (kelvin), got min {t.min():.3g}"
        )
    bits = positive_scalar(bits, "bits")
    unit = choice(unit, "unit", ("J", "eV"))
    joules = const.k * t * math.log(2.0) * bits
    return joules if unit == "J" else joules / const.e


def staircase_protocol(
    eps_max: float, n_steps: int, tau: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""Levels :math:`\varepsilon_k = k\,\varepsilon_{\max}/K` (:math:`k = 1..K`), each held :math:`\tau/K`.

    Returns ``(levels, dwell)``. ``tau = inf`` gives full relaxation at every
    level (the quasi-static staircase); large ``n_steps`` approaches the
    linear ramp.
    """
    e = real_scalar(eps_max, "eps_max")
    k = whole_number(n_steps, "n_steps", 1)
    t = positive_scalar(tau, "tau", allow_inf=True)
    return e * np.arange(1, k + 1) / k, np.full(k, t / k)


# --------------------------------------------------------------------------
# exact solution for a piecewise-constant protocol
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureResult:
    r"""Exact thermodynamics of one piecewise-constant protocol (per batch entry).

    ``p1`` holds :math:`p_1` before the first step and after each step
    (last axis of length K+1). ``heat`` is :math:`Q` (absorbed by the system),
    ``heat_to_bath`` is :math:`-Q`, ``work`` is :math:`W`, both in energy
    units; ``entropy_drop`` is :math:`h(p_1(0)) - h(p_1(\tau))` and
    ``entropy_production`` is :math:`\Sigma = -\beta Q - ` ``entropy_drop``
    (nats). ``kl_drops`` are the per-step decreases
    :math:`I[p^{(k-1)}; \pi^{(k)}] - I[p^{(k)}; \pi^{(k)}] \ge 0`, which add up to
    :math:`\Sigma`.
    """

    p1: np.ndarray
    heat: np.ndarray
    work: np.ndarray
    entropy_drop: np.ndarray
    entropy_production: np.ndarray
    kl_drops: np.ndarray

    @property
    def p1_final(self) -> np.ndarray:
        return self.p1[..., -1]

    @property
    def heat_to_bath(self) -> np.ndarray:
        return -self.heat


@jax.jit
def _relaxation_path(p0: Any, pi: Any, decay: Any) -> Any:
    # p_k = pi_k + (p_{k-1} - pi_k) a_k, for a whole batch at once (scan over levels)
    def step(p: Any, inputs: Any) -> tuple[Any, Any]:
        pi_k, a_k = inputs
        p = pi_k + (p - pi_k) * a_k
        return p, p

    start = jnp.full(pi.shape[:-1], p0)
    _, path = jax.lax.scan(
        step, start, (jnp.moveaxis(pi, -1, 0), jnp.moveaxis(decay, -1, 0))
    )
    return jnp.moveaxis(path, 0, -1)


def erasure_exact(
    levels: Any,
    dwell: Any,
    *,
    beta: float = 1.0,
    gamma: float = 1.0,
    p1_initial: float = 0.5,
) -> ErasureResult:
    r"""Exact :math:`p_1`, heat and work for a piecewise-constant erasure protocol.

    ``levels`` (shape ``(K,)``) are :math:`\varepsilon_1..\varepsilon_K`;
    ``dwell`` (a scalar, shape ``(K,)``, or a batch ``(..., K)``, ``inf``
    allowed) are the holding times. The protocol starts at
    :math:`\varepsilon = 0` with :math:`p_1 =` ``p1_initial`` and ends with the
    frozen reset to :math:`\varepsilon = 0`, so :math:`W + Q = 0`. Vectorised
    over the batch: one ``lax.scan`` over the levels.
    """
    b = positive_scalar(beta, "beta")
    g = positive_scalar(gamma, "gamma")
    p0 = probability_scalar(p1_initial, "p1_initial")
    eps = _levels(levels)
    dt = _dwell(dwell, eps.size)
    pi = equilibrium_p1(eps, beta=b)
    decay = np.exp(-g * dt)
    pi_b = np.broadcast_to(pi, decay.shape)
    after = np.asarray(_relaxation_path(p0, jnp.asarray(pi_b), jnp.asarray(decay)))
    after = np.clip(after, 0.0, 1.0)  # guard rounding at the ends of [0, 1]
    before = np.concatenate(
        [np.full(after.shape[:-1] + (1,), p0), after[..., :-1]], axis=-1
    )
    jumps = np.diff(np.concatenate([[0.0], eps]))
    heat = np.sum(eps * (after - before), axis=-1)
    work = np.sum(before * jumps, axis=-1) - eps[-1] * after[..., -1]
    drop = generalized_landauer_bound(p0, after[..., -1])
    sigma = -b * heat - drop
    kl_drops = bernoulli_kl(before, pi_b) - bernoulli_kl(after, pi_b)
    path = np.concatenate([np.full(after.shape[:-1] + (1,), p0), after], axis=-1)
    return ErasureResult(path, heat, work, drop, sigma, kl_drops)


# --------------------------------------------------------------------------
# stochastic trajectories
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class TrajectoryHeat:
    r"""Per-trajectory results of :func:`simulate_erasure`.

    ``heat`` is :math:`Q` absorbed by the system (``heat_to_bath`` = :math:`-Q`),
    ``work`` is :math:`W`, ``x_final`` the state after the protocol.
    """

    heat: np.ndarray
    work: np.ndarray
    x_final: np.ndarray

    @property
    def heat_to_bath(self) -> np.ndarray:
        return -self.heat


def _simulate(
    key: Any, eps: Any, pi: Any, decay: Any, x0_prob: Any, n: int
) -> tuple[Any, Any, Any]:
    k0, k_steps = jax.random.split(key)
    x0 = (jax.random.uniform(k0, (n,)) < x0_prob).astype(jnp.float64)
    uniforms = jax.random.uniform(k_steps, (eps.shape[0], n))
    prev_eps = jnp.concatenate([jnp.zeros(1), eps[:-1]])

    def step(carry: Any, inputs: Any) -> tuple[Any, None]:
        x, q, w = carry
        u, e, e_prev, p_eq, a = inputs
        w = w + x * (e - e_prev)  # quench: work on the state the system is in
        # exact transition over the dwell: P(x' = 1 | x) = pi + (x - pi) a
        x_new = (u < p_eq + (x - p_eq) * a).astype(jnp.float64)
        q = q + e * (x_new - x)  # energy change at fixed level is heat
        return (x_new, q, w), None

    zeros = jnp.zeros(n)
    (x, q, w), _ = jax.lax.scan(
        step, (x0, zeros, zeros), (uniforms, eps, prev_eps, pi, decay)
    )
    w = w - eps[-1] * x  # frozen reset to 0
    return q, w, x


_simulate_jit = jax.jit(_simulate, static_argnums=5)


def simulate_erasure(
    key: Any,
    levels: Any,
    dwell: Any,
    n_trajectories: int,
    *,
    beta: float = 1.0,
    gamma: float = 1.0,
    p1_initial: float = 0.5,
) -> TrajectoryHeat:
    r"""Simulate ``n_trajectories`` independent runs of a piecewise-constant protocol in JAX.

    Each trajectory starts in :math:`x = 1` with probability ``p1_initial``. At
    each level it is quenched (work :math:`x\,\Delta\varepsilon`) and then
    jumps to :math:`x'` with the exact finite-time transition probability
    :math:`P(x' = 1 | x) = \pi_1 + (x - \pi_1) e^{-\Gamma\Delta t}`, absorbing
    heat :math:`\varepsilon_k (x' - x)`. Hops inside a dwell do not change
    the heat beyond their net effect, so the heat of each trajectory is exact,
    not time-discretised. All trajectories advance together (``lax.scan`` over
    levels, vectorised over trajectories); deterministic for a fixed ``key``.
    """
    require_key(key, "key")
    n_trajectories = whole_number(n_trajectories, "n_trajectories", 2)
    b = positive_scalar(beta, "beta")
    g = positive_scalar(gamma, "gamma")
    p0 = probability_scalar(p1_initial, "p1_initial")
    eps = _levels(levels)
    dt = _dwell(dwell, eps.size)
    if dt.ndim != 1:
        raise ValueError(
            f"dwell must be a scalar or one entry per level, got shape {dt.shape}"
        )
    pi = equilibrium_p1(eps, beta=b)
    q, w, x = _simulate_jit(
        key,
        jnp.asarray(eps),
        jnp.asarray(pi),
        jnp.asarray(np.exp(-g * dt)),
        p0,
        int(n_trajectories),
    )
    return TrajectoryHeat(np.asarray(q), np.asarray(w), np.asarray(x))
