"""The environment is declared once and pinned: these files must agree."""

import re
import tomllib

import yaml

import book

ROOT = book.ROOT


def pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs |= set(extra)
    return reqs


def environment_pip() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(
        d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d
    )
    return [p for p in pip if not p.startswith("-")]


def test_environment_yml_matches_pyproject():
    assert set(environment_pip()) == pyproject_requirements()


def test_environment_yml_python_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(
        d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")
    )
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "requires-python"
    ]
    assert python.split("=")[-1] == requires.removeprefix(">=")


def test_every_requirement_is_pinned_exactly_and_locked():
    locked = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            locked[re.sub(r"[-_.]+", "-", name).lower()] = version
    for req in pyproject_requirements():
        name, sep, version = req.partition("==")
        assert sep, f"{req} is not pinned with =="
        key = re.sub(r"[-_.]+", "-", name).lower()
        assert locked.get(key) == version, (
            f"{req} disagrees with constraints.txt ({locked.get(key)})"
        )
