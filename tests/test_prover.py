"""The prover never proves a false identity, and proves the true ones the book needs.

Each probe is timed and its time printed (run with ``-s`` to see them, or
``benchmarks/prover_probes.py`` for a table); the tests assert no timings.
"""

from __future__ import annotations

import time

import pytest
from prover_probes import FALSE, FALSE_SIGNS, FLOATS, TRUE, TRUE_SIGNS

from klnotes.symbolic import (
    SymbolicProofError,
    prove_equal,
    prove_nonnegative,
    prove_positive,
)


def test_the_probe_suite_is_large_enough():
    assert len(FALSE) + len(FLOATS) >= 30
    assert len(TRUE) >= 20


@pytest.mark.parametrize(("name", "lhs", "rhs"), FALSE, ids=[f[0] for f in FALSE])
def test_false_identity_is_refused(name, lhs, rhs):
    start = time.perf_counter()
    with pytest.raises(SymbolicProofError):
        prove_equal(lhs, rhs)
    print(f"refused in {time.perf_counter() - start:.3f} s: {name}")


@pytest.mark.parametrize(("name", "lhs", "rhs"), FLOATS, ids=[f[0] for f in FLOATS])
def test_float_anywhere_is_refused(name, lhs, rhs):
    with pytest.raises(TypeError, match="floating-point|is a float"):
        prove_equal(lhs, rhs)


@pytest.mark.parametrize(("name", "lhs", "rhs"), TRUE, ids=[t[0] for t in TRUE])
def test_true_identity_is_proved(name, lhs, rhs):
    start = time.perf_counter()
    proof = prove_equal(lhs, rhs)
    print(f"proved in {time.perf_counter() - start:.3f} s ({proof.method}): {name}")


@pytest.mark.parametrize(
    ("name", "expr", "sign"), TRUE_SIGNS, ids=[t[0] for t in TRUE_SIGNS]
)
def test_true_sign_is_proved(name, expr, sign):
    (prove_nonnegative if sign == "nonnegative" else prove_positive)(expr)


@pytest.mark.parametrize(
    ("name", "expr", "sign"), FALSE_SIGNS, ids=[t[0] for t in FALSE_SIGNS]
)
def test_false_sign_is_refused(name, expr, sign):
    with pytest.raises(SymbolicProofError):
        (prove_nonnegative if sign == "nonnegative" else prove_positive)(expr)
