// Runs a helper program (a CNI plugin, iptables) to completion: argv and an exact
// environment, bytes on stdin, stdout and stderr read fully, killed after a time limit.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace berth::network {

struct ProgramOutput {
  int exit_code = -1;  // 128+signal when a signal ended it
  std::string out;
  std::string err;
};

// `argv[0]` is an absolute path; `env` is the whole environment ("K=V"). An error only
// when the program could not be started or ran past `timeout` (then it is killed).
absl::StatusOr<ProgramOutput> RunProgram(const std::vector<std::string>& argv,
                                         const std::vector<std::string>& env,
                                         absl::string_view input, absl::Duration timeout);

}  // namespace berth::network
