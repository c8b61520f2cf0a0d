#!/usr/bin/env bash
# Installs every build, test and runtime dependency of berth from Debian packages.
# Idempotent: packages already present are left as they are.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: run as root (apt-get needs it)" >&2
  exit 1
fi

packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config git clang-format
  # libraries
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  libabsl-dev libseccomp-dev prometheus-cpp-dev libgtest-dev libgmock-dev
  libsqlite3-dev libcurl4-openssl-dev libarchive-dev libssl-dev nlohmann-json3-dev
  libcli11-dev libdbus-1-dev
  # runtime
  containernetworking-plugins iptables iproute2 busybox-static procps
  # tests
  docker-registry curl openssl python3 skopeo umoci apache2-utils zstd
  # the metrics test scrapes berthd with a real Prometheus on a port it picks
  prometheus
  # cgroup v2 tests run in a throw-away QEMU guest (shared/tools/cgroup2-vm); the systemd
  # cgroup driver's test starts a systemd of its own there
  qemu-system-x86 kmod xz-utils systemd
  # bench: the runtimes berth-oci is measured against, GNU time for peak RSS
  runc crun time
  # interop: containerd drives berth-oci in place of runc
  containerd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

# docker-registry's package enables a service on port 5000; berth's tests start their own
# registry on a free port, so the packaged one is stopped when systemd runs it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi
# Likewise prometheus' package starts a server on :9090; the tests run their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
echo "install-deps: all dependencies present"
