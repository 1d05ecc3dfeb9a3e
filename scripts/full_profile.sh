#!/usr/bin/env bash
# Run pages under the `full` profile on a lent GPU machine (the `device` tool), where the project's
# venv, jupytext and the 103 MB mplfonts are not available and the working tree that travels is
# capped at 64 MiB.
#
#   here:        bash scripts/full_profile.sh prepare docs/chapter_convolutional-modern/resnet.md ...
#   on the GPU:  OUT=$OUT BUDGET=540 bash scripts/full_profile.sh run      (carry: .devrun)
#
# `prepare` exports each page's cells to .devrun/<name>.py (jupytext), copies the datasets they read
# from $DLNOTES_DATA_DIR, and the one CJK font dlnotes.plot registers (a shim `mplfonts` package).
# `run` executes them in order with DLNOTES_PROFILE=full, one log per page in $OUT, stopping before
# BUDGET seconds are spent; the "[x.y] ..." lines in the logs are report_result's numbers.
# Add /.devrun/ to .git/info/exclude so the folder never lands in a commit.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  prepare)
    shift
    : "${DLNOTES_DATA_DIR:?point DLNOTES_DATA_DIR at the dataset mirror}"
    mkdir -p .devrun/data .devrun/shim/mplfonts/fonts
    for page in "$@"; do
      .venv/bin/jupytext --quiet --to py:percent -o ".devrun/$(basename "$page" .md).py" "$page"
    done
    for data in ${DATASETS:-fashion-mnist}; do cp -r "$DLNOTES_DATA_DIR/$data" .devrun/data/; done
    font=$(.venv/bin/python -c "import mplfonts, pathlib; print(pathlib.Path(mplfonts.__file__).parent / 'fonts' / 'NotoSansCJKsc-Regular.otf')")
    cp "$font" .devrun/shim/mplfonts/fonts/
    echo '"""Device-only stand-in for mplfonts: the one font dlnotes.plot uses."""' > .devrun/shim/mplfonts/__init__.py
    du -sh .devrun ;;
  run)
    : "${OUT:?run this on the device machine, where OUT is set}"
    export PYTHONPATH="src:$PWD/.devrun/shim" DLNOTES_PROFILE=full DLNOTES_DATA_DIR="$PWD/.devrun/data"
    export MPLBACKEND=Agg PYTHONUNBUFFERED=1
    deadline=$(( $(date +%s) + ${BUDGET:-540} ))
    { nvidia-smi -L; python3 -c "import sys, torch; print(sys.version.split()[0], 'torch', torch.__version__)"; } > "$OUT/machine.txt" 2>&1 || true
    for script in .devrun/*.py; do
      name=$(basename "$script" .py); left=$(( deadline - $(date +%s) ))
      if [ "$left" -lt 30 ]; then echo "$name skipped: budget spent" >> "$OUT/summary.txt"; continue; fi
      start=$(date +%s)
      rc=0; timeout "$left" python3 "$script" > "$OUT/$name.log" 2>&1 || rc=$?
      echo "$name rc=$rc $(( $(date +%s) - start )) s" >> "$OUT/summary.txt"
      grep -h '^\[' "$OUT/$name.log" >> "$OUT/summary.txt" || true
    done
    cat "$OUT/summary.txt" ;;
  *) echo "usage: $0 prepare PAGE.md... | run" >&2; exit 2 ;;
esac
