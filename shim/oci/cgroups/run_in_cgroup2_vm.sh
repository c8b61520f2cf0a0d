#!/bin/sh
# Runs a cgroup test binary inside cgroup2-vm (a guest with a pure cgroup v2 hierarchy).
# Exit 77 (ctest's skip) when the tool or root is missing.
# Usage: run_in_cgroup2_vm.sh <path to cgroup2-vm> <test binary> [gtest args...]
set -eu
vm=$1
test_binary=$2
shift 2
if [ ! -x "$vm" ]; then
  echo "SKIPPED: cgroup2-vm not found at $vm (expected in shared/tools beside the repository)"
  exit 77
fi
if [ "$(id -u)" != 0 ]; then
  echo "SKIPPED: cgroup2-vm needs root"
  exit 77
fi
dir=$(cd "$(dirname "$test_binary")" && pwd)
# The guest sees the host's root read-only but gets fresh tmpfs on /tmp, /run and
# /var/lib: share what the test needs from there (BERTH_VM_SHARE: e.g. the whole build
# tree, for tests that run other binaries of it).
share=${BERTH_VM_SHARE:-$dir}
exec "$vm" --timeout 600 --share "$share" -- "$dir/$(basename "$test_binary")" "$@"
