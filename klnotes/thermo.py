r"""Non-equilibrium work simulations with exact kernels, and free-energy estimators.

A protocol is a sequence of control parameters :math:`\lambda_0, \dots, \lambda_N`.
Each trajectory starts in equilibrium, :math:`x_0 \sim \pi_{\lambda_0} \propto
e^{-\beta H(x, \lambda_0)}`, and for :math:`k = 1, \dots, N`

1. switches the parameter at fixed configuration, paying the work
   :math:`W \mathrel{+}= H(x_{k-1}, \lambda_k) - H(x_{k-1}, \lambda_{k-1})`;
2. moves with a kernel :math:`T_k` in detailed balance with
   :math:`\pi_{\lambda_k}`, :math:`x_k \sim T_k(\cdot \mid x_{k-1})`.

With this accounting the path-density ratio of the reverse process to the
forward one is exactly :math:`e^{-\beta(W - \Delta F)}` at any step size, so
:math:`\langle e^{-\beta W}\rangle = e^{-\beta \Delta F}` (Jarzynski) holds
exactly, and :math:`w = e^{-\beta W}` is the annealed-importance-sampling
weight with :math:`\langle w \rangle = Z_N / Z_0`.

Kernels:

* harmonic traps :math:`H(x; k, c) = \tfrac{k}{2}(x - c)^2` with overdamped
  Langevin dynamics :math:`\gamma\,dx = -\partial_x H\,dt + \sqrt{2\gamma k_BT}\,dB`,
  integrated **exactly** over a step :math:`h` (an Ornstein–Uhlenbeck step:
  :math:`x' = c + (x - c)a + \sqrt{(k_BT/k)(1 - a^2)}\,\xi`,
  :math:`a = e^{-kh/\gamma}`), or by Euler–Maruyama, which does not leave
  :math:`\pi_\lambda` invariant and carries an :math:`O(h)` bias (for
  illustration only);
* random-walk Metropolis moves for any potential ``energy(x, lam)``.

Every simulator is JAX (float64), vectorised over trajectories, with a
``lax.fori_loop`` (or ``lax.scan`` when the path is returned) over the
protocol. Protocols are padded to a fixed capacity and the number of steps is
a traced value, so one compiled function serves every protocol length and the
reversed protocol; runs are split into batches of :data:`CHUNK` trajectories
(smaller runs use one batch rounded up to a power of two), so run sizes that
are multiples of :data:`CHUNK` share one compilation.

For harmonic protocols the exponential moments
:math:`\langle e^{-s\beta W}\rangle` and the mean work are also computed
exactly (no sampling) by propagating a Gaussian message through the
protocol: :func:`harmonic_log_moment`, :func:`harmonic_mean_work`.

Estimators of :math:`\Delta F` from work samples: the one-sided exponential
average (:func:`exponential_average`, with its delta-method error in
:func:`exponential_estimate`, per block in :func:`block_free_energies` and
:func:`block_exponential_stderr`), Bennett's acceptance ratio (:func:`bar`,
the maximum-likelihood estimate from both directions), the crossing and slope
of Crooks' relation (:func:`crooks_fit`) and the bidirectional AIS sandwich
(:func:`bidirectional_bounds`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import log_expit

from ._validate import (
    as_float_array,
    boolean,
    choice,
    finite_array,
    is_jax,
    is_traced,
    positive_array,
    positive_scalar,
    real_scalar,
    require_broadcast,
    require_callable,
    require_finite,
    require_key,
    require_positive,
    whole_number,
)
from .distributions import gaussian_log_density
from .montecarlo import Estimate, mc_estimate

SCHEMES = ("exact", "euler")

# ---------------------------------------------------------------------------
# validation helpers


def _scheme(scheme: Any) -> str:
    return choice(scheme, "scheme", SCHEMES)


def _protocol_vector(values: Any, name: str, what: str = "protocol with") -> np.ndarray:
    """A finite 1-D float array with at least 2 entries (a protocol λ_0..λ_N, or work values)."""
    v = np.asarray(as_float_array(values, name))
    if v.ndim != 1 or v.size < 2:
        raise ValueError(
            f"{name} must be a 1-D {what} at least 2 entries, got shape {v.shape}"
        )
    require_finite(v, name)
    return v


def _protocol(stiffness: Any, centre: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate a harmonic protocol: 1-D, length N + 1 >= 2 (centre may be scalar)."""
    k = _protocol_vector(stiffness, "stiffness")
    require_positive(k, "stiffness")
    c = np.asarray(as_float_array(centre, "centre"))
    if c.ndim == 0:
        c = np.full_like(k, float(c))
    if c.shape != k.shape:
        raise ValueError(
            f"shape mismatch: centre has shape {c.shape}"
            f" but stiffness has shape {k.shape}"
        )
    require_finite(c, "centre")
    return k, c


