r"""Prefix codes: Huffman's construction and expected code lengths.

A prefix code gives symbol :math:`i` a codeword of length :math:`\ell_i`; it
can be decoded symbol by symbol iff no codeword is a prefix of another, and
then the Kraft sum :math:`\sum_i 2^{-\ell_i} \le 1`. Huffman's algorithm
(repeatedly merge the two least probable subtrees) gives a code of least
expected length :math:`L(p) = \sum_i p_i \ell_i` among prefix codes, with
:math:`S_2(p) \le L(p) < S_2(p) + 1` bits.

When every :math:`p_i` is a power of 1/2 (a dyadic distribution), Huffman's
lengths are exactly :math:`\ell_i = -\log_2 p_i`. Encoding data from
:math:`p` with the code built for a dyadic :math:`q` then costs
:math:`\sum_i p_i(-\log_2 q_i)` bits per symbol, and the excess over the
matched code is exactly :math:`I[p; q]` in bits.

For a code built for the wrong distribution, the *Shannon code*
:math:`\ell_i = \lceil -\log_2 q_i \rceil` (:func:`shannon_lengths`) has
:math:`S_2(p) + I_2[p; q] \le L_p < S_2(p) + I_2[p; q] + 1` (Cover & Thomas,
"the wrong code"). Huffman's excess equals :math:`I[p;q]` only in the dyadic
case: for a dyadic :math:`q` it is :math:`I[p;q]` minus the redundancy
:math:`L(p) - S_2(p)` of the Huffman code for :math:`p`.

Probabilities may be :class:`fractions.Fraction` (exact arithmetic, results
are Fractions) or floats.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from numbers import Real
from typing import Any

import jax
import numpy as np

from ._validate import as_float_array, require_distribution

_FLOAT_ATOL = 1e-9


def _probabilities(probs: Any, name: str = "probs") -> list[Any]:
    if isinstance(probs, (np.ndarray, jax.Array)):
        arr = np.asarray(as_float_array(probs, name))
        if arr.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
        probs = arr.tolist()
    if isinstance(probs, (str, bytes, Mapping)) or not isinstance(probs, Sequence):
        raise TypeError(
            f"{name} must be a sequence of probabilities, got {type(probs).__name__}"
        )
    values = list(probs)
    if len(values) < 1:
        raise ValueError(f"{name} has no symbols (it is empty)")
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (Real, Fraction)):
            raise TypeError(
                f"{name} must be a sequence of real numbers, got an entry of type"
                f" {type(v).__name__}"
            )
        if not math.isfinite(float(v)):
            raise ValueError(f"{name} has a non-finite entry {v!r}")
        if v <= 0:
            raise ValueError(
                f"{name} must be positive (a symbol of probability 0 needs no codeword), got {v!r}"
            )
    exact = all(isinstance(v, (int, Fraction)) for v in values)
    total = sum(values)
    if (exact and total != 1) or (not exact and abs(float(total) - 1.0) > _FLOAT_ATOL):
        raise ValueError(f"{name} is not normalised: entries sum to {total}")
    return values


def huffman_code(
    probs: Sequence[Any], symbols: Sequence[str] | None = None
) -> dict[str, str]:
    """Huffman code for ``probs``: a dict from symbol to codeword (a string of 0/1).

    Deterministic: subtrees are taken least probable first, ties in insertion
    order, and of the two merged the one taken first gets bit ``0`` (so for
    (1/2, 1/4, 1/8, 1/8) the code is 0, 10, 110, 111). A single symbol gets the one-bit codeword ``"0"``.
    Default symbols are ``"A"``, ``"B"``, ….
    """
    p = _probabilities(probs)
    if symbols is None:
        if len(p) > 26:
            raise ValueError(
                "symbols must be given explicitly for more than 26 probabilities"
            )
        symbols = [chr(ord("A") + i) for i in range(len(p))]
    symbols = _symbols(symbols)
    if len(symbols) != len(p):
        raise ValueError(f"symbols has {len(symbols)} entries but probs has {len(p)}")
    if len(p) == 1:
        return {symbols[0]: "0"}
    order = itertools.count()
    heap: list[tuple[Any, int, dict[str, str]]] = [
        (pi, next(order), {s: ""}) for pi, s in zip(p, symbols)
    ]
    heapq.heapify(heap)
    while len(heap) > 1:
        p_first, _, first = heapq.heappop(heap)
        p_second, _, second = heapq.heappop(heap)
        merged = {s: "0" + w for s, w in first.items()}
        merged.update({s: "1" + w for s, w in second.items()})
        heapq.heappush(heap, (p_first + p_second, next(order), merged))
    code = heap[0][2]
    return {s: code[s] for s in symbols}


def _symbols(symbols: Any, name: str = "symbols") -> list[str]:
    """Distinct strings, one per probability."""
    if isinstance(symbols, np.ndarray):
        symbols = symbols.tolist()
    if isinstance(symbols, (bytes, Mapping)) or not isinstance(symbols, Sequence):
        raise TypeError(
            f"{name} must be a sequence of strings, got {type(symbols).__name__}"
        )
    out = list(symbols)
    for s in out:
        if not isinstance(s, str):
            raise TypeError(
                f"{name} must be a sequence of strings, got an entry of type"
                f" {type(s).__name__}"
            )
    if len(set(out)) != len(out):
        raise ValueError(f"{name} must be distinct, got {out}")
    return out


def _code(code: Any) -> dict[str, str]:
    if not isinstance(code, Mapping):
        raise TypeError(
            "code must be a non-empty mapping from symbol to codeword,"
            f" got {type(code).__name__}"
        )
    if not code:
        raise ValueError("code is empty: it must map at least one symbol")
    for s, w in code.items():
        if not isinstance(w, str):
            raise TypeError(
                f"code: the codeword for {s!r} must be a string of 0s and 1s,"
                f" got {type(w).__name__}"
            )
        if not w or set(w) - {"0", "1"}:
            raise ValueError(
                f"code: the codeword for {s!r} must be a non-empty string of 0s"
                f" and 1s, got {w!r}"
            )
    return dict(code)


def is_prefix_free(code: Mapping[str, str]) -> bool:
    """True iff no codeword is a prefix of another (so the code decodes uniquely, instantly)."""
    words = sorted(_code(code).values())
    return all(not b.startswith(a) for a, b in zip(words, words[1:]))


def kraft_sum(code: Mapping[str, str]) -> Fraction:
    r"""Exact Kraft sum :math:`\sum_i 2^{-\ell_i}` (at most 1 for a prefix code)."""
    return sum((Fraction(1, 2 ** len(w)) for w in _code(code).values()), Fraction(0))


def expected_length(
    probs: Sequence[Any], code: Mapping[str, str], symbols: Sequence[str] | None = None
) -> Any:
    r"""Expected codeword length :math:`\sum_i p_i \ell_i` in bits.

    ``probs[i]`` is the probability of ``symbols[i]`` (default: the code's
    symbols in order). Exact (a Fraction) when the probabilities are.
    """
    p = _probabilities(probs)
    c = _code(code)
    syms = list(c) if symbols is None else _symbols(symbols)
    if len(syms) != len(p):
        raise ValueError(
            f"probs has {len(p)} entries but there are {len(syms)} symbols"
        )
    missing = [s for s in syms if s not in c]
    if missing:
        raise ValueError(f"code has no codeword for the symbols {missing}")
    return sum(
        (pi * len(c[s]) for pi, s in zip(p, syms)),
        Fraction(0) if isinstance(p[0], (int, Fraction)) else 0.0,
    )


def coding_excess(
    p: Sequence[Any], q: Sequence[Any], symbols: Sequence[str] | None = None
) -> Any:
    r"""Extra bits per symbol from coding data from ``p`` with the Huffman code for ``q``.

    :math:`L_p(\text{code}_q) - L_p(\text{code}_p)`, which equals
    :math:`I[p; q]` in bits exactly when ``p`` and ``q`` are dyadic.
    """
    pp, qq = _probabilities(p, "p"), _probabilities(q, "q")
    if len(pp) != len(qq):
        raise ValueError(f"p has {len(pp)} entries but q has {len(qq)}")
    code_p = huffman_code(pp, symbols)
    code_q = huffman_code(qq, symbols)
    syms = list(code_p)
    return expected_length(pp, code_q, syms) - expected_length(pp, code_p, syms)


def shannon_lengths(q: Any) -> Any:
    r"""Shannon code lengths :math:`\ell_i = \lceil -\log_2 q_i \rceil` bits, computed exactly.

    The lengths satisfy Kraft's inequality :math:`\sum_i 2^{-\ell_i} \le 1`,
    so a prefix code with them exists, and
    :math:`-\log_2 q_i \le \ell_i < -\log_2 q_i + 1`.

    ``q`` is a sequence of probabilities (Fractions give exact integer
    arithmetic; the result is a list of ints), or a float array whose last
    axis holds distributions (a batch; the result is an int64 array of the
    same shape). Floats are handled without rounding: writing
    :math:`q = m\,2^{e}` with :math:`\tfrac12 \le m < 1` (``numpy.frexp``),
    :math:`\lceil -\log_2 q \rceil = 1 - e`. Every entry must be positive.
    """
    if isinstance(q, (np.ndarray, jax.Array)):
        arr = np.asarray(as_float_array(q, "q"))
        require_distribution(arr, "q")
        if np.any(arr <= 0):
            raise ValueError(
                "q must be positive (a symbol of probability 0 needs no codeword),"
                f" got min {arr.min()!r}"
            )
        _, exponent = np.frexp(arr)
        return (1 - exponent).astype(np.int64)
    values = _probabilities(q, "q")
    lengths = []
    for v in values:
        if isinstance(v, (int, Fraction)):
            f = Fraction(v)
            # smallest l with 2^l >= 1/q = den/num, i.e. 2^l >= ceil(den/num)
            ceil_inv = -(-f.denominator // f.numerator)
            lengths.append((ceil_inv - 1).bit_length())
        else:
            _, exponent = math.frexp(float(v))
            lengths.append(1 - exponent)
    return lengths
