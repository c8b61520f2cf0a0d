// An OCI bundle whose rootfs is Debian's static busybox: the tests' small real image.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "shim/oci/spec.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {

// Makes <dir>/rootfs with /bin/busybox and its applets as links, and the usual empty
// directories (proc, sys, dev, tmp, etc).
absl::Status MakeBusyboxRootfs(const std::string& dir);

// runc's default rootful spec running `args`, without a terminal, hostname "berth-test".
oci::Spec BusyboxSpec(const std::vector<std::string>& args);

// Writes <dir>/config.json.
absl::Status WriteBundleConfig(const std::string& dir, const oci::Spec& spec);

// The build's berth-oci with `--root root` and `args`.
RunResult RunBerthOci(const std::string& root, std::vector<std::string> args);

// The "status" `berth-oci state` reports for container `id`, or "error: <its stderr>".
std::string BerthOciStatus(const std::string& root, const std::string& id);

}  // namespace berth::testing
