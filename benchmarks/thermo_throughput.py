"""Throughput of the non-equilibrium work simulator: JAX against plain NumPy.

Both implementations run the same algorithm on the same protocol, a harmonic
trap dragged at constant speed: start in equilibrium, then at each step switch
the trap (adding the work) and advance the bead by an exact Ornstein–Uhlenbeck
step, all in float64. Both are vectorised over trajectories with a loop over
the protocol steps (``lax.fori_loop`` inside one jitted function for JAX, a
Python loop over NumPy arrays for NumPy). Throughput is trajectory-steps per
second. After one untimed warm-up (which, for JAX, includes compilation,
reported separately) the timed runs of all variants are *interleaved*, so that
on a shared machine every variant sees the same load; the best and the median
run are reported.

Both simulators are bound by their Gaussian random numbers (one per
trajectory-step), so the script also times drawing the normals alone, with the
same loop layout: JAX's float64 sampler (counter-based Threefry bits, then the
inverse CDF through ``erf_inv``) against NumPy's ``Generator.standard_normal``
(PCG64 bits, then the ziggurat). It also runs the JAX simulator with the
``rbg`` key implementation (``jax.random.key(0, impl="rbg")``, XLA's
RngBitGenerator), an alternative PRNG that the simulator accepts unchanged.

What was tried to make the JAX simulator faster (2-core x86-64 CPU, JAX 0.10):
the ``rbg`` and ``unsafe_rbg`` keys draw raw bits about four times faster,
but their normals are slower, because the bits are no longer fused with the
transform; drawing the normals for all steps in one call before the loop, or
for blocks of 4 or 10 steps, is 1.5-3x slower, because the normals then go
through memory instead of being fused into the step. Inside the fused step,
``erf_inv`` alone costs about as much as the whole simulator. The remaining
options (float32 normals, a hand-written ziggurat, Box-Muller, whose float64
``cos``/``sin`` are slower still) change the random-number algorithm, so
this benchmark does not use them.

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
import jax.numpy as jnp  # noqa: E402

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


def jax_normals(key: jax.Array, n: int, steps: int):
    """Draw ``steps`` batches of ``n`` float64 normals, as the simulator does (one per step)."""

    @jax.jit
    def draw(key):
        def body(j, total):
            return total + jax.random.normal(jax.random.fold_in(key, j), (n,))

        return jax.lax.fori_loop(0, steps, body, jnp.zeros(n))

    return lambda: draw(key).block_until_ready()


def numpy_normals(rng: np.random.Generator, n: int, steps: int):
    """The NumPy counterpart of :func:`jax_normals`."""

    def draw():
        total = np.zeros(n)
        for _ in range(steps):
            total += rng.standard_normal(n)
        return total

    return draw


def interleaved_times(fns: dict, repeats: int) -> dict[str, list[float]]:
    """Wall-clock seconds of ``repeats`` runs of each function, interleaved."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n-traj", type=int, default=thermo.CHUNK, help="trajectories per run"
    )
    parser.add_argument(
        "--steps", type=int, default=100, help="protocol steps per trajectory"
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed runs (best is reported)"
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
    key = jax.random.PRNGKey(0)  # the default implementation, Threefry
    key_rbg = jax.random.key(0, impl="rbg")
    rng = np.random.default_rng(0)

    def jax_run(key):
        return lambda: thermo.simulate_harmonic(
            key, k, c, n_traj=n, dt=dt
        ).work.block_until_ready()

    simulators = {
        "jax": jax_run(key),
        "jax_rbg": jax_run(key_rbg),
        "numpy": lambda: numpy_simulate(rng, k, c, n, dt),
    }
    normals = {
        "jax_normals": jax_normals(key, n, steps),
        "numpy_normals": numpy_normals(rng, n, steps),
    }
    first_call = {}
    for name, fn in {**simulators, **normals}.items():  # warm-up (JAX: compile)
        t0 = time.perf_counter()
        fn()
        first_call[name] = time.perf_counter() - t0
    times = interleaved_times({**simulators, **normals}, args.repeats)
    best = {name: min(t) for name, t in times.items()}
    median = {name: float(np.median(t)) for name, t in times.items()}

    # the implementations must agree with the exact mean work
    exact = thermo.harmonic_mean_work(k, c, dt=dt)
    samples = {
        "jax": np.asarray(thermo.simulate_harmonic(key, k, c, n_traj=n, dt=dt).work),
        "jax_rbg": np.asarray(
            thermo.simulate_harmonic(key_rbg, k, c, n_traj=n, dt=dt).work
        ),
        "numpy": numpy_simulate(rng, k, c, n, dt),
    }
    for name, w in samples.items():
        z = (w.mean() - exact) / (w.std() / math.sqrt(n))
        if abs(z) > 5:
            raise SystemExit(
                f"{name} simulation disagrees with the exact mean work (z = {z:.1f})"
            )

    result = {
        "n_traj": n,
        "steps": steps,
        "repeats": args.repeats,
        "jax_traj_steps_per_s": n * steps / best["jax"],
        "jax_rbg_traj_steps_per_s": n * steps / best["jax_rbg"],
        "numpy_traj_steps_per_s": n * steps / best["numpy"],
        "jax_normals_per_s": n * steps / best["jax_normals"],
        "numpy_normals_per_s": n * steps / best["numpy_normals"],
        "best_s": best,
        "median_s": median,
        "first_call_s": first_call,
        "speedup": best["numpy"] / best["jax"],
        "speedup_median": median["numpy"] / median["jax"],
        "jax": jax.__version__,
        "numpy": np.__version__,
        "devices": [str(d) for d in jax.devices()],
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "load_avg_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    print(
        f"protocol: dragged harmonic trap, {steps} exact OU steps, {n} trajectories,"
        f" float64; {args.repeats} interleaved runs each"
    )
    labels = {
        "jax": "JAX simulator (Threefry)",
        "jax_rbg": "JAX simulator (rbg key)",
        "numpy": "NumPy simulator",
        "jax_normals": "JAX normals only",
        "numpy_normals": "NumPy normals only",
    }
    for name, label in labels.items():
        unit = "normals/s" if name.endswith("normals") else "trajectory-steps/s"
        print(
            f"{label:25s}: {n * steps / best[name]:.3e} {unit:18s}"
            f" (best {best[name]:.3f} s, median {median[name]:.3f} s,"
            f" first call {first_call[name]:.3f} s)"
        )
    print(
        f"speed-up JAX/NumPy: {result['speedup']:.2f}x best,"
        f" {result['speedup_median']:.2f}x median"
        f"  (1-min load average {result['load_avg_1min']})"
    )
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
