#include "shim/protocol/recorded_exit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_text.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"

namespace berth::shim {
namespace {

constexpr char kExitFile[] = "init.exit";

}  // namespace

absl::Status RecordExit(const std::string& state_dir, const RecordedExit& exit) {
  const std::string text = absl::StrCat(exit.exit_status, " ", absl::ToUnixNanos(exit.exited_at),
                                        " ", exit.oom_killed ? 1 : 0, "\n");
  return WriteFileAtomically(absl::StrCat(state_dir, "/", kExitFile), text, 0600, /*sync=*/true);
}

absl::StatusOr<RecordedExit> ReadRecordedExit(const std::string& state_dir) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFileText(absl::StrCat(state_dir, "/", kExitFile)));
  std::vector<std::string> fields = absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  RecordedExit exit;
  int64_t nanos = 0;
  int oom = 0;
  if (fields.size() != 3 || !absl::SimpleAtoi(fields[0], &exit.exit_status) ||
      !absl::SimpleAtoi(fields[1], &nanos) || !absl::SimpleAtoi(fields[2], &oom)) {
    return absl::DataLossError(absl::StrCat("malformed ", kExitFile, " in ", state_dir));
  }
  exit.exited_at = absl::FromUnixNanos(nanos);
  exit.oom_killed = oom != 0;
  return exit;
}

}  // namespace berth::shim
