"""klnotes.nn: the shared MLP and the Adam loop."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from klnotes import nn


def test_mlp_shapes_and_init_scale():
    layers = nn.mlp_init(jax.random.PRNGKey(0), [3, 400, 2])
    assert [W.shape for W, _ in layers] == [(3, 400), (400, 2)]
    assert float(jnp.std(layers[1][0])) == pytest.approx(1 / 20, rel=0.05)
    out = nn.mlp(layers, jnp.ones((5, 3)), activation=jax.nn.silu)
    assert out.shape == (5, 2)
    # one layer is just the affine map
    (W, b), x = nn.mlp_init(jax.random.PRNGKey(1), [2, 2])[0], jnp.ones(2)
    np.testing.assert_allclose(nn.mlp([(W, b)], x), x @ W + b)


def test_cosine_decay():
    rates = nn.cosine_decay(0.1, 4)
    np.testing.assert_allclose(
        rates, 0.1 * 0.5 * (1 + np.cos(np.pi * np.arange(4) / 4))
    )


def test_adam_reaches_the_minimum_of_a_quadratic():
    target = jnp.array([1.0, -2.0, 3.0])
    steps = 2000

    def loss(p, _):
        return jnp.sum((p - target) ** 2)

    p, losses = jax.jit(
        lambda: nn.adam(
            loss, jnp.zeros(3), jnp.zeros(steps), nn.cosine_decay(0.05, steps)
        )
    )()
    np.testing.assert_allclose(p, target, atol=1e-6)
    assert losses.shape == (steps,) and losses[-1] < 1e-10 < losses[0]


def test_adam_first_step_is_the_sign_of_the_gradient():
    # with bias correction, step one moves every coordinate by lr * g / (|g| + eps)
    p, _ = nn.adam(
        lambda p, _: jnp.sum(jnp.array([3.0, -0.5]) * p),
        jnp.zeros(2),
        jnp.zeros(1),
        jnp.array([0.1]),
    )
    np.testing.assert_allclose(p, [-0.1, 0.1], rtol=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="sizes"):
        nn.mlp_init(jax.random.PRNGKey(0), [3])
    with pytest.raises(TypeError, match="sizes entry must be an int"):
        nn.mlp_init(jax.random.PRNGKey(0), [3, 2.5])
    with pytest.raises(ValueError, match="learning_rate must be positive"):
        nn.cosine_decay(0.0, 10)
    with pytest.raises(TypeError, match="loss must be a callable"):
        nn.adam(None, jnp.zeros(1), jnp.zeros(3), jnp.ones(3))
    with pytest.raises(
        ValueError, match="inputs have 2 steps but learning_rates has 3"
    ):
        nn.adam(lambda p, _: jnp.sum(p**2), jnp.zeros(1), jnp.zeros(2), jnp.ones(3))
