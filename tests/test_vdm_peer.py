"""Peer test: ``klnotes.diffusion`` against the official Variational Diffusion Models loss.

The loss of Kingma, Salimans, Poole & Ho (VDM) is transcribed below from the
official code, google-research/vdm at commit
dc27b98a554f65cdc654b800da5aa1846545d41b:

* ``model_vdm.py``: ``VDM.__call__`` (the reconstruction, latent and diffusion
  terms, discrete ``T > 0`` and continuous ``T == 0``), ``EncDec.encode``,
  ``EncDec.decode`` and ``EncDec.logprob`` (the discrete decoder) and
  ``NoiseSchedule_FixedLinear`` (the fixed linear schedule);
* ``colab/2D_VDM_Example.ipynb``: ``loss_fn``, the same loss for data of shape
  ``(batch, d)`` (sums over ``axis=1`` instead of ``axis=(1, 2, 3)``) with the
  rescaling to bits per dimension of ``experiment_vdm.py``.

The transcription is plain JAX (VDM uses Flax modules; the schedule and the
score network are passed in as callables here), and the random draws VDM makes
inside the module (``eps_0``, ``t``, ``eps``) are arguments, so that both
implementations see identical data, noise, times, schedule and denoiser.

Conventions handled explicitly:

* **parameterisation**: VDM's score network predicts the noise,
  :math:`\\hat\\epsilon`; a ``klnotes`` denoiser predicts the data,
  :math:`\\hat x = (z - \\sigma\\hat\\epsilon)/\\alpha`, and conversely
  :math:`\\hat\\epsilon = (z - \\alpha\\hat x)/\\sigma`. Both directions are tested.
* **discrete time**: VDM rounds :math:`t` up to the grid, ``ceil(t T) / T``, and
  returns the single-step estimate, :math:`T` times the step's term; ``klnotes``
  takes the step index :math:`i` and returns the step's term
  (:func:`klnotes.diffusion.step_term`).
* **reconstruction**: VDM's data are integers in ``0..V-1`` and its decoder is a
  softmax over the ``V`` grid values of Gaussian logits, a probability; here the
  data are continuous and the decoder is a Gaussian density. With
  :math:`\\Delta = 2/V` the width of a bin in VDM's encoded space,
  :math:`-\\log P_{\\mathrm{VDM}} = -\\log q(x) + \\log Z - \\log\\Delta` per
  coordinate, where :math:`Z = \\Delta\\sum_j q(x_j)` is the Riemann sum of the
  decoder density over the grid (computed here independently with SciPy).
* **bits per dimension**: both divide nats by :math:`d \\ln 2`; for discrete
  data the result bounds :math:`-\\log_2` of a probability, for continuous data
  of a density, and where the decoder is wide compared with a bin
  (:math:`Z = 1`) the two differ by :math:`\\log_2(V/2)` bits per dimension.

Agreement is required term by term to ``1e-10`` nats, relative where a term
exceeds one nat (the single-step estimate at :math:`T = 1` is of order
:math:`10^{5}` nats): ``|klnotes - vdm| <= 1e-10 * max(1, |vdm|)``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import logsumexp

import klnotes as kn  # noqa: F401  (switches JAX to float64)
from klnotes import diffusion as D
from klnotes import nn

GAMMA_MIN, GAMMA_MAX = -13.3, 5.0
VOCAB = 256
N, DIM = 4000, 2
TOL = 1e-10


def close(klnotes_value, vdm_value, what):
    a, b = np.asarray(klnotes_value), np.asarray(vdm_value)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} and {b.shape}"
    worst = np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))
    assert worst <= TOL, f"{what}: largest scaled difference {worst:.3g}"
    return worst


# --------------------------------------------------------------------------- VDM


def vdm_fixed_linear_gamma(t):
    """model_vdm.py, NoiseSchedule_FixedLinear.__call__."""
    return GAMMA_MIN + (GAMMA_MAX - GAMMA_MIN) * t


def vdm_encode(x, vocab_size=VOCAB):
    """model_vdm.py, EncDec.encode: discrete 0..V-1 to the middle of V bins of (-1, 1)."""
    x = jnp.round(x)
    return 2 * ((x + 0.5) / vocab_size) - 1


def vdm_decode(z, g_0, vocab_size=VOCAB):
    """model_vdm.py, EncDec.decode, for data of shape (batch, d): log-probabilities."""
    x_vals = jnp.arange(0, vocab_size)[:, None]
    x_vals = jnp.repeat(x_vals, z.shape[-1], 1)
    x_vals = vdm_encode(x_vals, vocab_size).transpose([1, 0])[None, :, :]
    inv_stdev = jnp.exp(-0.5 * g_0[..., None])
    logits = -0.5 * jnp.square((z[..., None] - x_vals) * inv_stdev)
    return jax.nn.log_softmax(logits)


def vdm_logprob(x, z, g_0, vocab_size=VOCAB):
    """model_vdm.py, EncDec.logprob (colab: data_logprob), summed over axis 1."""
    x = jnp.round(x).astype("int32")
    x_onehot = jax.nn.one_hot(x, vocab_size)
    logprobs = vdm_decode(z, g_0, vocab_size)
    return jnp.sum(x_onehot * logprobs, axis=(1, 2))


def vdm_terms(gamma, score_model, f, eps_0, t, eps, T, x_discrete=None):
    """model_vdm.py, VDM.__call__ (colab: loss_fn), with the random draws as arguments.

    ``f`` is the encoded data; ``x_discrete`` the integers it encodes (needed
    only for the reconstruction term). Returns the per-example terms and
    ``z_0_rescaled``.
    """
    g_0, g_1 = gamma(jnp.asarray(0.0)), gamma(jnp.asarray(1.0))
    var_0, var_1 = jax.nn.sigmoid(g_0), jax.nn.sigmoid(g_1)

    # 1. RECONSTRUCTION LOSS
    z_0 = jnp.sqrt(1.0 - var_0) * f + jnp.sqrt(var_0) * eps_0
    z_0_rescaled = f + jnp.exp(0.5 * g_0) * eps_0  # = z_0/sqrt(1-var)
    loss_recon = None
    if x_discrete is not None:
        loss_recon = -vdm_logprob(x_discrete, z_0_rescaled, g_0)

    # 2. LATENT LOSS
    mean1_sqr = (1.0 - var_1) * jnp.square(f)
    loss_klz = 0.5 * jnp.sum(mean1_sqr + var_1 - jnp.log(var_1) - 1.0, axis=1)

    # 3. DIFFUSION LOSS
    if T > 0:
        t = jnp.ceil(t * T) / T
    g_t = gamma(t)
    var_t = jax.nn.sigmoid(g_t)[:, None]
    z_t = jnp.sqrt(1.0 - var_t) * f + jnp.sqrt(var_t) * eps
    eps_hat = score_model(z_t, g_t)
    loss_diff_mse = jnp.sum(jnp.square(eps - eps_hat), axis=1)
    if T == 0:
        _, g_t_grad = jax.jvp(gamma, (t,), (jnp.ones_like(t),))
        loss_diff = 0.5 * g_t_grad * loss_diff_mse
    else:
        s = t - (1.0 / T)
        g_s = gamma(s)
        loss_diff = 0.5 * T * jnp.expm1(g_t - g_s) * loss_diff_mse
    return {
        "recon": loss_recon,
        "klz": loss_klz,
        "diff": loss_diff,
        "z_0": z_0,
        "z_0_rescaled": z_0_rescaled,
    }


def vdm_bpd(terms, shape):
    """experiment_vdm.py, Experiment_VDM.loss_fn (colab: loss_fn): bits per dimension."""
    rescale_to_bpd = 1.0 / (np.prod(shape[1:]) * np.log(2.0))
    bpd_latent = jnp.mean(terms["klz"]) * rescale_to_bpd
    bpd_recon = jnp.mean(terms["recon"]) * rescale_to_bpd
    bpd_diff = jnp.mean(terms["diff"]) * rescale_to_bpd
    return {
        "prior": bpd_latent,
        "reconstruction": bpd_recon,
        "diffusion": bpd_diff,
        "total": bpd_recon + bpd_latent + bpd_diff,
    }


# --------------------------------------------------------------------------- denoisers


def eps_from_x(x_denoiser):
    """VDM-style noise prediction from a klnotes data prediction."""

    def score_model(z, g):
        g = g[:, None]
        x_hat = x_denoiser(z, g[:, 0])
        return (z - jnp.sqrt(jax.nn.sigmoid(-g)) * x_hat) / jnp.sqrt(jax.nn.sigmoid(g))

    return score_model


def x_from_eps(score_model):
    """klnotes data prediction from a VDM-style noise prediction."""

    def denoiser(z, g):
        gg = g[:, None]
        eps_hat = score_model(z, g)
        return (z - jnp.sqrt(jax.nn.sigmoid(gg)) * eps_hat) / jnp.sqrt(
            jax.nn.sigmoid(-gg)
        )

    return denoiser


def vdm_like_score_model(key):
    """A fixed nonlinear noise predictor with VDM's base measure (``eps_pred += z``)."""
    k1, k2, k3 = jax.random.split(key, 3)
    W1 = jax.random.normal(k1, (DIM + 1, 32)) / math.sqrt(DIM + 1)
    W2 = 0.3 * jax.random.normal(k2, (32, DIM)) / math.sqrt(32)
    b1 = 0.1 * jax.random.normal(k3, (32,))

    def score_model(z, g):
        u = ((g - GAMMA_MIN) / (GAMMA_MAX - GAMMA_MIN))[:, None]  # ScoreUNet's t
        h = jax.nn.swish(jnp.concatenate([z, u], axis=1) @ W1 + b1)
        return h @ W2 + z

    return score_model


