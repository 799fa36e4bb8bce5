"""R-X4 (scorecard): the static security scan is ruff's bandit rules (S), clean, run by the test command."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Only tests and scripts may relax bandit rules, and only these (asserts, fixed test secrets, subprocess).
ALLOWED_RELAXATIONS = {"S101", "S105", "S106", "S311", "S603", "S607"}


def test_r_x4_bandit_rules_are_on_for_the_application_code():
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]["lint"]
    assert "S" in lint["select"]
    assert not [rule for rule in lint.get("ignore", []) if rule.startswith("S")]
    for pattern, rules in lint.get("per-file-ignores", {}).items():
        assert pattern.startswith(("tests/", "scripts/")), pattern
        assert set(r for r in rules if r.startswith("S")) <= ALLOWED_RELAXATIONS, pattern


def test_r_x4_bandit_scan_is_clean():
    ruff = Path(sys.executable).parent / "ruff"
    scan = subprocess.run(
        [
            ruff,
            "check",
            "--select",
            "S",
            "--output-format",
            "concise",
            "icpfiling",
            "filings",
            "verification_points",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert scan.returncode == 0, scan.stdout + scan.stderr
