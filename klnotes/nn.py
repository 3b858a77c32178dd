r"""Small neural networks and the optimiser that trains them.

The chapters' toy models (the nonlinear VAE, the diffusion denoiser, Bayes by
Backprop) share these pieces:

* an MLP is a list of ``(W, b)`` layers, initialised with
  :math:`W_{ij} \sim \mathcal N(0, 1/\text{fan-in})` and :math:`b = 0`, and
  applied with an activation between layers and none after the last;
* :func:`adam` runs Adam (Kingma & Ba) for a whole training schedule inside
  one :func:`jax.lax.scan`:

  .. math::

      m_t = b_1 m_{t-1} + (1-b_1) g_t,\quad
      v_t = b_2 v_{t-1} + (1-b_2) g_t^2,\quad
      \theta_t = \theta_{t-1} - \eta_t\,
        \frac{m_t/(1-b_1^t)}{\sqrt{v_t/(1-b_2^t)} + \epsilon}.

Everything is traceable: wrap the caller in ``jit`` (and ``vmap`` over, say,
a trade-off weight) as needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._validate import (
    as_float_array,
    is_traced,
    positive_scalar,
    probability_scalar,
    require_callable,
    require_finite,
    require_key,
    require_layers,
    vector,
    whole_number,
)

Layers = list[tuple[jax.Array, jax.Array]]


def mlp_init(key: jax.Array, sizes: list[int]) -> Layers:
    """Layers of an MLP with the given widths ``[in, hidden..., out]``."""
    require_key(key, "key")
    if not isinstance(sizes, (list, tuple)):
        raise TypeError(f"sizes must be a list of ints, got {type(sizes).__name__}")
    if len(sizes) < 2:
        raise ValueError(
            f"sizes needs at least 2 widths, an input and an output, got {sizes!r}"
        )
    sizes = [whole_number(s, "sizes entry", 1) for s in sizes]
    keys = jax.random.split(key, len(sizes) - 1)
    return [
        (jax.random.normal(k, (m, n)) / math.sqrt(m), jnp.zeros(n))
        for k, m, n in zip(keys, sizes[:-1], sizes[1:])
    ]


def mlp(
    layers: Layers,
    x: jax.Array,
    activation: Callable[[jax.Array], jax.Array] = jnp.tanh,
) -> jax.Array:
    """Apply the MLP to ``x`` (shape ``(..., in)``): affine, activation, ..., affine.

    Traceable; shapes are checked always, finiteness of ``x`` when concrete.
    """
    layers = require_layers(layers, "layers")
    require_callable(activation, "activation")
    x = as_float_array(x, "x")
    require_finite(x, "x")
    n_in = layers[0][0].shape[0]
    if jnp.ndim(x) == 0 or jnp.shape(x)[-1] != n_in:
        raise ValueError(
            f"x must have shape (..., {n_in}) for layers of input width {n_in},"
            f" got shape {jnp.shape(x)}"
        )
    for W, b in layers[:-1]:
        x = activation(x @ W + b)
    W, b = layers[-1]
    return x @ W + b


def cosine_decay(learning_rate: float, steps: int) -> jax.Array:
    r"""Step sizes :math:`\eta_i = \eta\,\tfrac12(1 + \cos(\pi i / N))`, :math:`i = 0..N-1`."""
    steps = whole_number(steps, "steps", 1)
    learning_rate = positive_scalar(learning_rate, "learning_rate")
    i = jnp.arange(steps, dtype=jnp.float64)
    return learning_rate * 0.5 * (1 + jnp.cos(jnp.pi * i / steps))


def adam(
    loss: Callable[[Any, Any], jax.Array],
    params: Any,
    inputs: Any,
    learning_rates: jax.Array,
    *,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[Any, jax.Array]:
    """Minimise ``loss(params, inputs[t])`` with Adam, one step per entry of ``learning_rates``.

    ``inputs`` is a pytree whose leaves have a leading axis of length ``steps``
    (typically one PRNG key per step, for fresh minibatches or noise).
    Returns the final parameters and the loss at every step.
    """
    if not callable(loss):
        raise TypeError(
            f"loss must be a callable loss(params, input), got {type(loss).__name__}"
        )
    learning_rates = as_float_array(learning_rates, "learning_rates")
    if jnp.ndim(learning_rates) != 1 or jnp.shape(learning_rates)[0] == 0:
        raise ValueError(
            "learning_rates must be a non-empty 1-D array (one step size per step),"
            f" got shape {jnp.shape(learning_rates)}"
        )
    if not is_traced(learning_rates):
        vector(learning_rates, "learning_rates")  # finite
        if np.any(np.asarray(learning_rates) <= 0):
            raise ValueError("learning_rates must be positive")
    b1 = probability_scalar(b1, "b1")
    b2 = probability_scalar(b2, "b2")
    for v, nm in ((b1, "b1"), (b2, "b2")):
        if v >= 1:
            raise ValueError(f"{nm} must lie in [0, 1), got {v}")
    eps = positive_scalar(eps, "eps")
    leaves = jax.tree_util.tree_leaves(params)
    if not leaves:
        raise ValueError("params is empty: there is nothing to optimise")
    for leaf in leaves:
        if not jnp.issubdtype(jnp.result_type(leaf), jnp.floating):
            raise TypeError(
                f"params must be a pytree of float arrays, got a leaf of dtype {jnp.result_type(leaf)}"
            )
    steps = jnp.shape(learning_rates)[0]
    for leaf in jax.tree_util.tree_leaves(inputs):
        if jnp.shape(leaf)[0] != steps:
            raise ValueError(
                f"inputs have {jnp.shape(leaf)[0]} steps but learning_rates has {steps}"
            )
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)

    def step(carry, t_lr_input):
        p, m, v = carry
        t, lr, inp = t_lr_input
        value, g = jax.value_and_grad(loss)(p, inp)
        m = jax.tree_util.tree_map(lambda a, b: b1 * a + (1 - b1) * b, m, g)
        v = jax.tree_util.tree_map(lambda a, b: b2 * a + (1 - b2) * b**2, v, g)
        c1, c2 = 1 - b1**t, 1 - b2**t
        p = jax.tree_util.tree_map(
            lambda w, a, b: w - lr * (a / c1) / (jnp.sqrt(b / c2) + eps), p, m, v
        )
        return (p, m, v), value

    t = jnp.arange(1, steps + 1, dtype=jnp.float64)
    (p, _, _), losses = jax.lax.scan(
        step, (params, zeros, zeros), (t, learning_rates, inputs)
    )
    return p, losses
