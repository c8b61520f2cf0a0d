// berthctl update: a container's resources, live, and its restart policy (Docker's).
#include <cstdio>
#include <memory>

#include "ctl/container_client.h"
#include "ctl/container_commands.h"
#include "ctl/container_flags.h"
#include "ctl/units.h"

namespace berth::ctl {
namespace {

using runtime::v1::Containers;

struct UpdateFlags {
  ContainerFlags resources;
  std::string restart;
  std::vector<std::string> containers;
};

int RunUpdate(const GlobalOptions& global, const UpdateFlags& flags) {
  runtime::v1::UpdateContainerRequest request;
  if (absl::Status s = SetResources(flags.resources, *request.mutable_resources()); !s.ok()) {
    return ReportUsageError("update", std::string(s.message()));
  }
  if (!flags.restart.empty()) {
    absl::StatusOr<RestartPolicySpec> policy = ParseRestartPolicy(flags.restart);
    if (!policy.ok()) return ReportUsageError("update", std::string(policy.status().message()));
    request.set_restart_policy(policy->policy);
    request.set_restart_max_retries(policy->max_retries);
  }
  int code = 0;
  for (const std::string& container : flags.containers) {
    request.set_id(container);
    runtime::v1::UpdateContainerResponse response;
    grpc::Status status = CallService<Containers>(global, [&](auto& stub, auto& context) {
      return stub.Update(&context, request, &response);
    });
    if (!status.ok()) {
      ReportCallError(global, status);
      code = 1;
      continue;
    }
    std::printf("%s\n", container.c_str());
  }
  return code;
}

}  // namespace

void AddUpdateCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<UpdateFlags>();
  auto* cmd = parent.add_subcommand("update", "Update configuration of one or more containers");
  ContainerFlags& r = flags->resources;
  cmd->add_option("-m,--memory", r.memory, "Memory limit");
  cmd->add_option("--memory-swap", r.memory_swap,
                  "Swap limit equal to memory plus swap: -1 unlimited");
  cmd->add_option("--memory-reservation", r.memory_reservation, "Memory soft limit");
  cmd->add_option("--cpus", r.cpus, "Number of CPUs");
  cmd->add_option("-c,--cpu-shares", r.cpu_shares, "CPU shares (relative weight)");
  cmd->add_option("--cpuset-cpus", r.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  cmd->add_option("--pids-limit", r.pids_limit, "Tune container pids limit (-1 unlimited)");
  cmd->add_option("--blkio-weight", r.blkio_weight, "Block IO weight (10 to 1000)");
  cmd->add_option("--restart", flags->restart, "Restart policy to apply when a container exits");
  cmd->add_option("CONTAINER", flags->containers, "Containers")->required();
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return RunUpdate(global, *flags); };
  });
}

}  // namespace berth::ctl
