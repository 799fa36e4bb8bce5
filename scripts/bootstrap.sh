#!/usr/bin/env bash
# Creates .venv with a Python >= 3.12 and installs the pinned dependencies.
# Re-running is cheap: the install is skipped while pyproject.toml and
# constraints.txt are unchanged (their hash is stamped into the venv).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
stamp="$venv/.installed"
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && ! "$venv/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
  echo "bootstrap: $venv uses a Python older than 3.12; recreating it" >&2
  rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
  py=$(bash scripts/find-python.sh)
  echo "bootstrap: creating $venv with $py" >&2
  "$py" -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing dependencies (pinned by constraints.txt)" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[test]"
  echo "$want" > "$stamp"
fi
"$venv/bin/python" manage.py compile_translations >/dev/null
