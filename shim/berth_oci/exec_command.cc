// exec: a new process inside a running container, runc's flags.
#include <sys/wait.h>

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/file_text.h"
#include "shim/berth_oci/commands.h"
#include "shim/oci/cgroups/cgroup.h"
#include "shim/oci/container_process.h"
#include "shim/oci/spec.h"

namespace berth::oci::cli {
namespace {

// --process: a runtime-spec `process` object, read through the spec parser (and its checks).
absl::StatusOr<Process> ReadProcessFile(const std::string& path) {
  auto text = ReadFileText(path);
  if (!text.ok()) return text.status();
  return ParseProcess(*text);
}

absl::StatusOr<Process> ProcessFromFlags(const oci::Spec& spec, const ExecFlags& flags) {
  if (!flags.process_file.empty()) return ReadProcessFile(flags.process_file);
  if (flags.args.empty()) return absl::InvalidArgumentError("exec needs a command to run");
  Process process = spec.process.value_or(Process{});
  process.args = flags.args;
  process.terminal = flags.tty;
  process.env.insert(process.env.end(), flags.env.begin(), flags.env.end());
  if (!flags.cwd.empty()) process.cwd = flags.cwd;
  if (!flags.user.empty()) {
    std::vector<std::string> ids = absl::StrSplit(flags.user, ':');
    uint32_t uid = 0, gid = 0;
    if (ids.size() > 2 || !absl::SimpleAtoi(ids[0], &uid) ||
        (ids.size() == 2 && !absl::SimpleAtoi(ids[1], &gid))) {
      return absl::InvalidArgumentError("--user wants uid[:gid], got " + flags.user);
    }
    process.user.uid = uid;
    process.user.gid = ids.size() == 2 ? gid : 0;
    process.user.additional_gids.clear();
  }
  for (const std::string& cap : flags.caps) {
    for (auto* set : {&process.capabilities.bounding, &process.capabilities.effective,
                      &process.capabilities.permitted}) {
      set->push_back(cap);
    }
  }
  if (flags.no_new_privs) process.no_new_privileges = true;
  return process;
}

}  // namespace

int Exec(const Globals& g, const ExecFlags& flags) {
  ContainerStore store = g.store();
  auto record = store.Load(flags.id);
  if (!record.ok()) return Fail(record.status());
  if (store.StatusOf(*record) != ContainerStatus::kRunning) {
    return Fail("cannot exec in a container that is not running: " + flags.id);
  }
  auto spec = LoadSpec(store.Dir(flags.id));
  if (!spec.ok()) return Fail(spec.status());
  auto process = ProcessFromFlags(*spec, flags);
  if (!process.ok()) return Fail(process.status());
  auto cgroup = OpenContainerCgroup(*record);
  if (!cgroup.ok()) return Fail(cgroup.status());
  auto console = ConnectConsoleSocket(flags.console_socket, process->terminal);
  if (!console.ok()) return Fail(console.status());
  auto pid = LaunchExec(*spec, record->pid, *process, **cgroup, console->get(), kInheritStdio,
                        {record->id, record->bundle});
  if (!pid.ok()) return Fail(flags.id + ": " + std::string(pid.status().message()));
  if (!flags.pid_file.empty()) std::ofstream(flags.pid_file) << *pid;
  if (flags.detach) return 0;
  int status = 0;
  while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  return ExitCodeFromWaitStatus(status);
}

}  // namespace berth::oci::cli
