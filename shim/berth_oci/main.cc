// berth-oci: a runc-compatible OCI runtime CLI over berth's runtime library.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "shim/berth_oci/commands.h"
#include "shim/oci/default_spec.h"
#include "shim/oci/sealed_exe.h"
#include "shim/oci/spec.h"

namespace berth::oci::cli {

int Spec(const std::string& bundle, bool rootless) {
  std::string path = bundle + "/config.json";
  if (::access(path.c_str(), F_OK) == 0) return Fail("File " + path + " exists. Remove it first");
  std::ofstream out(path);
  out << SerializeSpec(DefaultSpec(rootless)) << "\n";
  return out ? 0 : Fail("cannot write " + path);
}

// What sealing needs to know before the real parse, from a scan of argv: whether the
// command puts a process of this image inside a container, and the state root. create
// and run do (the init is this image from clone() to exec(), in the container's pid
// namespace), and so does exec. Those run from a sealed view of the binary
// (CVE-2019-5736); the others never enter a container and skip it. Anything not known
// to be safe is sealed.
struct SealScan {
  bool enters_container = false;
  std::string root = Globals{}.root;
};

SealScan ScanForSealing(int argc, char** argv) {
  SealScan scan;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (arg[0] == '-') {
      if (!std::strncmp(arg, "--root=", 7)) scan.root = arg + 7;
      if (!std::strcmp(arg, "--root") && i + 1 < argc) scan.root = argv[i + 1];
      bool takes_value =
          !std::strchr(arg, '=') && (!std::strcmp(arg, "--root") || !std::strcmp(arg, "--log") ||
                                     !std::strcmp(arg, "--log-format"));
      if (takes_value) ++i;
      continue;
    }
    scan.enters_container = true;
    for (const char* safe :
         {"start", "state", "kill", "delete", "pause", "resume", "ps", "list", "spec"}) {
      if (!std::strcmp(arg, safe)) scan.enters_container = false;
    }
    return scan;
  }
  return scan;  // no command: only help or a usage error follows
}

// 0 to go on, else the exit code. The state root is the overlay view's spare layer (it
// is made here if missing, as create would). BERTH_OCI_SEAL=copy always copies; the
// guard fails closed where neither view can be made; BERTH_OCI_UNSAFE_NO_SEAL=1 runs
// from the binary on disk instead.
int RunSealedOrFail(int argc, char** argv) {
  SealScan scan = ScanForSealing(argc, argv);
  if (!scan.enters_container) return 0;
  const char* unsafe = std::getenv("BERTH_OCI_UNSAFE_NO_SEAL");
  if (unsafe != nullptr && !std::strcmp(unsafe, "1")) return 0;
  const char* seal = std::getenv("BERTH_OCI_SEAL");
  SealKind kind =
      seal != nullptr && !std::strcmp(seal, "copy") ? SealKind::kCopy : SealKind::kOverlayElseCopy;
  std::error_code ec;
  std::filesystem::create_directories(scan.root, ec);             // on failure the copy is the way
  absl::Status sealed = EnsureSealedSelf(argv, kind, scan.root);  // returns only when sealed
  if (sealed.ok()) return 0;
  return Fail("cannot run from a sealed copy of berth-oci (CVE-2019-5736 guard): " +
              std::string(sealed.message()) +
              "; set BERTH_OCI_UNSAFE_NO_SEAL=1 to run without it, unprotected");
}

}  // namespace berth::oci::cli