def mlp_params(key):
    """klnotes' MLP with a random (not zero) output layer, so that eps_hat is not 0."""
    k_init, k_out = jax.random.split(key)
    params = D.mlp_init(k_init, dim=DIM, hidden=16, depth=2, n_freq=4)
    W, b = params[-1]
    params[-1] = (0.5 * jax.random.normal(k_out, W.shape) / math.sqrt(W.shape[0]), b)
    return params


def mlp_eps(params):
    """The noise prediction of klnotes' MLP, its features written out from the docs."""
    n_freq = (params[0][0].shape[0] - DIM - 1) // 2

    def score_model(z, g):
        u = (2.0 * (g - GAMMA_MIN) / (GAMMA_MAX - GAMMA_MIN) - 1.0)[:, None]
        freqs = jnp.pi * 2.0 ** jnp.arange(n_freq)
        h = jnp.concatenate([z, u, jnp.sin(u * freqs), jnp.cos(u * freqs)], axis=-1)
        return nn.mlp(params, h, activation=jax.nn.silu)

    return score_model


# --------------------------------------------------------------------------- inputs


@pytest.fixture(scope="module")
def draws():
    """Identical inputs for both implementations: discrete data, its encoding, noise, times."""
    rng = np.random.default_rng(20220915)
    x_int = rng.integers(0, VOCAB, size=(N, DIM)).astype(np.float64)
    return {
        "x_int": jnp.asarray(x_int),
        "f": vdm_encode(jnp.asarray(x_int)),
        "eps_0": jnp.asarray(rng.standard_normal((N, DIM))),
        "eps": jnp.asarray(rng.standard_normal((N, DIM))),
        "t": jnp.asarray(rng.uniform(0.0, 1.0, size=N)),
    }


