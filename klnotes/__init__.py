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

import jax

jax.config.update("jax_enable_x64", True)

from . import (  # noqa: E402
    checks,
    coding,
    diffusion,
    distributions,
    divergences,
    erasure,
    evidence,
    graphs,
    ledger,
    measures,
    montecarlo,
    nn,
    provenance,
    recipe,
    style,
    symbolic,
    thermo,
    units,
    vae,
)
from .checks import (  # noqa: E402
    BoundCheckFailed,
    CheckFailed,
    CheckLog,
    CheckRecord,
    CheckSummary,
    MonteCarloCheckFailed,
    NumericCheckFailed,
    SourceCheckFailed,
    SymbolicCheckFailed,
    check_bound,
    check_close,
    check_mc,
    check_source,
    check_symbolic,
    check_symbolic_sign,
    mc_power,
)
from .coding import coding_excess, huffman_code  # noqa: E402
from .diffusion import DiffusionLoss, Schedule, continuous_loss, discrete_loss  # noqa: E402
from .distributions import (  # noqa: E402
    conditional,
    gaussian_log_density,
    marginal,
    mvn_log_density,
    random_distribution,
)
from .divergences import (  # noqa: E402
    bernoulli_kl,
    binary_entropy,
    cross_entropy,
    entropy,
    gaussian_kl,
    kl,
    total_variation,
)
from .erasure import erasure_exact, simulate_erasure  # noqa: E402
from .evidence import bayes_update, weight_of_evidence  # noqa: E402
from .graphs import draw_objective, draw_worlds  # noqa: E402
from .measures import Measure  # noqa: E402
from .montecarlo import (  # noqa: E402
    Estimate,
    count_estimate,
    kl_from_log_densities,
    kl_monte_carlo,
    mc_estimate,
)
from .recipe import World, bound, objective, objective_sum  # noqa: E402
from .style import use_style  # noqa: E402
from .symbolic import Proof, SymbolicProofError, prove_equal  # noqa: E402
from .thermo import simulate_harmonic, simulate_metropolis  # noqa: E402
from .units import (  # noqa: E402
    convert,
    db_to_odds,
    db_to_prob,
    from_nats,
    odds_to_db,
    odds_to_prob,
    prob_to_db,
    prob_to_odds,
)

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
