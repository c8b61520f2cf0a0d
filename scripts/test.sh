#!/usr/bin/env bash
# berth's whole test suite on a fresh Debian 12 machine, as root: install, build once,
# check formatting, run every test (in parallel: each integration test owns its
# berthd, directories, ports and cgroup names).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh

unformatted=$(git ls-files '*.cc' '*.h' | grep -v '^proto/' | xargs clang-format --dry-run 2>&1 | grep -c 'warning:' || true)
if [[ "$unformatted" != 0 ]]; then
  echo "clang-format: $unformatted places differ from .clang-format; run clang-format -i" >&2
  git ls-files '*.cc' '*.h' | grep -v '^proto/' | xargs clang-format --dry-run 2>&1 | head -20 >&2
  exit 1
fi

ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600