def denoisers():
    """(name, klnotes denoiser, VDM score model) pairs: the same function both ways."""
    gauss = D.gaussian_optimal_denoiser(0.0, 0.58)
    eps_model = vdm_like_score_model(jax.random.PRNGKey(1))
    params = mlp_params(jax.random.PRNGKey(2))
    return [
        ("optimal x-denoiser", gauss, eps_from_x(gauss)),
        ("noise predictor", x_from_eps(eps_model), eps_model),
        ("klnotes MLP", D.mlp_denoiser(params, D.linear_schedule()), mlp_eps(params)),
    ]


DENOISERS = denoisers()
IDS = [d[0] for d in DENOISERS]


# --------------------------------------------------------------------------- tests


def test_schedule_is_vdms_fixed_linear():
    t = jnp.linspace(0.0, 1.0, 1001)
    sch = D.linear_schedule(GAMMA_MIN, GAMMA_MAX)
    close(sch.gamma(t), vdm_fixed_linear_gamma(t), "gamma(t)")
    _, jvp = jax.jvp(vdm_fixed_linear_gamma, (t,), (jnp.ones_like(t),))
    close(sch.gamma_prime(t), jvp, "gamma'(t)")


def test_prior_term(draws):
    sch = D.linear_schedule(GAMMA_MIN, GAMMA_MAX)
    vdm = vdm_terms(
        vdm_fixed_linear_gamma,
        lambda z, g: z,
        draws["f"],
        draws["eps_0"],
        draws["t"],
        draws["eps"],
        0,
    )
    close(D.prior_term(draws["f"], sch), vdm["klz"], "prior (VDM loss_klz)")


