#include "services/runtime/grpc/top_command.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/unique_fd.h"

extern char** environ;

namespace berth::runtime {

absl::StatusOr<TopTable> ParseTop(const std::string& ps_output, const std::vector<int>& pids) {
  std::vector<std::string> lines = absl::StrSplit(ps_output, '\n', absl::SkipWhitespace());
  if (lines.empty()) return absl::FailedPreconditionError("ps printed nothing");
  TopTable table;
  table.titles = absl::StrSplit(lines[0], absl::ByAnyChar(" \t"), absl::SkipEmpty());
  auto pid_column = std::find(table.titles.begin(), table.titles.end(), "PID");
  if (pid_column == table.titles.end()) {
    return absl::FailedPreconditionError("Couldn't find PID field in ps output");
  }
  const size_t pid_index = static_cast<size_t>(pid_column - table.titles.begin());
  const size_t columns = table.titles.size();
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> fields;
    absl::string_view rest = absl::StripLeadingAsciiWhitespace(lines[i]);
    while (!rest.empty() && fields.size() + 1 < columns) {
      size_t end = rest.find_first_of(" \t");
      fields.emplace_back(rest.substr(0, end));
      rest =
          end == absl::string_view::npos ? "" : absl::StripLeadingAsciiWhitespace(rest.substr(end));
    }
    if (!rest.empty()) fields.emplace_back(rest);
    int pid = 0;
    if (fields.size() <= pid_index || !absl::SimpleAtoi(fields[pid_index], &pid)) continue;
    if (std::find(pids.begin(), pids.end(), pid) != pids.end()) table.rows.push_back(fields);
  }
  return table;
}

absl::StatusOr<TopTable> RunTop(const std::string& ps_args, const std::vector<int>& pids) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
  UniqueFd read_end(out[0]), write_end(out[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args = {"ps"};
  for (absl::string_view arg : absl::StrSplit(ps_args, ' ', absl::SkipEmpty())) {
    args.emplace_back(arg);
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, "ps", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  write_end.Reset();
  if (spawned != 0) return absl::ErrnoToStatus(spawned, "running ps");
  std::string text;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(read_end.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("ps ", ps_args, " failed"));
  }
  return ParseTop(text, pids);
}

}  // namespace berth::runtime
