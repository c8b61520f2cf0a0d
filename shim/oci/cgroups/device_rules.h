// Device cgroup rules: checking them, v1's devices.allow/deny text, and the eBPF program
// that enforces them on cgroup v2 (BPF_PROG_TYPE_CGROUP_DEVICE).
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "shim/oci/cgroups/resources.h"

namespace berth::oci {

absl::Status ValidateDeviceRule(const CgroupDeviceRule& rule);

// "c 1:3 rwm", "a *:* rwm": what v1's devices.allow and devices.deny take.
std::string DeviceRuleText(const CgroupDeviceRule& rule);

// The program's instructions: rules are tried last to first and the first that matches
// decides; no match denies. An allow rule matches when the access asked for is within
// the rule's, a deny rule when they share any access.
absl::StatusOr<std::vector<bpf_insn>> BuildDeviceProgram(
    const std::vector<CgroupDeviceRule>& rules);

// Loads the program for `rules` and attaches it to the v2 cgroup `dir`, then detaches the
// device programs attached there before, so that access is never wider than either set.
absl::Status AttachDeviceProgram(const std::string& dir,
                                 const std::vector<CgroupDeviceRule>& rules);

}  // namespace berth::oci
