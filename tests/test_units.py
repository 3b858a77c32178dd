"""Unit tests of klnotes.units (nats, bits, decibans; probability, odds, dB)."""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klnotes import units
from klnotes.units import (
    PER_NAT,
    convert,
    db_to_odds,
    db_to_prob,
    from_nats,
    odds_to_db,
    odds_to_prob,
    prob_to_db,
    prob_to_odds,
    unit_name,
)

FAST = settings(max_examples=80, deadline=None, derandomize=True, database=None)
UNITS = ["nats", "bits", "dB"]


def test_unit_constants():
    assert convert(1.0, "nats", "dB") == pytest.approx(10 / math.log(10), rel=1e-15)
    assert convert(1.0, "bits", "dB") == pytest.approx(10 * math.log10(2), rel=1e-15)
    assert convert(1.0, "bits", "nats") == pytest.approx(math.log(2), rel=1e-15)
    assert convert(1.0, "nats", "bits") == pytest.approx(1 / math.log(2), rel=1e-15)
    assert convert(10.0, "dB", "nats") == pytest.approx(math.log(10), rel=1e-15)
    assert from_nats(math.log(2), "bits") == pytest.approx(1.0, rel=1e-15)
    assert from_nats(math.log(10), "dB") == pytest.approx(10.0, rel=1e-15)
    assert from_nats(2.5, "nats") == 2.5
    assert PER_NAT["nats"] == 1.0


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("nat", "nats"),
        ("nats", "nats"),
        ("e", "nats"),
        ("NATS", "nats"),
        ("bit", "bits"),
        ("2", "bits"),
        ("Bits", "bits"),
        ("db", "dB"),
        ("DB", "dB"),
        ("deciban", "dB"),
        ("Decibans", "dB"),
    ],
)
def test_unit_aliases(alias, canonical):
    assert unit_name(alias) == canonical


@FAST
@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from(UNITS),
    st.sampled_from(UNITS),
)
def test_convert_round_trips(x, a, b):
    back = convert(convert(x, a, b), b, a)
    assert back == pytest.approx(x, rel=1e-13, abs=1e-300)
    # going through a third unit is the same as going directly
    for c in UNITS:
        assert convert(convert(x, a, c), c, b) == pytest.approx(
            convert(x, a, b), rel=1e-13, abs=1e-300
        )
    assert from_nats(convert(x, a, "nats"), a) == pytest.approx(
        x, rel=1e-13, abs=1e-300
    )


def test_convert_keeps_array_kind():
    arr = np.array([0.0, 1.0, 2.0])
    out = convert(arr, "nats", "bits")
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, arr / math.log(2), rtol=1e-15)
    out_j = convert(jnp.asarray(arr), "nats", "dB")
    assert isinstance(out_j, jax.Array) and out_j.dtype == jnp.float64
    out_jit = jax.jit(lambda v: from_nats(v, "bits"))(jnp.asarray(arr))
    np.testing.assert_allclose(np.asarray(out_jit), arr / math.log(2), rtol=1e-15)
    # lists and tuples are array-like too
    np.testing.assert_allclose(
        convert([1.0, 2.0], "bits", "nats"), [math.log(2), 2 * math.log(2)]
    )
    np.testing.assert_allclose(from_nats((1.0,), "bits"), [1 / math.log(2)])


@pytest.mark.parametrize("bad", ["furlongs", "", "nat s", "ban", "10"])
def test_invalid_unit_names(bad):
    with pytest.raises(ValueError, match="unit .* is not one of"):
        unit_name(bad)
    with pytest.raises(ValueError, match="unit"):
        convert(1.0, bad, "nats")
    with pytest.raises(ValueError, match="unit"):
        convert(1.0, "nats", bad)
    with pytest.raises(ValueError, match="unit"):
        from_nats(1.0, bad)


@pytest.mark.parametrize("bad", [2, None, 10.0, b"bits"])
def test_non_string_units(bad):
    with pytest.raises(TypeError, match="unit must be a string"):
        unit_name(bad)
    with pytest.raises(TypeError, match="unit must be a string"):
        from_nats(1.0, bad)


@pytest.mark.parametrize("bad", ["1.0", None, b"1"])
def test_convert_rejects_non_numeric_values(bad):
    with pytest.raises(TypeError, match="value must be a real numeric"):
        convert(bad, "nats", "bits")
    with pytest.raises(TypeError, match="value must be a real numeric"):
        from_nats(bad, "bits")


# ---------------------------------------------------------------------------
# probability, odds and decibans


def test_known_values():
    assert prob_to_odds(0.5) == 1.0
    assert prob_to_odds(0.75) == pytest.approx(3.0, rel=1e-15)
    assert odds_to_prob(3.0) == pytest.approx(0.75, rel=1e-15)
    assert prob_to_db(0.5) == 0.0
    assert prob_to_db(10 / 11) == pytest.approx(10.0, rel=1e-14)
    assert db_to_prob(10.0) == pytest.approx(10 / 11, rel=1e-15)
    assert db_to_odds(20.0) == pytest.approx(100.0, rel=1e-15)
    assert odds_to_db(100.0) == pytest.approx(20.0, rel=1e-15)
    # an odds ratio of 2 is 10 log10 2 ~ 3.01 dB: one bit of evidence
    assert odds_to_db(2.0) == pytest.approx(convert(1.0, "bits", "dB"), rel=1e-15)


