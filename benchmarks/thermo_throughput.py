"""Throughput of the non-equilibrium work simulator: JAX against plain NumPy.

Both implementations run the same algorithm on the same protocol, a harmonic
trap dragged at constant speed: start in equilibrium, then at each step switch
the trap (adding the work) and advance the bead by an exact Ornstein–Uhlenbeck
step. Both are vectorised over trajectories with a loop over the protocol
steps (``lax.fori_loop`` inside one jitted function for JAX, a Python loop over
NumPy arrays for NumPy). Throughput is trajectory-steps per second, best of
``--repeats`` timed runs after one untimed warm-up (which, for JAX, includes
compilation, reported separately).

    python benchmarks/thermo_throughput.py [--n-traj N] [--steps S] [--repeats R] [--json [PATH]]

With ``--json`` the results are also written (default
``benchmarks/results/thermo_throughput.json``; the folder is git-ignored).
The default run takes well under a minute on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402

import klnotes  # noqa: E402,F401  (enables float64 in JAX)
from klnotes import thermo  # noqa: E402


def numpy_simulate(
    rng: np.random.Generator, k: np.ndarray, c: np.ndarray, n: int, dt: float
) -> np.ndarray:
    """The same algorithm as ``thermo.simulate_harmonic`` (kT = gamma = 1), in NumPy."""
    x = c[0] + np.sqrt(1.0 / k[0]) * rng.standard_normal(n)
    w = np.zeros(n)
    a = np.exp(-k[1:] * dt)
    s = np.sqrt((1.0 - a**2) / k[1:])
    for j in range(1, k.size):
        w += 0.5 * k[j] * (x - c[j]) ** 2 - 0.5 * k[j - 1] * (x - c[j - 1]) ** 2
        x = c[j] + (x - c[j]) * a[j - 1] + s[j - 1] * rng.standard_normal(n)
    return w


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n-traj", type=int, default=thermo.CHUNK, help="trajectories per run"
    )
    parser.add_argument(
        "--steps", type=int, default=100, help="protocol steps per trajectory"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="timed runs (best is reported)"
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const=str(ROOT / "benchmarks/results/thermo_throughput.json"),
    )
    args = parser.parse_args(argv)
    if args.n_traj < 2 or args.steps < 1 or args.repeats < 1:
        parser.error("need --n-traj >= 2, --steps >= 1, --repeats >= 1")

    n, steps = args.n_traj, args.steps
    k = np.ones(steps + 1)
    c = np.linspace(0.0, 2.0, steps + 1)
    dt = 6.0 / steps
    key = jax.random.PRNGKey(0)

    def run_jax():
        thermo.simulate_harmonic(key, k, c, n_traj=n, dt=dt).work.block_until_ready()

    t0 = time.perf_counter()
    run_jax()  # compiles
    jax_first = time.perf_counter() - t0
    jax_best = best_time(run_jax, args.repeats)

    rng = np.random.default_rng(0)
    numpy_simulate(rng, k, c, n, dt)  # warm-up
    numpy_best = best_time(lambda: numpy_simulate(rng, k, c, n, dt), args.repeats)

    # the two implementations must agree with the exact mean work
    exact = thermo.harmonic_mean_work(k, c, dt=dt)
    w_jax = np.asarray(thermo.simulate_harmonic(key, k, c, n_traj=n, dt=dt).work)
    w_np = numpy_simulate(rng, k, c, n, dt)
    for name, w in (("jax", w_jax), ("numpy", w_np)):
        z = (w.mean() - exact) / (w.std() / math.sqrt(n))
        if abs(z) > 5:
            raise SystemExit(
                f"{name} simulation disagrees with the exact mean work (z = {z:.1f})"
            )

    result = {
        "n_traj": n,
        "steps": steps,
        "repeats": args.repeats,
        "jax_traj_steps_per_s": n * steps / jax_best,
        "numpy_traj_steps_per_s": n * steps / numpy_best,
        "jax_best_s": jax_best,
        "jax_first_call_s": jax_first,
        "numpy_best_s": numpy_best,
        "speedup": numpy_best / jax_best,
        "jax": jax.__version__,
        "numpy": np.__version__,
        "devices": [str(d) for d in jax.devices()],
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "load_avg_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    print(
        f"protocol: dragged harmonic trap, {steps} exact OU steps, {n} trajectories, float64"
    )
    print(
        f"JAX   : {result['jax_traj_steps_per_s']:.3e} trajectory-steps/s "
        f"(best {jax_best:.3f} s; first call incl. compile {jax_first:.3f} s)"
    )
    print(
        f"NumPy : {result['numpy_traj_steps_per_s']:.3e} trajectory-steps/s (best {numpy_best:.3f} s)"
    )
    print(
        f"speed-up JAX/NumPy: {result['speedup']:.2f}x  (1-min load average {result['load_avg_1min']})"
    )
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
