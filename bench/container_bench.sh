#!/usr/bin/env bash
# Side by side: containers end to end, berth (berthd + berth-shim) vs containerd 1.6 (`ctr`,
# containerd-shim-runc-v2, runc) on the same busybox image: `run --rm … /bin/true`, N
# sequential `run -d … sleep 1000`, shim and daemon memory with 0 and N running,
# interleaved round by round. Prints a table and writes bench/results/<date>-containers.json.
# With --suite network: each container's network instead — run --rm with and without
# one (berth's default bridge vs `ctr run --cni` with the same plugins) and berthd's
# attach/detach times; bench/results/<date>-network.json. Needs root. See bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

usage() {
  cat <<EOF
usage: bash bench/container_bench.sh [--suite containers|network] [--runs N] [--starts N]
                                    [--build DIR] [--out FILE]
  --suite S    containers (default): run --rm, run -d, memory; network: the network's
               cost per container (container_bench.py / network_bench.py)
  --runs N     rounds; each runs both engines (default 20)
  --starts N   detached containers started per engine and round (default 20)
  --build DIR  berth build directory holding daemon/berthd, ctl/berthctl and
               shim/berth-shim (default: build)
  --out FILE   JSON results (default: bench/results/<UTC date>-containers.json, never
               overwritten)
EOF
}

die() {
  echo "container_bench: $*" >&2
  exit 1
}

suite=containers
runs=20
starts=20
build="$repo/build"
out=""
while (($#)); do
  case "$1" in
    --suite) suite=${2:?--suite needs containers or network}; shift 2 ;;
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    --starts) starts=${2:?--starts needs a number}; shift 2 ;;
    --build) build=${2:?--build needs a directory}; shift 2 ;;
    --out) out=${2:?--out needs a path}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $suite == containers || $suite == network ]] || die "--suite must be containers or network"
script=$([[ $suite == network ]] && echo network_bench.py || echo container_bench.py)
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$runs'"
[[ $starts =~ ^[1-9][0-9]*$ ]] || die "--starts must be a positive integer, got '$starts'"
[[ $(id -u) -eq 0 ]] || die "run as root (containers, mounts, cgroups)"
for tool in containerd ctr containerd-shim-runc-v2 runc python3 ip iptables unshare nsenter; do
  command -v "$tool" >/dev/null || die "$tool is missing (Debian: containerd, runc)"
done
[[ -x /bin/busybox ]] || die "/bin/busybox (busybox-static) is missing"
build=$(realpath "$build")
for bin in daemon/berthd ctl/berthctl shim/berth-shim; do
  [[ -x $build/$bin ]] || die "$build/$bin is not built: ninja -C $build berthd berthctl berth-shim"
done

if [[ -z $out ]]; then
  base="$here/results/$(date -u +%F)-$suite"
  out="$base.json"
  n=2
  while [[ -e $out ]]; do out="$base-$n.json"; n=$((n + 1)); done
fi
[[ ! -e $out ]] || die "$out exists; results are never overwritten"

build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
berth_version="$("$build/daemon/berthd" --version), ${build_type:-RelWithDebInfo (CMakeLists default)}"

# Everything lives on one private tmpfs: the image, both engines' roots and states. The
# same name is the cgroup both engines' containers go under and containerd's namespace.
prefix="berth-bench-$$"
work=$(mktemp -d "/tmp/berth-container-bench-$$.XXXXXX")
fs="$work/tmpfs"

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  # Containers, daemons (by the PIDs the measuring script wrote), shims, cgroups (and,
  # for the network suite, its bridges and berth's chain for its own).
  if [[ -d $fs ]]; then
    python3 "$here/$script" cleanup --work "$fs" --berthctl "$fs/bin/berthctl" \
      --prefix "$prefix" || rc=1
  fi
  # Whatever an engine left mounted under the work dir, deepest first, then the tmpfs.
  awk -v w="$fs/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r mnt; do umount "$mnt" || umount -l "$mnt"; done
  if mountpoint -q "$fs"; then umount "$fs" || umount -l "$fs"; fi
  if grep -qF " $work" /proc/self/mountinfo; then
    echo "container_bench: something is still mounted under $work; left in place" >&2
    rc=1
  else
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$fs"
mount -t tmpfs -o size=2g,mode=0700 berth-container-bench "$fs"

# The binaries are copied in, so that a rebuild during the run cannot change them; berthd
# finds berth-shim next to itself.
mkdir -p "$fs/bin"
cp "$build/daemon/berthd" "$build/ctl/berthctl" "$build/shim/berth-shim" "$fs/bin/"

python3 "$repo/tests/images/make_busybox_image.py" --format docker-archive \
  --name docker.io/library/busybox:latest -o "$fs/busybox.tar"

echo "berth:      $build ($berth_version)"
echo "containerd: $(containerd --version)"
echo "runc:       $(runc --version | head -1)"
if [[ $suite == network ]]; then
  echo "rounds:     $runs; each runs both engines with and without a network; order alternates"
else
  echo "rounds:     $runs, $starts detached containers per engine and round; order alternates"
fi
echo "load:       $(cut -d' ' -f1-3 /proc/loadavg)"
echo

python3 -u "$here/$script" measure --work "$fs" --image "$fs/busybox.tar" \
  --runs "$runs" --starts "$starts" --berthd "$fs/bin/berthd" --berthctl "$fs/bin/berthctl" \
  --berth-version "$berth_version" --cgroup-prefix "$prefix" --out "$out"