@pytest.mark.parametrize("name, denoiser, score_model", DENOISERS, ids=IDS)
def test_continuous_diffusion_term(draws, name, denoiser, score_model):
    sch = D.linear_schedule(GAMMA_MIN, GAMMA_MAX)
    vdm = vdm_terms(
        vdm_fixed_linear_gamma,
        score_model,
        draws["f"],
        draws["eps_0"],
        draws["t"],
        draws["eps"],
        0,
    )
    ours = D.diffusion_term(draws["f"], draws["eps"], draws["t"], sch, denoiser)
    close(ours, vdm["diff"], f"continuous diffusion term, {name}")


@pytest.mark.parametrize("T", [1, 10, 1000])
@pytest.mark.parametrize("name, denoiser, score_model", DENOISERS, ids=IDS)
def test_discrete_diffusion_term(draws, name, denoiser, score_model, T):
    sch = D.linear_schedule(GAMMA_MIN, GAMMA_MAX)
    vdm = vdm_terms(
        vdm_fixed_linear_gamma,
        score_model,
        draws["f"],
        draws["eps_0"],
        draws["t"],
        draws["eps"],
        T,
    )
    i = jnp.ceil(draws["t"] * T)  # VDM's step: t rounded up to the grid
    ours = T * D.step_term(draws["f"], draws["eps"], i, sch, denoiser, T)
    close(ours, vdm["diff"], f"T = {T} diffusion term, {name}")


def cosine_gamma(t):
    """The cosine schedule written out: gamma = 2 log tan(pi u / 2), u mapped affinely."""
    t0 = 2 / math.pi * math.atan(math.exp(GAMMA_MIN / 2))
    t1 = 2 / math.pi * math.atan(math.exp(GAMMA_MAX / 2))
    return 2 * jnp.log(jnp.tan(0.5 * math.pi * (t0 + (t1 - t0) * t)))


@pytest.mark.parametrize("T", [0, 1000])
def test_other_schedule_through_vdms_generic_loss(draws, T):
    """VDM's loss takes any gamma(t): the cosine schedule, as a callable, against klnotes'."""
    sch = D.cosine_schedule(GAMMA_MIN, GAMMA_MAX)
    t = draws["t"]
    close(sch.gamma(t), cosine_gamma(t), "cosine gamma(t)")
    name, denoiser, score_model = DENOISERS[1]
    vdm = vdm_terms(
        cosine_gamma, score_model, draws["f"], draws["eps_0"], t, draws["eps"], T
    )
    if T == 0:
        ours = D.diffusion_term(draws["f"], draws["eps"], t, sch, denoiser)
    else:
        i = jnp.ceil(t * T)
        ours = T * D.step_term(draws["f"], draws["eps"], i, sch, denoiser, T)
    close(ours, vdm["diff"], f"cosine schedule, T = {T}")


def riemann_log_Z(z0_rescaled, g_0):
    """log of Delta * sum_j N(f_j; m, e^{g_0}) over VDM's grid f_j, per coordinate (SciPy)."""
    grid = 2 * ((np.arange(VOCAB) + 0.5) / VOCAB) - 1
    var = math.exp(g_0)
    m = np.asarray(z0_rescaled)[..., None]
    log_dens = -0.5 * (m - grid) ** 2 / var - 0.5 * math.log(2 * math.pi * var)
    return logsumexp(log_dens, axis=-1) + math.log(2 / VOCAB)


