#!/usr/bin/env bash
# Installs Debian's Chromium (and a CJK font so Chinese pages render) when it is
# missing. Needs root and apt-get; without them it explains and fails, and the
# browser tests skip (locally) or fail the run (CI).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "cjk"; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: apt-get not found; install Chromium and a CJK font by hand" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "ensure-chromium: not root and no passwordless sudo; cannot install Chromium" >&2
    exit 1
  fi
fi
echo "ensure-chromium: installing chromium and fonts-noto-cjk from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
command -v chromium >/dev/null
