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

# libyaml's parser when PyYAML was built with it (the wheels are): the province file is 160 KB,
# which the pure-Python parser takes over a second of CPU to read, in every worker process.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SEED_DIR = Path(__file__).resolve().parent / "seed_data"
PROVINCE_RULES_FILE = SEED_DIR / "province-rules.yaml"
REFERENCE_FILE = SEED_DIR / "reference.yaml"


@cache
def province_rules_data() -> dict[str, Any]:
    """The sourced province seed file, parsed once per process."""
    with PROVINCE_RULES_FILE.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_Loader)  # noqa: S506 - a safe loader


def reference_data() -> dict[str, Any]:
    """The national reference tables (natures, certificate and ID types)."""
    with REFERENCE_FILE.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_Loader)  # noqa: S506 - a safe loader
