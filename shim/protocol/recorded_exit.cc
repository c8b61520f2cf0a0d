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
  const std::string path = absl::StrCat(state_dir, "/", kExitFile);
  const std::string temporary = path + ".tmp";
  const std::string text = absl::StrCat(exit.exit_status, " ", absl::ToUnixNanos(exit.exited_at),
                                        " ", exit.oom_killed ? 1 : 0, "\n");
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return absl::ErrnoToStatus(errno, absl::StrCat("open ", temporary));
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd.get()) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("write ", temporary));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("rename to ", path));
  }
  return absl::OkStatus();
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