@pytest.mark.parametrize("gamma_min", [GAMMA_MIN, -5.0])
def test_reconstruction_softmax_against_gaussian_density(draws, gamma_min):
    """VDM's discrete decoder is the Gaussian density here, times a bin, renormalised."""
    sch = D.linear_schedule(gamma_min, GAMMA_MAX)

    def gamma(t):
        return gamma_min + (GAMMA_MAX - gamma_min) * t

    vdm = vdm_terms(
        gamma,
        lambda z, g: z,
        draws["f"],
        draws["eps_0"],
        draws["t"],
        draws["eps"],
        0,
        x_discrete=draws["x_int"],
    )
    ours = D.reconstruction_term(draws["f"], draws["eps_0"], sch)
    # the rescaled decoder's mean is VDM's z_0_rescaled
    mean, var = D.rescaled_decoder(sch)(
        math.sqrt(1 / (1 + math.exp(gamma_min))) * draws["f"]
        + math.sqrt(1 / (1 + math.exp(-gamma_min))) * draws["eps_0"]
    )
    close(mean, vdm["z_0_rescaled"], "decoder mean = VDM z_0_rescaled")
    close(var[0, 0], math.exp(gamma_min), "decoder variance = e^{gamma_0}")
    log_Z = riemann_log_Z(vdm["z_0_rescaled"], gamma_min)
    shift = np.sum(log_Z - math.log(2 / VOCAB), axis=1)
    close(np.asarray(ours) + shift, vdm["recon"], "reconstruction, softmax vs density")


def test_bits_per_dimension_discrete_against_continuous(draws):
    """VDM's bpd against DiffusionLoss.bits_per_dim: the same rescaling, and the
    discrete-data bound is the continuous one plus log2(V/2) per dimension where
    the decoder is wide compared with a bin."""
    gamma_min = -7.0  # decoder s.d. 0.03, four bins: the Riemann sum Z is 1
    sch = D.linear_schedule(gamma_min, GAMMA_MAX)

    def gamma(t):
        return gamma_min + (GAMMA_MAX - gamma_min) * t

    # data away from the edges of (-1, 1), so that the decoder's mass stays on the grid
    x_int = jnp.clip(draws["x_int"], 96, 160)
    f = vdm_encode(x_int)
    name, denoiser, score_model = DENOISERS[0]
    vdm = vdm_terms(
        gamma,
        score_model,
        f,
        draws["eps_0"],
        draws["t"],
        draws["eps"],
        0,
        x_discrete=x_int,
    )
    ours = D.DiffusionLoss(
        D.prior_term(f, sch),
        D.reconstruction_term(f, draws["eps_0"], sch),
        D.diffusion_term(f, draws["eps"], draws["t"], sch, denoiser),
        dim=DIM,
    ).bits_per_dim()
    theirs = vdm_bpd(vdm, f.shape)
    for term in ("prior", "diffusion"):
        close(ours[term], theirs[term], f"bits per dimension, {term}")
    close(np.max(np.abs(riemann_log_Z(vdm["z_0_rescaled"], gamma_min))), 0.0, "log Z")
    per_dim_shift = math.log2(VOCAB / 2)  # 7 bits for 8-bit data
    for term in ("reconstruction", "total"):
        close(ours[term] + per_dim_shift, theirs[term], f"bits per dimension, {term}")


def test_klnotes_losses_draw_through_the_compared_terms(draws):
    """continuous_loss and losses_against_steps are built from the terms compared above."""
    sch = D.linear_schedule(GAMMA_MIN, GAMMA_MAX)
    name, denoiser, score_model = DENOISERS[0]
    key = jax.random.PRNGKey(7)
    k_t, k_z, k_0 = jax.random.split(key, 3)
    t = jax.random.uniform(k_t, (N,), dtype=jnp.float64)
    eps = jax.random.normal(k_z, (N, DIM))
    eps_0 = jax.random.normal(k_0, (N, DIM))
    vdm = vdm_terms(vdm_fixed_linear_gamma, score_model, draws["f"], eps_0, t, eps, 0)
    loss = D.continuous_loss(draws["f"], sch, denoiser, key)
    close(loss.diffusion, vdm["diff"], "continuous_loss diffusion term")
    close(loss.prior, vdm["klz"], "continuous_loss prior term")
    _, by_T = D.losses_against_steps(draws["f"], sch, denoiser, key, (10,))
    vdm_10 = vdm_terms(
        vdm_fixed_linear_gamma, score_model, draws["f"], eps_0, t, eps, 10
    )
    close(by_T[10].diffusion, vdm_10["diff"], "losses_against_steps, T = 10")
