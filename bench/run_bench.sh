#!/usr/bin/env bash
# Side by side: `run` of /bin/true in one busybox bundle with berth-oci, runc and crun,
# interleaved round by round. Prints a table and writes bench/results/<date>-run.json.
# Needs root and the packages of scripts/install-deps.sh. See bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

usage() {
  cat <<EOF
usage: bash bench/run_bench.sh [--runs N] [--berth-oci PATH] [--out FILE]
  --runs N          rounds; each round runs every runtime once (default 30)
  --berth-oci PATH  the binary to measure (default: build/shim/berth-oci)
  --out FILE        JSON results (default: bench/results/<UTC date>-run.json, never overwritten)
EOF
}

die() {
  echo "run_bench: $*" >&2
  exit 1
}

runs=30
berth_oci=""
out=""
while (($#)); do
  case "$1" in
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    --berth-oci) berth_oci=${2:?--berth-oci needs a path}; shift 2 ;;
    --out) out=${2:?--out needs a path}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$runs'"
[[ $(id -u) -eq 0 ]] || die "run as root (containers need it)"
for tool in runc crun unshare python3; do
  command -v "$tool" >/dev/null || die "$tool is missing: run 'bash scripts/install-deps.sh'"
done
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is missing: run 'bash scripts/install-deps.sh'"
[[ -x /bin/busybox ]] || die "/bin/busybox (busybox-static) is missing: run 'bash scripts/install-deps.sh'"

if [[ -z $berth_oci ]]; then
  for candidate in "$repo/build/shim/berth-oci"; do
    if [[ -x $candidate ]]; then berth_oci=$candidate; break; fi
  done
  [[ -n $berth_oci ]] || die "berth-oci not built: bash scripts/build.sh"
fi
[[ -x $berth_oci ]] || die "$berth_oci is not an executable"
berth_oci=$(realpath "$berth_oci")

if [[ -z $out ]]; then
  base="$here/results/$(date -u +%F)-run"
  out="$base.json"
  n=2
  while [[ -e $out ]]; do out="$base-$n.json"; n=$((n + 1)); done
fi

# berth's commit and build type, for the record.
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null) ]] || commit+="-dirty"
cache="$(dirname "$(dirname "$berth_oci")")/CMakeCache.txt"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$cache" 2>/dev/null || true)
berth_version="commit $commit, ${build_type:-RelWithDebInfo (CMakeLists default)} build"

# Everything this run makes is named after its PID: the temp dir, container ids, cgroups.
prefix="berth-bench-$$"
work=$(mktemp -d "/tmp/$prefix.XXXXXX")
state="$work/state"
bundle="$work/bundle"
# shellcheck disable=SC2016 # "$0" "$@" are sh's, not ours
crun_wrapper=(unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$0" "$@"')

cleanup() {
  local rc=$? runtime dir id
  trap - EXIT INT TERM
  # Containers left by an interrupted run: their runtime deletes them (and kills their
  # processes); a finished round leaves nothing here.
  for runtime in berth-oci runc crun; do
    [[ -d $state/$runtime ]] || continue
    for dir in "$state/$runtime"/*/; do
      [[ -d $dir ]] || continue
      id=$(basename "$dir")
      case $runtime in
        crun) "${crun_wrapper[@]}" crun --root "$state/crun" delete --force "$id" || true ;;
        runc) runc --root "$state/runc" delete --force "$id" || true ;;
        berth-oci) "$berth_oci" --root "$state/berth-oci" delete --force "$id" || true ;;
      esac
    done
  done
  python3 "$here/oci_run_bench.py" remove-cgroups --prefix "$prefix" || rc=1
  if grep -qF " $work" /proc/self/mountinfo; then
    echo "run_bench: something is still mounted under $work; left in place" >&2
    rc=1
  else
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The bundle: static busybox with its applets, config.json from `berth-oci spec`.
mkdir -p "$bundle/rootfs/bin" "$state"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [[ $applet == busybox ]] || ln -s busybox "$bundle/rootfs/bin/$applet"
done
"$berth_oci" spec -b "$bundle"
python3 - "$bundle/config.json" <<'EOF'
import json, sys
path = sys.argv[1]
with open(path) as f:
    c = json.load(f)
# crun 1.8 accepts only 1.0.x ("unknown version specified"); nothing here needs a later one.
c["ociVersion"] = "1.0.2-dev"
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
with open(path, "w") as f:
    json.dump(c, f, indent=2)
EOF

echo "berth-oci: $berth_oci ($berth_version)"
echo "runc:      $(runc --version | head -1)"
echo "crun:      $(crun --version | head -1) (in a mount namespace without /sys/fs/cgroup/unified)"
echo "rounds:    $runs, order berth-oci runc crun, then the baselines"
echo

python3 -u "$here/oci_run_bench.py" measure --runs "$runs" --bundle "$bundle" --state "$state" \
  --berth-oci "$berth_oci" --berth-version "$berth_version" --cgroup-prefix "$prefix" \
  --out "$out"