int main(int argc, char** argv) {
  using namespace berth::oci::cli;
  // First, before any parsing or thread: the process may be replaced by its sealed copy.
  if (int rc = RunSealedOrFail(argc, argv); rc != 0) return rc;
  CLI::App app{"berth-oci: an OCI runtime (runc's command line) built on berth", "berth-oci"};
  app.require_subcommand(1);
  Globals g;
  std::string log_path, log_format;
  app.add_option("--root", g.root, "Root directory for container state")->capture_default_str();
  app.add_option("--log", log_path, "Accepted for runc compatibility; errors go to stderr");
  app.add_option("--log-format", log_format, "Accepted for runc compatibility");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "Use the systemd cgroup driver");

  CreateFlags create;
  auto add_create_flags = [&create](CLI::App* cmd) {
    cmd->add_option("container-id", create.id)->required();
    cmd->add_option("-b,--bundle", create.bundle, "Path to the bundle (default: .)");
    cmd->add_option("--pid-file", create.pid_file, "Write the init's pid to this file");
    cmd->add_option("--console-socket", create.console_socket, "Unix socket for the pty master");
    cmd->add_flag("--no-pivot", create.no_pivot, "Use chroot instead of pivot_root");
    cmd->add_option("--preserve-fds", create.preserve_fds,
                    "Pass this many fds after stdio (3, 4, …) to the process");
    cmd->add_flag("--no-new-keyring", create.no_new_keyring,
                  "Keep the caller's session keyring instead of a new one");
  };
  auto* create_cmd = app.add_subcommand("create", "Create a container");
  add_create_flags(create_cmd);
  auto* run_cmd = app.add_subcommand("run", "Create and run a container");
  add_create_flags(run_cmd);
  run_cmd->add_flag("-d,--detach", create.detach, "Detach from the container's process");

  ExecFlags exec;
  auto* exec_cmd = app.add_subcommand("exec", "Run a process in a running container");
  exec_cmd->add_option("container-id", exec.id)->required();
  exec_cmd->add_option("-p,--process", exec.process_file, "A process.json to run");
  exec_cmd->add_option("-e,--env", exec.env, "Set an environment variable (K=V)");
  exec_cmd->add_option("--cwd", exec.cwd, "Working directory in the container");
  exec_cmd->add_option("-u,--user", exec.user, "uid[:gid]");
  exec_cmd->add_option("-c,--cap", exec.caps, "Add a capability");
  exec_cmd->add_flag("--no-new-privs", exec.no_new_privs, "Set no_new_privileges");
  exec_cmd->add_flag("-d,--detach", exec.detach, "Do not wait for the process");
  exec_cmd->add_flag("-t,--tty", exec.tty, "Give the process a terminal");
  exec_cmd->add_option("--console-socket", exec.console_socket, "Unix socket for the pty master");
  exec_cmd->add_option("--pid-file", exec.pid_file, "Write the process' pid to this file");
  exec_cmd->prefix_command();  // everything after the id belongs to the command

  std::string id, signal = "SIGTERM", format = "table", bundle = ".";
  bool all = false, force = false, quiet = false, rootless = false;
  auto* start_cmd = app.add_subcommand("start", "Start a created container");
  auto* state_cmd = app.add_subcommand("state", "Output the state of a container");
  auto* kill_cmd = app.add_subcommand("kill", "Send a signal to the container's init");
  auto* delete_cmd = app.add_subcommand("delete", "Delete a container");
  auto* pause_cmd = app.add_subcommand("pause", "Freeze every process of a container");
  auto* resume_cmd = app.add_subcommand("resume", "Thaw a paused container");
  auto* ps_cmd = app.add_subcommand("ps", "List the processes of a container");
  for (CLI::App* cmd :
       {start_cmd, state_cmd, kill_cmd, delete_cmd, pause_cmd, resume_cmd, ps_cmd}) {
    cmd->add_option("container-id", id)->required();
  }
  kill_cmd->add_option("signal", signal, "Signal name or number (default SIGTERM)");
  kill_cmd->add_flag("-a,--all", all, "Signal every process of the container");
  delete_cmd->add_flag("-f,--force", force, "Kill a running container first");
  ps_cmd->add_option("-f,--format", format, "table or json");
  auto* list_cmd = app.add_subcommand("list", "List containers");
  list_cmd->add_flag("-q,--quiet", quiet, "Only ids");
  list_cmd->add_option("-f,--format", format, "table or json");
  auto* spec_cmd = app.add_subcommand("spec", "Create a new specification file (config.json)");
  spec_cmd->add_option("-b,--bundle", bundle, "Path to the bundle");
  spec_cmd->add_flag("--rootless", rootless, "A spec for a rootless container");

  auto* features_cmd = app.add_subcommand("features", "Show what this runtime supports");

  CLI11_PARSE(app, argc, argv);
  SetLog(log_path, log_format);
  if (create_cmd->parsed()) return Create(g, create);
  if (run_cmd->parsed()) return Run(g, create);
  if (exec_cmd->parsed()) {
    std::vector<std::string> rest = exec_cmd->remaining();
    exec.args.insert(exec.args.end(), rest.begin(), rest.end());
    return Exec(g, exec);
  }
  if (start_cmd->parsed()) return Start(g, id);
  if (state_cmd->parsed()) return State(g, id);
  if (kill_cmd->parsed()) return Kill(g, id, signal, all);
  if (delete_cmd->parsed()) return Delete(g, id, force);
  if (pause_cmd->parsed()) return Pause(g, id, true);
  if (resume_cmd->parsed()) return Pause(g, id, false);
  if (ps_cmd->parsed()) return Ps(g, id, format);
  if (list_cmd->parsed()) return List(g, quiet, format);
  if (spec_cmd->parsed()) return Spec(bundle, rootless);
  if (features_cmd->parsed()) return Features();
  return 1;
}
