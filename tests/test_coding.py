"""Tests for klnotes.coding: Huffman codes, prefix-freeness, expected lengths."""

from __future__ import annotations

import heapq
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from klnotes import coding

P = [Fraction(1, 2), Fraction(1, 4), Fraction(1, 8), Fraction(1, 8)]
U = [Fraction(1, 4)] * 4


def test_post_example_exact():
    code = coding.huffman_code(P)
    assert code == {"A": "0", "B": "10", "C": "110", "D": "111"}
    assert coding.expected_length(P, code) == Fraction(7, 4)
    assert coding.huffman_code(U) == {"A": "00", "B": "01", "C": "10", "D": "11"}
    assert coding.expected_length(P, coding.huffman_code(U)) == 2
    assert coding.coding_excess(P, U) == Fraction(1, 4)
    assert isinstance(coding.coding_excess(P, U), Fraction)


def _huffman_cost_reference(probs):
    # textbook result: the optimal expected length is the sum of all merged weights
    heap = list(probs)
    heapq.heapify(heap)
    total = 0
    while len(heap) > 1:
        s = heapq.heappop(heap) + heapq.heappop(heap)
        total += s
        heapq.heappush(heap, s)
    return total


@given(hs.lists(hs.integers(1, 50), min_size=2, max_size=12))
def test_huffman_is_optimal_and_prefix_free(weights):
    total = sum(weights)
    probs = [Fraction(w, total) for w in weights]
    code = coding.huffman_code(probs)
    assert coding.is_prefix_free(code)
    assert coding.kraft_sum(code) == 1  # Huffman trees are full
    L = coding.expected_length(probs, code)
    assert L == _huffman_cost_reference(probs)
    H = sum(-float(p) * math.log2(p) for p in probs)
    assert H - 1e-12 <= float(L) < H + 1


@given(hs.lists(hs.integers(0, 4), min_size=1, max_size=5))
def test_dyadic_excess_equals_kl(exps):
    # build a dyadic p by splitting leaves of a full binary tree; q uniform over 2^k symbols
    probs = [Fraction(1, 1)]
    for e in exps:
        i = e % len(probs)
        half = probs[i] / 2
        probs[i : i + 1] = [half, half]
    if len(probs) < 2:
        return
    n = len(probs)
    q = list(reversed(probs))  # another dyadic distribution on the same symbols
    kl_bits = sum(float(p) * math.log2(p / r) for p, r in zip(probs, q))
    syms = [f"s{i}" for i in range(n)]
    assert float(coding.coding_excess(probs, q, syms)) == pytest.approx(
        kl_bits, abs=1e-12
    )


def test_float_probabilities():
    code = coding.huffman_code([0.5, 0.25, 0.25])
    assert sorted(len(w) for w in code.values()) == [1, 2, 2]
    assert coding.expected_length([0.5, 0.25, 0.25], code) == pytest.approx(1.5)


def test_single_symbol():
    assert coding.huffman_code([Fraction(1)]) == {"A": "0"}


def test_prefix_check_detects_a_bad_code():
    assert not coding.is_prefix_free({"A": "0", "B": "01"})
    assert coding.kraft_sum({"A": "0", "B": "1", "C": "11"}) > 1


@pytest.mark.parametrize(
    "probs,exc,match",
    [
        ([0.5, 0.4], ValueError, "not normalised"),
        ([Fraction(1, 2), Fraction(1, 3)], ValueError, "not normalised"),
        ([1.0, 0.0], ValueError, "positive"),
        ([1.5, -0.5], ValueError, "positive"),
        ([float("nan"), 1.0], ValueError, "non-finite"),
        (["a", "b"], TypeError, "real numbers"),
        ("ab", TypeError, "sequence"),
        ([], ValueError, "no symbols"),
    ],
)
def test_bad_probabilities(probs, exc, match):
    with pytest.raises(exc, match=match):
        coding.huffman_code(probs)


