#!/usr/bin/env bash
# Install, then serve the site at http://127.0.0.1:8000/dlnotes/ (the path of site_url) with live reload.
# Pages execute on first build (cached in .cache/dlnotes afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
if [ -z "${DLNOTES_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
  export DLNOTES_DATA_DIR="$(cd ../shared/data && pwd)"
fi
export NO_MKDOCS_2_WARNING=1
exec mkdocs serve "$@"
