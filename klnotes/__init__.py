"""klnotes: the helper package shared by every chapter of KL Notes.

Import it first in a chapter: importing enables 64-bit floats in JAX
(``jax_enable_x64``) before any array is made. Nothing here assumes a GPU.

Modules, each named by its concept:

* :mod:`klnotes.divergences` — discrete KL, entropy, cross-entropy; Gaussian KL
* :mod:`klnotes.distributions` — random discrete distributions, marginals, conditionals
* :mod:`klnotes.units` — nats, bits, decibans; probability, odds and dB log-odds
* :mod:`klnotes.montecarlo` — estimates with standard errors; KL from samples
* :mod:`klnotes.symbolic` — symbolic distributions and KL; proofs with SymPy
* :mod:`klnotes.checks` — the checks chapters assert results with
* :mod:`klnotes.style` — the book's figure style
"""

import jax

jax.config.update("jax_enable_x64", True)

from . import checks, distributions, divergences, montecarlo, style, symbolic, units  # noqa: E402
from .checks import (  # noqa: E402
    BoundCheckFailed,
    CheckFailed,
    CheckLog,
    CheckRecord,
    MonteCarloCheckFailed,
    NumericCheckFailed,
    SymbolicCheckFailed,
    check_bound,
    check_close,
    check_mc,
    check_symbolic,
    check_symbolic_sign,
)
from .distributions import conditional, marginal, random_distribution  # noqa: E402
from .divergences import cross_entropy, entropy, gaussian_kl, kl  # noqa: E402
from .montecarlo import (  # noqa: E402
    Estimate,
    kl_from_log_densities,
    kl_monte_carlo,
    mc_estimate,
)
from .style import use_style  # noqa: E402
from .symbolic import Proof, SymbolicProofError, prove_equal  # noqa: E402
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
    "Estimate",
    "MonteCarloCheckFailed",
    "NumericCheckFailed",
    "Proof",
    "SymbolicCheckFailed",
    "SymbolicProofError",
    "check_bound",
    "check_close",
    "check_mc",
    "check_symbolic",
    "check_symbolic_sign",
    "checks",
    "conditional",
    "convert",
    "cross_entropy",
    "db_to_odds",
    "db_to_prob",
    "distributions",
    "divergences",
    "entropy",
    "from_nats",
    "gaussian_kl",
    "kl",
    "kl_from_log_densities",
    "kl_monte_carlo",
    "marginal",
    "mc_estimate",
    "montecarlo",
    "odds_to_db",
    "odds_to_prob",
    "prob_to_db",
    "prob_to_odds",
    "prove_equal",
    "random_distribution",
    "style",
    "symbolic",
    "units",
    "use_style",
]