def test_bad_codes_and_symbols():
    with pytest.raises(ValueError, match="codeword"):
        coding.is_prefix_free({"A": "0", "B": "2"})
    with pytest.raises(TypeError, match="mapping"):
        coding.kraft_sum(["0", "1"])
    with pytest.raises(ValueError, match="distinct"):
        coding.huffman_code(P, ["A", "A", "B", "C"])
    with pytest.raises(ValueError, match="entries"):
        coding.huffman_code(P, ["A", "B"])
    with pytest.raises(ValueError, match="no codeword"):
        coding.expected_length(
            P, {"A": "0", "B": "10", "C": "110", "D": "111"}, ["A", "B", "C", "E"]
        )
    with pytest.raises(ValueError, match="entries"):
        coding.coding_excess(P, [Fraction(1, 2), Fraction(1, 2)])


def test_huffman_non_dyadic_regression():
    # a merge that gives a subtree the weight of one part, not the sum, yields 2, 1, 3, 3
    p = [Fraction(3, 10), Fraction(3, 10), Fraction(1, 5), Fraction(1, 5)]
    code = coding.huffman_code(p)
    assert sorted(len(w) for w in code.values()) == [2, 2, 2, 2]
    assert coding.expected_length(p, code) == 2
    p = [Fraction(2, 5), Fraction(3, 10), Fraction(1, 5), Fraction(1, 10)]
    assert coding.coding_excess(p, U) == Fraction(1, 10)


def _optimal_by_search(probs):
    n = len(probs)
    best = None
    for ls in itertools.product(range(1, n), repeat=n):
        if sum(Fraction(1, 2**li) for li in ls) <= 1:
            cost = sum(pi * li for pi, li in zip(probs, ls))
            best = cost if best is None or cost < best else best
    return best


@given(hs.lists(hs.integers(1, 30), min_size=2, max_size=5))
def test_huffman_matches_a_search_of_all_prefix_codes(weights):
    total = sum(weights)
    probs = [Fraction(w, total) for w in weights]
    assert coding.expected_length(probs, coding.huffman_code(probs)) == (
        _optimal_by_search(probs)
    )


def test_shannon_lengths_exact():
    assert coding.shannon_lengths(P) == [1, 2, 3, 3]
    assert coding.shannon_lengths(
        [Fraction(2, 5), Fraction(3, 10), Fraction(1, 5), Fraction(1, 10)]
    ) == [2, 2, 3, 4]
    assert coding.shannon_lengths([1]) == [0]
    assert coding.shannon_lengths([0.5, 0.25, 0.25]) == [1, 2, 2]
    batch = coding.shannon_lengths(np.array([[0.5, 0.25, 0.25], [0.7, 0.2, 0.1]]))
    assert batch.dtype == np.int64 and batch.tolist() == [[1, 2, 2], [1, 3, 4]]
    # just above and below a power of two
    above, below = math.nextafter(0.25, 1.0), math.nextafter(0.25, 0.0)
    lengths = coding.shannon_lengths(np.array([above, below, 1.0 - above - below]))
    assert lengths[:2].tolist() == [2, 3]


@given(hs.lists(hs.integers(1, 1000), min_size=1, max_size=12))
def test_shannon_lengths_bounds_and_kraft(weights):
    total = sum(weights)
    exact = [Fraction(w, total) for w in weights]
    ell = coding.shannon_lengths(exact)
    assert sum(Fraction(1, 2**li) for li in ell) <= 1
    for f, li in zip(exact, ell):
        assert Fraction(1, 2**li) <= f and (li == 0 or f < Fraction(1, 2 ** (li - 1)))
    floats = coding.shannon_lengths(np.array([float(f) for f in exact]))
    assert floats.tolist() == ell or all(
        abs(math.log2(float(f)) + li) < 1e-9 for f, li in zip(exact, floats)
    )


@pytest.mark.parametrize(
    "q,exc,match",
    [
        ([0.5, 0.5, 0.0], ValueError, "positive"),
        (np.array([0.5, 0.5, 0.0]), ValueError, "positive"),
        (np.array([0.5, 0.6]), ValueError, "not normalised"),
        ([0.5, 0.6], ValueError, "not normalised"),
        (np.array([]), ValueError, "no outcomes"),
        ([], ValueError, "no symbols"),
        ("ab", TypeError, "sequence"),
        (np.array([0.5, np.nan]), ValueError, "non-finite"),
        (np.array(["a", "b"]), TypeError, "q must be a real"),
    ],
)
def test_shannon_lengths_bad_input(q, exc, match):
    with pytest.raises(exc, match=match):
        coding.shannon_lengths(q)
