// berthctl start, stop, kill, restart, pause, unpause and wait: one Tasks call per
// container named, each name echoed on success as Docker does.
#include <cstdio>
#include <memory>
#include <optional>

#include "ctl/container_client.h"
#include "ctl/container_commands.h"

namespace berth::ctl {
namespace {

using runtime::v1::Tasks;

struct TaskFlags {
  std::vector<std::string> containers;
  std::optional<int> timeout;  // -t/--time
  std::string signal;
  bool attach = false, interactive = false;
  std::string detach_keys;
};

using TaskCall = std::function<grpc::Status(Tasks::Stub&, grpc::ClientContext&,
                                            const std::string& id, const TaskFlags&)>;

// Adds `name` acting on each CONTAINER with `call`; `setup` adds the command's own flags.
CLI::App* AddTaskCommand(CLI::App& parent, CommandRunner& run, const std::string& name,
                         const std::string& description, TaskCall call,
                         const std::function<void(CLI::App&, TaskFlags&)>& setup = {}) {
  auto flags = std::make_shared<TaskFlags>();
  auto* cmd = parent.add_subcommand(name, description);
  if (setup) setup(*cmd, *flags);
  cmd->add_option("CONTAINER", flags->containers, "Containers")->required();
  cmd->callback([&run, flags, call] {
    run = [flags, call](const GlobalOptions& global) {
      return ForEachContainer(global, flags->containers, [&](const std::string& id) {
        return CallService<Tasks>(global, [&](Tasks::Stub& stub, grpc::ClientContext& context) {
          return call(stub, context, id, *flags);
        });
      });
    };
  });
  return cmd;
}

void AddTimeoutFlags(CLI::App& cmd, TaskFlags& flags) {
  cmd.add_option_function<int>(
      "-t,--time", [&flags](const int& seconds) { flags.timeout = seconds; },
      "Seconds to wait before killing the container");
  cmd.add_option("-s,--signal", flags.signal, "Signal to send to the container");
}

template <typename Request>
void SetTimeout(const TaskFlags& flags, Request& request) {
  if (flags.timeout) request.mutable_timeout()->set_seconds(*flags.timeout);
  request.set_signal(flags.signal);
}

int RunWait(const GlobalOptions& global, const std::vector<std::string>& containers) {
  int exit_code = 0;
  for (const std::string& id : containers) {
    runtime::v1::WaitTaskResponse response;
    grpc::Status status = CallService<Tasks>(
        global,
        [&](Tasks::Stub& stub, grpc::ClientContext& context) {
          runtime::v1::WaitTaskRequest request;
          request.set_id(id);
          return stub.Wait(&context, request, &response);
        },
        365 * 24 * 3600);  // waiting has no natural deadline
    if (!status.ok()) {
      exit_code = ReportCallError(global, status);
      continue;
    }
    if (!response.error().empty()) {
      std::fprintf(stderr, "Error response from daemon: %s\n", response.error().c_str());
      exit_code = 1;
      continue;
    }
    std::printf("%d\n", response.exit_code());
    std::fflush(stdout);
  }
  return exit_code;
}

// `start -a`: one container, attached as `run` is; exit code the container's.
int RunStartAttached(const GlobalOptions& global, const TaskFlags& flags) {
  if (flags.containers.size() != 1) {
    std::fprintf(stderr, "You cannot start and attach multiple containers at once.\n");
    return 1;
  }
  runtime::v1::InspectContainerResponse inspect;
  const std::string& id = flags.containers[0];
  grpc::Status status =
      CallService<runtime::v1::Containers>(global, [&](auto& stub, auto& context) {
        runtime::v1::InspectContainerRequest request;
        request.set_id(id);
        return stub.Inspect(&context, request, &inspect);
      });
  if (!status.ok()) return ReportCallError(global, status);
  const auto& spec = inspect.container().spec();
  auto start = [&] {
    return CallService<Tasks>(global, [&](Tasks::Stub& stub, grpc::ClientContext& context) {
      runtime::v1::StartTaskRequest request;
      request.set_id(id);
      runtime::v1::StartTaskResponse response;
      return stub.Start(&context, request, &response);
    });
  };
  AttachTarget target;
  target.id = inspect.container().id();
  target.stdin = flags.interactive && spec.open_stdin();
  target.tty = spec.tty();
  target.detach_keys = flags.detach_keys;
  target.sig_proxy = true;  // docker start -a proxies signals
  return AttachAndStart(global, "start", target, start);
}

}  // namespace

void AddStartCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<TaskFlags>();
  auto* cmd = parent.add_subcommand("start", "Start one or more stopped containers");
  cmd->add_flag("-a,--attach", flags->attach, "Attach STDOUT/STDERR and forward signals");
  cmd->add_flag("-i,--interactive", flags->interactive, "Attach container's STDIN");
  cmd->add_option("--detach-keys", flags->detach_keys,
                  "Override the key sequence for detaching a container");
  cmd->add_option("CONTAINER", flags->containers, "Containers")->required();
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) {
      if (flags->attach || flags->interactive) return RunStartAttached(global, *flags);
      return ForEachContainer(global, flags->containers, [&](const std::string& id) {
        return CallService<Tasks>(global, [&](Tasks::Stub& stub, grpc::ClientContext& context) {
          runtime::v1::StartTaskRequest request;
          request.set_id(id);
          runtime::v1::StartTaskResponse response;
          return stub.Start(&context, request, &response);
        });
      });
    };
  });
}