def _work(work: Any, name: str = "work") -> np.ndarray:
    return _protocol_vector(work, name, "array of work values with")


def _logsumexp(x: np.ndarray, axis: int | None = None) -> Any:
    """:math:`\\log\\sum e^{x}` of a finite float array, over ``axis`` or all of it.

    Plain NumPy (shift by the maximum, exponentiate, sum); SciPy's general
    version is several times slower on the arrays of millions of work values
    used here.
    """
    if axis is None:
        peak = float(np.max(x))
        return float(np.log(np.sum(np.exp(x - peak)))) + peak
    peak = np.max(x, axis=axis, keepdims=True)
    return np.log(np.sum(np.exp(x - peak), axis=axis)) + np.squeeze(peak, axis=axis)


def _capacity(size: int) -> int:
    """Padded protocol length: a power of two, at least 1024 (few compilations)."""
    return max(1024, 1 << (size - 1).bit_length())


def _euler_stable(k: np.ndarray, dt: float, gamma: float) -> None:
    worst = float(np.max(k)) * dt / gamma
    if worst >= 2.0:
        raise ValueError(
            "scheme='euler' (Euler–Maruyama) is unstable for stiffness*dt/gamma >= 2"
            f" (got {worst:.3g}); reduce dt"
        )


# ---------------------------------------------------------------------------
# harmonic traps


def harmonic_energy(x: Any, stiffness: Any, centre: Any) -> Any:
    r""":math:`H(x; k, c) = \tfrac{k}{2}(x - c)^2` (NumPy or JAX, broadcasting; traceable)."""
    use_jax = is_jax(x, stiffness, centre)
    x = finite_array(x, "x")
    k = positive_array(stiffness, "stiffness")
    c = finite_array(centre, "centre")
    require_broadcast({"x": x, "stiffness": k, "centre": c})
    if use_jax:
        x, k, c = jnp.asarray(x), jnp.asarray(k), jnp.asarray(c)
    return _energy(x, k, c)


def _energy(x: Any, k: Any, c: Any) -> Any:
    return 0.5 * k * (x - c) ** 2


def harmonic_free_energy(stiffness: Any, *, kT: float = 1.0) -> np.ndarray:
    r"""Free energy of a harmonic trap, :math:`F = -k_BT \log\sqrt{2\pi k_BT/k}`."""
    kT = positive_scalar(kT, "kT")
    k = np.asarray(positive_array(stiffness, "stiffness"))
    return -kT * 0.5 * np.log(2 * np.pi * kT / k)


def _step_coefficients(
    k: Any, dt: Any, kT: Any, gamma: Any, scheme: str, xp: Any = jnp
) -> tuple[Any, Any]:
    """Return (a, s) with x' - c = a (x - c) + s ξ for one step (``xp``: jnp or np)."""
    if scheme == "exact":
        a = xp.exp(-k * dt / gamma)
        s = xp.sqrt(kT / k * (1 - a**2))
    else:
        a = 1 - k * dt / gamma
        s = xp.sqrt(2 * kT * dt / gamma) * xp.ones_like(k)
    return a, s


def _harmonic_step(x, w, key_steps, j, k_old, c_old, k_new, c_new, a_k, s_k):
    """Switch the trap at fixed x (paying the work), then move with the kernel."""
    w = w + _energy(x, k_new, c_new) - _energy(x, k_old, c_old)
    noise = jax.random.normal(jax.random.fold_in(key_steps, j), x.shape)
    return c_new + (x - c_new) * a_k + s_k * noise, w


def _initial(key, k, c, kT, n_traj):
    key0, key_steps = jax.random.split(key)
    return c[0] + jnp.sqrt(kT / k[0]) * jax.random.normal(key0, (n_traj,)), key_steps


@functools.partial(jax.jit, static_argnames=("n_traj", "scheme"))
def _harmonic_loop(key, k, c, n_steps, dt, kT, gamma, *, n_traj: int, scheme: str):
    # ``k``, ``c`` are padded to a fixed capacity and ``n_steps`` is traced, so
    # one compilation serves every protocol length (and the reversed protocol).
    x0, key_steps = _initial(key, k, c, kT, n_traj)
    a, s = _step_coefficients(k[1:], dt, kT, gamma, scheme)

    def body(j, carry):
        x, w = carry
        return _harmonic_step(
            x, w, key_steps, j, k[j], c[j], k[j + 1], c[j + 1], a[j], s[j]
        )

    x, w = jax.lax.fori_loop(0, n_steps, body, (x0, jnp.zeros_like(x0)))
    return w, x


