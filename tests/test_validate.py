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
