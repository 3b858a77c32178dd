"""The shared input validators every klnotes module uses."""

import math

import numpy as np
import pytest

from klnotes import _validate as V


def test_scalars():
    assert V.real_scalar(np.float64(-2.5), "x") == -2.5
    assert V.positive_scalar(3, "x") == 3.0
    assert V.positive_scalar(math.inf, "tau", allow_inf=True) == math.inf
    for bad, exc, text in [
        (True, TypeError, "x must be a real number"),
        ("1", TypeError, "x must be a real number"),
        (math.nan, ValueError, "x must be finite"),
        (math.inf, ValueError, "x must be finite"),
        (0.0, ValueError, "x must be positive"),
    ]:
        with pytest.raises(exc, match=text):
            V.positive_scalar(bad, "x")


def test_whole_number():
    assert V.whole_number(np.int64(4), "n", 2) == 4
    with pytest.raises(TypeError, match="n must be an int"):
        V.whole_number(2.0, "n")
    with pytest.raises(TypeError, match="n must be an int"):
        V.whole_number(True, "n")
    with pytest.raises(ValueError, match="n must be a non-negative int"):
        V.whole_number(-1, "n")
    with pytest.raises(ValueError, match="n must be an int >= 2"):
        V.whole_number(1, "n", 2)


def test_arrays():
    np.testing.assert_array_equal(V.probability_array([0.0, 1.0], "p"), [0.0, 1.0])
    with pytest.raises(ValueError, match="p must lie strictly between 0 and 1"):
        V.probability_array([0.0, 0.5], "p", open_interval=True)
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        V.probability_array([1.5], "p")
    with pytest.raises(ValueError, match="p has non-finite"):
        V.probability_array([math.nan], "p")
    with pytest.raises(ValueError, match="w must be positive"):
        V.positive_array([1.0, 0.0], "w")
    with pytest.raises(ValueError, match="a has non-finite"):
        V.finite_array([math.inf], "a")
    with pytest.raises(TypeError, match="a must be a real numeric array"):
        V.finite_array(["x"], "a")


def test_new_scalar_validators():
    assert V.real_scalar(np.asarray(2.5), "x") == 2.5  # a 0-d array is a scalar
    assert V.real_scalar(np.float32(0.5), "x") == 0.5
    assert V.whole_number(np.asarray(3), "n") == 3
    assert (
        V.as_int(np.int64(4)) == 4 and V.as_int(True) is None and V.as_int(4.0) is None
    )
    assert V.probability_scalar(1.0, "p") == 1.0
    with pytest.raises(ValueError, match="p must lie strictly between 0 and 1"):
        V.probability_scalar(1.0, "p", open_interval=True)
    with pytest.raises(TypeError, match="x must be a real number, got ndarray"):
        V.real_scalar(np.zeros(2), "x")
    assert V.boolean(np.bool_(True), "flag") is True
    with pytest.raises(TypeError, match="flag must be a bool, got int"):
        V.boolean(1, "flag")
    assert V.choice("a", "mode", ("a", "b")) == "a"
    with pytest.raises(TypeError, match="mode must be a string"):
        V.choice(1, "mode", ("a", "b"))
    with pytest.raises(ValueError, match="mode must be one of"):
        V.choice("c", "mode", ("a", "b"))


def test_keys_generators_and_layers():
    import jax

    V.require_key(jax.random.key(0))
    V.require_key(jax.random.PRNGKey(0))
    for bad in (
        0,
        np.zeros(2, dtype=np.uint32),
        jax.random.split(jax.random.key(0), 2),
    ):
        with pytest.raises(TypeError, match="key must be a JAX PRNG key"):
            V.require_key(bad)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        V.require_generator(np.random.RandomState(0))
    layers = [(np.zeros((2, 3)), np.zeros(3)), (np.zeros((3, 1)), np.zeros(1))]
    assert V.require_layers(layers, "layers") == layers
    with pytest.raises(ValueError, match="do not chain"):
        V.require_layers(layers[::-1], "layers")


