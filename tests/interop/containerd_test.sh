#!/usr/bin/env bash
# containerd (Debian's 1.6) drives berth-oci in place of runc through its runc shim:
# run with an exit code, a detached task with exec, pause/resume, kill and delete.
# usage: containerd_test.sh <berth-oci binary>
set -euo pipefail
berth_oci=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
command -v containerd >/dev/null || { echo "SKIPPED: containerd is not installed"; exit 77; }
[[ $(id -u) == 0 ]] || { echo "SKIPPED: needs root"; exit 77; }

work=$(mktemp -d "/tmp/berth-ctrd-$$-XXXXXX")
sock="$work/containerd.sock"
ns="berth-test-$$"
ctrd_pid=""
cleanup() {
  set +e
  if [[ -S $sock ]]; then
    for c in $(ctr -a "$sock" -n "$ns" containers ls -q 2>/dev/null); do
      ctr -a "$sock" -n "$ns" task kill -s SIGKILL "$c" >/dev/null 2>&1
      sleep 0.2
      ctr -a "$sock" -n "$ns" task delete -f "$c" >/dev/null 2>&1
      ctr -a "$sock" -n "$ns" containers delete "$c" >/dev/null 2>&1
    done
  fi
  [[ -n $ctrd_pid ]] && kill "$ctrd_pid" 2>/dev/null && wait "$ctrd_pid" 2>/dev/null
  # Shims exit with their tasks; anything containerd left mounted under our dir goes.
  grep " $work" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  rm -rf "$work"
  # containerd's cgroupsPath is /<namespace>/<id>: delete removes the leaf, not the
  # namespace's directory, in every hierarchy.
  for dir in /sys/fs/cgroup/*/"$ns" /sys/fs/cgroup/"$ns"; do [[ -d $dir ]] && rmdir "$dir"; done
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }

cat >"$work/config.toml" <<TOML
version = 2
root = "$work/root"
state = "$work/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
TOML
containerd --config "$work/config.toml" >"$work/containerd.log" 2>&1 &
ctrd_pid=$!
for _ in $(seq 100); do [[ -S $sock ]] && break; sleep 0.1; done
[[ -S $sock ]] || { cat "$work/containerd.log"; fail "containerd did not start"; }
ctr() { command ctr -a "$sock" -n "$ns" "$@"; }

# A busybox image built here, imported.
image="docker.io/library/berth-busybox:test"
python3 "$here/../images/make_busybox_image.py" --format oci-archive --name "$image" \
  -o "$work/image.tar"
ctr image import "$work/image.tar" >/dev/null
ctr image ls -q | grep -qx "$image" || fail "image not imported"

run() { ctr run --runc-binary "$berth_oci" "$@"; }

# 1. Foreground run: output and exit code come back.
set +e
out=$(run --rm --seccomp "$image" "c1-$$" sh -c 'echo hello from pid $$; exit 3' 2>&1)
code=$?
set -e
[[ $code == 3 ]] || fail "run exit code $code, want 3: $out"
[[ $out == "hello from pid 1" ]] || fail "run output: $out"

# 2. Detached task: exec, pause/resume, kill, delete.
run -d "$image" "c2-$$" sleep 300 >/dev/null
ctr task ls | grep -q "c2-$$.*RUNNING" || fail "task not running: $(ctr task ls)"
out=$(ctr task exec --exec-id e1 "c2-$$" sh -c 'echo in-exec; tr "\0" " " < /proc/1/cmdline')
[[ $out == $'in-exec\nsleep 300 ' ]] || fail "exec output: $out"
set +e
ctr task exec --exec-id e2 "c2-$$" sh -c 'exit 5'
code=$?
set -e
[[ $code == 5 ]] || fail "exec exit code $code, want 5"
ctr task pause "c2-$$"
ctr task ls | grep -q "c2-$$.*PAUSED" || fail "task not paused: $(ctr task ls)"
ctr task resume "c2-$$"
ctr task ls | grep -q "c2-$$.*RUNNING" || fail "task not resumed: $(ctr task ls)"
ctr task kill -s SIGKILL "c2-$$"
for _ in $(seq 50); do ctr task ls | grep -q "c2-$$.*STOPPED" && break; sleep 0.1; done
ctr task ls | grep -q "c2-$$.*STOPPED" || fail "task not stopped: $(ctr task ls)"
ctr task delete "c2-$$" >/dev/null
ctr containers delete "c2-$$"
[[ -z $(ctr containers ls -q) ]] || fail "containers left: $(ctr containers ls -q)"
echo "containerd interop: 1 passed, 0 failed"
