#!/bin/sh
# Runs a test binary beside a systemd of its own: systemd as PID 1 of a new PID and mount
# namespace (told it is in a container, started on an empty target), and the test inside
# those namespaces so that the PIDs it hands systemd mean the same to both. For a
# throw-away guest (shared/tools/cgroup2-vm): systemd takes the cgroup tree it finds.
# Usage: with_systemd.sh <test binary> [args...]
set -eu
if [ -e /run/systemd/system ]; then
  echo "with_systemd.sh: systemd already runs here; not starting another" >&2
  exit 1
fi
cat > /etc/systemd/system/berth-test.target <<'UNIT'
[Unit]
Description=berth tests beside systemd
DefaultDependencies=no
UNIT
unshare --pid --fork --mount-proc env container=berth-test /lib/systemd/systemd --system \
  --unit=berth-test.target --log-target=console --log-level=warning </dev/null &
unshare_pid=$!
systemd_pid=
i=0
while [ $i -lt 600 ]; do
  systemd_pid=${systemd_pid:-$(cat /proc/$unshare_pid/task/$unshare_pid/children 2>/dev/null | cut -d' ' -f1)}
  if [ -n "$systemd_pid" ] && [ -S /run/systemd/private ] &&
     nsenter -t "$systemd_pid" -p -m systemctl is-active --quiet berth-test.target 2>/dev/null; then
    break
  fi
  i=$((i + 1))
  sleep 0.1
done
if [ $i -ge 600 ]; then
  echo "with_systemd.sh: systemd did not come up in 60 s" >&2
  kill -KILL "$unshare_pid" 2>/dev/null || true
  exit 1
fi
status=0
nsenter -t "$systemd_pid" -p -m "$@" || status=$?
kill -KILL "$systemd_pid" 2>/dev/null || true
wait "$unshare_pid" 2>/dev/null || true
exit $status
