#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 interpreter, or explains why there is none.
# PATH comes first (python3.14 … python3), then pyenv's installed versions and the
# usual system locations. Each candidate is *run*, because pyenv shims exist on PATH
# but answer "command not found" unless their version is selected.
set -u
works() { "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
candidates=()
for name in python3.14 python3.13 python3.12 python3 python; do
  p=$(command -v "$name" 2>/dev/null) && candidates+=("$p")
done
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
for d in $(ls -d "$pyenv_root"/versions/3.* 2>/dev/null | sort -t. -k2,2nr -k3,3nr); do
  candidates+=("$d/bin/python3")
done
for p in /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9] /opt/python*/bin/python3; do
  [ -x "$p" ] && candidates+=("$p")
done
for c in "${candidates[@]}"; do
  if works "$c"; then
    # Resolve to the real interpreter so the venv does not depend on a shim.
    "$c" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "No Python >= 3.12 found (looked on PATH, in $pyenv_root/versions and /usr/bin)." >&2
echo "Install Python 3.12 or newer (for example: pyenv install 3.13) and run the command again." >&2
exit 1