@FAST
@given(st.floats(1e-12, 1 - 1e-12))
def test_probability_odds_db_round_trips(p):
    assert odds_to_prob(prob_to_odds(p)) == pytest.approx(p, rel=1e-9)
    assert db_to_prob(prob_to_db(p)) == pytest.approx(p, rel=1e-9)
    o = prob_to_odds(p)
    assert db_to_odds(odds_to_db(o)) == pytest.approx(o, rel=1e-9)
    assert odds_to_db(o) == pytest.approx(prob_to_db(p), rel=1e-9, abs=1e-9)
    if p < 0.999:  # near p = 1, 1 - p keeps few digits: log-odds are ill-conditioned
        assert prob_to_odds(db_to_prob(prob_to_db(p))) == pytest.approx(o, rel=1e-9)


@FAST
@given(st.floats(-200, 200))
def test_db_round_trips(db):
    if db < 60:  # above, p = 1 - 1e-6 or closer and 1 - p loses digits
        assert prob_to_db(db_to_prob(db)) == pytest.approx(db, rel=1e-8, abs=1e-8)
    assert odds_to_db(db_to_odds(db)) == pytest.approx(db, rel=1e-12, abs=1e-12)
    # Bayes in odds form: adding decibans multiplies the odds
    assert db_to_odds(db + 10.0) == pytest.approx(10.0 * db_to_odds(db), rel=1e-12)


def test_edges_p_zero_and_one():
    np.testing.assert_array_equal(prob_to_odds([0.0, 1.0]), [0.0, np.inf])
    np.testing.assert_array_equal(prob_to_db([0.0, 1.0]), [-np.inf, np.inf])
    np.testing.assert_array_equal(odds_to_prob([0.0, np.inf]), [0.0, 1.0])
    np.testing.assert_array_equal(db_to_prob([-np.inf, np.inf]), [0.0, 1.0])
    np.testing.assert_array_equal(db_to_odds([-np.inf, np.inf]), [0.0, np.inf])
    assert odds_to_db(np.inf) == np.inf
    assert db_to_prob(prob_to_db(0.0)) == 0.0
    assert db_to_prob(prob_to_db(1.0)) == 1.0
    assert odds_to_prob(prob_to_odds(1.0)) == 1.0


def test_extreme_decibans_saturate_without_warnings():
    with (
        warnings.catch_warnings(),
        np.errstate(over="warn", divide="warn", invalid="warn"),
    ):
        warnings.simplefilter("error")
        assert db_to_prob(-5000.0) == 0.0
        assert db_to_prob(5000.0) == 1.0
        assert db_to_odds(5000.0) == np.inf
        assert db_to_odds(-5000.0) == 0.0


def test_arrays_in_and_out():
    p = np.array([[0.1, 0.5], [0.9, 0.99]])
    out = prob_to_db(p)
    assert isinstance(out, np.ndarray) and out.shape == (2, 2)
    np.testing.assert_allclose(db_to_prob(out), p, rtol=1e-12)
    np.testing.assert_allclose(odds_to_prob(prob_to_odds(p)), p, rtol=1e-12)


@pytest.mark.parametrize(
    ("f", "arg", "exc", "match"),
    [
        (prob_to_odds, -0.1, ValueError, r"p must lie in \[0, 1\]"),
        (prob_to_odds, 1.5, ValueError, r"p must lie in \[0, 1\]"),
        (prob_to_odds, np.nan, ValueError, "p has non-finite"),
        (prob_to_db, [0.5, 2.0], ValueError, r"p must lie in \[0, 1\]"),
        (prob_to_db, np.inf, ValueError, "p has non-finite"),
        (prob_to_db, "0.5", TypeError, "p must be a real numeric"),
        (prob_to_odds, None, TypeError, "p must be a real numeric"),
        (prob_to_odds, 0.5j, TypeError, "p must be a real numeric"),
        (odds_to_prob, -1.0, ValueError, "odds must be non-negative"),
        (odds_to_prob, np.nan, ValueError, "odds must be non-negative and not NaN"),
        (odds_to_prob, "1", TypeError, "odds must be a real numeric"),
        (odds_to_db, 0.0, ValueError, "odds must be positive"),
        (odds_to_db, -2.0, ValueError, "odds must be positive"),
        (odds_to_db, np.nan, ValueError, "odds must be positive and not NaN"),
        (odds_to_db, None, TypeError, "odds must be a real numeric"),
        (db_to_prob, np.nan, ValueError, "db has NaN"),
        (db_to_odds, [0.0, np.nan], ValueError, "db has NaN"),
        (db_to_prob, "3dB", TypeError, "db must be a real numeric"),
        (
            db_to_odds,
            np.array([1.0], dtype=object),
            TypeError,
            "db must be a real numeric",
        ),
    ],
)
def test_bad_probability_odds_db(f, arg, exc, match):
    with pytest.raises(exc, match=match):
        f(arg)


def test_module_exports():
    for name in ("convert", "from_nats", "prob_to_db", "db_to_prob", "unit_name"):
        assert callable(getattr(units, name))
