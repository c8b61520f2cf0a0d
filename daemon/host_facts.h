// Facts about the machine berthd runs on, for `berthctl info` and `version`.
#pragma once

#include <cstdint>
#include <string>

namespace berth::daemon {

struct HostFacts {
  std::string kernel_version;    // uname -r
  std::string operating_system;  // /etc/os-release PRETTY_NAME
  std::string architecture;      // uname -m
  std::string hostname;
  int32_t ncpu = 0;
  int64_t mem_total = 0;  // bytes
};

HostFacts ReadHostFacts();

// Docker's (Go's) name for a machine: x86_64 → amd64, aarch64 → arm64.
std::string GoArch(const std::string& machine);

// PRETTY_NAME from os-release text, unquoted; "Linux" when absent.
std::string PrettyNameFromOsRelease(const std::string& text);

}  // namespace berth::daemon
