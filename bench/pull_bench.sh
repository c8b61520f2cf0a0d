#!/usr/bin/env bash
# Side by side: pull (fetch + unpack) of a ~1 MB busybox image and a ~260 MB 4-layer image
# from a private docker-registry on 127.0.0.1, berth vs containerd 1.6 (`ctr images pull`),
# interleaved round by round, every pull onto an empty root on tmpfs. Prints a table and
# writes bench/results/<date>-pull.json. Needs root. See bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

usage() {
  cat <<EOF
usage: bash bench/pull_bench.sh [--runs-big N] [--runs-small N] [--build DIR] [--out FILE]
  --runs-big N    rounds with the big image; each round pulls with both engines (default 5)
  --runs-small N  rounds with busybox (default 10)
  --build DIR     berth build directory holding daemon/berthd and ctl/berthctl
                  (default: build)
  --out FILE      JSON results (default: bench/results/<UTC date>-pull.json, never
                  overwritten)
EOF
}

die() {
  echo "pull_bench: $*" >&2
  exit 1
}

runs_big=5
runs_small=10
build="$repo/build"
out=""
while (($#)); do
  case "$1" in
    --runs-big) runs_big=${2:?--runs-big needs a number}; shift 2 ;;
    --runs-small) runs_small=${2:?--runs-small needs a number}; shift 2 ;;
    --build) build=${2:?--build needs a directory}; shift 2 ;;
    --out) out=${2:?--out needs a path}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $runs_big =~ ^[1-9][0-9]*$ ]] || die "--runs-big must be a positive integer, got '$runs_big'"
[[ $runs_small =~ ^[1-9][0-9]*$ ]] || die "--runs-small must be a positive integer, got '$runs_small'"
[[ $(id -u) -eq 0 ]] || die "run as root (tmpfs mount, snapshotters)"
for tool in containerd ctr docker-registry skopeo python3; do
  command -v "$tool" >/dev/null || die "$tool is missing (Debian: containerd, docker-registry, skopeo)"
done
[[ -x /bin/busybox ]] || die "/bin/busybox (busybox-static) is missing"
build=$(realpath "$build")
for bin in daemon/berthd ctl/berthctl; do
  [[ -x $build/$bin ]] || die "$build/$bin is not built: ninja -C $build berthd berthctl"
done

if [[ -z $out ]]; then
  base="$here/results/$(date -u +%F)-pull"
  out="$base.json"
  n=2
  while [[ -e $out ]]; do out="$base-$n.json"; n=$((n + 1)); done
fi
[[ ! -e $out ]] || die "$out exists; results are never overwritten"

# berth's build (the commit berthd was built from) and build type, for the record.
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
berth_version="$("$build/daemon/berthd" --version), ${build_type:-RelWithDebInfo (CMakeLists default)}"

# Everything lives on one private tmpfs: registry storage, images, both engines' roots.
work=$(mktemp -d "/tmp/berth-pull-bench-$$.XXXXXX")
fs="$work/tmpfs"
registry_pid=""

kill_pidfile() {
  local file=$1 pid
  [[ -f $file ]] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  # Daemons of an interrupted measurement (pull_bench.py writes their PIDs), the registry.
  kill_pidfile "$fs/berth.pid"
  kill_pidfile "$fs/containerd.pid"
  if [[ -n $registry_pid ]]; then
    kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  fi
  # Whatever a daemon left mounted under the work dir, deepest first, then the tmpfs.
  awk -v w="$fs/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r mnt; do umount "$mnt" || umount -l "$mnt"; done
  if mountpoint -q "$fs"; then umount "$fs" || umount -l "$fs"; fi
  if grep -qF " $work" /proc/self/mountinfo; then
    echo "pull_bench: something is still mounted under $work; left in place" >&2
    rc=1
  else
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$fs"
mount -t tmpfs -o size=6g,mode=0700 berth-pull-bench "$fs"

# The binaries are copied in, so that a rebuild during the run cannot change them.
mkdir -p "$fs/bin"
cp "$build/daemon/berthd" "$build/ctl/berthctl" "$fs/bin/"

echo "making the images (the big one takes about half a minute)…"
python3 "$repo/tests/images/make_busybox_image.py" --format oci-dir --gzip \
  --name bench/busybox:latest -o "$fs/images/busybox"
python3 "$here/make_big_image.py" -o "$fs/images/big"

# docker-registry on a free loopback port, storage on the tmpfs.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$fs/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $fs/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$fs/registry.yml" >"$fs/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v2/')" \
    2>/dev/null && break
  kill -0 "$registry_pid" 2>/dev/null || { cat "$fs/registry.log" >&2; die "docker-registry exited"; }
  sleep 0.1
done

registry="127.0.0.1:$port"
for image in busybox big; do
  skopeo copy --quiet --dest-tls-verify=false "oci:$fs/images/$image:latest" \
    "docker://$registry/bench/$image:latest"
done

echo "berth:      $build ($berth_version)"
echo "containerd: $(containerd --version)"
echo "registry:   $(docker-registry --version) on $registry"
echo "rounds:     busybox $runs_small, big $runs_big; order alternates per round"
echo

python3 -u "$here/pull_bench.py" measure --tmpfs "$fs" \
  --small "$registry/bench/busybox:latest" --small-dir "$fs/images/busybox" \
  --big "$registry/bench/big:latest" --big-dir "$fs/images/big" \
  --runs-small "$runs_small" --runs-big "$runs_big" \
  --berthd "$fs/bin/berthd" --berthctl "$fs/bin/berthctl" \
  --berth-version "$berth_version" --out "$out"
