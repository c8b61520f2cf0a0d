// berth-oci's commands, runc's names and flags; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/unique_fd.h"
#include "shim/oci/container_store.h"

namespace berth::oci::cli {

struct Globals {
  std::string root = "/run/berth-oci";
  // --systemd-cgroup: containers' cgroups are systemd scopes; linux.cgroupsPath must be
  // "slice:prefix:name" (default "system.slice:berth-oci:<id>"). Without the flag such a
  // path still picks systemd; other paths are cgroupfs paths.
  bool systemd_cgroup = false;
  ContainerStore store() const { return ContainerStore(root); }
};

struct CreateFlags {
  std::string id;
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  bool no_new_keyring = false;  // keep the caller's session keyring
  unsigned preserve_fds = 0;
  bool detach = false;  // run only
};

struct ExecFlags {
  std::string id;
  std::vector<std::string> args;
  std::string process_file;  // --process: a runtime-spec process object instead of flags
  std::vector<std::string> env;
  std::string cwd;
  std::string user;  // uid[:gid]
  std::vector<std::string> caps;
  bool no_new_privs = false;
  bool detach = false;
  std::string pid_file;
  bool tty = false;
  std::string console_socket;
};

int Create(const Globals& g, const CreateFlags& flags);
int Exec(const Globals& g, const ExecFlags& flags);
int Start(const Globals& g, const std::string& id);
int Run(const Globals& g, const CreateFlags& flags);
int State(const Globals& g, const std::string& id);
int List(const Globals& g, bool quiet, const std::string& format);
int Kill(const Globals& g, const std::string& id, const std::string& signal, bool all);
int Delete(const Globals& g, const std::string& id, bool force);
int Pause(const Globals& g, const std::string& id, bool pause);
int Ps(const Globals& g, const std::string& id, const std::string& format);
int Spec(const std::string& bundle, bool rootless);
int Features();

// --log and --log-format: where Fail also writes its message (runc's logrus lines for
// "json", so containerd's runc shim can read why a command failed).
void SetLog(const std::string& path, const std::string& format);

// "berth-oci: <message>" on stderr; returns 1 (runc's exit code for its own errors).
int Fail(const std::string& message);
int Fail(const absl::Status& status);

// Connects to the --console-socket a terminal's master is sent to (runc's rules: only
// with process.terminal, and required then); an invalid fd when there is no terminal.
absl::StatusOr<UniqueFd> ConnectConsoleSocket(const std::string& path, bool terminal);

// The state JSON a hook reads on stdin, with `status` as the hook's moment has it.
std::string HookState(const ContainerRecord& record, ContainerStatus status);

// Runs a lifecycle's hooks from the spec saved at create; a failure is an error.
absl::Status RunSavedHooks(const Globals& g, const ContainerRecord& record, ContainerStatus status,
                           const std::string& phase);

// "KILL", "SIGKILL" or "9".

}  // namespace berth::oci::cli
