#!/usr/bin/env bash
# Installs the TrueType CJK font the verification sheet PDF embeds (filings/materials/sheet.py,
# R-D5): Debian's fonts-wqy-zenhei. ReportLab embeds only TrueType-outline fonts,
# so the CFF-based Noto CJK fonts (fonts-noto-cjk) do not do. Skips when the font
# is present. Needs root or passwordless sudo, and apt-get; without them it
# explains and fails (the sheet then falls back to a non-embedded CID font and
# its PDF text tests skip locally or fail the run in CI).
set -euo pipefail
FONT=/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
if [ -f "$FONT" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-fonts: apt-get not found; install WenQuanYi Zen Hei by hand so that $FONT exists" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "ensure-fonts: not root and no passwordless sudo; cannot install fonts-wqy-zenhei" >&2
    echo "ensure-fonts: run as root: apt-get install -y fonts-wqy-zenhei" >&2
    exit 1
  fi
fi
echo "ensure-fonts: installing fonts-wqy-zenhei from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends fonts-wqy-zenhei >/dev/null
test -f "$FONT"
