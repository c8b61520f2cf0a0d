// berthctl create and run: a container from an image, pulled first when missing; run
// then starts it detached (-d) or attached to the local terminal.
#include <cstdio>
#include <memory>

#include "absl/strings/match.h"
#include "ctl/attach_session.h"
#include "ctl/container_client.h"
#include "ctl/container_commands.h"
#include "ctl/container_flags.h"
#include "ctl/container_format.h"
#include "services/images/core/image_reference.h"

namespace berth::ctl {
namespace {

using runtime::v1::Containers;
using runtime::v1::Tasks;

grpc::Status CallCreate(const GlobalOptions& global,
                        const runtime::v1::CreateContainerRequest& request,
                        runtime::v1::CreateContainerResponse* response) {
  return CallService<Containers>(global, [&](Containers::Stub& stub, grpc::ClientContext& context) {
    return stub.Create(&context, request, response);
  });
}

grpc::Status StartTask(const GlobalOptions& global, const std::string& id) {
  return CallService<Tasks>(global, [&](Tasks::Stub& stub, grpc::ClientContext& context) {
    runtime::v1::StartTaskRequest request;
    request.set_id(id);
    runtime::v1::StartTaskResponse response;
    return stub.Start(&context, request, &response);
  });
}

// The container's exit code once it stops, for an attach that ended without a result.
int WaitExitCode(const GlobalOptions& global, const std::string& id) {
  runtime::v1::WaitTaskResponse response;
  grpc::Status status = CallService<Tasks>(global, [&](Tasks::Stub& stub, auto& context) {
    runtime::v1::WaitTaskRequest request;
    request.set_id(id);
    return stub.Wait(&context, request, &response);
  });
  return status.ok() ? response.exit_code() : ReportCallError(global, status);
}

// `run --rm` returns once the container is gone, as Docker's does: berthd removes it
// after its exit, and a script's next command must not find it. NOT_FOUND is that, too.
void WaitRemoved(const GlobalOptions& global, const std::string& id) {
  grpc::Status status = CallService<Tasks>(
      global,
      [&](Tasks::Stub& stub, auto& context) {
        runtime::v1::WaitTaskRequest request;
        request.set_id(id);
        request.set_condition(runtime::v1::WAIT_CONDITION_REMOVED);
        runtime::v1::WaitTaskResponse response;
        return stub.Wait(&context, request, &response);
      },
      /*deadline_seconds=*/60);
  if (!status.ok() && status.error_code() != grpc::StatusCode::NOT_FOUND) {
    std::fprintf(stderr, "berthctl: removing %s: %s\n", id.c_str(), status.error_message().c_str());
  }
}

// An exec's exit code once its attach stream ended without a result.
int ExecExitCode(const GlobalOptions& global, const std::string& exec_id) {
  runtime::v1::InspectExecResponse response;
  grpc::Status status = CallService<Tasks>(global, [&](Tasks::Stub& stub, auto& context) {
    runtime::v1::InspectExecRequest request;
    request.set_exec_id(exec_id);
    return stub.InspectExec(&context, request, &response);
  });
  if (!status.ok()) return ReportCallError(global, status);
  return response.exec().has_exit_code() ? response.exec().exit_code() : 0;
}

// AttachAndStart, telling whether the attach ended detached (a detach key sequence).
int AttachStartAndReport(const GlobalOptions& global, const std::string& command,
                         const AttachTarget& target, const std::function<grpc::Status()>& start,
                         bool* detached) {
  auto channel = Connect(global);
  if (!channel.ok()) return ReportConnectError(global, channel.status());
  grpc::Status start_status;
  std::function<grpc::Status()> recorded_start;
  if (start) {
    recorded_start = [&] { return start_status = start(); };
  }
  AttachOutcome outcome;
  grpc::Status status = RunAttached(*channel, target, recorded_start, &outcome);
  if (!start_status.ok()) {
    return ReportRunError(global, command, start_status,
                          StartFailureExitCode(start_status.error_message()));
  }
  if (detached != nullptr) *detached = outcome.detached;
  if (outcome.detached) return 0;
  if (outcome.has_result) return outcome.exit_code;
  if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
    return ReportCallError(global, status);
  }
  return target.exec_id.empty() ? WaitExitCode(global, target.id)
                                : ExecExitCode(global, target.exec_id);
}

int RunCreate(const GlobalOptions& global, const std::string& command, const ContainerFlags& flags,
              std::string* id) {
  if (flags.image_and_args.empty()) {
    return ReportUsageError(command, "\"" + command + "\" requires at least 1 argument.");
  }
  absl::StatusOr<runtime::v1::CreateContainerRequest> request = BuildCreateRequest(flags);
  if (!request.ok()) return ReportUsageError(command, std::string(request.status().message()));
  return CreateContainer(global, command, *request, id);
}

int Run(const GlobalOptions& global, const ContainerFlags& flags) {
  std::string id;
  if (int code = RunCreate(global, "run", flags, &id); code != 0) return code;
  auto start = [&global, &id] { return StartTask(global, id); };
  if (flags.detach) {
    grpc::Status status = start();
    if (!status.ok()) {
      return ReportRunError(global, "run", status, StartFailureExitCode(status.error_message()));
    }
    std::printf("%s\n", id.c_str());
    return 0;
  }
  bool detached = false;
  AttachTarget target;
  target.id = id;
  target.stdin = flags.interactive;
  target.tty = flags.tty;
  target.sig_proxy = flags.sig_proxy;
  const int code = AttachStartAndReport(global, "run", target, start, &detached);
  // After a failed start berthd has removed it already: the wait ends at once.
  if (flags.auto_remove && !detached) WaitRemoved(global, id);
  return code;
}

}  // namespace

