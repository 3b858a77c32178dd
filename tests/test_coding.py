"""Tests for klnotes.coding: Huffman codes, prefix-freeness, expected lengths."""

from __future__ import annotations

import heapq
import math
from fractions import Fraction

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
