"""The registry's seed files, read from disk and parsed (no database).

Both the reference-table loader (``reference``) and the province-rule loader
(``province_rules``) read these files; keeping the reading here lets each of
them import it without importing the other.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

SEED_DIR = Path(__file__).resolve().parent / "seed_data"
PROVINCE_RULES_FILE = SEED_DIR / "province-rules.yaml"
REFERENCE_FILE = SEED_DIR / "reference.yaml"


@cache
def province_rules_data() -> dict[str, Any]:
    """The sourced province seed file, parsed once per process."""
    with PROVINCE_RULES_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def reference_data() -> dict[str, Any]:
    """The national reference tables (natures, certificate and ID types)."""
    with REFERENCE_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)
