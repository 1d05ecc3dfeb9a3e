#!/usr/bin/env bash
# Install, then run every check: ruff, the unit tests, a full build of the site with every page
# executed (tests/test_site.py), and the real-browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline),
# and CJK fonts so the screenshots it saves show Chinese text rather than boxes.
if ! command -v chromium >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

if [ -z "${DLNOTES_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
  export DLNOTES_DATA_DIR="$(cd ../shared/data && pwd)"
fi
export NO_MKDOCS_2_WARNING=1
ruff check .
python -m pytest "$@"
