"""The project's own scripts and habits: Python discovery, lint, migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def test_find_python_skips_old_and_broken_interpreters(tmp_path):
    # given a PATH whose python3 is 3.11-like (too old) and whose python3.13 is a broken shim
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text("#!/bin/sh\nexec /bin/false\n")
    (fake / "python3.13").write_text("#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2; exit 127\n")
    for f in fake.iterdir():
        f.chmod(0o755)
    # and a pyenv root holding a real, new enough interpreter
    pyenv = tmp_path / "pyenv" / "versions" / "3.13.9" / "bin"
    pyenv.mkdir(parents=True)
    (pyenv / "python3").symlink_to(sys.executable)
    env = {"PATH": f"{fake}:/usr/bin:/bin", "PYENV_ROOT": str(tmp_path / "pyenv"), "HOME": str(tmp_path)}
    # when the script looks for a Python
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "find-python.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # then it answers an interpreter that really is >= 3.12
    assert out.returncode == 0, out.stderr
    found = out.stdout.strip()
    check = subprocess.run(
        [found, "-c", "import sys; print(sys.version_info >= (3, 12))"], capture_output=True, text=True
    )
    assert check.stdout.strip() == "True"


def test_find_python_explains_when_there_is_none(tmp_path):
    env = {"PATH": str(tmp_path), "PYENV_ROOT": str(tmp_path / "none"), "HOME": str(tmp_path)}
    out = subprocess.run(
        ["/bin/bash", str(ROOT / "scripts" / "find-python.sh")], env=env, capture_output=True, text=True
    )
    if out.returncode == 0:
        pytest.skip(f"this machine has a system Python >= 3.12 at {out.stdout.strip()}")
    assert "No Python >= 3.12 found" in out.stderr


def test_ruff_lint_and_format_are_clean():
    ruff = Path(sys.executable).parent / "ruff"
    lint = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    fmt = subprocess.run([ruff, "format", "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout


def test_import_contracts_hold():
    # given the contracts in pyproject.toml (layers of each app and part, no cycles between siblings)
    # when import-linter builds the import graph, function-level imports included
    lint = subprocess.run(
        [Path(sys.executable).parent / "lint-imports", "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    # then every contract is kept
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "Contracts: 5 kept, 0 broken." in lint.stdout


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_ci_entry_point_calls_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert "make run" in first_block
    assert "make test" in first_block
    assert "exec make test" in (ROOT / ".ci" / "run").read_text()
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