@functools.partial(jax.jit, static_argnames=("n_traj", "scheme"))
def _harmonic_path(key, k, c, dt, kT, gamma, *, n_traj: int, scheme: str):
    x0, key_steps = _initial(key, k, c, kT, n_traj)
    a, s = _step_coefficients(k[1:], dt, kT, gamma, scheme)

    def body(carry, inp):
        x, w = carry
        x, w = _harmonic_step(x, w, key_steps, *inp)
        return (x, w), x

    inputs = (jnp.arange(k.size - 1), k[:-1], c[:-1], k[1:], c[1:], a, s)
    (x, w), path = jax.lax.scan(body, (x0, jnp.zeros_like(x0)), inputs)
    return w, x, jnp.concatenate([x0[None], path], axis=0)


#: Largest batch of trajectories simulated at once; bigger runs are chunked.
CHUNK = 2**18


class Simulation(NamedTuple):
    """Work ``(n_traj,)``, final states, and optionally the path ``(N + 1, n_traj)``."""

    work: jax.Array
    final: jax.Array
    path: jax.Array | None


def simulate_harmonic(
    key: jax.Array,
    stiffness: Any,
    centre: Any,
    *,
    n_traj: int,
    dt: float,
    kT: float = 1.0,
    gamma: float = 1.0,
    scheme: str = "exact",
    return_path: bool = False,
) -> Simulation:
    r"""Simulate ``n_traj`` trajectories of a harmonic trap driven by a protocol.

    ``stiffness`` and ``centre`` are the protocol :math:`(k_j, c_j)_{j=0}^N`
    (``centre`` may be a scalar for a fixed trap). Start at equilibrium in
    :math:`\lambda_0`; at step :math:`j = 1..N` add the work
    :math:`H(x; k_j, c_j) - H(x; k_{j-1}, c_{j-1})`, then advance the dynamics
    by ``dt`` in trap :math:`j`, exactly (``scheme="exact"``, an OU step that
    leaves :math:`\pi_{\lambda_j}` invariant) or by Euler–Maruyama
    (``scheme="euler"``, biased). The reverse process is the same call with the
    protocol reversed.
    """
    require_key(key, "key")
    k, c, dt, kT, gamma, scheme = _harmonic_args(
        stiffness, centre, dt, kT, gamma, scheme
    )
    n_traj = whole_number(n_traj, "n_traj", 2)
    return_path = boolean(return_path, "return_path")
    if return_path:
        w, x, path = _harmonic_path(
            key,
            jnp.asarray(k),
            jnp.asarray(c),
            dt,
            kT,
            gamma,
            n_traj=n_traj,
            scheme=scheme,
        )
        return Simulation(w, x, path)
    # one compiled loop per (batch size, capacity): batches are powers of two up
    # to CHUNK, protocols are padded; runs longer than CHUNK use fold_in keys
    batch = min(CHUNK, 1 << (n_traj - 1).bit_length())
    n_chunks = -(-n_traj // batch)
    cap = _capacity(k.size)
    kp = jnp.asarray(np.pad(k, (0, cap - k.size), mode="edge"))
    cp = jnp.asarray(np.pad(c, (0, cap - c.size), mode="edge"))
    ws, xs = [], []
    for i in range(n_chunks):
        key_i = key if n_chunks == 1 else jax.random.fold_in(key, i)
        w, x = _harmonic_loop(
            key_i, kp, cp, k.size - 1, dt, kT, gamma, n_traj=batch, scheme=scheme
        )
        ws.append(w)
        xs.append(x)
    w = jnp.concatenate(ws)[:n_traj]
    x = jnp.concatenate(xs)[:n_traj]
    return Simulation(w, x, None)


def harmonic_path_log_ratio(
    path: Any,
    stiffness: Any,
    centre: Any,
    *,
    dt: float,
    kT: float = 1.0,
    gamma: float = 1.0,
) -> np.ndarray:
    r""":math:`\log p_F[x_{0:N}] - \log q_R[x_{0:N}]` from the densities of the path.

    Independent of the work accounting: the forward density is
    :math:`\pi_0(x_0)\prod_k T_k(x_k \mid x_{k-1})` and the reverse one
    :math:`\pi_N(x_N)\prod_k T_k(x_{k-1} \mid x_k)`, with the exact
    Ornstein–Uhlenbeck transition densities :math:`T_k` of trap :math:`k`.
    ``path`` has shape ``(N + 1, n)``. Equals :math:`\beta(W - \Delta F)`.
    """
    k, c, dt, kT, gamma, _ = _harmonic_args(stiffness, centre, dt, kT, gamma, "exact")
    x = np.asarray(as_float_array(path, "path"))
    if x.ndim != 2 or x.shape[0] != k.size:
        raise ValueError(
            f"path must have shape (N + 1, n) = ({k.size}, n), got {x.shape}"
        )
    require_finite(x, "path")

    a = np.exp(-k[1:] * dt / gamma)[:, None]
    var = (kT / k[1:] * (1 - a[:, 0] ** 2))[:, None]
    cn = c[1:, None]
    forward = gaussian_log_density(x[0], c[0], kT / k[0]) + np.sum(
        gaussian_log_density(x[1:], cn + (x[:-1] - cn) * a, var), axis=0
    )
    reverse = gaussian_log_density(x[-1], c[-1], kT / k[-1]) + np.sum(
        gaussian_log_density(x[:-1], cn + (x[1:] - cn) * a, var), axis=0
    )
    return forward - reverse


def _message(
    k: np.ndarray,
    c: np.ndarray,
    dt: float,
    kT: float,
    gamma: float,
    scheme: str,
    s: float,
):
    """Propagate an unnormalised Gaussian message weighted by e^{-sβW}."""
    beta = 1.0 / kT
    a, sd = _step_coefficients(k[1:], dt, kT, gamma, scheme, xp=np)
    log_mass, m, v = 0.0, c[0], kT / k[0]
    mean_work = 0.0
    for j in range(1, k.size):
        # weight exp(-sβ ΔH) with ΔH = (k_j/2)(x - c_j)^2 - (k_{j-1}/2)(x - c_{j-1})^2
        #   = A x^2 / 2 - B x + C
        A = k[j] - k[j - 1]
        B = k[j] * c[j] - k[j - 1] * c[j - 1]
        C = 0.5 * (k[j] * c[j] ** 2 - k[j - 1] * c[j - 1] ** 2)
        mean_work += 0.5 * (
            k[j] * ((m - c[j]) ** 2 + v) - k[j - 1] * ((m - c[j - 1]) ** 2 + v)
        )
        prec = 1.0 / v + s * beta * A
        if prec <= 0:
            return math.inf, mean_work
        m_new = (m / v + s * beta * B) / prec
        log_mass += (
            -0.5 * math.log(v * prec)
            + 0.5 * (m_new**2 * prec - m**2 / v)
            - s * beta * C
        )
        m, v = m_new, 1.0 / prec
        # the dynamics at λ_j maps the (weighted) Gaussian linearly
        m = c[j] + (m - c[j]) * a[j - 1]
        v = a[j - 1] ** 2 * v + sd[j - 1] ** 2
    return log_mass, mean_work


def _harmonic_args(stiffness, centre, dt, kT, gamma, scheme):
    """Validate a harmonic-trap protocol and its dynamics parameters."""
    k, c = _protocol(stiffness, centre)
    dt = positive_scalar(dt, "dt")
    kT = positive_scalar(kT, "kT")
    gamma = positive_scalar(gamma, "gamma")
    scheme = _scheme(scheme)
    if scheme == "euler":
        _euler_stable(k, dt, gamma)
    return k, c, dt, kT, gamma, scheme


def harmonic_log_moment(
    stiffness: Any,
    centre: Any,
    *,
    dt: float,
    s: float = 1.0,
    kT: float = 1.0,
    gamma: float = 1.0,
    scheme: str = "exact",
) -> float:
    r"""Exact :math:`\log\langle e^{-s\beta W}\rangle` of a harmonic protocol.

    The weight :math:`e^{-s\beta\,\Delta H}` of each switch is Gaussian in
    :math:`x` and each step of the dynamics is linear-Gaussian, so the
    weighted density stays an unnormalised Gaussian whose mass is the moment.
    Returns ``inf`` when the moment diverges (e.g. ``s = 2`` for a quench
    with :math:`k_1/k_0 \le 1/2`). For ``scheme="exact"`` and ``s = 1`` this
    is :math:`-\beta\Delta F` whatever ``dt``; for ``"euler"`` it is not.
    """
    s = real_scalar(s, "s")
    k, c, dt, kT, gamma, scheme = _harmonic_args(
        stiffness, centre, dt, kT, gamma, scheme
    )
    return float(_message(k, c, dt, kT, gamma, scheme, float(s))[0])


def harmonic_mean_work(
    stiffness: Any,
    centre: Any,
    *,
    dt: float,
    kT: float = 1.0,
    gamma: float = 1.0,
    scheme: str = "exact",
) -> float:
    r"""Exact mean work :math:`\langle W\rangle` of a harmonic protocol."""
    k, c, dt, kT, gamma, scheme = _harmonic_args(
        stiffness, centre, dt, kT, gamma, scheme
    )
    return float(_message(k, c, dt, kT, gamma, scheme, 0.0)[1])


# ---------------------------------------------------------------------------
# Metropolis kernels for general potentials


@functools.partial(jax.jit, static_argnames=("energy", "n_moves"))
def _metropolis_loop(
    key, lambdas, n_steps, x0, step_size, kT, *, energy: Callable, n_moves: int
):
    # ``lambdas`` is padded to a fixed capacity and ``n_steps`` is traced, so one
    # compilation serves every protocol length up to the capacity.
    beta = 1.0 / kT

    def move(m, carry):
        x, n_acc, key_k, lam = carry
        k_prop, k_acc = jax.random.split(jax.random.fold_in(key_k, m))
        prop = x + step_size * jax.random.normal(k_prop, x.shape)
        log_ratio = -beta * (energy(prop, lam) - energy(x, lam))
        accept = jnp.log(jax.random.uniform(k_acc, x.shape)) < log_ratio
        return jnp.where(accept, prop, x), n_acc + accept, key_k, lam

    def step(j, carry):
        x, w, n_acc = carry
        lam_old, lam_new = lambdas[j], lambdas[j + 1]
        w = w + energy(x, lam_new) - energy(x, lam_old)
        x, n_acc, _, _ = jax.lax.fori_loop(
            0, n_moves, move, (x, n_acc, jax.random.fold_in(key, j), lam_new)
        )
        return x, w, n_acc

    init = (x0, jnp.zeros_like(x0), jnp.zeros(x0.shape, dtype=jnp.int32))
    return jax.lax.fori_loop(0, n_steps, step, init)


class MetropolisSimulation(NamedTuple):
    """Work values, final states and the acceptance rate of the moves."""

    work: jax.Array
    final: jax.Array
    acceptance: float


def simulate_metropolis(
    key: jax.Array,
    energy: Callable[[jax.Array, jax.Array], jax.Array],
    lambdas: Any,
    x0: Any,
    *,
    step_size: float,
    kT: float = 1.0,
    n_moves: int = 1,
) -> MetropolisSimulation:
    r"""Anneal with random-walk Metropolis kernels for ``energy(x, lam)``.

    ``x0`` holds equilibrium samples of :math:`\pi_{\lambda_0}` (one per
    trajectory), ``lambdas`` the protocol. At each step the work
    :math:`E(x, \lambda_k) - E(x, \lambda_{k-1})` is added, then ``n_moves``
    Metropolis moves (Gaussian proposal of scale ``step_size``, acceptance
    :math:`\min(1, e^{-\beta\Delta E})`) in detailed balance with
    :math:`\pi_{\lambda_k}` are made. ``energy`` must be elementwise and
    JAX-traceable; pass the same function object to reuse the compiled scan.
    The AIS weight is ``exp(-work / kT)``.
    """
    require_key(key, "key")
    require_callable(energy, "energy")
    lam = _protocol_vector(lambdas, "lambdas")
    x = as_float_array(x0, "x0")
    if np.ndim(x) != 1 or np.size(x) < 2:
        raise ValueError(
            "x0 must be a 1-D array of at least 2 initial states,"
            f" got shape {np.shape(x)}"
        )
    if not is_traced(x):
        require_finite(x, "x0")
    step_size = positive_scalar(step_size, "step_size")
    kT = positive_scalar(kT, "kT")
    n_moves = whole_number(n_moves, "n_moves", 1)
    padded = np.pad(lam, (0, _capacity(lam.size) - lam.size), mode="edge")
    xf, w, n_acc = _metropolis_loop(
        key,
        jnp.asarray(padded),
        lam.size - 1,
        jnp.asarray(x),
        step_size,
        kT,
        energy=energy,
        n_moves=n_moves,
    )
    if not is_traced(w) and not bool(jnp.all(jnp.isfinite(w))):
        raise ValueError(
            "energy returned non-finite values along the annealing path"
            " (the work is NaN or inf); check energy(x, lam)"
        )
    acceptance = float(jnp.mean(n_acc)) / (n_moves * (lam.size - 1))
    return MetropolisSimulation(w, xf, acceptance)


# ---------------------------------------------------------------------------
# free-energy estimators


def exponential_average(work: Any, *, kT: float = 1.0) -> float:
    r"""Jarzynski's estimator of the free-energy difference.

    :math:`\widehat{\Delta F} = -k_BT\log\frac1n\sum_i e^{-\beta W_i}`,

    computed with log-sum-exp. It is biased upwards for finite ``n``; the
    unbiased quantity is the mean of :math:`e^{-\beta W}` itself (see
    :func:`jarzynski_weights`).
    """
    w = _work(work)
    kT = positive_scalar(kT, "kT")
    return float(-kT * (_logsumexp(-w / kT) - math.log(w.size)))


def exponential_estimate(work: Any, *, kT: float = 1.0) -> Estimate:
    r"""One-sided (EXP) estimate of :math:`\Delta F` with its delta-method standard error.

    :math:`\widehat{\Delta F} = -k_BT\log\bar w` with :math:`w_i = e^{-\beta W_i}`
    (the value of :func:`exponential_average`) and

    .. math::

        \operatorname{SE} = k_BT\,\frac{s_w}{\sqrt n\,\bar w},

    :math:`s_w` the standard deviation of the weights (normalised by
    :math:`n`, as in Bennett's and pymbar's formulas). The delta method is a
    large-sample statement: it needs :math:`n \gg e^{2\beta W_{\rm dis}}`, and
    when :math:`\operatorname{Var} w` is infinite (or the weights are dominated
    by unsampled rare paths) this error bar is not a standard error at all.
    For the reverse estimate pass the reverse work and negate the result.
    """
    w = _work(work)
    kT = positive_scalar(kT, "kT")
    log_w = -w / kT
    log_mean = _logsumexp(log_w) - math.log(w.size)
    # relative variance of the weights, computed in the log domain
    log_second = _logsumexp(2 * log_w) - math.log(w.size)
    rel_var = max(math.expm1(log_second - 2 * log_mean), 0.0)
    return Estimate(
        float(-kT * log_mean), float(kT * math.sqrt(rel_var / w.size)), w.size
    )


def _bar_side(x: np.ndarray) -> tuple[float, float, float]:
    r""":math:`\log\sum\sigma(x_i)`, :math:`\sum\sigma(1-\sigma)/\sum\sigma` and
    :math:`\log\sum\sigma^2` for the logistic :math:`\sigma` (log domain on underflow)."""
    with np.errstate(over="ignore"):
        s = 1.0 / (1.0 + np.exp(-x))
    total = float(s.sum())
    second = float(s @ s)
    if total > 1e-250 and second > 1e-250:
        return math.log(total), (total - second) / total, math.log(second)
    log_s = log_expit(x)
    lse = float(_logsumexp(log_s))
    slope = float(np.sum(np.exp(log_s - lse) * -np.expm1(log_s)))
    return lse, slope, float(_logsumexp(2 * log_s))


def _bar_terms(f: float, wf: np.ndarray, wr: np.ndarray, m: float) -> tuple:
    r"""Bennett's equation in :math:`k_BT` units at ``f``: value, slope, and the
    log first and second moments of each side's Fermi terms.

    :math:`g(f) = \log\sum_F \phi(m + w_F - f) - \log\sum_R \phi(w_R - m + f)`
    is zero at the BAR estimate and increasing, with the Fermi function
    :math:`\phi(u) = 1/(1 + e^u) = \sigma(-u)`.
    """
    lf, df, l2f = _bar_side(f - m - wf)
    lr, dr, l2r = _bar_side(m - wr - f)
    return lf - lr, df + dr, (lf, l2f), (lr, l2r)


def bar(work_forward: Any, work_reverse: Any, *, kT: float = 1.0) -> Estimate:
    r"""Bennett's acceptance ratio (BAR) estimate of :math:`\Delta F`, with its standard error.

    Bennett (1976); Shirts, Bair, Hooker & Pande, PRL 91, 140601 (2003).
    With :math:`n_F` forward work values :math:`W^F_i`, :math:`n_R` reverse
    ones :math:`W^R_j`, :math:`M = \log(n_F/n_R)` and the Fermi function
    :math:`\phi(u) = 1/(1 + e^{u})`, the estimate solves

    .. math::

        \sum_{i=1}^{n_F} \phi\big(M + \beta W^F_i - \beta\Delta F\big)
        = \sum_{j=1}^{n_R} \phi\big(\beta W^R_j - M + \beta\Delta F\big).

    Under Crooks' theorem this is the maximum-likelihood estimate of
    :math:`\Delta F` from the pooled samples: the probability that a work value
    :math:`W` came from the forward process is
    :math:`1/(1 + e^{-M - \beta(W - \Delta F)})`, a logistic regression of known
    slope :math:`\beta`, and Bennett's equation is its score equation. The
    left side minus the right is increasing in :math:`\Delta F`, so the root
    is unique; it is found by Newton's method, safeguarded by bisection.

    The standard error is Bennett's asymptotic formula (his eq. 10a with the
    misprint corrected, as in pymbar's ``uncertainty_method="BAR"``):

    .. math::

        \operatorname{Var}(\beta\widehat{\Delta F})
        = \frac{\langle\phi_F^2\rangle_F - \langle\phi_F\rangle_F^2}
               {n_F\,\langle\phi_F\rangle_F^2}
        + \frac{\langle\phi_R^2\rangle_R - \langle\phi_R\rangle_R^2}
               {n_R\,\langle\phi_R\rangle_R^2}

    at the root, with :math:`\phi_F`, :math:`\phi_R` the summands above and
    averages normalised by :math:`n_F`, :math:`n_R`. ``n`` of the returned
    :class:`~klnotes.montecarlo.Estimate` is :math:`n_F + n_R`.
    """
    kT = positive_scalar(kT, "kT")
    wf = _work(work_forward, "work_forward") / kT
    wr = _work(work_reverse, "work_reverse") / kT
    nf, nr = wf.size, wr.size
    m = math.log(nf / nr)

    # Newton's method on the increasing g, started midway between the mean
    # forward and mean reverse work (which bracket ΔF by the second law); each
    # evaluation narrows a bracket [lo, hi], and a step that would leave it
    # bisects it instead (the moments at the last evaluation, within 1e-15 of
    # the root, give the variance)
    lo, hi = -math.inf, math.inf
    f = 0.5 * (float(np.mean(wf)) - float(np.mean(wr)))
    for _ in range(200):
        g, slope, side_f, side_r = _bar_terms(f, wf, wr, m)
        if g == 0.0:
            break
        if not slope > 0.0:
            raise ValueError(
                "work_forward and work_reverse do not overlap: Bennett's equation"
                " has no usable root"
            )
        lo, hi = (f, hi) if g < 0.0 else (lo, f)
        new = f - g / slope
        if abs(new - f) <= 1e-15 * max(1.0, abs(f)):
            f = new
            break
        f = new if lo < new < hi else 0.5 * (lo + hi)
    else:  # pragma: no cover - Newton with bisection converges
        raise ValueError("Bennett's equation did not converge")
    # Bennett's variance from the log moments of the Fermi terms at the root
    variance = sum(
        max(math.expm1(l2 - math.log(n) - 2 * (l1 - math.log(n))), 0.0) / n
        for (l1, l2), n in ((side_f, nf), (side_r, nr))
    )
    return Estimate(float(kT * f), float(kT * math.sqrt(variance)), nf + nr)


def jarzynski_weights(work: Any, *, kT: float = 1.0) -> Estimate:
    r"""Unbiased estimate of :math:`\langle e^{-\beta W}\rangle = e^{-\beta\Delta F}`.

    The :class:`~klnotes.montecarlo.Estimate` carries its standard error.
    """
    w = _work(work)
    kT = positive_scalar(kT, "kT")
    if np.max(-w / kT) > 700.0:
        raise ValueError(
            "work has values so negative that exp(-work/kT) overflows;"
            " shift the work by a constant or use exponential_average"
        )
    return mc_estimate(np.exp(-w / kT))


def _work_blocks(
    work: Any, n: Any, kT: Any, *, smallest: int
) -> tuple[np.ndarray, int, float]:
    """``work`` cut into ``len(work) // n`` rows of ``n`` (a remainder dropped)."""
    w = _work(work)
    n = whole_number(n, "n", smallest)
    kT = positive_scalar(kT, "kT")
    m = w.size // n
    if m < 2:
        raise ValueError(f"need at least 2 blocks of n={n}, got {w.size} work values")
    return w[: m * n].reshape(m, n), n, kT


def block_free_energies(work: Any, n: int, *, kT: float = 1.0) -> np.ndarray:
    r"""Independent estimates :math:`\widehat{\Delta F}_n` from blocks of ``n`` values.

    Returns ``len(work) // n`` values (a remainder is dropped).
    """
    blocks, n, kT = _work_blocks(work, n, kT, smallest=1)
    return -kT * (_logsumexp(-blocks / kT, axis=1) - math.log(n))


def block_exponential_stderr(work: Any, n: int, *, kT: float = 1.0) -> np.ndarray:
    r"""The standard error that :func:`exponential_estimate` reports for each block of ``n``.

    Blocks as in :func:`block_free_energies` (``len(work) // n`` of them, a
    remainder dropped); for each, the delta-method error
    :math:`k_BT\,s_w/(\sqrt n\,\bar w)` of its estimate, with the standard
    deviation :math:`s_w` of its weights normalised by ``n``. Comparing these
    reported errors with the actual spread of the block estimates shows when
    the sample standard error is too optimistic.
    """
    blocks, n, kT = _work_blocks(work, n, kT, smallest=2)
    log_w = -blocks / kT
    log_mean = _logsumexp(log_w, axis=1) - math.log(n)
    log_second = _logsumexp(2 * log_w, axis=1) - math.log(n)
    rel_var = np.maximum(np.expm1(log_second - 2 * log_mean), 0.0)
    return kT * np.sqrt(rel_var / n)


def exponential_estimator_moments(
    relative_variance: float, n: int, *, kT: float = 1.0
) -> tuple[float, float]:
    r"""Large-``n`` bias and variance of :math:`\widehat{\Delta F}_n`.

    Gore, Ritort & Bustamante (2003).

    With :math:`w = e^{-\beta W}`, :math:`\mu = \langle w \rangle` and
    :math:`\rho = \operatorname{Var}(w)/\mu^2` (``relative_variance``), a
    second-order expansion of :math:`-k_BT\log(\mu + \delta)` in the sampling
    error :math:`\delta` gives

    .. math::

        \operatorname{bias} \approx \frac{k_BT\,\rho}{2n}, \qquad
        \operatorname{Var} \approx \frac{(k_BT)^2\,\rho}{n},

    valid for :math:`n \gg \rho + 1`. For Gaussian work,
    :math:`\rho = e^{\beta^2\sigma_W^2} - 1 = e^{2\beta W_{\rm dis}} - 1`.
    """
    rho = positive_scalar(relative_variance, "relative_variance")
    n = whole_number(n, "n", 1)
    kT = positive_scalar(kT, "kT")
    return kT * rho / (2 * n), kT**2 * rho / n


def bidirectional_bounds(
    work_forward: Any, work_reverse: Any, *, kT: float = 1.0
) -> tuple[Estimate, Estimate]:
    r"""Estimates of the two sides of the bidirectional sandwich

    .. math::

        \langle\log w_F\rangle_F \le \log Z_N/Z_0 \le -\langle\log w_R\rangle_R.


    :math:`\log w_F = -\beta W_F` for forward work and :math:`\log w_R = -\beta W_R`
    for reverse work. The gaps are :math:`I[p_F; q_R]` and :math:`I[q_R; p_F]`.
    Returns ``(lower, upper)`` as :class:`~klnotes.montecarlo.Estimate`.
    """
    wf = _work(work_forward, "work_forward")
    wr = _work(work_reverse, "work_reverse")
    kT = positive_scalar(kT, "kT")
    return mc_estimate(-wf / kT), mc_estimate(wr / kT)


class CrooksFit(NamedTuple):
    """Weighted line fit of :math:`\\log P_F(W)/P_R(-W)` against :math:`\\beta W`."""

    slope: Estimate
    crossing: Estimate
    centres: np.ndarray
    log_ratio: np.ndarray
    log_ratio_se: np.ndarray


def crooks_fit(
    work_forward: Any,
    work_reverse: Any,
    *,
    bins: int = 40,
    kT: float = 1.0,
    min_count: int = 100,
) -> CrooksFit:
    r"""Fit Crooks' relation from forward and reverse work samples.

    Crooks: :math:`\log\frac{P_F(W)}{P_R(-W)} = \beta(W - \Delta F)`.

    Both samples are histogrammed on common bins (``-work_reverse`` for the
    reverse one); bins with at least ``min_count`` counts in both are kept.
    Each log ratio of counts (corrected for unequal sample sizes) gets the
    Poisson variance :math:`1/n_F + 1/n_R`, and a weighted least-squares line
    :math:`a + b\,\beta W` gives the slope :math:`b` (Crooks: 1) and the
    crossing :math:`W^* = -a/(\beta b)` where the two densities are equal
    (Crooks: :math:`\Delta F`), with standard errors from the fit covariance
    (the crossing's by the delta method). The estimates carry ``n`` = number
    of bins used. A count ratio is a bin *average* of
    :math:`e^{\beta(W - \Delta F)}`, which tilts the slope by about
    :math:`-\Delta^2/(12\sigma_W^2)` for bins of width :math:`\Delta`: use
    narrow bins.
    """
    wf = _work(work_forward, "work_forward")
    wr = -_work(work_reverse, "work_reverse")
    bins = whole_number(bins, "bins", 3)
    kT = positive_scalar(kT, "kT")
    min_count = whole_number(min_count, "min_count", 1)
    edges = np.linspace(min(wf.min(), wr.min()), max(wf.max(), wr.max()), bins + 1)
    nf, _ = np.histogram(wf, edges)
    nr, _ = np.histogram(wr, edges)
    keep = (nf >= min_count) & (nr >= min_count)
    if keep.sum() < 3:
        raise ValueError(
            f"fewer than 3 bins have min_count = {min_count} counts in both samples;"
            " the histograms barely overlap"
        )
    centres = 0.5 * (edges[1:] + edges[:-1])[keep]
    nf, nr = nf[keep].astype(float), nr[keep].astype(float)
    y = np.log(nf / nr) - math.log(wf.size / wr.size)
    var = 1 / nf + 1 / nr
    X = np.column_stack([np.ones_like(centres), centres / kT])
    cov = np.linalg.inv(X.T @ (X / var[:, None]))
    a, b = cov @ (X.T @ (y / var))
    crossing = -a * kT / b
    grad = np.array([-kT / b, a * kT / b**2])
    m = int(keep.sum())
    return CrooksFit(
        slope=Estimate(float(b), float(math.sqrt(cov[1, 1])), m),
        crossing=Estimate(float(crossing), float(math.sqrt(grad @ cov @ grad)), m),
        centres=centres,
        log_ratio=y,
        log_ratio_se=np.sqrt(var),
    )


__all__ = [
    "MetropolisSimulation",
    "Simulation",
    "CrooksFit",
    "bar",
    "bidirectional_bounds",
    "crooks_fit",
    "block_exponential_stderr",
    "block_free_energies",
    "exponential_average",
    "exponential_estimate",
    "exponential_estimator_moments",
    "harmonic_energy",
    "harmonic_free_energy",
    "harmonic_log_moment",
    "harmonic_mean_work",
    "harmonic_path_log_ratio",
    "jarzynski_weights",
    "simulate_harmonic",
    "simulate_metropolis",
]