def test_vector_and_distributions():
    np.testing.assert_array_equal(V.vector([1, 2], "v", min_size=2), [1.0, 2.0])
    with pytest.raises(ValueError, match="v needs at least 2 draws, got 1"):
        V.vector([1.0], "v", min_size=2, unit="draws")
    with pytest.raises(ValueError, match="v is empty"):
        V.vector([], "v")
    with pytest.raises(ValueError, match=r"v must be 1-D \(a protocol\)"):
        V.vector(np.zeros((2, 2)), "v", what="a protocol")
    V.require_distribution(np.zeros((0, 3)), "p")  # an empty batch is fine
    with pytest.raises(ValueError, match="p is not normalised"):
        V.require_distribution([0.5, 0.5 + 1e-9], "p", atol=1e-12)
    with pytest.raises(
        ValueError, match="shape mismatch: shapes a .* do not broadcast"
    ):
        V.require_broadcast({"a": np.zeros(2), "b": np.zeros(3)})


# ---------------------------------------------------------------------------
# what is validated under jit tracing (see the _validate module docstring)


def test_traced_functions_still_work():
    import jax
    import jax.numpy as jnp

    import klnotes as kn

    p, q = jnp.array([0.2, 0.3, 0.5]), jnp.array([0.4, 0.4, 0.2])
    assert float(jax.jit(kn.kl)(p, q)) == pytest.approx(float(kn.kl(p, q)), rel=1e-14)
    assert float(jax.jit(kn.entropy)(p)) == pytest.approx(
        float(kn.entropy(p)), rel=1e-14
    )
    g = jax.grad(lambda m: kn.gaussian_kl(m, 1.0, 0.0, 2.0))(1.0)
    assert float(g) == pytest.approx(0.5, rel=1e-14)  # (m_p - m_q) / var_q
    mv = jax.jit(kn.gaussian_kl)(jnp.zeros(2), jnp.eye(2), jnp.ones(2), 2 * jnp.eye(2))
    assert float(mv) == pytest.approx(
        float(kn.gaussian_kl(np.zeros(2), np.eye(2), np.ones(2), 2 * np.eye(2))),
        rel=1e-12,
    )
    batch = jax.vmap(kn.binary_entropy)(jnp.array([0.1, 0.5]))
    np.testing.assert_allclose(batch, kn.binary_entropy([0.1, 0.5]), rtol=1e-14)
    lin = kn.diffusion.linear_schedule()
    np.testing.assert_allclose(
        jax.jit(lin.gamma)(jnp.array([0.0, 1.0])), [lin.gamma_min, lin.gamma_max]
    )


def test_traced_functions_still_reject_shape_and_type_errors():
    import jax
    import jax.numpy as jnp

    import klnotes as kn

    with pytest.raises(ValueError, match="shape mismatch: p has shape"):
        jax.jit(kn.kl)(jnp.ones(2) / 2, jnp.ones(3) / 3)
    with pytest.raises(ValueError, match="p has no outcomes"):
        jax.jit(kn.entropy)(jnp.zeros((2, 0)))
    with pytest.raises(TypeError, match="p must be a real numeric array"):
        jax.jit(kn.entropy)(jnp.array([0.5 + 0j, 0.5]))
    with pytest.raises(ValueError, match=r"cov_p has shape \(2,\); expected"):
        # mixed conventions: variances for p, a covariance matrix for q
        jax.jit(kn.gaussian_kl)(jnp.zeros(2), jnp.ones(2), jnp.zeros(2), jnp.eye(2))
    with pytest.raises(ValueError, match="p, q|shapes p"):
        jax.jit(kn.bernoulli_kl)(jnp.array([0.1, 0.2]), jnp.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 2\)"):
        jax.jit(kn.mvn_log_density)(jnp.zeros(3), jnp.zeros(2), jnp.eye(2))
    with pytest.raises(ValueError, match="x must have shape"):
        layers = [(jnp.zeros((2, 1)), jnp.zeros(1))]
        jax.jit(lambda x: kn.nn.mlp(layers, x))(jnp.zeros((4, 3)))


def test_traced_values_are_not_checked():
    """Values of tracers cannot be read: an unnormalised p passes under jit only."""
    import jax
    import jax.numpy as jnp

    import klnotes as kn

    bad = jnp.array([0.5, 0.6])
    with pytest.raises(ValueError, match="p is not normalised"):
        kn.entropy(bad)
    assert np.isfinite(float(jax.jit(kn.entropy)(bad)))
