// features: what this runtime implements, in runc's `features` JSON shape.
#include <iostream>

#include "nlohmann/json.hpp"
#include "shim/berth_oci/commands.h"
#include "shim/oci/capabilities.h"
#include "shim/oci/spec.h"

namespace berth::oci::cli {

int Features() {
  nlohmann::ordered_json caps = nlohmann::json::array();
  for (int cap = 0; cap <= kLastKnownCapability; ++cap) {
    caps.push_back(std::string(CapabilityName(cap)));
  }
  nlohmann::ordered_json features = {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", std::string(kOciVersion)},
      {"hooks", nlohmann::json::array()},
      {"mountOptions",
       {"async",          "atime",      "bind",         "defaults",    "dev",
        "diratime",       "dirsync",    "exec",         "mand",        "noatime",
        "nodev",          "nodiratime", "noexec",       "nomand",      "norelatime",
        "nostrictatime",  "nosuid",     "private",      "ratime",      "rbind",
        "rdev",           "rdiratime",  "relatime",     "remount",     "rexec",
        "rnoatime",       "rnodev",     "rnodiratime",  "rnoexec",     "rnorelatime",
        "rnostrictatime", "rnosuid",    "rnosymfollow", "ro",          "rprivate",
        "rrelatime",      "rro",        "rrw",          "rshared",     "rslave",
        "rstrictatime",   "rsuid",      "rsymfollow",   "runbindable", "rw",
        "shared",         "slave",      "strictatime",  "suid",        "sync",
        "unbindable"}},
      {"linux",
       {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
        {"capabilities", caps},
        {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", true}, {"systemdUser", false}}},
        {"seccomp",
         {{"enabled", true},
          {"actions",
           {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
            "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
            "SCMP_ACT_TRAP"}},
          {"operators",
           {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
            "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
          {"archs", {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32"}}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}}}},
      {"annotations", {{"org.opencontainers.runtime-spec.features.berth", "berth-oci"}}}};
  std::cout << features.dump(4) << "\n";
  return 0;
}

}  // namespace berth::oci::cli