void AddLifecycleCommands(CLI::App& parent, CommandRunner& run) {
  AddTaskCommand(
      parent, run, "stop", "Stop one or more running containers",
      [](Tasks::Stub& stub, grpc::ClientContext& context, const std::string& id,
         const TaskFlags& flags) {
        runtime::v1::StopTaskRequest request;
        request.set_id(id);
        SetTimeout(flags, request);
        google::protobuf::Empty response;
        return stub.Stop(&context, request, &response);
      },
      AddTimeoutFlags);
  AddTaskCommand(
      parent, run, "restart", "Restart one or more containers",
      [](Tasks::Stub& stub, grpc::ClientContext& context, const std::string& id,
         const TaskFlags& flags) {
        runtime::v1::RestartTaskRequest request;
        request.set_id(id);
        SetTimeout(flags, request);
        google::protobuf::Empty response;
        return stub.Restart(&context, request, &response);
      },
      AddTimeoutFlags);
  AddTaskCommand(
      parent, run, "kill", "Kill one or more running containers",
      [](Tasks::Stub& stub, grpc::ClientContext& context, const std::string& id,
         const TaskFlags& flags) {
        runtime::v1::KillTaskRequest request;
        request.set_id(id);
        request.set_signal(flags.signal);
        google::protobuf::Empty response;
        return stub.Kill(&context, request, &response);
      },
      [](CLI::App& cmd, TaskFlags& flags) {
        cmd.add_option("-s,--signal", flags.signal, "Signal to send to the container");
      });
  AddTaskCommand(
      parent, run, "pause", "Pause all processes within one or more containers",
      [](Tasks::Stub& stub, grpc::ClientContext& context, const std::string& id, const TaskFlags&) {
        runtime::v1::PauseTaskRequest request;
        request.set_id(id);
        google::protobuf::Empty response;
        return stub.Pause(&context, request, &response);
      });
  AddTaskCommand(
      parent, run, "unpause", "Unpause all processes within one or more containers",
      [](Tasks::Stub& stub, grpc::ClientContext& context, const std::string& id, const TaskFlags&) {
        runtime::v1::ResumeTaskRequest request;
        request.set_id(id);
        google::protobuf::Empty response;
        return stub.Resume(&context, request, &response);
      });
  auto containers = std::make_shared<std::vector<std::string>>();
  auto* wait = parent.add_subcommand(
      "wait", "Block until one or more containers stop, then print their exit codes");
  wait->add_option("CONTAINER", *containers, "Containers")->required();
  wait->callback([&run, containers] {
    run = [containers](const GlobalOptions& global) { return RunWait(global, *containers); };
  });
}

}  // namespace berth::ctl
