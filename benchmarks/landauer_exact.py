"""Cost of the Landauer chapter's exact computations, one by one.

The chapter solves every protocol exactly: a staircase of K levels, each held
for a time, relaxes by the exact two-state step, so a whole sweep of durations
is one ``lax.scan`` over the levels, vectorised over the durations
(:func:`klnotes.erasure.erasure_exact`). Single trajectories are drawn from
the same exact kernel (:func:`klnotes.erasure.simulate_erasure`). This script
times the pieces the chapter runs, at the chapter's sizes:

* ``ramp sweep``: the linear ramp, K = 2^16 levels, 16 durations;
* ``optimal sweep``: the constant-dissipation protocol, same sizes;
* ``closed form``: the ramp's hypergeometric closed form (mpmath), 16 durations;
* ``ODE``: the optimal protocol by SciPy's DOP853, one duration (Γτ = 64);
* ``trajectories``: 2^18 trajectories of a 64-level staircase.

After one untimed warm-up (which includes JAX's compilation, reported
separately), the timed runs of all pieces are interleaved, so that on a shared
machine each sees the same load; the best and the median of the repeats are
reported, with the load average.

    python benchmarks/landauer_exact.py [--repeats R] [--json [PATH]]

With ``--json`` the results are also written (default
``benchmarks/results/landauer_exact.json``; the folder is git-ignored). The
default run takes under a minute on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import mpmath as mp  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

import klnotes  # noqa: E402,F401  (enables float64 in JAX)
from klnotes import erasure  # noqa: E402

EPS_MAX, K = 10.0, 2**16
TAUS = 2.0 ** np.arange(-6, 10)


def ramp_sweep() -> float:
    levels, _ = erasure.staircase_protocol(EPS_MAX, K, 1.0)
    res = erasure.erasure_exact(levels, TAUS[:, None] / K)
    return float(res.entropy_production[-1])


def optimal_sweep() -> float:
    levels, _ = erasure.optimal_protocol(EPS_MAX, K, 1.0)
    res = erasure.erasure_exact(levels, TAUS[:, None] / K)
    return float(res.entropy_production[-1])


def closed_form() -> float:
    mp.mp.dps = 30
    out = 0.0
    for tau in TAUS:
        c = mp.mpf(tau) / EPS_MAX
        decay = mp.exp(-tau)
        p_end = (
            decay / 2
            + mp.hyp2f1(1, c, 1 + c, -mp.exp(EPS_MAX))
            - decay * mp.hyp2f1(1, c, 1 + c, -1)
        )
        out += float(p_end)
    return out


def ode() -> float:
    tau = 64.0
    theta = math.atan(math.exp(EPS_MAX / 2)) - math.pi / 4

    def rhs(t: float, y: np.ndarray) -> list[float]:
        e = 2 * math.log(math.tan(math.pi / 4 + t / tau * theta))
        flow = 1 / (1 + math.exp(e)) - y[0]
        return [flow, e * flow]

    sol = solve_ivp(rhs, (0, tau), [0.5, 0.0], method="DOP853", rtol=1e-12, atol=1e-14)
    return float(sol.y[1, -1])


def trajectories() -> float:
    levels, dwell = erasure.staircase_protocol(EPS_MAX, 64, 20.0)
    sim = erasure.simulate_erasure(jax.random.PRNGKey(0), levels, dwell, 2**18)
    return float(sim.heat.mean())


PIECES: dict[str, Callable[[], float]] = {
    "ramp sweep": ramp_sweep,
    "optimal sweep": optimal_sweep,
    "closed form": closed_form,
    "ODE": ode,
    "trajectories": trajectories,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", nargs="?", const="", default=None)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    warm = {}
    for name, fn in PIECES.items():
        start = time.perf_counter()
        fn()
        warm[name] = time.perf_counter() - start
    runs: dict[str, list[float]] = {name: [] for name in PIECES}
    for _ in range(args.repeats):
        for name, fn in PIECES.items():
            start = time.perf_counter()
            fn()
            runs[name].append(time.perf_counter() - start)

    load = os.getloadavg()
    print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} cores"
    )
    print(f"{'piece':<15}{'first (s)':>11}{'best (s)':>10}{'median (s)':>12}")
    for name in PIECES:
        best, median = min(runs[name]), statistics.median(runs[name])
        print(f"{name:<15}{warm[name]:>11.3f}{best:>10.3f}{median:>12.3f}")
    if args.json is not None:
        path = (
            Path(args.json)
            if args.json
            else ROOT / "benchmarks/results/landauer_exact.json"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "machine": platform.platform(),
                    "load": load,
                    "first": warm,
                    "runs": runs,
                },
                indent=1,
            )
        )
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
