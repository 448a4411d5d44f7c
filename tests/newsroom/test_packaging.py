"""What `make demo` and `make test` install, and the package metadata."""

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def make_dry_run(*args):
    """The commands make would run for a fresh clone (-B: every target out of date).

    Run as a make of its own: under `make test` the parent's MAKEFLAGS and
    MAKELEVEL would make it print the directories it enters and leaves.
    """
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


needs_make = pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")


@needs_make
def test_make_demo_installs_only_the_site_and_serves_on_port():
    lines = make_dry_run("demo", "PORT=8123")
    installs = [line for line in lines if "pip install" in line and "--upgrade pip" not in line]
    assert installs == [".venv/bin/python -m pip install --quiet -e ."]
    assert lines[-1].endswith("manage.py runserver 127.0.0.1:8123")
    assert "NEWSROOM_SITE_URL=http://127.0.0.1:8123" in lines[-1]


@needs_make
def test_make_demo_defaults_to_port_8000():
    assert make_dry_run("demo")[-1].endswith("runserver 127.0.0.1:8000")


@needs_make
def test_make_test_still_installs_the_dev_extra():
    lines = make_dry_run("test")
    assert '.venv/bin/python -m pip install --quiet -e ".[dev]"' in lines
    assert any(line.startswith(".venv/bin/pytest") for line in lines)


def test_licence_is_an_spdx_expression_with_a_setuptools_that_reads_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "BSD-3-Clause"
    (requirement,) = project["build-system"]["requires"]
    name, bound = requirement.split(">=")
    assert name == "setuptools" and int(bound.split(".")[0]) >= 77
