#!/usr/bin/env bash
# berth's main job on a fresh Debian 12 machine, as root: install what is needed, build,
# start berthd in the background, build a busybox image from Debian's busybox-static and
# load it into berth, and show `berthctl version` and `info`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh

state=/run/berth
pidfile="$state/berthd.pid"
socket="$state/berthd.sock"
mkdir -p "$state"
if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "berthd already running (pid $(cat "$pidfile"))"
else
  setsid build/daemon/berthd --metrics-address 127.0.0.1:9323 \
    >>/var/log/berthd.log 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 100); do
    [[ -S "$socket" ]] && break
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { tail -5 /var/log/berthd.log; exit 1; }
    sleep 0.1
  done
  echo "berthd started (pid $(cat "$pidfile"), log /var/log/berthd.log, metrics http://127.0.0.1:9323/metrics)"
fi
build/ctl/berthctl -H "unix://$socket" version
echo
image=build/busybox-image.tar
python3 tests/images/make_busybox_image.py --name busybox:latest --format docker-archive -o "$image"
build/ctl/berthctl -H "unix://$socket" load -i "$image"
echo
build/ctl/berthctl -H "unix://$socket" info
echo
# The main job: a container from the image just built and loaded.
echo '$ berthctl run --rm busybox echo "hello from a berth container"'
build/ctl/berthctl -H "unix://$socket" run --rm busybox echo "hello from a berth container"
echo
echo "Stop it with: kill \$(cat $pidfile)  (containers keep running; berthd finds them again)"
