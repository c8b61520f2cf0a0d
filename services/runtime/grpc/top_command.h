// `docker top`: the host's ps, run with the user's arguments, keeping the rows of the
// container's processes (Docker's approach: ps sees host pids, the cgroup says which).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::runtime {

struct TopTable {
  std::vector<std::string> titles;
  std::vector<std::vector<std::string>> rows;
};

// Splits ps output into titles and rows (the last column keeps its spaces) and keeps the
// rows whose PID is in `pids`. FailedPrecondition when ps printed no PID column.
absl::StatusOr<TopTable> ParseTop(const std::string& ps_output, const std::vector<int>& pids);

// Runs `ps <ps_args>` and parses it.
absl::StatusOr<TopTable> RunTop(const std::string& ps_args, const std::vector<int>& pids);

}  // namespace berth::runtime
