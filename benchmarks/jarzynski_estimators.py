"""Time the free-energy estimators of the Jarzynski chapter against pymbar.

The chapter runs Bennett's acceptance ratio and the one-sided estimate on
2^21 forward and 2^22 reverse work values of the stiffness ramp. This script
times ``klnotes.thermo.bar`` (safeguarded Newton on Bennett's equation, a few
passes over the data per iteration) against ``pymbar.other_estimators.bar``
(false position; pymbar's default) on Gaussian Crooks work of that size, and
``klnotes.thermo.exponential_estimate`` against ``pymbar.other_estimators.exp``.
Both give the same numbers (tests/test_pymbar_peer.py checks that to 1e-10);
this only compares cost. After one untimed warm-up the variants are
interleaved, so that on a shared machine each sees the same load, and the
best and the median of the timed runs are reported.

    python benchmarks/jarzynski_estimators.py [--n-forward N] [--n-reverse N] [--repeats R]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import statistics
import time

import numpy as np

import klnotes as kn  # noqa: F401  (first: JAX in float64)
from klnotes import thermo

with (
    contextlib.redirect_stdout(io.StringIO()),
    contextlib.redirect_stderr(io.StringIO()),
):
    from pymbar import other_estimators


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-forward", type=int, default=2**21)
    parser.add_argument("--n-reverse", type=int, default=2**22)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    w_dis, d_f = 0.4, math.log(2.0)
    sd = math.sqrt(2 * w_dis)
    wf = rng.normal(d_f + w_dis, sd, args.n_forward)
    wr = rng.normal(-d_f + w_dis, sd, args.n_reverse)

    variants = {
        "klnotes bar": lambda: thermo.bar(wf, wr),
        "pymbar bar": lambda: other_estimators.bar(wf, wr),
        "klnotes exponential_estimate": lambda: thermo.exponential_estimate(wf),
        "pymbar exp": lambda: other_estimators.exp(wf),
    }
    for run in variants.values():  # warm-up
        run()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, run in variants.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    print(
        f"{args.n_forward} forward and {args.n_reverse} reverse work values,"
        f" {args.repeats} interleaved runs"
    )
    for name, ts in times.items():
        print(
            f"  {name:30s} best {min(ts):7.3f} s   median {statistics.median(ts):7.3f} s"
        )


if __name__ == "__main__":
    main()