int CreateContainer(const GlobalOptions& global, const std::string& command,
                    const runtime::v1::CreateContainerRequest& request, std::string* id) {
  runtime::v1::CreateContainerResponse response;
  grpc::Status status = CallCreate(global, request, &response);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND &&
      absl::StartsWith(status.error_message(), "No such image")) {
    absl::StatusOr<images::ImageReference> ref =
        images::ParseImageReference(request.spec().image());
    const std::string shown = ref.ok() ? ref->FamiliarString() : request.spec().image();
    std::fprintf(stderr, "Unable to find image '%s' locally\n", shown.c_str());
    PullFlags pull;
    pull.reference = request.spec().image();
    pull.out = stderr;
    pull.print_reference = false;
    if (PullImage(global, pull) != 0) return kExitUsage;
    status = CallCreate(global, request, &response);
  }
  if (!status.ok()) return ReportRunError(global, command, status);
  for (const std::string& warning : response.warnings()) {
    std::fprintf(stderr, "WARNING: %s\n", warning.c_str());
  }
  *id = response.id();
  return 0;
}

int AttachAndStart(const GlobalOptions& global, const std::string& command,
                   const AttachTarget& target, const std::function<grpc::Status()>& start) {
  return AttachStartAndReport(global, command, target, start, nullptr);
}

void AddCreateCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<ContainerFlags>();
  auto* cmd = parent.add_subcommand("create", "Create a new container");
  AddContainerFlags(*cmd, *flags);
  cmd->callback([&run, flags, cmd] {
    flags->image_and_args = cmd->remaining();
    run = [flags](const GlobalOptions& global) {
      std::string id;
      if (int code = RunCreate(global, "create", *flags, &id); code != 0) return code;
      std::printf("%s\n", id.c_str());
      return 0;
    };
  });
}

void AddRunCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<ContainerFlags>();
  auto* cmd = parent.add_subcommand("run", "Create and run a new container from an image");
  AddContainerFlags(*cmd, *flags);
  cmd->add_flag("-d,--detach", flags->detach, "Run container in background and print container ID");
  cmd->add_flag("--sig-proxy", flags->sig_proxy, "Proxy received signals to the process");
  cmd->callback([&run, flags, cmd] {
    flags->image_and_args = cmd->remaining();
    run = [flags](const GlobalOptions& global) { return Run(global, *flags); };
  });
}

}  // namespace berth::ctl
