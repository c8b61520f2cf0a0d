// The container process' identity, limits, seccomp filter and command as a plan laid out before
// clone(): the child only reads it.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shim/oci/seccomp.h"
#include "shim/oci/spec.h"

namespace berth::oci {

struct ProcessPlan {
  std::vector<char*> argv;  // null-terminated
  std::vector<char*> envp;  // null-terminated
  const char* cwd = "/";
  const char* search_path = nullptr;  // PATH for finding argv[0]
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // the primary gid first, then the additional ones
  int umask = -1;             // -1: leave as is
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
  int last_cap = 40;
  struct Limit {
    int resource;
    rlimit value;
  };
  std::vector<Limit> rlimits;
  bool no_new_privileges = false;
  bool terminal = false;  // stdio is a pty whose master goes to the console socket
  unsigned short console_rows = 0, console_cols = 0;
  struct Sysctl {
    const char* path;  // /proc/sys/…
    const char* value;
  };
  std::vector<Sysctl> sysctls;
  int oom_score_adj = 0;
  bool has_oom_score_adj = false;
  std::optional<SeccompProgram> seccomp;  // linux.seccomp, compiled
  long personality = -1;                  // linux.personality as PER_*, -1: left as is

  std::deque<std::string> strings;
  char* Keep(std::string s) { return strings.emplace_back(std::move(s)).data(); }
};

absl::StatusOr<ProcessPlan> PlanProcess(const Spec& spec);

// "RLIMIT_NOFILE" → RLIMIT_NOFILE.
absl::StatusOr<int> RlimitResource(const std::string& name);

}  // namespace berth::oci
