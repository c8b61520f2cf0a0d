// berthctl exec: an extra process in a running container, attached like `run` unless -d.
#include <cstdio>
#include <memory>

#include "ctl/attach_session.h"
#include "ctl/container_client.h"
#include "ctl/container_commands.h"
#include "ctl/units.h"

namespace berth::ctl {
namespace {

using runtime::v1::Tasks;

struct ExecFlags {
  std::vector<std::string> container_and_command;
  bool detach = false, interactive = false, tty = false, privileged = false;
  std::vector<std::string> env;
  std::string user, workdir, detach_keys;
};

grpc::Status StartExec(const GlobalOptions& global, const std::string& exec_id) {
  return CallService<Tasks>(global, [&](Tasks::Stub& stub, grpc::ClientContext& context) {
    runtime::v1::StartExecRequest request;
    request.set_exec_id(exec_id);
    runtime::v1::StartExecResponse response;
    return stub.StartExec(&context, request, &response);
  });
}

int Run(const GlobalOptions& global, const ExecFlags& flags) {
  if (flags.container_and_command.size() < 2) {
    return ReportUsageError("exec", "\"exec\" requires at least 2 arguments.");
  }
  runtime::v1::CreateExecRequest request;
  request.set_id(flags.container_and_command[0]);
  for (size_t i = 1; i < flags.container_and_command.size(); ++i) {
    request.add_args(flags.container_and_command[i]);
  }
  for (const std::string& e : flags.env) request.add_env(ResolveEnv(e, ProcessEnv()));
  request.set_user(flags.user);
  request.set_working_dir(flags.workdir);
  request.set_tty(flags.tty);
  // The exec's pty is made at start: it gets its size from here, not from a resize.
  if (flags.tty) LocalTerminalSize(request.mutable_console_size());
  request.set_open_stdin(flags.interactive);
  request.set_detach(flags.detach);
  request.set_privileged(flags.privileged);
  runtime::v1::CreateExecResponse created;
  grpc::Status status = CallService<Tasks>(global, [&](Tasks::Stub& stub, auto& context) {
    return stub.Exec(&context, request, &created);
  });
  if (!status.ok()) return ReportCallError(global, status);
  if (flags.detach) {
    status = StartExec(global, created.exec_id());
    return status.ok() ? 0 : ReportCallError(global, status);
  }
  AttachTarget target;
  target.id = request.id();
  target.exec_id = created.exec_id();
  target.stdin = flags.interactive;
  target.tty = flags.tty;
  target.detach_keys = flags.detach_keys;
  return AttachAndStart(global, "exec", target,
                        [&] { return StartExec(global, created.exec_id()); });
}

}  // namespace

void AddExecCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<ExecFlags>();
  auto* cmd = parent.add_subcommand("exec", "Execute a command in a running container");
  cmd->prefix_command();  // CONTAINER and everything after it are the command's
  cmd->add_flag("-d,--detach", flags->detach, "Detached mode: run command in the background");
  cmd->add_flag("-i,--interactive", flags->interactive, "Keep STDIN open even if not attached");
  cmd->add_flag("-t,--tty", flags->tty, "Allocate a pseudo-TTY");
  cmd->add_flag("--privileged", flags->privileged, "Give extended privileges to the command");
  cmd->add_option("-e,--env", flags->env, "Set environment variables")->allow_extra_args(false);
  cmd->add_option("-u,--user", flags->user,
                  "Username or UID (format: \"<name|uid>[:<group|gid>]\")");
  cmd->add_option("-w,--workdir", flags->workdir, "Working directory inside the container");
  cmd->add_option("--detach-keys", flags->detach_keys,
                  "Override the key sequence for detaching a container");
  cmd->callback([&run, flags, cmd] {
    flags->container_and_command = cmd->remaining();
    run = [flags](const GlobalOptions& global) { return Run(global, *flags); };
  });
}

}  // namespace berth::ctl
