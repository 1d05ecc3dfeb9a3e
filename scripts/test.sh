#!/usr/bin/env bash
# Install, then run every check: ruff, the unit tests, a full build of the site with every page
# executed (tests/test_site.py), and the real-browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline),
# and CJK fonts so the screenshots it saves show Chinese text rather than boxes; poppler-utils
# (pdftotext, pdffonts) reads the PDF editions, whose Chinese text is set in WenQuanYi Micro Hei
# (a TrueType font: Chromium embeds Noto CJK's CFF outlines as unnamed Type 3 fonts).
need=()
command -v chromium >/dev/null || need+=(chromium fonts-noto-cjk)
command -v pdftotext >/dev/null || need+=(poppler-utils)
fc-list 2>/dev/null | grep -q "WenQuanYi Micro Hei" || need+=(fonts-wqy-microhei)
if [ "${#need[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ -z "${DLNOTES_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
  export DLNOTES_DATA_DIR="$(cd ../shared/data && pwd)"
fi
export NO_MKDOCS_2_WARNING=1
ruff check .
python -m pytest --durations=20 "$@"
