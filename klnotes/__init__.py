"""klnotes: the helper package shared by every chapter of KL Notes.

Import it first in a chapter: importing enables 64-bit floats in JAX
(``jax_enable_x64``) before any array is made. Nothing here assumes a GPU.

Modules, each named by its concept:

* :mod:`klnotes.divergences` — discrete KL, entropy, cross-entropy; Gaussian KL
* :mod:`klnotes.distributions` — random discrete distributions, marginals, conditionals
* :mod:`klnotes.units` — nats, bits, decibans; probability, odds and dB log-odds
* :mod:`klnotes.montecarlo` — estimates with standard errors; KL from samples
* :mod:`klnotes.symbolic` — symbolic distributions and KL; proofs with SymPy
* :mod:`klnotes.checks` — the checks chapters assert results with, each with a role
* :mod:`klnotes.ledger` — claims, their statuses and the verification ledger
* :mod:`klnotes.provenance` — the hash tying executed chapters to the code that ran them
* :mod:`klnotes.style` — the book's figure style
* :mod:`klnotes.nn` — small MLPs and Adam in one ``lax.scan``, for the toy models

and one module per topic, used by the chapter of the same subject:

* :mod:`klnotes.evidence`, :mod:`klnotes.coding` — weight of evidence; Huffman codes
* :mod:`klnotes.vae` — the linear-Gaussian and small nonlinear VAEs
* :mod:`klnotes.diffusion` — variational diffusion losses and schedules
* :mod:`klnotes.recipe`, :mod:`klnotes.graphs` — objectives from two worlds; drawing them
* :mod:`klnotes.thermo` — work, heat and free energy from exact-kernel simulations
* :mod:`klnotes.erasure` — the two-state model of bit erasure
* :mod:`klnotes.measures` — point masses plus densities with exact weights

Topic modules are reached as ``kn.<module>.<name>``; their main types and
entry points are also re-exported here.
"""

import importlib

import jax

jax.config.update("jax_enable_x64", True)

# The modules are imported when first used, not here: `import klnotes` then
# costs JAX alone (about 0.5 s) instead of SymPy, SciPy and daft as well
# (about 2.5 s), which every kernel, test worker and Sphinx build would pay.
# `kn.kl`, `kn.vae.train_vaes` and `from klnotes import CheckLog` all work as
# if everything had been imported eagerly.
_SUBMODULES = frozenset(
    {
        "checks",
        "coding",
        "diffusion",
        "distributions",
        "divergences",
        "erasure",
        "evidence",
        "graphs",
        "ledger",
        "measures",
        "montecarlo",
        "nn",
        "provenance",
        "recipe",
        "style",
        "symbolic",
        "thermo",
        "units",
        "vae",
    }
)

# Re-exported name -> the module that defines it.
_EXPORTS = {
    "BoundCheckFailed": "checks",
    "CheckFailed": "checks",
    "CheckLog": "checks",
    "CheckRecord": "checks",
    "CheckSummary": "checks",
    "DiffusionLoss": "diffusion",
    "Estimate": "montecarlo",
    "Measure": "measures",
    "MonteCarloCheckFailed": "checks",
    "NumericCheckFailed": "checks",
    "Proof": "symbolic",
    "Schedule": "diffusion",
    "SourceCheckFailed": "checks",
    "SymbolicCheckFailed": "checks",
    "SymbolicProofError": "symbolic",
    "World": "recipe",
    "bayes_update": "evidence",
    "bernoulli_kl": "divergences",
    "binary_entropy": "divergences",
    "bound": "recipe",
    "check_bound": "checks",
    "check_close": "checks",
    "check_mc": "checks",
    "check_source": "checks",
    "check_symbolic": "checks",
    "check_symbolic_sign": "checks",
    "coding_excess": "coding",
    "conditional": "distributions",
    "continuous_loss": "diffusion",
    "convert": "units",
    "count_estimate": "montecarlo",
    "cross_entropy": "divergences",
    "db_to_odds": "units",
    "db_to_prob": "units",
    "discrete_loss": "diffusion",
    "draw_objective": "graphs",
    "draw_worlds": "graphs",
    "entropy": "divergences",
    "erasure_exact": "erasure",
    "from_nats": "units",
    "gaussian_kl": "divergences",
    "gaussian_log_density": "distributions",
    "huffman_code": "coding",
    "kl": "divergences",
    "kl_from_log_densities": "montecarlo",
    "kl_monte_carlo": "montecarlo",
    "marginal": "distributions",
    "mc_estimate": "montecarlo",
    "mc_power": "checks",
    "mvn_log_density": "distributions",
    "objective": "recipe",
    "objective_sum": "recipe",
    "odds_to_db": "units",
    "odds_to_prob": "units",
    "prob_to_db": "units",
    "prob_to_odds": "units",
    "prove_equal": "symbolic",
    "random_distribution": "distributions",
    "simulate_erasure": "erasure",
    "simulate_harmonic": "thermo",
    "simulate_metropolis": "thermo",
    "total_variation": "divergences",
    "use_style": "style",
    "weight_of_evidence": "evidence",
}


def __getattr__(name: str):
    if name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    else:
        raise AttributeError(f"module 'klnotes' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "BoundCheckFailed",
    "CheckFailed",
    "CheckLog",
    "CheckRecord",
    "CheckSummary",
    "Estimate",
    "MonteCarloCheckFailed",
    "NumericCheckFailed",
    "Proof",
    "SourceCheckFailed",
    "SymbolicCheckFailed",
    "SymbolicProofError",
    "bernoulli_kl",
    "binary_entropy",
    "check_bound",
    "check_close",
    "check_mc",
    "check_source",
    "check_symbolic",
    "check_symbolic_sign",
    "checks",
    "conditional",
    "count_estimate",
    "convert",
    "cross_entropy",
    "db_to_odds",
    "db_to_prob",
    "distributions",
    "divergences",
    "entropy",
    "from_nats",
    "gaussian_kl",
    "gaussian_log_density",
    "kl",
    "kl_from_log_densities",
    "kl_monte_carlo",
    "ledger",
    "marginal",
    "mc_estimate",
    "mc_power",
    "mvn_log_density",
    "montecarlo",
    "odds_to_db",
    "odds_to_prob",
    "prob_to_db",
    "prob_to_odds",
    "prove_equal",
    "provenance",
    "random_distribution",
    "style",
    "symbolic",
    "total_variation",
    "units",
    "use_style",
    # topic modules and their main entry points
    "DiffusionLoss",
    "Measure",
    "Schedule",
    "World",
    "bayes_update",
    "bound",
    "coding",
    "coding_excess",
    "continuous_loss",
    "diffusion",
    "discrete_loss",
    "draw_objective",
    "draw_worlds",
    "erasure",
    "erasure_exact",
    "evidence",
    "graphs",
    "huffman_code",
    "measures",
    "nn",
    "objective",
    "objective_sum",
    "recipe",
    "simulate_erasure",
    "simulate_harmonic",
    "simulate_metropolis",
    "thermo",
    "vae",
    "weight_of_evidence",
]
