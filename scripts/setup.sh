#!/usr/bin/env bash
# Install everything the site and the tests need into ./.venv and ./node_modules (idempotent).
# Sourced by serve.sh and test.sh; leaves the virtual environment activated.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -r requirements-dev.txt -e .

# KaTeX and mermaid are served by the site itself (no CDN) and pinned in package.json; axe-core is
# pinned there too, as a devDependency the browser tests inject into pages (never copied into the site).
if ! command -v npm >/dev/null; then
  echo "setup: npm (Node.js) is required to fetch KaTeX, mermaid and axe-core; install Node.js first" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
