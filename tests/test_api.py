"""The public API: everything in klnotes.__all__ exists, and every module is reachable."""

import importlib
import pkgutil

import klnotes


def test_all_names_resolve():
    missing = [name for name in klnotes.__all__ if not hasattr(klnotes, name)]
    assert not missing
    assert len(set(klnotes.__all__)) == len(klnotes.__all__)


def test_every_module_is_exported():
    modules = {
        m.name
        for m in pkgutil.iter_modules(klnotes.__path__)
        if not m.name.startswith("_")
    }
    assert modules <= set(klnotes.__all__), modules - set(klnotes.__all__)
    for name in modules:
        assert getattr(klnotes, name) is importlib.import_module(f"klnotes.{name}")


def test_jax_runs_in_float64():
    import jax.numpy as jnp

    assert jnp.zeros(1).dtype == jnp.float64
